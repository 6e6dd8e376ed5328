"""The identity module's errors, each with a stable ``code`` (listed in every route's ``responses``)."""

from __future__ import annotations

from kronos.kit.errors import (
    Conflict,
    Forbidden,
    KronosError,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)


class EmailTaken(Conflict):
    code = "email_taken"


class SignupDisabled(Forbidden):
    code = "signup_disabled"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class OtpRequired(Unauthorized):
    code = "otp_required"


class InvalidOtpAtLogin(Unauthorized):
    code = "invalid_otp"


class InvalidOtp(ValidationFailed):
    code = "invalid_otp"


class TooManyAttempts(TooManyRequests):
    code = "too_many_attempts"


class InvalidToken(Unauthorized):
    """An access token that is malformed, expired, or whose session was revoked."""

    code = "invalid_token"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"


class RefreshTokenReused(Unauthorized):
    code = "refresh_token_reused"


class NotAMember(Forbidden):
    code = "not_a_member"


class WeakPassword(ValidationFailed):
    code = "weak_password"


class WrongPassword(ValidationFailed):
    code = "wrong_password"


class InvalidResetToken(KronosError):
    status_code = 400
    code = "invalid_reset_token"


class TwoFactorAlreadyEnabled(Conflict):
    code = "2fa_already_enabled"


class TwoFactorNotEnabled(Conflict):
    code = "2fa_not_enabled"


class TwoFactorNotSetUp(Conflict):
    code = "2fa_not_set_up"


class SessionNotFound(NotFound):
    code = "session_not_found"


class MemberNotFound(NotFound):
    code = "member_not_found"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"


class InvitationUsed(KronosError):
    status_code = 410
    code = "invitation_used"


class InvitationExpired(KronosError):
    status_code = 410
    code = "invitation_expired"


class AlreadyMember(Conflict):
    code = "already_member"


class UnknownRole(ValidationFailed):
    code = "unknown_role"


class LastOwner(Conflict):
    code = "last_owner"


class OwnersOnly(Forbidden):
    code = "owners_only"
