"""First start: the data directory gets a secret key, an empty database a workspace and an owner account."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import MIN_PRODUCTION_SECRET_LENGTH, Settings, SettingsError
from kronos.kit.db import Database
from kronos.kit.logging import get_logger
from kronos.kit.security import generate_password
from kronos.modules.identity.models import Membership, User
from kronos.modules.identity.service import OWNER_ROLE, create_workspace_with_owner, has_any_workspace

DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_WORKSPACE_NAME = "My workspace"
_log = get_logger("kronos.bootstrap")


@dataclass
class FirstOwner:
    email: str
    workspace_name: str
    generated_password: str | None  # shown once when we made it up; None when it came from the settings


async def ensure_first_workspace(settings: Settings) -> FirstOwner | None:
    """Create the first workspace and its owner when there is none; return what was created, if anything."""
    db = Database(settings)
    try:
        async with db.write_session() as session:
            if await has_any_workspace(session):
                return None
            email = owner_email(settings)
            given = settings.admin_password.get_secret_value() if settings.admin_password else None
            password = given or generate_password()
            await create_workspace_with_owner(
                session, email=email, password=password, workspace_name=DEFAULT_WORKSPACE_NAME
            )
            return FirstOwner(email, DEFAULT_WORKSPACE_NAME, None if given else password)
    finally:
        await db.dispose()


def owner_email(settings: Settings) -> str:
    """The e-mail of the owner account the first start creates."""
    return settings.admin_email or DEFAULT_ADMIN_EMAIL


async def first_sign_in_email(session: AsyncSession, settings: Settings) -> str | None:
    """The e-mail of the owner account the first start created, for the sign-in page to name beside the
    password printed in the terminal; None as soon as anyone has signed in (every sign-in, sign-up and
    accepted invitation stamps its membership), and always None outside a development, embedded
    installation, where no one reads a terminal and the sign-in page says nothing about its accounts.

    Public: it tells an anonymous caller an address only while the installation is untouched, and that
    address is the documented default or the one its operator set; never anything about the password."""
    if settings.env != "development" or not settings.embedded:
        return None
    signed_in = await session.scalar(
        select(Membership.id).where(Membership.last_signed_in_at.is_not(None)).limit(1)
    )
    if signed_in is not None:
        return None
    email = owner_email(settings).strip().lower()
    owner = await session.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email == email, Membership.role == OWNER_ROLE, Membership.deleted_at.is_(None))
        .limit(1)
    )
    return email if owner is not None else None


def with_secret_key(settings: Settings) -> Settings:
    """The settings, with the secret key that signs tokens: ``KRONOS_SECRET_KEY`` when it is set, otherwise
    the one generated into the data directory on first start (a copy of the settings carries it).

    So ``make run`` needs no setting and no two installations share a key: a published default would let
    anyone sign tokens for any account of an installation that kept it. Production refuses to start without
    an explicit key (``Settings``), because processes on several machines must share one."""
    if settings.secret_key.get_secret_value():
        return settings
    key = load_or_create_secret_key(settings.secret_key_file)
    return settings.model_copy(update={"secret_key": SecretStr(key)})


def load_or_create_secret_key(path: Path) -> str:
    """The key kept in ``path``, made on the first call: 48 random bytes (URL-safe base64), mode 0600.

    Written to a temporary file and then linked into place, which fails if the file exists: two processes
    starting together on one data directory agree on the first key, and none ever reads a partial file."""
    try:
        return _read_secret_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
            _log.info(
                "secret key generated: keep this file (replacing it signs everyone out), and set "
                "KRONOS_SECRET_KEY for production",
                path=str(path),
            )
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    except OSError as exc:
        raise SettingsError(
            f"cannot create the secret key file {path} ({exc.strerror or exc}): make the data directory "
            "writable, or set KRONOS_SECRET_KEY"
        ) from exc
    return _read_secret_key(path)


def _read_secret_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the secret key file {path}: {exc}") from exc
    if len(key) < MIN_PRODUCTION_SECRET_LENGTH:
        raise SettingsError(
            f"the secret key file {path} is damaged (under {MIN_PRODUCTION_SECRET_LENGTH} characters): "
            "delete it to generate a new key (everyone is signed out), or set KRONOS_SECRET_KEY"
        )
    if os.name == "posix" and path.stat().st_mode & 0o077:
        _log.warning("the secret key file is readable by other users: chmod 600 it", path=str(path))
    return key
