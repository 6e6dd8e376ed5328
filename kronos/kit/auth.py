"""Who is calling: the principal every authenticated request carries, and the dependency that finds it.

Modules plug in the ways a caller can prove who they are (``register_authenticator``): the identity module
verifies access tokens, the access module verifies API keys. The ``PermissionSet`` protocol is what the
record engine and every router ask before they read or write; the access module implements it from roles.
Routers require a principal by default (``CurrentPrincipal``); a public route says so explicitly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.db import Database
from kronos.kit.deps import request_session
from kronos.kit.errors import Forbidden, Unauthorized

Action = Literal["read", "create", "update", "delete", "export"]
FieldAccess = Literal["hidden", "read", "write"]
Visibility = Literal["own", "team", "all"]


class PermissionSet(Protocol):
    """What a principal may do. Object and field names are the record engine's API names."""

    @property
    def is_admin(self) -> bool:
        """May manage the workspace: settings, members, roles, teams, everyone's API keys, the audit log."""
        ...

    def can(self, object_name: str, action: Action) -> bool: ...

    def field_access(self, object_name: str, field_name: str) -> FieldAccess: ...

    def visibility(self, object_name: str) -> Visibility: ...


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    via: Literal["session", "api_key"]
    permissions: PermissionSet
    # Owners of the records "team" visibility shows: the user plus the members of the teams they manage.
    visible_owner_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    # The workspace's schema version when the principal was loaded (kronos.kit.records.objects): lets the
    # record engine use its cached schemas. None: always read the schema from the database.
    schema_version: int | None = None

    def require(self, object_name: str, action: Action) -> None:
        if not self.permissions.can(object_name, action):
            raise Forbidden(f"Your role does not allow {action} on {object_name}.")

    def require_admin(self) -> None:
        if not self.permissions.is_admin:
            raise Forbidden("Only workspace admins can do this.")


# Given the bearer token, return the principal it proves, or None if the token is not of this kind.
# Raise Unauthorized for a token of this kind that is invalid, expired or revoked.
Authenticator = Callable[[Request, Database, str], Awaitable[Principal | None]]


@asynccontextmanager
async def auth_session(request: Request, db: Database) -> AsyncIterator[tuple[AsyncSession, bool]]:
    """The session an authenticator reads with, and whether it is the request's own.

    The request's own session (see ``kronos.kit.deps.request_session``) saves a pool checkout and a
    transaction; its transaction is still unbound when authentication runs, and the authenticator may bind it
    to the principal's tenant in the same statement that loads the principal (``tenant_binding_columns``).
    Without one (the route asked for the principal before its session), a short read session of its own that
    it must not bind: it ends here.
    """
    shared = request_session(request)
    if shared is not None:
        yield shared, True
        return
    async with db.read_session() as session:
        yield session, False


_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login, or an API key.")


def register_authenticator(app_state: object, authenticator: Authenticator) -> None:
    authenticators: list[Authenticator] = getattr(app_state, "authenticators", [])
    authenticators.append(authenticator)
    app_state.authenticators = authenticators  # type: ignore[attr-defined]


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.", headers=challenge)
    db: Database = request.app.state.db
    for authenticate in getattr(request.app.state, "authenticators", []):
        principal: Principal | None = await authenticate(request, db, credentials.credentials)
        if principal is not None:
            request.state.principal = principal
            return principal
    raise Unauthorized("The token is not valid.", headers=challenge)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
# What a route that resolves the principal itself (``authenticate``) declares in OpenAPI instead.
BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]


async def authenticate(request: Request) -> Principal:
    """``CurrentPrincipal`` for a route that skips dependency injection (the record list, the hottest route:
    FastAPI's dependency and parameter solving cost it about a sixth of its CPU time)."""
    return await get_principal(request, await _bearer(request))
