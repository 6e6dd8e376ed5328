"""Request and response bodies of the access-control API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kronos.kit.auth import Action, FieldAccess, Visibility
from kronos.kit.inputs import Instant

ObjectName = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9_]{0,62})$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
RoleKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(_Input):
    @model_validator(mode="after")
    def _no_nulls(self) -> Any:
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null; leave it out to keep it")
        return self


class ObjectGrant(_Input):
    actions: list[Action] = Field(default_factory=list, max_length=5)
    visibility: Visibility = Field(default="all", description="The records the role reads: own, team or all.")
    edit_visibility: Visibility | None = Field(
        default=None,
        description="The records among those it reads that the role may update and delete; null: the same as "
        "visibility; a wider one counts as visibility.",
    )
    fields: dict[FieldName, FieldAccess] = Field(
        default_factory=dict,
        max_length=500,
        description="Per field: hidden, read or write. Unnamed fields follow the object's actions.",
    )


class RolePermissions(_Input):
    is_admin: bool = Field(default=False, description="Manage members, roles, teams, API keys, audit log.")
    objects: dict[ObjectName, ObjectGrant] = Field(
        default_factory=dict,
        max_length=500,
        description="Per object API name; '*' is the default for objects without an entry.",
    )


class Role(BaseModel):
    id: uuid.UUID | None = Field(description="None for built-in roles.")
    key: str = Field(description="What a membership's role holds.")
    name: str
    description: str
    built_in: bool
    permissions: RolePermissions
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RoleCreate(_Input):
    key: RoleKey
    name: Name
    description: Description = ""
    permissions: RolePermissions


class RoleUpdate(_Patch):
    name: Name | None = None
    description: Description | None = None
    permissions: RolePermissions | None = None


class TeamMemberIn(_Input):
    user_id: uuid.UUID
    is_manager: bool = False


class TeamMember(BaseModel):
    user_id: uuid.UUID
    is_manager: bool


class Team(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    members: list[TeamMember]
    created_at: datetime
    updated_at: datetime


class TeamCreate(_Input):
    name: Name
    description: Description = ""
    members: list[TeamMemberIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _members_once(self) -> TeamCreate:
        if len({m.user_id for m in self.members}) != len(self.members):
            raise ValueError("a user is listed twice in members")
        return self


class TeamUpdate(_Patch):
    name: Name | None = None
    description: Description | None = None


class TeamMemberUpdate(_Input):
    is_manager: bool = False


class ApiKeyScope(_Input):
    is_admin: bool = Field(default=False, description="Act as a workspace admin (if the owner is one).")
    objects: dict[ObjectName, list[Action]] = Field(
        default_factory=dict,
        max_length=500,
        description="Actions per object API name ('*': the rest); must be within your role.",
    )


class ApiKey(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    permissions: ApiKeyScope
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class ApiKeyCreate(_Input):
    name: Name
    expires_at: Instant | None = None
    permissions: ApiKeyScope


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The key itself. Shown this once; only a hash is stored.")


class AuditEvent(BaseModel):
    id: uuid.UUID
    event: str
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    ip: str | None
    detail: dict[str, Any] | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEvent]
    next_cursor: uuid.UUID | None = Field(description="Pass as ?after= for the next page; None at the end.")
