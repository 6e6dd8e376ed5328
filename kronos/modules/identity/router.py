"""Sign-in, sessions, passwords and two-factor under ``/api/v1/auth`` (HTTP only: services decide).

Public routes (signup, login, refresh, password forgot/reset, accepting an invitation) say so by not
depending on a principal; every other route here acts on the account itself and takes ``SessionPrincipal``:
a signed-in person, never an API key. Routes that issue tokens answer in the web app's cookie mode when asked
(``web_session``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Request, Response, status
from pydantic import BaseModel

from kronos import bootstrap
from kronos.kit.auth import SessionPrincipal, SessionRequired
from kronos.kit.db import ReadSession, WriteSession
from kronos.kit.deps import AppSettings, DbSession, ReadDbSession, get_database
from kronos.kit.errors import FieldError, Forbidden, Unauthorized, ValidationFailed, responses
from kronos.kit.mail import Mailer, Message, send_all
from kronos.kit.ratelimit import AttemptCounter, RateLimited, attempt_counter, enforce
from kronos.modules.identity import account, service, sessions, tokens, web_session
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
HOUR = 3600
Attempts = Annotated[AttemptCounter, Depends(get_attempt_counter)]
OutgoingMail = Annotated[Mailer, Depends(get_mailer)]


def send_after_commit(background: BackgroundTasks, mailer: Mailer, messages: list[Message]) -> None:
    """Background tasks run after the response, so after the session committed: no mail for rolled-back
    rows."""
    if messages:
        background.add_task(send_all, mailer, messages)


async def limit_per_client(counter: AttemptCounter, what: str, client: sessions.Client, limit: int) -> None:
    """A public route's rate limit per client address (0: none); past it, 429 with ``Retry-After``."""
    key = f"{what}:ip:{client.ip or 'unknown'}"
    await enforce(counter, key, limit, HOUR, "Too many requests from your address")


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        SignupDisabled,
        EmailTaken,
        WeakPassword,
        ValidationFailed,
        InvalidCredentials,
        OtpRequired,
        InvalidOtpAtLogin,
        TooManyAttempts,
        RateLimited,
    ),
)
async def signup(
    body: SignupCreate,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    counter: Attempts,
    background: BackgroundTasks,
    mailer: OutgoingMail,
) -> Tokens:
    """Create a workspace and sign in to it. A new e-mail gets a new account; an e-mail that already has one
    must sign in to it (its password, and its code when 2FA is on, with sign-in's lock-out): sign-up never
    opens an existing account otherwise. Public; off when `KRONOS_SIGNUP_ENABLED=false`; at most
    `KRONOS_SIGNUP_MAX_PER_IP` an hour from one address."""
    await limit_per_client(counter, "signup", client, settings.signup_max_per_ip)
    try:
        issued, messages = await service.signup(session, settings, counter, client, body)
    except (InvalidCredentials, InvalidOtpAtLogin):
        await session.commit()  # the failure's audit record stays; the 401 still goes out
        raise
    send_after_commit(background, mailer, messages)
    return web_session.deliver(request, response, settings, issued)


@router.post(
    "/login",
    responses=responses(InvalidCredentials, OtpRequired, InvalidOtpAtLogin, NotAMember, TooManyAttempts),
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    counter: Attempts,
) -> Tokens:
    """Sign in with e-mail and password (and a TOTP or recovery code when 2FA is on). Without
    `workspace_id`, signs in to the workspace used most recently. Public."""
    try:
        issued = await sessions.login(session, settings, counter, client, body)
    except (InvalidCredentials, InvalidOtpAtLogin):
        await session.commit()  # the failure's audit record stays; the 401 still goes out
        raise
    return web_session.deliver(request, response, settings, issued)


class FirstSignIn(BaseModel):
    email: str | None
    password_printed: bool


@router.get("/first-sign-in")
async def first_sign_in(session: AccountReadSession, settings: AppSettings) -> FirstSignIn:
    """On a development installation's first start, before anyone has signed in: the e-mail of the owner
    account it created, and whether its password was printed in the server's terminal (not when
    `KRONOS_ADMIN_PASSWORD` chose it). `email` is null otherwise, and always once anyone has signed in.
    Public: the sign-in page shows it; never a password."""
    email = await bootstrap.first_sign_in_email(session, settings)
    return FirstSignIn(email=email, password_printed=email is not None and settings.admin_password is None)


@router.post(
    "/refresh",
    responses=responses(InvalidRefreshToken, RefreshTokenReused, web_session.CsrfFailed, ValidationFailed),
)
async def refresh(
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> Tokens:
    """Trade a refresh token for new tokens; the old refresh token stops working. Showing a used one again
    ends its whole session (reuse detection). In cookie mode the token comes from the `kronos_refresh`
    cookie, with the `kronos_csrf` cookie's value in `X-CSRF-Token`. Public."""
    token = body.refresh_token if body is not None and body.refresh_token else None
    token = token or web_session.cookie_refresh_token(request)
    if token is None:
        message = "Send the refresh token (or, in the web app, its cookie)."
        raise ValidationFailed(
            message, errors=[FieldError(path="body.refresh_token", message=message, type="missing")]
        )
    try:
        issued = await sessions.refresh(session, settings, client, token)
    except (RefreshTokenReused, InvalidRefreshToken):
        await session.commit()  # keep the revocation of the family
        raise
    return web_session.deliver(request, response, settings, issued)


@router.post("/switch", responses=responses(NotAMember, Unauthorized, SessionRequired))
async def switch(
    body: SwitchRequest,
    request: Request,
    response: Response,
    principal: SessionPrincipal,
    session: AccountWriteSession,
    settings: AppSettings,
    client: ClientInfo,
) -> Tokens:
    """New tokens for another workspace of the signed-in user."""
    issued = await sessions.switch(session, settings, client, principal.user_id, body.workspace_id)
    return web_session.deliver(request, response, settings, issued)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(Unauthorized, SessionRequired)
)
async def logout(
    request: Request, principal: SessionPrincipal, session: DbSession, settings: AppSettings
) -> Response:
    """End the current session: its refresh token and access tokens stop working (and the web app's
    cookies are cleared)."""
    await sessions.logout(session, principal.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    web_session.clear(response, request, settings)
    return response


@router.get("/me", responses=responses(Unauthorized, MemberNotFound, SessionRequired))
async def me(principal: SessionPrincipal, session: AccountReadSession) -> Me:
    """The signed-in user, the current workspace and role, and all the user's workspaces."""
    return await service.me(session, principal)


@router.patch(
    "/me",
    responses=responses(Unauthorized, Forbidden, MemberNotFound, ValidationFailed, SessionRequired),
)
async def update_me(
    body: ProfileUpdate, principal: SessionPrincipal, session: AccountWriteSession, client: ClientInfo
) -> Me:
    """Change my own profile (my name); answers what `GET /me` would.

    The account session: the answer lists memberships of every workspace, read after the change."""
    await account.update_profile(session, principal, body, client)
    return await service.me(session, principal)


@router.get("/workspaces", responses=responses(Unauthorized, SessionRequired))
async def my_workspaces(
    principal: SessionPrincipal, session: AccountReadSession
) -> list[WorkspaceMembership]:
    """The workspaces the signed-in user belongs to, most recently used first."""
    return await service.my_workspaces(session, principal.user_id)


@router.get("/sessions", responses=responses(Unauthorized, SessionRequired))
async def list_sessions(principal: SessionPrincipal, session: ReadDbSession) -> list[SessionInfo]:
    """My active sessions in this workspace; `current` marks the one making this request."""
    return await sessions.my_sessions(session, principal.user_id, principal.tenant_id, principal.session_id)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, SessionNotFound, SessionRequired),
)
async def revoke_session(session_id: uuid.UUID, principal: SessionPrincipal, session: DbSession) -> Response:
    """Sign out one of my sessions (e.g. a lost device)."""
    await sessions.revoke_my_session(session, principal.user_id, principal.tenant_id, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- passwords --------------------------------------------------------------------------------------------


@router.post(
    "/password/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={
        202: {"description": "Accepted: a link is on its way if the account exists (no body)."},
        **responses(ValidationFailed, RateLimited),
    },
)
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

    At most `KRONOS_PASSWORD_RESET_MAX_PER_ACCOUNT` links an hour go to one address (past that the answer is
    still 202, so nobody learns anything, but nothing is sent), and one client address gets
    `KRONOS_PASSWORD_RESET_MAX_PER_IP` requests an hour (past that, 429)."""
    await limit_per_client(counter, "forgot", client, settings.password_reset_max_per_ip)
    email = str(body.email).strip().lower()
    per_account = await counter.hit("forgot:account:" + tokens.digest(email), HOUR)
    if per_account.count <= settings.password_reset_max_per_account:
        messages = await account.forgot_password(session, settings, email)
        send_after_commit(background, mailer, messages)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(InvalidResetToken, WeakPassword, RateLimited),
)
async def reset_password(
    body: ResetPassword, session: DbSession, settings: AppSettings, client: ClientInfo, counter: Attempts
) -> Response:
    """Set a new password with the e-mailed token; every session of the account ends. Public."""
    await limit_per_client(counter, "reset", client, settings.public_auth_max_per_ip)
    await account.reset_password(session, body.token, body.password, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password/change",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, WrongPassword, WeakPassword, TooManyAttempts, SessionRequired),
)
async def change_password(
    body: ChangePassword,
    principal: SessionPrincipal,
    session: AccountWriteSession,
    settings: AppSettings,
    client: ClientInfo,
    counter: Attempts,
) -> Response:
    """Change my password; my other sessions end (in every workspace), this one stays. A wrong current
    password counts toward the sign-in lock-out (429 past it).

    The account session: the sessions it ends are in all of the account's workspaces."""
    await account.change_password(
        session, settings, counter, principal, body.current_password, body.new_password, client
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- two-factor -------------------------------------------------------------------------------------------


@router.post("/2fa/setup", responses=responses(Unauthorized, TwoFactorAlreadyEnabled, SessionRequired))
async def setup_two_factor(principal: SessionPrincipal, session: DbSession) -> TwoFactorSetup:
    """A new TOTP secret to add to an authenticator app; 2FA is on once `/2fa/enable` gets a code."""
    return await account.setup_two_factor(session, principal)


@router.post(
    "/2fa/enable",
    responses=responses(
        Unauthorized, InvalidOtp, TwoFactorAlreadyEnabled, TwoFactorNotSetUp, SessionRequired
    ),
)
async def enable_two_factor(
    body: OtpBody, principal: SessionPrincipal, session: DbSession, client: ClientInfo
) -> RecoveryCodes:
    """Turn on 2FA with a code from the app. Returns 10 single-use recovery codes, shown only now."""
    return RecoveryCodes(recovery_codes=await account.enable_two_factor(session, principal, body.otp, client))


@router.post(
    "/2fa/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(
        Unauthorized, WrongPassword, InvalidOtp, TwoFactorNotEnabled, TooManyAttempts, SessionRequired
    ),
)
async def disable_two_factor(
    body: TwoFactorDisable,
    principal: SessionPrincipal,
    session: DbSession,
    settings: AppSettings,
    client: ClientInfo,
    counter: Attempts,
) -> Response:
    """Turn off 2FA: needs the password and a current code (or a recovery code). A wrong password counts
    toward the sign-in lock-out."""
    await account.disable_two_factor(session, settings, counter, principal, body.password, body.otp, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
