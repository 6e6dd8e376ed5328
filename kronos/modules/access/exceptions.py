"""Errors of access control, each with a stable ``code``."""

from __future__ import annotations

from kronos.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed


class RoleNotFound(NotFound):
    code = "role_not_found"


class RoleKeyTaken(Conflict):
    code = "role_key_taken"


class RoleReadOnly(Conflict):
    code = "role_read_only"


class RoleInUse(Conflict):
    code = "role_in_use"


class UnknownRole(ValidationFailed):
    code = "unknown_role"


class TeamNotFound(NotFound):
    code = "team_not_found"


class TeamNameTaken(Conflict):
    code = "team_name_taken"


class TeamMemberNotFound(NotFound):
    code = "team_member_not_found"


class NotAMember(ValidationFailed):
    """A user named in a request does not belong to the workspace."""

    code = "not_a_member"


class MembershipRequired(Unauthorized):
    """The caller proved who they are but no longer belongs to the workspace."""

    code = "membership_required"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


class ScopeExceedsRole(Forbidden):
    code = "scope_exceeds_role"


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
