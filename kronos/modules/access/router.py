"""HTTP API of access control: roles, teams, API keys and the audit log. Every route needs a principal;
changes need a workspace admin, except API keys, which every member manages for themselves."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from kronos.kit.auth import CurrentPrincipal, SessionPrincipal, SessionRequired
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.kit.errors import Forbidden, Unauthorized, ValidationFailed, responses
from kronos.kit.inputs import Instant
from kronos.modules.access import apikeys, audit, schemas, service, teams
from kronos.modules.access.exceptions import (
    ApiKeyNotFound,
    NotAMember,
    RoleInUse,
    RoleKeyTaken,
    RoleNotFound,
    RoleReadOnly,
    ScopeExceedsRole,
    TeamMemberNotFound,
    TeamNameTaken,
    TeamNotFound,
)

router = APIRouter(prefix="/api/v1", responses=responses(Unauthorized))


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# -- Roles --------------------------------------------------------------------------------------------------


@router.get("/roles", tags=["roles"], summary="List roles")
async def list_roles(principal: CurrentPrincipal, session: ReadDbSession) -> list[schemas.Role]:
    """Built-in roles (read-only, no id) and the workspace's custom roles."""
    return await service.list_roles(session, principal.tenant_id)


@router.post(
    "/roles",
    tags=["roles"],
    summary="Create a custom role",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, RoleKeyTaken, ValidationFailed),
)
async def create_role(
    body: schemas.RoleCreate, principal: CurrentPrincipal, session: DbSession, request: Request
) -> schemas.Role:
    """Admins only. The key is what members' roles refer to; it cannot change later."""
    principal.require_admin()
    return await service.create_role(session, principal, body, ip=_ip(request))


@router.get("/roles/{role}", tags=["roles"], summary="Get a role", responses=responses(RoleNotFound))
async def get_role(role: str, principal: CurrentPrincipal, session: ReadDbSession) -> schemas.Role:
    """A role by id, or by key (built-in roles have only a key)."""
    return await service.get_role(session, principal.tenant_id, role)


@router.patch(
    "/roles/{role}",
    tags=["roles"],
    summary="Change a custom role",
    responses=responses(Forbidden, RoleNotFound, RoleReadOnly, ValidationFailed),
)
async def update_role(
    role: str, body: schemas.RoleUpdate, principal: CurrentPrincipal, session: DbSession, request: Request
) -> schemas.Role:
    """Admins only. New permissions apply to the role's members from their next request."""
    principal.require_admin()
    return await service.update_role(session, principal, role, body, ip=_ip(request))


@router.delete(
    "/roles/{role}",
    tags=["roles"],
    summary="Delete a custom role",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Forbidden, RoleNotFound, RoleReadOnly, RoleInUse),
)
async def delete_role(
    role: str, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Response:
    """Admins only. A role that members hold or pending invitations offer cannot be deleted (409)."""
    principal.require_admin()
    await service.delete_role(session, principal, role, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- Teams --------------------------------------------------------------------------------------------------


@router.get("/teams", tags=["teams"], summary="List teams")
async def list_teams(principal: CurrentPrincipal, session: ReadDbSession) -> list[schemas.Team]:
    return await teams.list_teams(session, principal.tenant_id)


@router.post(
    "/teams",
    tags=["teams"],
    summary="Create a team",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, TeamNameTaken, NotAMember, ValidationFailed),
)
async def create_team(
    body: schemas.TeamCreate, principal: CurrentPrincipal, session: DbSession, request: Request
) -> schemas.Team:
    """Admins only. Members must belong to the workspace; managers see their team's records."""
    principal.require_admin()
    return await teams.create_team(session, principal, body, ip=_ip(request))


@router.get("/teams/{team_id}", tags=["teams"], summary="Get a team", responses=responses(TeamNotFound))
async def get_team(team_id: uuid.UUID, principal: CurrentPrincipal, session: ReadDbSession) -> schemas.Team:
    return await teams.get_team(session, principal.tenant_id, team_id)


@router.patch(
    "/teams/{team_id}",
    tags=["teams"],
    summary="Rename or describe a team",
    responses=responses(Forbidden, TeamNotFound, TeamNameTaken, ValidationFailed),
)
async def update_team(
    team_id: uuid.UUID,
    body: schemas.TeamUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
) -> schemas.Team:
    principal.require_admin()
    return await teams.update_team(session, principal, team_id, body, ip=_ip(request))


@router.delete(
    "/teams/{team_id}",
    tags=["teams"],
    summary="Delete a team",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Forbidden, TeamNotFound),
)
async def delete_team(
    team_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Response:
    principal.require_admin()
    await teams.delete_team(session, principal, team_id, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/teams/{team_id}/members/{user_id}",
    tags=["teams"],
    summary="Add a member to a team, or set whether they manage it",
    responses=responses(Forbidden, TeamNotFound, NotAMember, ValidationFailed),
)
async def put_team_member(
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    body: schemas.TeamMemberUpdate | None = None,
) -> schemas.Team:
    """Admins only. Idempotent: the member ends up in the team with the given ``is_manager``."""
    principal.require_admin()
    return await teams.put_team_member(
        session, principal, team_id, user_id, body or schemas.TeamMemberUpdate(), ip=_ip(request)
    )


@router.delete(
    "/teams/{team_id}/members/{user_id}",
    tags=["teams"],
    summary="Remove a member from a team",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Forbidden, TeamNotFound, TeamMemberNotFound),
)
async def remove_team_member(
    team_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Response:
    principal.require_admin()
    await teams.remove_team_member(session, principal, team_id, user_id, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- API keys: managed by a signed-in person only (a key never makes, lists or revokes keys) ---------------


@router.get(
    "/api-keys", tags=["api keys"], summary="List API keys", responses=responses(Forbidden, SessionRequired)
)
async def list_api_keys(
    principal: SessionPrincipal,
    session: ReadDbSession,
    everyone: Annotated[
        bool, Query(alias="all", description="Every key of the workspace (admins only).")
    ] = False,
) -> list[schemas.ApiKey]:
    """Your keys (never their secrets); ``?all=true`` lists everyone's, for admins."""
    return list(await apikeys.list_api_keys(session, principal, everyone=everyone))


@router.post(
    "/api-keys",
    tags=["api keys"],
    summary="Create an API key",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, ScopeExceedsRole, ValidationFailed, SessionRequired),
)
async def create_api_key(
    body: schemas.ApiKeyCreate, principal: SessionPrincipal, session: DbSession, request: Request
) -> schemas.ApiKeyCreated:
    """The key is in the answer once; store it now. Its permissions must be within your own role (403
    ``scope_exceeds_role`` otherwise), and are cut further if your role later shrinks."""
    return await apikeys.create_api_key(session, principal, body, ip=_ip(request))


@router.delete(
    "/api-keys/{key_id}",
    tags=["api keys"],
    summary="Revoke an API key",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ApiKeyNotFound, SessionRequired),
)
async def revoke_api_key(
    key_id: uuid.UUID, principal: SessionPrincipal, session: DbSession, request: Request
) -> Response:
    """Your own key, or (admins) anyone's in the workspace. It stops working at once."""
    await apikeys.revoke_api_key(session, principal, key_id, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- Audit log ----------------------------------------------------------------------------------------------


@router.get(
    "/audit-log",
    tags=["audit log"],
    summary="Read the audit log",
    responses=responses(Forbidden, ValidationFailed),
)
async def audit_log(
    principal: CurrentPrincipal,
    session: ReadDbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[uuid.UUID | None, Query(description="next_cursor of the previous page.")] = None,
    event: Annotated[str | None, Query(max_length=64, description="e.g. role.created")] = None,
    actor: Annotated[uuid.UUID | None, Query(description="The acting user's id.")] = None,
    since: Annotated[Instant | None, Query(description="From this instant (inclusive).")] = None,
    until: Annotated[Instant | None, Query(description="Up to this instant (exclusive).")] = None,
) -> schemas.AuditPage:
    """Security events of the workspace, newest first. Admins only."""
    principal.require_admin()
    rows = await audit.list_events(
        session,
        principal.tenant_id,
        limit=limit + 1,
        after=after,
        event=event,
        actor_user_id=actor,
        since=since,
        until=until,
    )
    items = [schemas.AuditEvent.model_validate(row, from_attributes=True) for row in rows[:limit]]
    return schemas.AuditPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
