"""The password policy: long enough, not a common password, not the e-mail address."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from kronos.kit.errors import FieldError
from kronos.modules.identity.exceptions import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; a cap stops megabyte "passwords" from costing CPU
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    with _COMMON_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, *, email: str | None = None, path: str = "body.password") -> None:
    """Raise ``WeakPassword`` (422) saying what is wrong with ``password``."""
    problem: tuple[str, str] | None = None
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        problem = (f"The password must be at least {MIN_LENGTH} characters long.", "password_too_short")
    elif len(password) > MAX_LENGTH:
        problem = (f"The password must be at most {MAX_LENGTH} characters long.", "password_too_long")
    elif lowered in common_passwords() or len(set(lowered)) < 3:
        problem = ("This password is too common; choose one that is harder to guess.", "password_common")
    elif email and lowered in {email.strip().lower(), email.strip().lower().partition("@")[0]}:
        problem = ("The password must not be your e-mail address.", "password_is_email")
    if problem is not None:
        message, kind = problem
        raise WeakPassword(message, errors=[FieldError(path=path, message=message, type=kind)])
