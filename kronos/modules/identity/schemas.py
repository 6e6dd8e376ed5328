"""Request and response bodies of the identity endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from kronos.modules.identity.currencies import ISO_4217

Password = Annotated[str, Field(min_length=1, max_length=1024)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
RoleKey = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Otp = Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32)]
OpaqueToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=16, max_length=200)]


def _time_zone(value: str) -> str:
    # ZoneInfo also opens file paths relative to the tz database; only accept listed names.
    if value not in available_timezones():
        raise ValueError("not an IANA time zone name, e.g. 'Europe/Paris' or 'UTC'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("not an IANA time zone name") from exc
    return value


def _currency(value: str) -> str:
    if value.upper() not in ISO_4217:
        raise ValueError("not an ISO 4217 currency code, e.g. 'USD' or 'EUR'")
    return value.upper()


TimeZone = Annotated[str, AfterValidator(_time_zone)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- sign-in -------------------------------------------------------------------------------------------


class SignupCreate(BaseModel):
    email: EmailStr
    password: Password
    workspace_name: Name
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    otp: Otp | None = Field(
        default=None,
        description="For an e-mail that already has an account with 2FA on: a TOTP or recovery code.",
    )


class LoginRequest(BaseModel):
    email: EmailStr
    password: Password
    workspace_id: uuid.UUID | None = None
    otp: Otp | None = Field(default=None, description="A TOTP code, or an unused recovery code.")


class RefreshRequest(BaseModel):
    refresh_token: OpaqueToken | None = Field(
        default=None,
        description="Omitted in cookie mode: the kronos_refresh cookie (with X-CSRF-Token) is used.",
    )


class SwitchRequest(BaseModel):
    workspace_id: uuid.UUID


class Tokens(BaseModel):
    access_token: str
    refresh_token: str | None = Field(
        description="Null in the web app's cookie mode (`X-Kronos-Session: cookie`): it is in a cookie."
    )
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    workspace_id: uuid.UUID


class SessionInfo(_Out):
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool = False


# --- accounts, workspaces, members ------------------------------------------------------------------------


class UserInfo(_Out):
    id: uuid.UUID
    email: str
    full_name: str
    two_factor_enabled: bool


class WorkspaceInfo(_Out):
    id: uuid.UUID
    name: str
    time_zone: str
    default_currency: str
    locale: str
    fiscal_year_start_month: int
    created_at: datetime


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    time_zone: TimeZone | None = None
    default_currency: Currency | None = None
    locale: Locale | None = None
    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] | None = None


class WorkspaceMembership(BaseModel):
    workspace_id: uuid.UUID
    workspace_name: str
    role: str
    last_signed_in_at: datetime | None


class Me(BaseModel):
    user: UserInfo
    workspace: WorkspaceInfo
    role: str
    is_admin: bool = Field(
        description="Whether the role (built-in or custom) lets this user manage the workspace: settings, "
        "members, invitations, roles, teams, everyone's API keys. The API enforces it either way."
    )
    memberships: list[WorkspaceMembership]


class ProfileUpdate(BaseModel):
    """What a user may change about their own account. E-mail is the sign-in name and stays as it is."""

    model_config = ConfigDict(extra="forbid")

    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class Member(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    full_name: str
    role: str
    joined_at: datetime


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleKey


# --- invitations ----------------------------------------------------------------------------------------


class InvitationCreate(BaseModel):
    email: EmailStr
    role: RoleKey


class Invitation(_Out):
    id: uuid.UUID
    email: str
    role: str
    status: Literal["pending", "accepted", "expired", "revoked"]
    expires_at: datetime
    created_at: datetime
    invited_by_user_id: uuid.UUID | None


class InvitationSent(Invitation):
    """An invitation just made or sent again, with how its link travels."""

    emailed: bool = Field(
        description="True: the link was e-mailed to the invitee. False: this server sends no mail (no SMTP "
        "configured), so the link is in `link`, for the admin to pass on."
    )
    link: str | None = Field(
        default=None,
        description="The invitation link, only when it was not e-mailed: a secret that lets whoever holds it "
        "join the workspace, until it is used, revoked, sent again or expires.",
    )


class InvitationAccept(BaseModel):
    token: OpaqueToken
    password: Password | None = Field(
        default=None, description="New accounts choose one; existing accounts prove theirs."
    )
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    otp: Otp | None = Field(
        default=None, description="An existing account with 2FA on: a TOTP or recovery code."
    )


# --- passwords and 2FA ------------------------------------------------------------------------------------


class ForgotPassword(BaseModel):
    email: EmailStr


class ResetPassword(BaseModel):
    token: OpaqueToken
    password: Password


class ChangePassword(BaseModel):
    current_password: Password
    new_password: Password


class TwoFactorSetup(BaseModel):
    secret: str
    otpauth_uri: str


class OtpBody(BaseModel):
    otp: Otp


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="One-time codes; shown once, keep them somewhere safe.")


class TwoFactorDisable(BaseModel):
    password: Password
    otp: Otp
