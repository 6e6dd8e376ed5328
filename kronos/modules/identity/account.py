"""A user's own credentials: forgotten and changed passwords, and TOTP two-factor with recovery codes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import Settings
from kronos.kit import clock
from kronos.kit.auth import Principal
from kronos.kit.errors import FieldError
from kronos.kit.mail import Message
from kronos.kit.ratelimit import AttemptCounter
from kronos.kit.security import hash_password
from kronos.modules.identity import tokens
from kronos.modules.identity.access_bridge import audit
from kronos.modules.identity.exceptions import (
    InvalidOtp,
    InvalidResetToken,
    MemberNotFound,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorNotSetUp,
    WrongPassword,
)
from kronos.modules.identity.models import PasswordResetToken, RecoveryCode, User
from kronos.modules.identity.passwords import check_password
from kronos.modules.identity.repository import IdentityRepository
from kronos.modules.identity.schemas import ProfileUpdate, TwoFactorSetup
from kronos.modules.identity.sessions import (
    Client,
    check_own_password,
    match_totp,
    recovery_code_hash,
    verify_second_factor,
)

RECOVERY_CODE_COUNT = 10
ISSUER = "KronosCRM"


async def _user(repo: IdentityRepository, principal: Principal) -> User:
    user = await repo.get_user(principal.user_id)
    if user is None:
        raise MemberNotFound("The account no longer exists.")
    return user


async def _audit_everywhere(
    session: AsyncSession, repo: IdentityRepository, user: User, event: str, client: Client
) -> None:
    # An account-wide change made without signing in (a reset link): each of the user's workspaces gets it.
    # Signed-in changes are recorded in the workspace of the session that made them.
    for _, workspace in await repo.memberships_of_user(user.id):
        await audit(session, tenant_id=workspace.id, actor_user_id=user.id, event=event, ip=client.ip)


# --- profile ----------------------------------------------------------------------------------------------


async def update_profile(
    session: AsyncSession, principal: Principal, changes: ProfileUpdate, client: Client
) -> None:
    """Change the signed-in user's own name. The account is shared by every workspace the user belongs to,
    so the change shows everywhere; it is recorded in the audit log of the workspace it was made from."""
    user = await _user(IdentityRepository(session), principal)
    values = changes.model_dump(exclude_unset=True, exclude_none=True)
    changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
    if not changed:
        return
    for name in changed:
        setattr(user, name, values[name])
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=user.id,
        event="account.profile_changed",
        ip=client.ip,
        detail={"fields": changed},
    )
    await session.flush()


# --- passwords --------------------------------------------------------------------------------------------


async def forgot_password(session: AsyncSession, settings: Settings, email: str) -> list[Message]:
    """E-mail a reset link if the account exists. The caller answers the same either way."""
    now = clock.utcnow()
    user = await IdentityRepository(session).get_user_by_email(email)
    if user is None or not user.is_active:
        return []
    token = tokens.new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=tokens.digest(token),
            expires_at=now + timedelta(seconds=settings.password_reset_ttl),
        )
    )
    await session.flush()
    minutes = settings.password_reset_ttl // 60
    link = f"{settings.public_url.rstrip('/')}/reset-password?token={token}"
    text = (
        "Someone asked to reset the password of your KronosCRM account.\n\n"
        f"Choose a new password here (the link works once, for {minutes} minutes):\n{link}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n"
    )
    return [Message(to=user.email, subject="Reset your KronosCRM password", text=text)]


async def reset_password(session: AsyncSession, token: str, password: str, client: Client) -> None:
    now = clock.utcnow()
    repo = IdentityRepository(session)
    reset = await repo.get_reset_token(tokens.digest(token))
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise InvalidResetToken("This reset link is not valid: it was already used, has expired or is wrong.")
    user = await repo.get_user(reset.user_id)
    if user is None or not user.is_active:
        raise InvalidResetToken("This reset link is not valid.")
    check_password(password, email=user.email)
    # Spent by a conditional UPDATE: of two concurrent uses of one link, exactly one gets here.
    if not await repo.use_reset_token(reset.id, now):
        raise InvalidResetToken("This reset link is not valid: it was already used, has expired or is wrong.")
    user.password_hash = await hash_password(password)
    user.password_changed_at = now
    await repo.expire_reset_tokens(user.id, now)  # this one and any other outstanding link
    await repo.revoke_sessions(user.id, now, "password_reset")
    await _audit_everywhere(session, repo, user, "auth.password_reset", client)
    await session.flush()


async def change_password(
    session: AsyncSession,
    settings: Settings,
    counter: AttemptCounter,
    principal: Principal,
    current: str,
    new: str,
    client: Client,
) -> None:
    """Set a new password; every other session of the account ends (in every workspace), this one stays
    signed in. A wrong current password counts toward the sign-in lock-out."""
    now = clock.utcnow()
    repo = IdentityRepository(session)
    user = await _user(repo, principal)
    if not await check_own_password(settings, counter, client, user, current):
        message = "The current password is not correct."
        raise WrongPassword(
            message, errors=[FieldError(path="body.current_password", message=message, type="wrong_password")]
        )
    check_password(new, email=user.email, path="body.new_password")
    user.password_hash = await hash_password(new)
    user.password_changed_at = now
    await repo.revoke_sessions(user.id, now, "password_changed", except_id=principal.session_id)
    await audit(
        session,
        tenant_id=principal.tenant_id,
        actor_user_id=user.id,
        event="auth.password_changed",
        ip=client.ip,
    )
    await session.flush()


# --- two-factor -------------------------------------------------------------------------------------------


async def setup_two_factor(session: AsyncSession, principal: Principal) -> TwoFactorSetup:
    user = await _user(IdentityRepository(session), principal)
    if user.totp_secret is not None:
        raise TwoFactorAlreadyEnabled("Two-factor sign-in is already on; turn it off first to change it.")
    secret = pyotp.random_base32()
    user.totp_pending_secret = secret
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TwoFactorSetup(secret=secret, otpauth_uri=uri)


async def enable_two_factor(
    session: AsyncSession, principal: Principal, otp: str, client: Client
) -> list[str]:
    """Turn 2FA on once a code proves the app has the secret; return the recovery codes (shown once)."""
    now = clock.utcnow()
    repo = IdentityRepository(session)
    user = await _user(repo, principal)
    if user.totp_secret is not None:
        raise TwoFactorAlreadyEnabled("Two-factor sign-in is already on.")
    if user.totp_pending_secret is None:
        raise TwoFactorNotSetUp("Start with /api/v1/auth/2fa/setup.")
    counter = match_totp(user.totp_pending_secret, otp, None, now)
    if counter is None:
        raise InvalidOtp("The code is not correct; check the time on your device.")
    user.totp_secret, user.totp_pending_secret = user.totp_pending_secret, None
    user.totp_enabled_at, user.totp_last_counter = now, counter
    await repo.delete_recovery_codes(user.id)
    codes = [tokens.new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(user.id, code)))
    await audit(
        session, tenant_id=principal.tenant_id, actor_user_id=user.id, event="auth.2fa_enabled", ip=client.ip
    )
    await session.flush()
    return codes


async def disable_two_factor(
    session: AsyncSession,
    settings: Settings,
    counter: AttemptCounter,
    principal: Principal,
    password: str,
    otp: str,
    client: Client,
) -> None:
    now = clock.utcnow()
    repo = IdentityRepository(session)
    user = await _user(repo, principal)
    if user.totp_secret is None:
        raise TwoFactorNotEnabled("Two-factor sign-in is not on.")
    if not await check_own_password(settings, counter, client, user, password):
        message = "The password is not correct."
        raise WrongPassword(
            message, errors=[FieldError(path="body.password", message=message, type="wrong_password")]
        )
    if await verify_second_factor(repo, user, otp, now) is None:
        raise InvalidOtp("The code is not correct or was already used.")
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enabled_at = user.totp_last_counter = None
    await repo.delete_recovery_codes(user.id)
    await audit(
        session, tenant_id=principal.tenant_id, actor_user_id=user.id, event="auth.2fa_disabled", ip=client.ip
    )
    await session.flush()
