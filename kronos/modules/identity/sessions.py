"""Signing in and staying signed in: login with lockout and 2FA, sessions, refresh-token rotation with reuse
detection, switching workspace, logout."""

from __future__ import annotations

import asyncio
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.ids import uuid7
from kronos.kit.ratelimit import AttemptCounter
from kronos.kit.security import hash_password, hash_password_sync, needs_rehash, verify_password
from kronos.modules.identity import tokens
from kronos.modules.identity.access_bridge import audit
from kronos.modules.identity.exceptions import (
    InvalidCredentials,
    InvalidOtpAtLogin,
    InvalidRefreshToken,
    NotAMember,
    OtpRequired,
    RefreshTokenReused,
    SessionNotFound,
    TooManyAttempts,
)
from kronos.modules.identity.models import AuthSession, Membership, RefreshToken, User, Workspace
from kronos.modules.identity.repository import IdentityRepository
from kronos.modules.identity.schemas import LoginRequest, SessionInfo, Tokens

TOTP_STEP = 30


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from, as recorded on sessions and in the audit log."""

    ip: str | None
    user_agent: str | None


@cache
def _dummy_hash() -> str:
    # Unknown e-mails still cost one argon2 verification, so timing does not tell who has an account.
    return hash_password_sync("not-a-real-password-" + uuid7().hex)


# --- second factor ----------------------------------------------------------------------------------------


def match_totp(secret: str, otp: str, last_counter: int | None, now: datetime) -> int | None:
    """The time step ``otp`` belongs to (the current one or a neighbour, for clock drift), unless it was
    already used: a code is good once."""
    otp = otp.strip().replace(" ", "")
    if len(otp) != 6 or not otp.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP
    for counter in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(counter), otp):
            if last_counter is not None and counter <= last_counter:
                return None
            return counter
    return None


def recovery_code_hash(user_id: uuid.UUID, code: str) -> str:
    return tokens.digest(f"{user_id}:{tokens.normalize_recovery_code(code)}")


async def verify_second_factor(
    repo: IdentityRepository, user: User, otp: str, now: datetime
) -> Literal["totp", "recovery_code"] | None:
    """Check a TOTP code or an unused recovery code, and spend it. Spending is one conditional UPDATE, so of
    concurrent requests showing the same code exactly one wins, on either database."""
    assert user.totp_secret is not None
    counter = match_totp(user.totp_secret, otp, user.totp_last_counter, now)
    if counter is not None:
        return "totp" if await repo.use_totp_counter(user, counter) else None
    if await repo.use_recovery_code(user.id, recovery_code_hash(user.id, otp), now):
        return "recovery_code"
    return None


# --- sessions ---------------------------------------------------------------------------------------------


async def issue_session(
    session: AsyncSession,
    settings: Settings,
    *,
    user: User,
    membership: Membership,
    client: Client,
    now: datetime,
) -> Tokens:
    """A new session (refresh-token family) in the membership's workspace, and its first tokens."""
    auth_session = AuthSession(
        id=uuid7(),
        user_id=user.id,
        tenant_id=membership.tenant_id,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl),
        ip=client.ip,
        user_agent=(client.user_agent or "")[:300] or None,
    )
    session.add(auth_session)
    membership.last_signed_in_at = now
    refresh = tokens.new_token()
    session.add(RefreshToken(family_id=auth_session.id, token_hash=tokens.digest(refresh)))
    await session.flush()
    return _tokens(settings, auth_session, refresh, now)


def _tokens(settings: Settings, auth_session: AuthSession, refresh: str, now: datetime) -> Tokens:
    access = tokens.encode_access_token(
        secret=settings.secret_key.get_secret_value(),
        user_id=auth_session.user_id,
        tenant_id=auth_session.tenant_id,
        session_id=auth_session.id,
        now=now,
        ttl=settings.access_token_ttl,
    )
    return Tokens(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_ttl,
        workspace_id=auth_session.tenant_id,
    )


def _choose(
    memberships: list[tuple[Membership, Workspace]], workspace_id: uuid.UUID | None
) -> tuple[Membership, Workspace]:
    if workspace_id is None:
        if not memberships:
            raise NotAMember("This account does not belong to any workspace.")
        return memberships[0]  # most recently used first
    for membership, workspace in memberships:
        if workspace.id == workspace_id:
            return membership, workspace
    raise NotAMember("This account is not a member of that workspace.")


# --- login with lockout -----------------------------------------------------------------------------------


@dataclass
class LoginGuard:
    """Failure counts per account and per client address: past the limits, sign-in answers 429."""

    settings: Settings
    counter: AttemptCounter
    email: str
    ip: str | None

    @property
    def account_key(self) -> str:
        return "login:account:" + tokens.digest(self.email)

    @property
    def ip_key(self) -> str:
        return f"login:ip:{self.ip or 'unknown'}"

    async def check(self) -> None:
        s = self.settings
        for key, limit in (
            (self.account_key, s.login_max_failures_per_account),
            (self.ip_key, s.login_max_failures_per_ip),
        ):
            attempts = await self.counter.get(key)
            if attempts.count >= limit:
                raise TooManyAttempts(
                    f"Too many failed sign-in attempts; try again in {attempts.retry_after} seconds.",
                    headers={"Retry-After": str(attempts.retry_after)},
                    extra={"retry_after": attempts.retry_after},
                )

    async def failed(self) -> None:
        window = self.settings.login_failure_window
        account = await self.counter.hit(self.account_key, window)
        await self.counter.hit(self.ip_key, window)
        # Slow down before locking: each failure past the third waits twice as long (capped).
        if self.settings.login_failure_delay > 0 and account.count > 3:
            await asyncio.sleep(min(self.settings.login_failure_delay * 2 ** (account.count - 4), 5.0))

    async def succeeded(self) -> None:
        await self.counter.clear(self.account_key)


async def prove_identity(
    session: AsyncSession,
    settings: Settings,
    counter: AttemptCounter,
    client: Client,
    *,
    email: str,
    password: str,
    otp: str | None,
    workspace_id: uuid.UUID | None = None,
) -> User:
    """The one place that decides "this person proved who they are" with an e-mail and a password: sign-in,
    sign-up and accepting an invitation with an existing account all go through it, so each gets the whole
    policy: lock-out and slow-down per account and per client address, the second factor when it is on (each
    code spent once), the failure counted and audited. Raises on failure; the caller commits so that the
    failure's count and audit record stay."""
    email = email.strip().lower()
    guard = LoginGuard(settings, counter, email, client.ip)
    await guard.check()
    repo = IdentityRepository(session)
    user = await repo.get_user_by_email(email)
    password_ok = await verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not password_ok or not user.is_active:
        await guard.failed()
        if user is None:
            await audit(
                session,
                tenant_id=None,
                actor_user_id=None,
                event="auth.login_failed",
                ip=client.ip,
                detail={"reason": "unknown_account"},
            )
        else:
            await _audit_failure(repo, session, user, workspace_id, client, "bad_password")
        raise InvalidCredentials("The e-mail or password is not correct.")
    if user.totp_secret is not None:
        if not otp:
            raise OtpRequired("Enter the code from your authenticator app (or a recovery code).")
        if await verify_second_factor(repo, user, otp, clock.utcnow()) is None:
            await guard.failed()
            await _audit_failure(repo, session, user, workspace_id, client, "bad_otp")
            raise InvalidOtpAtLogin("The code is not correct or was already used.")
    await guard.succeeded()
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    return user


async def check_own_password(
    settings: Settings, counter: AttemptCounter, client: Client, user: User, password: str
) -> bool:
    """A signed-in person re-entering their password (to change it, or to turn 2FA off): the same lock-out
    as sign-in, so a stolen session cannot guess it. False on a wrong password, counted as a failure."""
    guard = LoginGuard(settings, counter, user.email, client.ip)
    await guard.check()
    if await verify_password(user.password_hash, password):
        await guard.succeeded()
        return True
    await guard.failed()
    return False


async def login(
    session: AsyncSession, settings: Settings, counter: AttemptCounter, client: Client, body: LoginRequest
) -> Tokens:
    now = clock.utcnow()
    user = await prove_identity(
        session,
        settings,
        counter,
        client,
        email=str(body.email),
        password=body.password,
        otp=body.otp,
        workspace_id=body.workspace_id,
    )
    repo = IdentityRepository(session)
    membership, workspace = _choose(list(await repo.memberships_of_user(user.id)), body.workspace_id)
    issued = await issue_session(session, settings, user=user, membership=membership, client=client, now=now)
    await audit(
        session,
        tenant_id=workspace.id,
        actor_user_id=user.id,
        event="auth.login_succeeded",
        ip=client.ip,
        detail={"second_factor": user.totp_secret is not None},
    )
    return issued


async def _audit_failure(
    repo: IdentityRepository,
    session: AsyncSession,
    user: User,
    workspace_id: uuid.UUID | None,
    client: Client,
    reason: str,
) -> None:
    memberships = await repo.memberships_of_user(user.id)
    chosen = [w.id for _, w in memberships if w.id == workspace_id] or [w.id for _, w in memberships[:1]]
    for tenant_id in chosen:
        await audit(
            session,
            tenant_id=tenant_id,
            actor_user_id=user.id,
            event="auth.login_failed",
            ip=client.ip,
            detail={"reason": reason},
        )


# --- refresh, switch, logout, my sessions -----------------------------------------------------------------


async def refresh(session: AsyncSession, settings: Settings, client: Client, refresh_token: str) -> Tokens:
    now = clock.utcnow()
    repo = IdentityRepository(session)
    found = await repo.get_refresh_token(tokens.digest(refresh_token))
    if found is None:
        raise InvalidRefreshToken("The refresh token is not valid.")
    token, auth_session = found
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise InvalidRefreshToken("This session has ended; sign in again.")
    if token.used_at is not None or not await repo.mark_refresh_token_used(token.id, now):
        # A used token shown again: it leaked. End the whole family; the thief and the owner both sign in.
        auth_session.revoked_at = now
        auth_session.revoked_reason = "refresh_token_reused"
        await audit(
            session,
            tenant_id=auth_session.tenant_id,
            actor_user_id=auth_session.user_id,
            event="auth.refresh_token_reused",
            ip=client.ip,
            detail={"session_id": str(auth_session.id)},
        )
        await session.flush()
        raise RefreshTokenReused("This refresh token was already used; the session has been ended.")
    membership = await _membership(repo, auth_session.user_id, auth_session.tenant_id)
    if membership is None:
        auth_session.revoked_at, auth_session.revoked_reason = now, "membership_ended"
        await session.flush()
        raise InvalidRefreshToken("This session has ended; sign in again.")
    new_refresh = tokens.new_token()
    session.add(RefreshToken(family_id=auth_session.id, token_hash=tokens.digest(new_refresh)))
    auth_session.last_used_at = now
    auth_session.expires_at = now + timedelta(seconds=settings.refresh_token_ttl)
    auth_session.ip = client.ip or auth_session.ip
    if client.user_agent:
        auth_session.user_agent = client.user_agent[:300]
    await session.flush()
    return _tokens(settings, auth_session, new_refresh, now)


async def _membership(
    repo: IdentityRepository, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> Membership | None:
    for membership, workspace in await repo.memberships_of_user(user_id):
        if workspace.id == tenant_id:
            return membership
    return None


async def switch(
    session: AsyncSession, settings: Settings, client: Client, user_id: uuid.UUID, workspace_id: uuid.UUID
) -> Tokens:
    repo = IdentityRepository(session)
    user = await repo.get_user(user_id)
    if user is None:
        raise NotAMember("This account is not a member of that workspace.")
    membership, _ = _choose(list(await repo.memberships_of_user(user_id)), workspace_id)
    return await issue_session(
        session, settings, user=user, membership=membership, client=client, now=clock.utcnow()
    )


async def logout(session: AsyncSession, session_id: uuid.UUID | None) -> None:
    if session_id is None:
        return
    auth_session = await IdentityRepository(session).get_session(session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at, auth_session.revoked_reason = clock.utcnow(), "logout"
        await session.flush()


async def my_sessions(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID, current: uuid.UUID | None
) -> list[SessionInfo]:
    rows = await IdentityRepository(session).active_sessions(user_id, tenant_id, clock.utcnow())
    return [SessionInfo.model_validate(row).model_copy(update={"current": row.id == current}) for row in rows]


async def revoke_my_session(
    session: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID, session_id: uuid.UUID
) -> None:
    auth_session = await IdentityRepository(session).get_session(session_id)
    now = clock.utcnow()
    if (
        auth_session is None
        or auth_session.user_id != user_id
        or auth_session.tenant_id != tenant_id
        or auth_session.revoked_at is not None
        or auth_session.expires_at <= now
    ):
        raise SessionNotFound("No such session.")
    auth_session.revoked_at, auth_session.revoked_reason = now, "revoked_by_user"
    await session.flush()
