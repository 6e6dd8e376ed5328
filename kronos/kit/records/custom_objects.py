"""Custom objects: an admin defines an object (``projects``, ``vehicles``...) and it gets the whole engine.

A custom object is a ``custom_objects`` row; its records are rows of the shared ``custom_records`` table
told apart by ``object``, and its fields are ``field_definitions`` rows like any custom field. So creating
one never changes the database schema, and its records get the same API, permissions, history, events and
search as a standard object's. Archiving hides the object and keeps its records and their history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Principal
from kronos.kit.clock import utcnow
from kronos.kit.errors import BadRequest, Conflict, FieldError, NotFound
from kronos.kit.records.models import CustomObject
from kronos.kit.records.objects import (
    ObjectDefinition,
    ObjectRegistry,
    bump_schema_version,
    custom_definition,
)
from kronos.kit.records.paths import RESERVED_SEGMENTS

MAX_CUSTOM_OBJECTS = 200
OBJECT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class ObjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_name: str = Field(
        pattern=OBJECT_NAME.pattern,
        description="Plural, lower_snake_case: the URL of its records is /api/v1/<api_name>.",
    )
    label: str = Field(min_length=1, max_length=200, description="Singular, e.g. 'Project'.")
    label_plural: str = Field(min_length=1, max_length=200, description="e.g. 'Projects'.")
    singular: str | None = Field(
        default=None,
        pattern=OBJECT_NAME.pattern,
        description="Event names use it (project.created); by default the api name without a final 's'.",
    )
    description: str | None = Field(default=None, max_length=2000)


class ObjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, min_length=1, max_length=200)
    label_plural: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


def _taken(path: str, message: str) -> Conflict:
    return Conflict(
        f"{path}: {message}", errors=[FieldError(path=path, message=message, type="duplicate_value")]
    )


def _singular(api_name: str) -> str:
    if api_name.endswith("ies") and len(api_name) > 4:
        return api_name[:-3] + "y"
    if api_name.endswith("s") and not api_name.endswith("ss") and len(api_name) > 2:
        return api_name[:-1]
    return api_name


async def create_object(
    session: AsyncSession,
    registry: ObjectRegistry,
    principal: Principal,
    body: ObjectCreate,
    route_names: Iterable[str],
) -> ObjectDefinition:
    principal.require_admin()
    tenant_id = principal.tenant_id
    # The paths' reserved segments, and the first segment of every /api/v1 route.
    if body.api_name in RESERVED_SEGMENTS or body.api_name in set(route_names):
        raise _taken("body.api_name", f"'{body.api_name}' is used by the API itself; choose another name.")
    singular = body.singular or _singular(body.api_name)
    rows = (
        await session.scalars(
            select(CustomObject).where(CustomObject.tenant_id == tenant_id, CustomObject.deleted_at.is_(None))
        )
    ).all()
    for definition in registry.definitions():
        if body.api_name in (definition.name, definition.singular):
            raise _taken("body.api_name", f"'{body.api_name}' is a built-in object.")
        if singular in (definition.name, definition.singular):
            raise _taken("body.singular", f"'{singular}' is a built-in object's name.")
    for row in rows:
        # Archived objects keep their name: unarchiving must not collide.
        if body.api_name in (row.api_name, row.singular):
            raise _taken("body.api_name", f"An object named '{body.api_name}' already exists.")
        if singular in (row.api_name, row.singular):
            raise _taken("body.singular", f"An object already uses the name '{singular}'.")
    if len(rows) >= MAX_CUSTOM_OBJECTS:
        raise BadRequest(f"A workspace has at most {MAX_CUSTOM_OBJECTS} custom objects.")
    row = CustomObject(
        tenant_id=tenant_id,
        api_name=body.api_name,
        singular=singular,
        label=body.label,
        label_plural=body.label_plural,
        description=body.description,
    )
    session.add(row)
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return custom_definition(row)


async def _row(session: AsyncSession, principal: Principal, name: str) -> CustomObject:
    row = await session.scalar(
        select(CustomObject).where(
            CustomObject.tenant_id == principal.tenant_id,
            CustomObject.api_name == name[:64],
            CustomObject.deleted_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(f"There is no custom object named '{name[:64]}' (built-in objects cannot change).")
    return row


async def update_object(
    session: AsyncSession, principal: Principal, name: str, body: ObjectUpdate
) -> ObjectDefinition:
    principal.require_admin()
    row = await _row(session, principal, name)
    given = body.model_fields_set
    if "label" in given and body.label is not None:
        row.label = body.label
    if "label_plural" in given and body.label_plural is not None:
        row.label_plural = body.label_plural
    if "description" in given:
        row.description = body.description
    row.updated_at = utcnow()
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return custom_definition(row)


async def set_archived(
    session: AsyncSession, principal: Principal, name: str, archived: bool
) -> ObjectDefinition:
    """Archive (hide, keeping every record and its history) or bring back a custom object."""
    principal.require_admin()
    row = await _row(session, principal, name)
    row.archived_at = (row.archived_at or utcnow()) if archived else None
    row.updated_at = utcnow()
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return custom_definition(row)
