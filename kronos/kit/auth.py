"""Who is calling: the principal every authenticated request carries, and the dependency that finds it.

Modules plug in the ways a caller can prove who they are (``register_authenticator``): the identity module
verifies access tokens, the access module verifies API keys. The ``PermissionSet`` protocol is what the
record engine and every router ask before they read or write; the access module implements it from roles.
Routers require a principal by default (``CurrentPrincipal``); a public route says so explicitly.

Credential kinds. Every authenticated route declares which kinds it accepts by the alias it takes:
``CurrentPrincipal`` accepts a signed-in person's session *and* an API key (records, metadata, reads of the
workspace); ``SessionPrincipal`` accepts a session only. An API key acts on data for its owner within its
scope; it is never a session: it cannot mint tokens, switch workspace, manage sessions, passwords, 2FA, API
keys, members or invitations. ``tests/kit/test_credential_kinds.py`` holds the table of every route's kinds
and fails when a route is added without a decision.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.db import Database
from kronos.kit.deps import request_session
from kronos.kit.errors import Forbidden, Unauthorized
from kronos.kit.logging import get_logger
from kronos.kit.ratelimit import RATE_LIMIT_STATE, attempt_counter, consume

Credential = Literal["session", "api_key"]
_log = get_logger("kronos.auth")
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

    def visibility(self, object_name: str) -> Visibility:
        """The records of the object the principal reads (lists, reads, relations)."""
        ...

    def edit_visibility(self, object_name: str) -> Visibility:
        """The records of the object the principal may update or delete: never more than it reads."""
        ...


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    via: Credential
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
            await _rate_limit(request, principal)
            return principal
    raise Unauthorized("The token is not valid.", headers=challenge)


async def _rate_limit(request: Request, principal: Principal) -> None:
    """The API rate limit: so many requests a window per API key, and per user for their sessions (all
    their devices and workspaces together). When Redis, which counts them, does not answer, requests go
    through uncounted: the limit protects the service, and refusing everything would not."""
    settings = request.app.state.settings
    if not settings.api_rate_limit:
        return
    if principal.api_key_id is not None:
        key = f"api:key:{principal.api_key_id}"
    else:
        key = f"api:user:{principal.user_id}"
    counter = attempt_counter(request.app.state, settings.namespace)
    try:
        limit = await consume(counter, key, settings.api_rate_limit, settings.api_rate_limit_window)
    except RedisError as exc:
        _log.warning("rate limit not counted: redis does not answer", error=str(exc))
        return
    setattr(request.state, RATE_LIMIT_STATE, limit)
    if limit.exceeded:
        raise limit.error(
            f"Too many requests: the limit is {limit.limit} every {settings.api_rate_limit_window} seconds; "
            f"try again in {limit.reset} seconds."
        )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class SessionRequired(Forbidden):
    code = "session_required"


async def get_session_principal(principal: CurrentPrincipal) -> Principal:
    """``CurrentPrincipal`` for routes that act on the account or the workspace's people and keys: a signed-in
    person's session only. An API key gets 403 ``session_required``, whatever its scope."""
    if principal.via != "session":
        raise SessionRequired("An API key cannot do this; sign in as a person to do it.")
    return principal


SessionPrincipal = Annotated[Principal, Depends(get_session_principal)]
# What a route that resolves the principal itself (``authenticate``) declares in OpenAPI instead.
BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]


async def authenticate(request: Request) -> Principal:
    """``CurrentPrincipal`` for a route that skips dependency injection (the record list, the hottest route:
    FastAPI's dependency and parameter solving cost it about a sixth of its CPU time)."""
    return await get_principal(request, await _bearer(request))
