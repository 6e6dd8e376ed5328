"""Sign-in, sessions, passwords and two-factor under ``/api/v1/auth`` (HTTP only: services decide).

Public routes (signup, login, refresh, password forgot/reset, accepting an invitation) say so by not
depending on ``CurrentPrincipal``; every other route requires a signed-in caller.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.db import ReadSession, WriteSession
from kronos.kit.deps import AppSettings, DbSession, ReadDbSession, get_database
from kronos.kit.errors import Forbidden, Unauthorized, ValidationFailed, responses
from kronos.kit.mail import Mailer, Message, send_all
from kronos.kit.ratelimit import AttemptCounter, attempt_counter
from kronos.modules.identity import account, service, sessions, tokens
from kronos.modules.identity.exceptions import (
    EmailTaken,
    InvalidCredentials,
    InvalidOtp,
    InvalidOtpAtLogin,
    InvalidRefreshToken,
    InvalidResetToken,
    MemberNotFound,
    NotAMember,
    OtpRequired,
    RefreshTokenReused,
    SessionNotFound,
    SignupDisabled,
    TooManyAttempts,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorNotSetUp,
    WeakPassword,
    WrongPassword,
)
from kronos.modules.identity.schemas import (
    ChangePassword,
    ForgotPassword,
    LoginRequest,
    Me,
    OtpBody,
    ProfileUpdate,
    RecoveryCodes,
    RefreshRequest,
    ResetPassword,
    SessionInfo,
    SignupCreate,
    SwitchRequest,
    Tokens,
    TwoFactorDisable,
    TwoFactorSetup,
    WorkspaceMembership,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def get_client(request: Request) -> sessions.Client:
    return sessions.Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def get_attempt_counter(request: Request) -> AttemptCounter:
    return attempt_counter(request.app.state, request.app.state.settings.namespace)


def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


async def get_account_read_session(request: Request) -> AsyncIterator[ReadSession]:
    """A session *not* bound to the request's workspace (no row-level security scoping on PostgreSQL), for
    the signed-in account's own rows across its workspaces: its memberships. Queries on it always filter
    on the principal's user id."""
    async with get_database(request).read_sessionmaker() as session:
        yield session


async def get_account_write_session(request: Request) -> AsyncIterator[WriteSession]:
    """The write variant of ``get_account_read_session`` (switching workspace signs into another one)."""
    async with get_database(request).write_session() as session:
        yield session


AccountReadSession = Annotated[ReadSession, Depends(get_account_read_session, scope="function")]
AccountWriteSession = Annotated[WriteSession, Depends(get_account_write_session, scope="function")]
ClientInfo = Annotated[sessions.Client, Depends(get_client)]
FORGOT_WINDOW = 3600
FORGOT_MAX_PER_ACCOUNT = 3
FORGOT_MAX_PER_IP = 20
Attempts = Annotated[AttemptCounter, Depends(get_attempt_counter)]
OutgoingMail = Annotated[Mailer, Depends(get_mailer)]


def send_after_commit(background: BackgroundTasks, mailer: Mailer, messages: list[Message]) -> None:
    """Background tasks run after the response, so after the session committed: no mail for rolled-back
    rows."""
    if messages:
        background.add_task(send_all, mailer, messages)


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses=responses(SignupDisabled, EmailTaken, WeakPassword, ValidationFailed),
)
async def signup(body: SignupCreate, session: DbSession, settings: AppSettings, client: ClientInfo) -> Tokens:
    """Create a workspace and its owner account, and sign in to it. Public; off when
    `KRONOS_SIGNUP_ENABLED=false`."""
    return await service.signup(session, settings, client, body)


@router.post(
    "/login",
    responses=responses(InvalidCredentials, OtpRequired, InvalidOtpAtLogin, NotAMember, TooManyAttempts),
)
async def login(
    body: LoginRequest, session: DbSession, settings: AppSettings, client: ClientInfo, counter: Attempts
) -> Tokens:
    """Sign in with e-mail and password (and a TOTP or recovery code when 2FA is on). Without
    `workspace_id`, signs in to the workspace used most recently. Public."""
    try:
        return await sessions.login(session, settings, counter, client, body)
    except (InvalidCredentials, InvalidOtpAtLogin):
        await session.commit()  # the failure's audit record stays; the 401 still goes out
        raise


@router.post("/refresh", responses=responses(InvalidRefreshToken, RefreshTokenReused))
async def refresh(
    body: RefreshRequest, session: DbSession, settings: AppSettings, client: ClientInfo
) -> Tokens:
    """Trade a refresh token for new tokens; the old refresh token stops working. Showing a used one again
    ends its whole session (reuse detection). Public."""
    try:
        return await sessions.refresh(session, settings, client, body.refresh_token)
    except (RefreshTokenReused, InvalidRefreshToken):
        await session.commit()  # keep the revocation of the family
        raise


@router.post("/switch", responses=responses(NotAMember, Unauthorized))
async def switch(
    body: SwitchRequest,
    principal: CurrentPrincipal,
    session: AccountWriteSession,
    settings: AppSettings,
    client: ClientInfo,
) -> Tokens:
    """New tokens for another workspace of the signed-in user."""
    return await sessions.switch(session, settings, client, principal.user_id, body.workspace_id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(Unauthorized))
async def logout(principal: CurrentPrincipal, session: DbSession) -> Response:
    """End the current session: its refresh token and access tokens stop working."""
    await sessions.logout(session, principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", responses=responses(Unauthorized, MemberNotFound))
async def me(principal: CurrentPrincipal, session: AccountReadSession) -> Me:
    """The signed-in user, the current workspace and role, and all the user's workspaces."""
    return await service.me(session, principal)


@router.patch("/me", responses=responses(Unauthorized, Forbidden, MemberNotFound, ValidationFailed))
async def update_me(
    body: ProfileUpdate, principal: CurrentPrincipal, session: AccountWriteSession, client: ClientInfo
) -> Me:
    """Change my own profile (my name); answers what `GET /me` would. Not through an API key (403).

    The account session: the answer lists memberships of every workspace, read after the change."""
    await account.update_profile(session, principal, body, client)
    return await service.me(session, principal)


@router.get("/workspaces", responses=responses(Unauthorized))
async def my_workspaces(
    principal: CurrentPrincipal, session: AccountReadSession
) -> list[WorkspaceMembership]:
    """The workspaces the signed-in user belongs to, most recently used first."""
    return await service.my_workspaces(session, principal.user_id)


@router.get("/sessions", responses=responses(Unauthorized))
async def list_sessions(principal: CurrentPrincipal, session: ReadDbSession) -> list[SessionInfo]:
    """My active sessions in this workspace; `current` marks the one making this request."""
    return await sessions.my_sessions(session, principal.user_id, principal.tenant_id, principal.session_id)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, SessionNotFound),
)
async def revoke_session(session_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Sign out one of my sessions (e.g. a lost device)."""
    await sessions.revoke_my_session(session, principal.user_id, principal.tenant_id, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- passwords --------------------------------------------------------------------------------------------


@router.post("/password/forgot", status_code=status.HTTP_202_ACCEPTED, responses=responses(ValidationFailed))
async def forgot_password(
    body: ForgotPassword,
    session: DbSession,
    settings: AppSettings,
    background: BackgroundTasks,
    mailer: OutgoingMail,
    client: ClientInfo,
    counter: Attempts,
) -> Response:
    """E-mail a single-use reset link. Answers 202 whether or not the account exists. Public.

    At most 3 links an hour go to one address and 20 requests an hour are served per client address; past
    that the answer is still 202 (so nobody learns anything), but nothing is sent."""
    email = str(body.email).strip().lower()
    per_account = await counter.hit("forgot:account:" + tokens.digest(email), FORGOT_WINDOW)
    per_ip = await counter.hit(f"forgot:ip:{client.ip or 'unknown'}", FORGOT_WINDOW)
    if per_account.count <= FORGOT_MAX_PER_ACCOUNT and per_ip.count <= FORGOT_MAX_PER_IP:
        messages = await account.forgot_password(session, settings, email)
        send_after_commit(background, mailer, messages)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(InvalidResetToken, WeakPassword),
)
async def reset_password(body: ResetPassword, session: DbSession, client: ClientInfo) -> Response:
    """Set a new password with the e-mailed token; every session of the account ends. Public."""
    await account.reset_password(session, body.token, body.password, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password/change",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, WrongPassword, WeakPassword),
)
async def change_password(
    body: ChangePassword, principal: CurrentPrincipal, session: DbSession, client: ClientInfo
) -> Response:
    """Change my password; my other sessions end, this one stays."""
    await account.change_password(session, principal, body.current_password, body.new_password, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- two-factor -------------------------------------------------------------------------------------------


@router.post("/2fa/setup", responses=responses(Unauthorized, TwoFactorAlreadyEnabled))
async def setup_two_factor(principal: CurrentPrincipal, session: DbSession) -> TwoFactorSetup:
    """A new TOTP secret to add to an authenticator app; 2FA is on once `/2fa/enable` gets a code."""
    return await account.setup_two_factor(session, principal)


@router.post(
    "/2fa/enable", responses=responses(Unauthorized, InvalidOtp, TwoFactorAlreadyEnabled, TwoFactorNotSetUp)
)
async def enable_two_factor(
    body: OtpBody, principal: CurrentPrincipal, session: DbSession, client: ClientInfo
) -> RecoveryCodes:
    """Turn on 2FA with a code from the app. Returns 10 single-use recovery codes, shown only now."""
    return RecoveryCodes(recovery_codes=await account.enable_two_factor(session, principal, body.otp, client))


@router.post(
    "/2fa/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, WrongPassword, InvalidOtp, TwoFactorNotEnabled),
)
async def disable_two_factor(
    body: TwoFactorDisable, principal: CurrentPrincipal, session: DbSession, client: ClientInfo
) -> Response:
    """Turn off 2FA: needs the password and a current code (or a recovery code)."""
    await account.disable_two_factor(session, principal, body.password, body.otp, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
