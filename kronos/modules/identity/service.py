"""Workspaces and their members: creating a workspace with its owner (signup, `kronos create-admin`, the
first start), workspace settings, the member list and role changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.auth import Principal
from kronos.kit.mail import Message
from kronos.kit.ratelimit import AttemptCounter
from kronos.kit.security import hash_password, verify_password
from kronos.modules.identity.access_bridge import OWNER_ROLE, audit, role_exists
from kronos.modules.identity.exceptions import (
    EmailTaken,
    LastOwner,
    MemberNotFound,
    OwnersOnly,
    SignupDisabled,
    UnknownRole,
)
from kronos.modules.identity.models import Membership, User, Workspace
from kronos.modules.identity.passwords import check_password
from kronos.modules.identity.repository import IdentityRepository, MembershipRepository
from kronos.modules.identity.schemas import (
    Me,
    Member,
    SignupCreate,
    Tokens,
    UserInfo,
    WorkspaceInfo,
    WorkspaceMembership,
    WorkspaceUpdate,
)
from kronos.modules.identity.sessions import Client, issue_session, prove_identity

__all__ = ["OWNER_ROLE", "EmailTaken", "WorkspaceWithOwner", "create_workspace_with_owner"]


@dataclass
class WorkspaceWithOwner:
    workspace: Workspace
    owner: User
    membership: Membership


async def create_workspace_with_owner(
    session: AsyncSession, *, email: str, password: str, workspace_name: str, full_name: str = ""
) -> WorkspaceWithOwner:
    """A new workspace owned by the account with ``email``, for the operator's paths (`kronos create-admin`,
    the first start): the account is created if it does not exist (its password must meet the policy), and
    an existing one must present its own password. Sign-up does not use this: see ``signup``."""
    repo = IdentityRepository(session)
    email = email.strip().lower()
    user = await repo.get_user_by_email(email)
    if user is None:
        user = await _new_account(session, email=email, password=password, full_name=full_name)
    elif not await verify_password(user.password_hash, password):
        raise EmailTaken(f"An account with the e-mail {email} already exists.")
    return await create_workspace(session, user, workspace_name)


async def _new_account(session: AsyncSession, *, email: str, password: str, full_name: str) -> User:
    check_password(password, email=email)
    user = User(
        email=email,
        password_hash=await hash_password(password),
        full_name=full_name,
        password_changed_at=None,
    )
    session.add(user)
    return user


async def create_workspace(session: AsyncSession, user: User, workspace_name: str) -> WorkspaceWithOwner:
    """A new workspace with ``user`` as its owner and a default pipeline."""
    workspace = Workspace(name=workspace_name)
    session.add(workspace)
    await session.flush()
    membership = Membership(tenant_id=workspace.id, user_id=user.id, role=OWNER_ROLE)
    session.add(membership)
    await session.flush()
    # The sales module's service interface: a new workspace opens on a deals board with columns. Imported
    # here, not at the top, because the CRM module builds on this one.
    from kronos.modules.crm.service import create_default_pipeline

    await create_default_pipeline(session, workspace.id, owner_id=user.id)
    return WorkspaceWithOwner(workspace, user, membership)


async def has_any_workspace(session: AsyncSession) -> bool:
    return await IdentityRepository(session).count_workspaces() > 0


async def signup(
    session: AsyncSession, settings: Settings, counter: AttemptCounter, client: Client, body: SignupCreate
) -> tuple[Tokens, list[Message]]:
    """A new workspace, and a session in it. A new e-mail gets a new account. An e-mail that has an account
    is a sign-in to that account first, through the whole sign-in policy (``prove_identity``: lock-out, the
    second factor, failures counted): sign-up never opens an existing account on a password alone. Its owner
    is told by e-mail that a workspace was created with it."""
    if not settings.signup_enabled:
        raise SignupDisabled("Sign-up is switched off on this server; ask an admin for an invitation.")
    email = str(body.email).strip().lower()
    messages: list[Message] = []
    if await IdentityRepository(session).get_user_by_email(email) is None:
        user = await _new_account(session, email=email, password=body.password, full_name=body.full_name)
        try:
            await session.flush()
        except IntegrityError:  # the same new e-mail signed up concurrently: that one won
            raise EmailTaken("An account with this e-mail was just created; sign in instead.") from None
    else:
        user = await prove_identity(
            session, settings, counter, client, email=email, password=body.password, otp=body.otp
        )
        messages.append(
            Message(
                to=user.email,
                subject="A new KronosCRM workspace was created with your account",
                text=(
                    f'The workspace "{body.workspace_name}" was just created with your account'
                    f"{f' from {client.ip}' if client.ip else ''}.\n\n"
                    "If it was not you, change your password and turn on two-factor sign-in.\n"
                ),
            )
        )
    created = await create_workspace(session, user, body.workspace_name)
    await audit(
        session,
        tenant_id=created.workspace.id,
        actor_user_id=created.owner.id,
        event="workspace.created",
        ip=client.ip,
        detail={"name": created.workspace.name},
    )
    issued = await issue_session(
        session,
        settings,
        user=created.owner,
        membership=created.membership,
        client=client,
        now=clock.utcnow(),
    )
    return issued, messages


# --- workspace settings, me -------------------------------------------------------------------------------


async def get_workspace(session: AsyncSession, tenant_id: uuid.UUID) -> Workspace:
    workspace = await IdentityRepository(session).get_workspace(tenant_id)
    if workspace is None:  # deleted under a live token
        raise MemberNotFound("The workspace no longer exists.")
    return workspace


async def update_workspace(
    session: AsyncSession, principal: Principal, changes: WorkspaceUpdate, client: Client
) -> Workspace:
    workspace = await get_workspace(session, principal.tenant_id)
    values = changes.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in values.items():
        setattr(workspace, name, value)
    if values:
        await audit(
            session,
            tenant_id=workspace.id,
            actor_user_id=principal.user_id,
            event="workspace.settings_changed",
            ip=client.ip,
            detail={"fields": sorted(values)},
        )
    await session.flush()
    return workspace


async def me(session: AsyncSession, principal: Principal) -> Me:
    repo = IdentityRepository(session)
    user = await repo.get_user(principal.user_id)
    memberships = await repo.memberships_of_user(principal.user_id)
    current = next(((m, w) for m, w in memberships if w.id == principal.tenant_id), None)
    if user is None or current is None:
        raise MemberNotFound("You are no longer a member of this workspace.")
    return Me(
        user=user_info(user),
        workspace=WorkspaceInfo.model_validate(current[1]),
        role=current[0].role,
        is_admin=principal.permissions.is_admin,
        memberships=[
            WorkspaceMembership(
                workspace_id=w.id, workspace_name=w.name, role=m.role, last_signed_in_at=m.last_signed_in_at
            )
            for m, w in memberships
        ],
    )


def user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        two_factor_enabled=user.totp_secret is not None,
    )


async def my_workspaces(session: AsyncSession, user_id: uuid.UUID) -> list[WorkspaceMembership]:
    return [
        WorkspaceMembership(
            workspace_id=w.id, workspace_name=w.name, role=m.role, last_signed_in_at=m.last_signed_in_at
        )
        for m, w in await IdentityRepository(session).memberships_of_user(user_id)
    ]


# --- members ----------------------------------------------------------------------------------------------


def _member(membership: Membership, user: User) -> Member:
    return Member(
        id=membership.id,
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=membership.role,
        joined_at=membership.created_at,
    )


async def list_members(session: AsyncSession, tenant_id: uuid.UUID) -> list[Member]:
    return [_member(m, u) for m, u in await MembershipRepository(session, tenant_id).list_with_users()]


async def actor_role(session: AsyncSession, principal: Principal) -> str | None:
    membership = await MembershipRepository(session, principal.tenant_id).by_user(principal.user_id)
    return None if membership is None else membership.role


async def check_role_key(session: AsyncSession, principal: Principal, role: str) -> None:
    """The role must exist in this workspace, and only owners hand out ownership."""
    if not await role_exists(session, principal.tenant_id, role):
        raise UnknownRole(f"There is no role '{role}' in this workspace.")
    if role == OWNER_ROLE and await actor_role(session, principal) != OWNER_ROLE:
        raise OwnersOnly("Only an owner can make someone an owner.")


async def change_member_role(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, role: str, client: Client
) -> Member:
    repo = MembershipRepository(session, principal.tenant_id)
    found = await repo.get_with_user(member_id)
    if found is None:
        raise MemberNotFound("No such member.")
    membership, user = found
    await check_role_key(session, principal, role)
    if membership.role == role:
        return _member(membership, user)
    if membership.role == OWNER_ROLE:
        if await actor_role(session, principal) != OWNER_ROLE:
            raise OwnersOnly("Only an owner can change an owner's role.")
        if await repo.count_role(OWNER_ROLE) <= 1:
            raise LastOwner("The workspace's last owner cannot be demoted; make someone else owner first.")
    previous, membership.role = membership.role, role
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=principal.user_id,
        event="membership.role_changed",
        ip=client.ip,
        detail={"member_id": str(membership.id), "user_id": str(user.id), "from": previous, "to": role},
    )
    await session.flush()
    return _member(membership, user)


async def remove_member(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, client: Client
) -> None:
    """Admins remove anyone (owners only by an owner); every member may leave. Their sessions here end."""
    repo = MembershipRepository(session, principal.tenant_id)
    found = await repo.get_with_user(member_id)
    if found is None:
        raise MemberNotFound("No such member.")
    membership, user = found
    leaving = user.id == principal.user_id
    if not leaving:
        principal.require_admin()
    if membership.role == OWNER_ROLE:
        if not leaving and await actor_role(session, principal) != OWNER_ROLE:
            raise OwnersOnly("Only an owner can remove an owner.")
        if await repo.count_role(OWNER_ROLE) <= 1:
            raise LastOwner("The workspace's last owner cannot be removed; make someone else owner first.")
    await session.delete(membership)
    await IdentityRepository(session).revoke_sessions(
        user.id, clock.utcnow(), "membership_ended", tenant_id=principal.tenant_id
    )
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=principal.user_id,
        event="membership.removed",
        ip=client.ip,
        detail={"member_id": str(membership.id), "user_id": str(user.id), "role": membership.role},
    )
    await session.flush()
