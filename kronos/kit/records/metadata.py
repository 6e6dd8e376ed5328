"""Object metadata: describing objects and fields, and an admin's custom fields (add, change, archive).

Custom fields are rows of ``field_definitions``; their values live in each record's ``custom`` JSON, so
adding, renaming or archiving a field never rewrites a table, and an archived field keeps its values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Principal
from kronos.kit.clock import utcnow
from kronos.kit.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from kronos.kit.records.fields import API_NAME, FieldInvalid, FieldSpec, FieldType
from kronos.kit.records.models import FieldDefinition
from kronos.kit.records.objects import ObjectRegistry, ObjectSchema, bump_schema_version, spec_from_definition

MAX_CUSTOM_FIELDS = 500
_UNIQUE_TYPES = {
    FieldType.TEXT, FieldType.NUMBER, FieldType.DECIMAL, FieldType.EMAIL, FieldType.PHONE, FieldType.URL,
}  # fmt: skip


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=200)


class FieldSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: str | None = Field(default=None, description="relation: the API name of the related object")
    max: float | None = Field(default=None, description="rating: the top score (1-10); number: the maximum")
    min: float | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    scale: int | None = Field(default=None, ge=0, le=12, description="decimal: decimal places")


class FieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_name: str = Field(pattern=API_NAME.pattern, description="lower_snake_case, unique in the object")
    label: str = Field(min_length=1, max_length=200)
    type: FieldType
    options: list[OptionIn] = Field(default_factory=list, max_length=500)
    settings: FieldSettings = Field(default_factory=FieldSettings)
    required: bool = False
    unique: bool = False
    default: Any = None
    help_text: str | None = Field(default=None, max_length=2000)
    position: int | None = None


class FieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, min_length=1, max_length=200)
    help_text: str | None = Field(default=None, max_length=2000)
    position: int | None = None
    options: list[OptionIn] | None = Field(default=None, max_length=500)
    required: bool | None = None
    default: Any = None


class FieldOut(BaseModel):
    name: str
    label: str
    type: FieldType
    required: bool
    unique: bool
    default: Any
    help_text: str | None
    options: list[OptionIn]
    settings: dict[str, Any]
    standard: bool = Field(description="Declared in code (a typed column) rather than a custom field.")
    system: bool = Field(description="Set by the server; never writable.")
    access: Literal["read", "write"] = Field(description="What the caller may do with this field.")
    position: int
    archived: bool


class ObjectOut(BaseModel):
    name: str
    singular: str
    label: str
    label_plural: str
    title_field: str
    custom: bool = Field(description="Defined by this workspace rather than built in.")
    archived: bool = False
    description: str | None = None
    fields: list[FieldOut]


def field_out(spec: FieldSpec, access: Literal["read", "write"]) -> FieldOut:
    return FieldOut(
        name=spec.name,
        label=spec.label,
        type=spec.type,
        required=spec.required,
        unique=spec.unique,
        default=spec.default,
        help_text=spec.help_text,
        options=[OptionIn(value=o.value, label=o.label) for o in spec.options],
        settings=spec.settings,
        standard=not spec.is_custom,
        system=spec.system,
        access="read" if spec.system or access == "read" else "write",
        position=spec.position,
        archived=spec.archived,
    )


def describe(schema: ObjectSchema, principal: Principal, *, include_archived: bool) -> ObjectOut:
    perms = principal.permissions
    fields: list[FieldOut] = []
    specs = schema.ordered() + (list(schema.archived.values()) if include_archived else [])
    for spec in specs:
        access = "write" if spec.system else perms.field_access(schema.name, spec.name)
        if access == "hidden":
            continue
        fields.append(field_out(spec, "write" if access == "write" else "read"))
    definition = schema.definition
    return ObjectOut(
        name=definition.name,
        singular=definition.singular,
        label=definition.label,
        label_plural=definition.label_plural,
        title_field=definition.title_field,
        custom=definition.custom,
        archived=definition.archived,
        description=definition.description,
        fields=fields,
    )


def _invalid(path: str, message: str, type: str = "invalid") -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


async def _check_target(
    session: AsyncSession, registry: ObjectRegistry, principal: Principal, spec: FieldSpec
) -> None:
    """A relation field points at an object of this workspace (standard or custom)."""
    if spec.type != FieldType.RELATION:
        return
    target = spec.settings.get("target")
    if not isinstance(target, str):
        raise _invalid("body.settings.target", "A relation field names its target object.")
    try:
        await registry.definition(session, principal.tenant_id, target)
    except NotFound:
        raise _invalid("body.settings.target", f"There is no object named '{target[:64]}'.") from None


def _check_spec(spec: FieldSpec) -> None:
    """Consistency of a custom field's definition: options, settings, default."""
    if spec.type in (FieldType.ID, FieldType.RECORD_LINK):
        raise _invalid("body.type", "Not a type a custom field can have.")
    if spec.type in (FieldType.SELECT, FieldType.MULTI_SELECT):
        values = [option.value for option in spec.options]
        if not values:
            raise _invalid("body.options", "A select field needs at least one option.")
        if len(values) != len(set(values)):
            raise _invalid("body.options", "Option values must be unique.")
    elif spec.options:
        raise _invalid("body.options", "Only select fields have options.")
    if spec.type == FieldType.RATING and not 1 <= int(spec.settings.get("max", 5)) <= 10:
        raise _invalid("body.settings.max", "A rating goes up to between 1 and 10.")
    if spec.unique and spec.type not in _UNIQUE_TYPES:
        raise _invalid("body.unique", f"{spec.type.value} fields cannot be unique.")
    if spec.default is not None:
        if spec.unique:
            raise _invalid("body.default", "A unique field cannot have a default.")
        try:
            spec.validate(spec.default)
        except FieldInvalid as exc:
            raise _invalid("body.default", exc.message, exc.type) from None


def _settings(settings: FieldSettings) -> dict[str, Any]:
    return settings.model_dump(exclude_none=True)


async def add_field(
    session: AsyncSession, registry: ObjectRegistry, principal: Principal, object_name: str, body: FieldCreate
) -> FieldSpec:
    principal.require_admin()
    schema = await registry.schema(session, principal.tenant_id, object_name)
    if body.api_name in schema.fields or body.api_name in schema.archived or body.api_name == "deleted_at":
        raise Conflict(
            f"'{object_name}' already has a field named '{body.api_name}'.",
            errors=[FieldError(path="body.api_name", message="Already taken.", type="duplicate_value")],
        )
    custom_count = len([s for s in schema.fields.values() if s.is_custom]) + len(schema.archived)
    if custom_count >= MAX_CUSTOM_FIELDS:
        raise BadRequest(f"An object has at most {MAX_CUSTOM_FIELDS} custom fields.")
    position = body.position
    if position is None:
        position = max((s.position for s in schema.fields.values() if s.position < 1000), default=0) + 1
    row = FieldDefinition(
        tenant_id=principal.tenant_id,
        object=object_name,
        api_name=body.api_name,
        label=body.label,
        type=body.type.value,
        options=[o.model_dump() for o in body.options],
        settings=_settings(body.settings),
        required=body.required,
        unique=body.unique,
        default=None,
        help_text=body.help_text,
        position=position,
    )
    spec = spec_from_definition(row)
    spec = replace(spec, default=body.default)
    await _check_target(session, registry, principal, spec)
    _check_spec(spec)
    row.default = spec.validate(body.default) if body.default is not None else None
    session.add(row)
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return spec_from_definition(row)


async def _custom_row(
    session: AsyncSession, principal: Principal, object_name: str, name: str
) -> FieldDefinition:
    row = await session.scalar(
        select(FieldDefinition).where(
            FieldDefinition.tenant_id == principal.tenant_id,
            FieldDefinition.object == object_name,
            FieldDefinition.api_name == name,
            FieldDefinition.deleted_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(
            f"'{object_name}' has no custom field named '{name[:64]}' (standard fields cannot change)."
        )
    return row


async def update_field(
    session: AsyncSession,
    registry: ObjectRegistry,
    principal: Principal,
    object_name: str,
    name: str,
    body: FieldUpdate,
) -> FieldSpec:
    principal.require_admin()
    definition = await registry.definition(session, principal.tenant_id, object_name, archived=True)
    standard = next((spec for spec in definition.fields if spec.name == name), None)
    if standard is not None:
        return await _configure_standard_options(session, principal, object_name, standard, body)
    row = await _custom_row(session, principal, object_name, name)
    given = body.model_fields_set
    if "label" in given and body.label is not None:
        row.label = body.label
    if "help_text" in given:
        row.help_text = body.help_text
    if "position" in given and body.position is not None:
        row.position = body.position
    if "required" in given and body.required is not None:
        row.required = body.required
    if "options" in given and body.options is not None:
        row.options = [o.model_dump() for o in body.options]
    spec = spec_from_definition(row)
    if "default" in given:
        spec = replace(spec, default=body.default)
    await _check_target(session, registry, principal, spec)
    _check_spec(spec)
    if "default" in given:
        row.default = spec.validate(body.default) if body.default is not None else None
    row.updated_at = utcnow()
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return spec_from_definition(row)


async def _configure_standard_options(
    session: AsyncSession, principal: Principal, object_name: str, standard: FieldSpec, body: FieldUpdate
) -> FieldSpec:
    """A standard select marked ``configurable_options`` takes its options per workspace from a
    ``field_definitions`` row of the same name; everything else about a standard field is fixed in code."""
    if not standard.settings.get("configurable_options"):
        raise NotFound(
            f"'{object_name}' has no custom field named '{standard.name}' (standard fields cannot change)."
        )
    if body.model_fields_set - {"options"} or body.options is None:
        raise _invalid("body", "Only the options of this standard field can change.")
    values = [option.value for option in body.options]
    if not values or len(values) != len(set(values)):
        raise _invalid("body.options", "Give at least one option; option values must be unique.")
    kept = [value for value in standard.settings.get("required_options", ()) if value not in values]
    if kept:
        raise _invalid("body.options", f"These options are required by the product: {', '.join(kept)}.")
    row = await session.scalar(
        select(FieldDefinition).where(
            FieldDefinition.tenant_id == principal.tenant_id,
            FieldDefinition.object == object_name,
            FieldDefinition.api_name == standard.name,
            FieldDefinition.deleted_at.is_(None),
        )
    )
    if row is None:
        row = FieldDefinition(
            tenant_id=principal.tenant_id,
            object=object_name,
            api_name=standard.name,
            label=standard.label,
            type=standard.type.value,
            options=[],
            settings={},
            required=standard.required,
            unique=False,
            default=None,
            position=standard.position,
        )
        session.add(row)
    row.options = [o.model_dump() for o in body.options]
    row.updated_at = utcnow()
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return replace(standard, options=spec_from_definition(row).options)


async def set_archived(
    session: AsyncSession,
    registry: ObjectRegistry,
    principal: Principal,
    object_name: str,
    name: str,
    archived: bool,
) -> FieldSpec:
    principal.require_admin()
    definition = await registry.definition(session, principal.tenant_id, object_name, archived=True)
    if any(spec.name == name for spec in definition.fields):
        raise NotFound(
            f"'{object_name}' has no custom field named '{name[:64]}' (standard fields cannot change)."
        )
    row = await _custom_row(session, principal, object_name, name)
    row.archived_at = (row.archived_at or utcnow()) if archived else None
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return spec_from_definition(row)
