"""Queries of the identity module. Tenant tables (memberships, invitations) go through ``TenantRepository``;
the global tables (users, sessions, tokens) are looked up by the user, the session, or a token digest."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kronos.kit import clock
from kronos.kit.repository import TenantRepository
from kronos.modules.identity.models import (
    AuthSession,
    Invitation,
    Membership,
    PasswordResetToken,
    RecoveryCode,
    RefreshToken,
    User,
    Workspace,
)


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_workspaces(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Workspace)) or 0)

    async def get_user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email.strip().lower()))

    async def get_user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_workspace(self, workspace_id: uuid.UUID) -> Workspace | None:
        return await self.session.scalar(
            select(Workspace).where(Workspace.id == workspace_id, Workspace.deleted_at.is_(None))
        )

    async def memberships_of_user(self, user_id: uuid.UUID) -> Sequence[tuple[Membership, Workspace]]:
        """The user's memberships with their workspaces, most recently used first."""
        rows = await self.session.execute(
            select(Membership, Workspace)
            .join(Workspace, Workspace.id == Membership.tenant_id)
            .where(
                Membership.user_id == user_id,
                Membership.deleted_at.is_(None),
                Workspace.deleted_at.is_(None),
            )
            .order_by(Membership.last_signed_in_at.desc().nulls_last(), Membership.created_at)
        )
        return [(m, w) for m, w in rows]

    # --- sessions and refresh tokens ---

    async def get_session(self, session_id: uuid.UUID) -> AuthSession | None:
        return await self.session.get(AuthSession, session_id)

    async def get_refresh_token(self, token_hash: str) -> tuple[RefreshToken, AuthSession] | None:
        row = (
            await self.session.execute(
                select(RefreshToken, AuthSession)
                .join(AuthSession, AuthSession.id == RefreshToken.family_id)
                .where(RefreshToken.token_hash == token_hash)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def mark_refresh_token_used(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark the token used unless someone else did first; True when this call won."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
            .values(used_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def active_sessions(
        self, user_id: uuid.UUID, tenant_id: uuid.UUID, now: datetime
    ) -> Sequence[AuthSession]:
        return (
            await self.session.scalars(
                select(AuthSession)
                .where(
                    AuthSession.user_id == user_id,
                    AuthSession.tenant_id == tenant_id,
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > now,
                )
                .order_by(AuthSession.last_used_at.desc())
            )
        ).all()

    async def revoke_sessions(
        self,
        user_id: uuid.UUID,
        now: datetime,
        reason: str,
        *,
        tenant_id: uuid.UUID | None = None,
        except_id: uuid.UUID | None = None,
    ) -> None:
        statement = update(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
        )
        if tenant_id is not None:
            statement = statement.where(AuthSession.tenant_id == tenant_id)
        if except_id is not None:
            statement = statement.where(AuthSession.id != except_id)
        await self.session.execute(
            statement.values(revoked_at=now, revoked_reason=reason, updated_at=now).execution_options(
                synchronize_session=False
            )
        )

    # --- password resets, recovery codes, invitations by token ---

    async def get_reset_token(self, token_hash: str) -> PasswordResetToken | None:
        return await self.session.scalar(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
        )

    async def expire_reset_tokens(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def use_totp_counter(self, user: User, counter: int) -> bool:
        """Spend the TOTP time step ``counter``: True unless it (or a later one) was already spent, by this
        request or a concurrent one. The row lock the UPDATE takes makes a concurrent spender wait for this
        transaction and then find the condition false."""
        now = clock.utcnow()
        result = await self.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
            )
            .values(totp_last_counter=counter, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        set_committed_value(user, "totp_last_counter", counter)
        return True

    async def use_reset_token(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Spend a password-reset link: True for exactly one of any number of concurrent uses."""
        result = await self.session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.id == token_id,
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            )
            .values(used_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def delete_recovery_codes(self, user_id: uuid.UUID) -> None:
        for code in await self.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)):
            await self.session.delete(code)

    async def get_invitation_by_token(self, token_hash: str) -> Invitation | None:
        # The token alone says which workspace: this is the one lookup without a tenant, by a unique digest.
        return await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == token_hash, Invitation.deleted_at.is_(None))
        )


class MembershipRepository(TenantRepository[Membership]):
    model = Membership

    async def list_with_users(self) -> Sequence[tuple[Membership, User]]:
        rows = await self.session.execute(
            self.select()
            .add_columns(User)
            .join(User, User.id == Membership.user_id)
            .order_by(Membership.created_at, Membership.id)
        )
        return [(m, u) for m, u in rows]

    async def get_with_user(self, membership_id: uuid.UUID) -> tuple[Membership, User] | None:
        row = (
            await self.session.execute(
                self.select()
                .add_columns(User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.id == membership_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def by_user(self, user_id: uuid.UUID) -> Membership | None:
        result: Membership | None = await self.session.scalar(
            self.select().where(Membership.user_id == user_id)
        )
        return result

    async def count_role(self, role: str) -> int:
        statement = (
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.tenant_id == self.tenant_id,
                Membership.deleted_at.is_(None),
                Membership.role == role,
            )
        )
        return int(await self.session.scalar(statement) or 0)


class InvitationRepository(TenantRepository[Invitation]):
    model = Invitation

    async def pending_for(self, email: str, now: datetime) -> Sequence[Invitation]:
        return await self.list(
            self.select().where(
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
        )

    async def mark_accepted(self, invitation_id: uuid.UUID, now: datetime) -> bool:
        """Spend an invitation: True for exactly one of any number of concurrent acceptances."""
        result = await self.session.execute(
            update(Invitation)
            .where(
                Invitation.tenant_id == self.tenant_id,
                Invitation.id == invitation_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(accepted_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def newest_first(self) -> Sequence[Invitation]:
        return await self.list(self.select().order_by(Invitation.created_at.desc(), Invitation.id.desc()))


async def member_names(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Display names (full name, else e-mail) of users who are or were members of one workspace, for the
    record engine's history (registered with ``kronos.kit.records.history.register_user_names``). Users of
    other workspaces stay unnamed: an id stored in a record never reveals who is behind it elsewhere."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.full_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, User.id.in_(sorted(user_ids, key=str)))
    )
    return {user_id: full_name or email for user_id, full_name, email in rows}


async def member_ids(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``user_ids`` are members of one workspace now, for the record engine's ``user`` fields
    (registered with ``kronos.kit.records.members.register_member_lookup``): one indexed query."""
    if not user_ids:
        return set()
    rows = await session.scalars(
        select(Membership.user_id).where(
            Membership.tenant_id == tenant_id,
            Membership.deleted_at.is_(None),
            Membership.user_id.in_(sorted(user_ids, key=str)),
        )
    )
    return set(rows.all())
