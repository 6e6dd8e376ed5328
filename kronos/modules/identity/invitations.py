"""Invitations: an admin invites an e-mail address with a role; the link (single use, expiring) creates the
account if needed and the membership.

The link is e-mailed when the server sends mail. When it does not (no SMTP), the admin who creates or resends
the invitation gets it in the answer to pass on, and in no other case: an e-mailed link proves that the person
who joins reads that mailbox, which a link in the admin's hands would not. Resending makes a new link and
stops the old one."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.auth import Principal
from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.mail import Message, delivers
from kronos.kit.ratelimit import AttemptCounter
from kronos.kit.security import hash_password
from kronos.modules.identity import tokens
from kronos.modules.identity.access_bridge import audit
from kronos.modules.identity.exceptions import (
    AlreadyMember,
    InvalidCredentials,
    InvitationExpired,
    InvitationNotFound,
    InvitationUsed,
)
from kronos.modules.identity.models import Invitation, Membership, User
from kronos.modules.identity.passwords import check_password
from kronos.modules.identity.repository import IdentityRepository, InvitationRepository, MembershipRepository
from kronos.modules.identity.schemas import Invitation as InvitationOut
from kronos.modules.identity.schemas import InvitationAccept, InvitationCreate, InvitationSent, Tokens
from kronos.modules.identity.service import check_role_key
from kronos.modules.identity.sessions import Client, issue_session, prove_identity


class InvitationAccepted(BaseModel):
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    created_account: bool
    tokens: Tokens


def to_schema(invitation: Invitation, now: datetime) -> InvitationOut:
    status: str
    if invitation.accepted_at is not None:
        status = "accepted"
    elif invitation.revoked_at is not None:
        status = "revoked"
    elif invitation.expires_at <= now:
        status = "expired"
    else:
        status = "pending"
    return InvitationOut.model_validate(
        {
            "id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "status": status,
            "expires_at": invitation.expires_at,
            "created_at": invitation.created_at,
            "invited_by_user_id": invitation.invited_by_user_id,
        }
    )


async def invite(
    session: AsyncSession, settings: Settings, principal: Principal, body: InvitationCreate, client: Client
) -> tuple[InvitationSent, list[Message]]:
    now = clock.utcnow()
    email = str(body.email).strip().lower()
    await check_role_key(session, principal, body.role)
    identity = IdentityRepository(session)
    existing = await identity.get_user_by_email(email)
    if existing is not None and await MembershipRepository(session, principal.tenant_id).by_user(existing.id):
        raise AlreadyMember(f"{email} is already a member of this workspace.")
    repo = InvitationRepository(session, principal.tenant_id)
    for earlier in await repo.pending_for(email, now):  # the newest link is the only one that works
        earlier.revoked_at = now
    token = tokens.new_token()
    invitation = repo.add(
        Invitation(
            email=email,
            role=body.role,
            token_hash=tokens.digest(token),
            expires_at=now + timedelta(seconds=settings.invitation_ttl),
            invited_by_user_id=principal.user_id,
        )
    )
    await session.flush()
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=principal.user_id,
        event="invitation.created",
        ip=client.ip,
        detail={"invitation_id": str(invitation.id), "role": body.role},
    )
    return await _sent(session, settings, principal, invitation, token, now)


async def _sent(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    invitation: Invitation,
    token: str,
    now: datetime,
) -> tuple[InvitationSent, list[Message]]:
    """The answer to the admin and the e-mail to the invitee for ``invitation``'s new ``token``."""
    identity = IdentityRepository(session)
    workspace = await identity.get_workspace(principal.tenant_id)
    inviter = await identity.get_user(principal.user_id)
    name = workspace.name if workspace else "a workspace"
    who = (inviter.full_name or inviter.email) if inviter else "An admin"
    link = f"{settings.public_url}/invitations/accept?token={token}"
    days = max(1, settings.invitation_ttl // 86400)
    text = (
        f"{who} invited you to join {name} on KronosCRM.\n\n"
        f"Accept the invitation here (the link works once, for {days} day(s)):\n{link}\n"
    )
    # Without SMTP the message still goes to the mailer, which logs it only in development.
    message = Message(to=invitation.email, subject=f"You are invited to {name} on KronosCRM", text=text)
    emailed = delivers(settings)
    out = InvitationSent(
        **to_schema(invitation, now).model_dump(), emailed=emailed, link=None if emailed else link
    )
    return out, [message]


async def resend(
    session: AsyncSession, settings: Settings, principal: Principal, invitation_id: uuid.UUID, client: Client
) -> tuple[InvitationSent, list[Message]]:
    """A new link for a pending or expired invitation, valid for a full period again; the old link stops
    working. Accepted (410) and withdrawn (404) invitations cannot be sent again."""
    now = clock.utcnow()
    repo = InvitationRepository(session, principal.tenant_id)
    invitation = await repo.get(invitation_id)
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationNotFound("No such invitation, or it was withdrawn; invite the address again.")
    if invitation.accepted_at is not None:
        raise InvitationUsed("This invitation was already accepted.")
    await check_role_key(session, principal, invitation.role)  # an admin cannot resend an owner's invite
    for earlier in await repo.pending_for(invitation.email, now):  # one working link per address
        if earlier.id != invitation.id:
            earlier.revoked_at = now
    token = tokens.new_token()
    invitation.token_hash = tokens.digest(token)
    invitation.expires_at = now + timedelta(seconds=settings.invitation_ttl)
    invitation.invited_by_user_id = principal.user_id
    await session.flush()
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=principal.user_id,
        event="invitation.resent",
        ip=client.ip,
        detail={"invitation_id": str(invitation.id), "role": invitation.role},
    )
    return await _sent(session, settings, principal, invitation, token, now)


async def list_invitations(session: AsyncSession, tenant_id: uuid.UUID) -> list[InvitationOut]:
    now = clock.utcnow()
    return [to_schema(i, now) for i in await InvitationRepository(session, tenant_id).newest_first()]


async def revoke(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID, client: Client
) -> None:
    invitation = await InvitationRepository(session, principal.tenant_id).get(invitation_id)
    if invitation is None:
        raise InvitationNotFound("No such invitation.")
    now = clock.utcnow()
    if invitation.accepted_at is None:
        invitation.revoked_at = invitation.revoked_at or now
    invitation.deleted_at = now
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=principal.user_id,
        event="invitation.revoked",
        ip=client.ip,
        detail={"invitation_id": str(invitation.id)},
    )
    await session.flush()


async def _spend(invitations: InvitationRepository, invitation_id: uuid.UUID, now: datetime) -> None:
    """Spend the invitation before anything is created with it: of concurrent uses of one link, exactly one
    gets past here (the others wait for its transaction, then find it spent)."""
    if not await invitations.mark_accepted(invitation_id, now):
        raise InvitationUsed("This invitation was already accepted; sign in instead.")


async def accept(
    session: AsyncSession, settings: Settings, counter: AttemptCounter, body: InvitationAccept, client: Client
) -> InvitationAccepted:
    now = clock.utcnow()
    identity = IdentityRepository(session)
    invitation = await identity.get_invitation_by_token(tokens.digest(body.token))
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationNotFound("This invitation link is not valid (it may have been withdrawn).")
    if invitation.accepted_at is not None:
        raise InvitationUsed("This invitation was already accepted; sign in instead.")
    if invitation.expires_at <= now:
        raise InvitationExpired("This invitation has expired; ask for a new one.")
    if await identity.get_workspace(invitation.tenant_id) is None:
        raise InvitationNotFound("This invitation link is not valid.")
    invitations = InvitationRepository(session, invitation.tenant_id)
    members = MembershipRepository(session, invitation.tenant_id)
    user = await identity.get_user_by_email(invitation.email)
    created = user is None
    if user is None:
        if not body.password:
            message = "Choose a password for your new account."
            raise ValidationFailed(
                message, errors=[FieldError(path="body.password", message=message, type="missing")]
            )
        check_password(body.password, email=invitation.email)
        await _spend(invitations, invitation.id, now)
        user = User(
            email=invitation.email,
            password_hash=await hash_password(body.password),
            full_name=body.full_name or "",
            password_changed_at=now,
        )
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:  # the address signed up meanwhile: that account must sign in to join
            raise InvitationUsed("An account with this e-mail was just created; sign in instead.") from None
    elif not body.password:
        raise InvalidCredentials("An account with this e-mail exists: enter its password to join.")
    else:
        # An existing account signs in to join: the whole sign-in policy (lock-out, 2FA), not a password.
        user = await prove_identity(
            session,
            settings,
            counter,
            client,
            email=invitation.email,
            password=body.password,
            otp=body.otp,
            workspace_id=invitation.tenant_id,
        )
        if await members.by_user(user.id) is not None:
            raise AlreadyMember("You are already a member of this workspace.")
        await _spend(invitations, invitation.id, now)
    membership = members.add(Membership(user_id=user.id, role=invitation.role))
    await session.flush()
    await audit(
        session,
        tenant_id=invitation.tenant_id,
        actor_user_id=user.id,
        event="membership.added",
        ip=client.ip,
        detail={"invitation_id": str(invitation.id), "role": invitation.role, "new_account": created},
    )
    issued = await issue_session(session, settings, user=user, membership=membership, client=client, now=now)
    return InvitationAccepted(
        workspace_id=invitation.tenant_id, user_id=user.id, created_account=created, tokens=issued
    )
