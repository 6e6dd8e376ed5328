"""Teams: groups of members with one or more managers; a manager sees the records of the whole team."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Principal
from kronos.modules.access import audit, schemas
from kronos.modules.access.exceptions import NotAMember, TeamMemberNotFound, TeamNameTaken, TeamNotFound
from kronos.modules.access.models import Team, TeamMember
from kronos.modules.access.repository import MembershipQueries, TeamMemberRepository, TeamRepository


def _view(team: Team, members: Sequence[TeamMember]) -> schemas.Team:
    return schemas.Team(
        id=team.id,
        name=team.name,
        description=team.description,
        members=[schemas.TeamMember(user_id=m.user_id, is_manager=m.is_manager) for m in members],
        created_at=team.created_at,
        updated_at=team.updated_at,
    )


async def _team(session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    team = await TeamRepository(session, tenant_id).get(team_id)
    if team is None:
        raise TeamNotFound(f"There is no team {team_id} in this workspace.")
    return team


async def _members(session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID) -> Sequence[TeamMember]:
    return await TeamMemberRepository(session, tenant_id).for_teams([team_id])


async def _require_members(session: AsyncSession, tenant_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
    missing = set(user_ids) - await MembershipQueries(session, tenant_id).members_among(user_ids)
    if missing:
        raise NotAMember(
            "Only members of the workspace can join a team.",
            extra={"user_ids": sorted(str(u) for u in missing)},
        )


async def _flush_unique_name(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # a concurrent request took the name between the check and the write
        raise TeamNameTaken(f"A team named '{name}' already exists.") from None


async def list_teams(session: AsyncSession, tenant_id: uuid.UUID) -> list[schemas.Team]:
    teams = await TeamRepository(session, tenant_id).list_all()
    members = await TeamMemberRepository(session, tenant_id).for_teams([t.id for t in teams])
    by_team: dict[uuid.UUID, list[TeamMember]] = {}
    for member in members:
        by_team.setdefault(member.team_id, []).append(member)
    return [_view(team, by_team.get(team.id, [])) for team in teams]


async def get_team(session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID) -> schemas.Team:
    team = await _team(session, tenant_id, team_id)
    return _view(team, await _members(session, tenant_id, team_id))


async def create_team(
    session: AsyncSession, principal: Principal, data: schemas.TeamCreate, *, ip: str | None = None
) -> schemas.Team:
    tenant_id = principal.tenant_id
    repo = TeamRepository(session, tenant_id)
    if await repo.get_by_name(data.name) is not None:
        raise TeamNameTaken(f"A team named '{data.name}' already exists.")
    await _require_members(session, tenant_id, [m.user_id for m in data.members])
    team = repo.add(Team(name=data.name, description=data.description))
    await _flush_unique_name(session, data.name)
    member_repo = TeamMemberRepository(session, tenant_id)
    members = [
        member_repo.add(TeamMember(team_id=team.id, user_id=m.user_id, is_manager=m.is_manager))
        for m in data.members
    ]
    await session.flush()
    await audit.record_action(
        session,
        principal,
        "team.created",
        ip,
        {"team_id": str(team.id), "name": team.name, "members": len(members)},
    )
    return _view(team, members)


async def update_team(
    session: AsyncSession,
    principal: Principal,
    team_id: uuid.UUID,
    data: schemas.TeamUpdate,
    *,
    ip: str | None = None,
) -> schemas.Team:
    team = await _team(session, principal.tenant_id, team_id)
    repo = TeamRepository(session, principal.tenant_id)
    renamed = data.name is not None and data.name.lower() != team.name.lower()
    if renamed and await repo.get_by_name(data.name or "") is not None:
        raise TeamNameTaken(f"A team named '{data.name}' already exists.")
    if data.name is not None:
        team.name = data.name
    if data.description is not None:
        team.description = data.description
    await _flush_unique_name(session, team.name)
    await audit.record_action(
        session,
        principal,
        "team.updated",
        ip,
        {"team_id": str(team.id), "changed": sorted(data.model_fields_set)},
    )
    return _view(team, await _members(session, principal.tenant_id, team_id))


async def delete_team(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, *, ip: str | None = None
) -> None:
    team = await _team(session, principal.tenant_id, team_id)
    # Members go first, explicitly: the ORM does not know about the database's ON DELETE CASCADE.
    member_repo = TeamMemberRepository(session, principal.tenant_id)
    for member in await member_repo.for_teams([team.id]):
        await member_repo.delete(member)
    await session.flush()  # no relationship tells the unit of work to delete members before their team
    await TeamRepository(session, principal.tenant_id).delete(team)
    await session.flush()
    await audit.record_action(
        session, principal, "team.deleted", ip, {"team_id": str(team.id), "name": team.name}
    )


async def put_team_member(
    session: AsyncSession,
    principal: Principal,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    data: schemas.TeamMemberUpdate,
    *,
    ip: str | None = None,
) -> schemas.Team:
    """Add ``user_id`` to the team, or change whether they manage it."""
    tenant_id = principal.tenant_id
    team = await _team(session, tenant_id, team_id)
    member_repo = TeamMemberRepository(session, tenant_id)
    member = await member_repo.get_member(team_id, user_id)
    if member is None:
        await _require_members(session, tenant_id, [user_id])
        member_repo.add(TeamMember(team_id=team.id, user_id=user_id, is_manager=data.is_manager))
        event = "team.member_added"
    elif member.is_manager != data.is_manager:
        member.is_manager = data.is_manager
        event = "team.member_updated"
    else:
        return _view(team, await _members(session, tenant_id, team_id))
    await session.flush()
    await audit.record_action(
        session,
        principal,
        event,
        ip,
        {"team_id": str(team.id), "user_id": str(user_id), "is_manager": data.is_manager},
    )
    return _view(team, await _members(session, tenant_id, team_id))


async def remove_team_member(
    session: AsyncSession,
    principal: Principal,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    ip: str | None = None,
) -> None:
    await _team(session, principal.tenant_id, team_id)
    member_repo = TeamMemberRepository(session, principal.tenant_id)
    member = await member_repo.get_member(team_id, user_id)
    if member is None:
        raise TeamMemberNotFound(f"User {user_id} is not in team {team_id}.")
    await member_repo.delete(member)
    await session.flush()
    await audit.record_action(
        session, principal, "team.member_removed", ip, {"team_id": str(team_id), "user_id": str(user_id)}
    )
