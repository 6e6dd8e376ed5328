"""API keys: ``kr_<prefix>_<secret>``, sent as ``Authorization: Bearer <key>``.

The prefix finds the key (unique, indexed); only a SHA-256 of the secret is stored. The secret is 256 random
bits, so a fast hash is enough (argon2 guards guessable passwords, and would cost every request ~50 ms).
A key acts for its user within its scope, intersected on every request with the user's *current* role: a
demoted user's keys lose power at once, and a user who leaves the workspace leaves their keys dead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from types import MappingProxyType
from typing import Final

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Action, PermissionSet, Principal
from kronos.kit.clock import utcnow
from kronos.kit.db import Database
from kronos.kit.errors import ValidationFailed
from kronos.modules.access import audit, schemas
from kronos.modules.access.exceptions import ApiKeyNotFound, InvalidApiKey, ScopeExceedsRole
from kronos.modules.access.models import ApiKey
from kronos.modules.access.permissions import ACTIONS, ScopedPermissions
from kronos.modules.access.repository import ApiKeyRepository, find_api_key, touch_api_key
from kronos.modules.access.service import load_principal_access

KEY_PREFIX: Final = "kr"
_KEY_FORMAT = re.compile(r"^kr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
# last_used_at is written at most this often per key: a busy key must not turn every read into a write.
LAST_USED_RESOLUTION: Final = timedelta(seconds=60)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """(the key to show once, its prefix, the hash to store)."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return f"{KEY_PREFIX}_{prefix}_{secret}", prefix, _hash(secret)


def permissions_for(key: ApiKey, base: PermissionSet) -> ScopedPermissions:
    actions: dict[str, frozenset[Action]] = {
        name: frozenset(a for a in acts if a in ACTIONS)
        for name, acts in dict(key.scope.get("objects") or {}).items()
    }
    return ScopedPermissions(base, MappingProxyType(actions), admin=bool(key.scope.get("is_admin", False)))


def view(key: ApiKey) -> schemas.ApiKey:
    return schemas.ApiKey(
        id=key.id,
        user_id=key.user_id,
        name=key.name,
        prefix=f"{KEY_PREFIX}_{key.prefix}",
        permissions=schemas.ApiKeyScope.model_validate(key.scope),
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        created_at=key.created_at,
    )


def _check_scope(principal: Principal, scope: schemas.ApiKeyScope) -> None:
    beyond = sorted(
        f"{action} on {name}"
        for name, actions in scope.objects.items()
        for action in set(actions)
        if not principal.permissions.can(name, action)
    )
    if scope.is_admin and not principal.permissions.is_admin:
        beyond.insert(0, "admin")
    if beyond:
        raise ScopeExceedsRole(
            "An API key can only have permissions you have: your role does not allow "
            + ", ".join(beyond[:10])
            + ("..." if len(beyond) > 10 else "")
            + ".",
            extra={"exceeding": beyond},
        )


async def create_api_key(
    session: AsyncSession, principal: Principal, data: schemas.ApiKeyCreate, *, ip: str | None = None
) -> schemas.ApiKeyCreated:
    now = utcnow()
    if data.expires_at is not None and data.expires_at <= now:
        raise ValidationFailed("expires_at must be in the future.")
    _check_scope(principal, data.permissions)
    plain, prefix, secret_hash = new_key()
    scope = {
        "is_admin": data.permissions.is_admin,
        "objects": {name: sorted(set(actions)) for name, actions in data.permissions.objects.items()},
    }
    key = ApiKeyRepository(session, principal.tenant_id).add(
        ApiKey(
            user_id=principal.user_id,
            name=data.name,
            prefix=prefix,
            secret_hash=secret_hash,
            scope=scope,
            expires_at=data.expires_at,
        )
    )
    await session.flush()
    await audit.record_action(
        session, principal, "api_key.created", ip, {"api_key_id": str(key.id), "name": key.name}
    )
    return schemas.ApiKeyCreated(**view(key).model_dump(), key=plain)


async def list_api_keys(
    session: AsyncSession, principal: Principal, *, everyone: bool = False
) -> Sequence[schemas.ApiKey]:
    """The caller's keys, or with ``everyone`` (admins only) every key of the workspace."""
    if everyone:
        principal.require_admin()
    keys = await ApiKeyRepository(session, principal.tenant_id).list_for(
        None if everyone else principal.user_id
    )
    return [view(key) for key in keys]


async def revoke_api_key(
    session: AsyncSession, principal: Principal, key_id: uuid.UUID, *, ip: str | None = None
) -> None:
    """Revoke one of the caller's keys (admins: any key of the workspace). Revoking twice is a no-op."""
    key = await ApiKeyRepository(session, principal.tenant_id).get(key_id)
    if key is None or (key.user_id != principal.user_id and not principal.permissions.is_admin):
        # Someone else's key answers like a missing one: members cannot probe for keys they cannot list.
        raise ApiKeyNotFound(f"There is no API key {key_id} of yours in this workspace.")
    if key.revoked_at is not None:
        return
    key.revoked_at = utcnow()
    await session.flush()
    await audit.record_action(
        session,
        principal,
        "api_key.revoked",
        ip,
        {"api_key_id": str(key.id), "name": key.name, "owner_user_id": str(key.user_id)},
    )


async def authenticate_api_key(request: Request, db: Database, token: str) -> Principal | None:
    """The ``Authenticator`` for API keys: None for tokens of other kinds, 401 for a bad key."""
    if not token.startswith(f"{KEY_PREFIX}_"):
        return None
    invalid = InvalidApiKey("The API key is not valid.", headers={"WWW-Authenticate": "Bearer"})
    match = _KEY_FORMAT.match(token)
    if match is None:
        raise invalid
    prefix, secret = match.groups()
    now = utcnow()
    async with db.read_session() as session:
        found = await find_api_key(session, prefix)
        if found is None:
            raise invalid
        key, user_active = found
        if not hmac.compare_digest(key.secret_hash, _hash(secret)) or not user_active:
            raise invalid
        if key.revoked_at is not None:
            raise InvalidApiKey("The API key has been revoked.", headers={"WWW-Authenticate": "Bearer"})
        if key.expires_at is not None and key.expires_at <= now:
            raise InvalidApiKey("The API key has expired.", headers={"WWW-Authenticate": "Bearer"})
        access = await load_principal_access(session, key.tenant_id, key.user_id)
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        async with db.write_session() as session:
            await touch_api_key(session, key, now, now - LAST_USED_RESOLUTION)
    return Principal(
        user_id=key.user_id,
        tenant_id=key.tenant_id,
        via="api_key",
        permissions=permissions_for(key, access.permissions),
        visible_owner_ids=access.visible_owner_ids,
        api_key_id=key.id,
        schema_version=access.schema_version,
    )
