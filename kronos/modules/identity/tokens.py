"""Access tokens (short-lived JWTs), and the opaque random tokens (refresh, reset, invitation, recovery codes)
that are shown once and stored only as a SHA-256 digest.

A digest without a salt is enough for these: each token carries 256 bits of randomness (recovery codes 60),
so there is nothing to guess from a leaked digest. Passwords are different and use argon2id.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from kronos.kit.ids import uuid7

ALGORITHM = "HS256"
_MAX_TIMESTAMP = 32_503_680_000  # 3000-01-01T00:00:00Z: far from the year 9999 a datetime ends at
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a sheet of paper


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_recovery_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def encode_access_token(
    *, secret: str, user_id: uuid.UUID, tenant_id: uuid.UUID, session_id: uuid.UUID, now: datetime, ttl: int
) -> str:
    claims = {
        "sub": str(user_id),
        "ws": str(tenant_id),
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid7().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def decode_access_token(token: str, *, secret: str, now: datetime) -> AccessClaims | None:
    """The claims of a well-signed, unexpired token; None otherwise, whatever is wrong with it (a 401 to the
    caller, never a 500). Expiry is checked against ``now`` (the app clock) rather than PyJWT's own, so tests
    can move time."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "require": ["sub", "ws", "sid", "exp", "iat", "jti"],
            },
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    parsed = _access_claims(claims, now)
    if parsed is None or parsed.expires_at <= now:
        return None
    return parsed


def _access_claims(claims: dict[str, Any], now: datetime) -> AccessClaims | None:
    """The claims as this module writes them (integer seconds, UUID strings), or None: a token signed with
    the right key may still carry values no datetime can hold, e.g. ``"exp": 1e20``."""
    expires, ids = claims["exp"], [claims["sub"], claims["ws"], claims["sid"]]
    if isinstance(expires, bool) or not isinstance(expires, int) or not 0 <= expires <= _MAX_TIMESTAMP:
        return None
    if not all(isinstance(value, str) for value in ids):
        return None
    try:
        user_id, tenant_id, session_id = (uuid.UUID(value) for value in ids)
    except ValueError:
        return None
    return AccessClaims(
        user_id=user_id,
        tenant_id=tenant_id,
        session_id=session_id,
        expires_at=datetime.fromtimestamp(expires, tz=now.tzinfo),
    )
