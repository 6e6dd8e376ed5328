"""The workspace's settings, members and invitations (HTTP only: services decide)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from kronos.kit.auth import CurrentPrincipal, SessionPrincipal, SessionRequired
from kronos.kit.deps import AppSettings, DbSession, ReadDbSession
from kronos.kit.errors import Forbidden, Unauthorized, ValidationFailed, responses
from kronos.kit.ratelimit import RateLimited, enforce
from kronos.modules.identity import invitations, service, web_session
from kronos.modules.identity.exceptions import (
    AlreadyMember,
    InvalidCredentials,
    InvalidOtpAtLogin,
    InvitationExpired,
    InvitationNotFound,
    InvitationUsed,
    LastOwner,
    MemberNotFound,
    OtpRequired,
    OwnersOnly,
    TooManyAttempts,
    UnknownRole,
    WeakPassword,
)
from kronos.modules.identity.router import (
    HOUR,
    Attempts,
    ClientInfo,
    OutgoingMail,
    limit_per_client,
    send_after_commit,
)
from kronos.modules.identity.schemas import (
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationSent,
    Member,
    MemberUpdate,
    WorkspaceInfo,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/api/v1")


@router.get("/workspace", tags=["workspace"], responses=responses(Unauthorized))
async def get_workspace(principal: CurrentPrincipal, session: ReadDbSession) -> WorkspaceInfo:
    """The current workspace's settings."""
    return WorkspaceInfo.model_validate(await service.get_workspace(session, principal.tenant_id))


@router.patch(
    "/workspace", tags=["workspace"], responses=responses(Unauthorized, Forbidden, ValidationFailed)
)
async def update_workspace(
    body: WorkspaceUpdate, principal: CurrentPrincipal, session: DbSession, client: ClientInfo
) -> WorkspaceInfo:
    """Change the workspace's name, time zone (IANA), default currency (ISO 4217), locale or fiscal year
    start month. Admins only."""
    principal.require_admin()
    return WorkspaceInfo.model_validate(await service.update_workspace(session, principal, body, client))


# --- members ----------------------------------------------------------------------------------------------


@router.get("/members", tags=["members"], responses=responses(Unauthorized))
async def list_members(principal: CurrentPrincipal, session: ReadDbSession) -> list[Member]:
    """Everyone in the workspace, with their role."""
    return await service.list_members(session, principal.tenant_id)


@router.patch(
    "/members/{member_id}",
    tags=["members"],
    responses=responses(
        Unauthorized, Forbidden, OwnersOnly, MemberNotFound, UnknownRole, LastOwner, SessionRequired
    ),
)
async def change_member_role(
    member_id: uuid.UUID,
    body: MemberUpdate,
    principal: SessionPrincipal,
    session: DbSession,
    client: ClientInfo,
) -> Member:
    """Give a member another role. Admins only; only owners grant or take away ownership, and the last
    owner keeps it."""
    principal.require_admin()
    return await service.change_member_role(session, principal, member_id, body.role, client)


@router.delete(
    "/members/{member_id}",
    tags=["members"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, OwnersOnly, MemberNotFound, LastOwner, SessionRequired),
)
async def remove_member(
    member_id: uuid.UUID, principal: SessionPrincipal, session: DbSession, client: ClientInfo
) -> Response:
    """Remove a member (admins), or leave the workspace (your own membership). Their sessions here end."""
    await service.remove_member(session, principal, member_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- invitations ------------------------------------------------------------------------------------------


@router.post(
    "/invitations",
    tags=["invitations"],
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        Unauthorized,
        Forbidden,
        OwnersOnly,
        UnknownRole,
        AlreadyMember,
        ValidationFailed,
        SessionRequired,
        RateLimited,
    ),
)
async def create_invitation(
    body: InvitationCreate,
    principal: SessionPrincipal,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    background: BackgroundTasks,
    mailer: OutgoingMail,
    counter: Attempts,
) -> InvitationSent:
    """Invite an e-mail address with a role: it gets a single-use link that expires. Admins only; at most
    `KRONOS_INVITATIONS_MAX_PER_WORKSPACE` an hour per workspace, resends included (429 past it).

    The link is e-mailed (`emailed`: true) when the server sends mail (`KRONOS_SMTP_HOST`); otherwise the
    answer carries it in `link` for the admin to pass on, and it is never e-mailed nor logged outside
    development."""
    principal.require_admin()
    await _count_invitation(counter, settings, principal.tenant_id)
    created, messages = await invitations.invite(session, settings, principal, body, client)
    send_after_commit(background, mailer, messages)
    return created


async def _count_invitation(counter: Attempts, settings: AppSettings, tenant_id: uuid.UUID) -> None:
    limit = settings.invitations_max_per_workspace
    await enforce(counter, f"invite:ws:{tenant_id}", limit, HOUR, "Too many invitations from this workspace")


@router.post(
    "/invitations/{invitation_id}/resend",
    tags=["invitations"],
    responses=responses(
        Unauthorized,
        Forbidden,
        OwnersOnly,
        UnknownRole,
        InvitationNotFound,
        InvitationUsed,
        SessionRequired,
        RateLimited,
    ),
)
async def resend_invitation(
    invitation_id: uuid.UUID,
    principal: SessionPrincipal,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    background: BackgroundTasks,
    mailer: OutgoingMail,
    counter: Attempts,
) -> InvitationSent:
    """Send a pending or expired invitation again with a new link, valid for the full period; the old link
    stops working. `emailed` and `link` as when inviting. Admins only; counts toward the hourly limit."""
    principal.require_admin()
    await _count_invitation(counter, settings, principal.tenant_id)
    sent, messages = await invitations.resend(session, settings, principal, invitation_id, client)
    send_after_commit(background, mailer, messages)
    return sent


@router.get(
    "/invitations", tags=["invitations"], responses=responses(Unauthorized, Forbidden, SessionRequired)
)
async def list_invitations(principal: SessionPrincipal, session: ReadDbSession) -> list[Invitation]:
    """The workspace's invitations, newest first. Admins only."""
    principal.require_admin()
    return await invitations.list_invitations(session, principal.tenant_id)


@router.delete(
    "/invitations/{invitation_id}",
    tags=["invitations"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, InvitationNotFound, SessionRequired),
)
async def revoke_invitation(
    invitation_id: uuid.UUID, principal: SessionPrincipal, session: DbSession, client: ClientInfo
) -> Response:
    """Withdraw an invitation: its link stops working. Admins only."""
    principal.require_admin()
    await invitations.revoke(session, principal, invitation_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invitations/accept",
    tags=["invitations"],
    responses=responses(
        InvitationNotFound,
        InvitationUsed,
        InvitationExpired,
        AlreadyMember,
        InvalidCredentials,
        OtpRequired,
        InvalidOtpAtLogin,
        TooManyAttempts,
        WeakPassword,
        RateLimited,
    ),
)
async def accept_invitation(
    body: InvitationAccept,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    counter: Attempts,
) -> invitations.InvitationAccepted:
    """Accept an invitation with its token, and sign in to the workspace. A new account chooses a password;
    an existing account signs in to join (its password, and its code when 2FA is on, with sign-in's
    lock-out). Public."""
    await limit_per_client(counter, "accept", client, settings.public_auth_max_per_ip)
    try:
        accepted = await invitations.accept(session, settings, counter, body, client)
    except (InvalidCredentials, InvalidOtpAtLogin):
        await session.commit()  # the failure's audit record stays; the 401 still goes out
        raise
    accepted.tokens = web_session.deliver(request, response, settings, accepted.tokens)
    return accepted
