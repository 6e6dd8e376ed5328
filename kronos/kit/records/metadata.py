"""Object metadata: describing objects and fields, and an admin's custom fields (add, change, archive).

Custom fields are rows of ``field_definitions``; their values live in each record's ``custom`` JSON, so
adding, renaming or archiving a field never rewrites a table, and an archived field keeps its values.

The description is what a client needs to render an object without guessing: per field its type, whether it
holds a list, what the caller may do with it; per object what the caller may do with its records.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Action, Principal, Visibility
from kronos.kit.clock import utcnow
from kronos.kit.crypto import KEYS
from kronos.kit.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from kronos.kit.records import sensitive, sensitive_values, unique
from kronos.kit.records.currencies import ISO_4217
from kronos.kit.records.fields import API_NAME, FieldInvalid, FieldSpec, FieldType
from kronos.kit.records.models import FieldDefinition
from kronos.kit.records.objects import (
    ObjectDefinition,
    ObjectRegistry,
    ObjectSchema,
    bump_schema_version,
    load_schema,
    spec_from_definition,
)

MAX_CUSTOM_FIELDS = 500
_MASK = sensitive.MASK
_SENSITIVE = (
    "Store the values encrypted (AES-256-GCM), in records and their history; text, long text, e-mail, "
    "phone and URL custom fields only. Roles other than admins, and those naming the field with read or "
    f"write, get {_MASK!r}. Lists cannot filter (but is_null), sort or group by it; it cannot be "
    "unique or have a default."
)
_UNIQUE_TYPES = {
    FieldType.TEXT, FieldType.NUMBER, FieldType.DECIMAL, FieldType.EMAIL, FieldType.PHONE, FieldType.URL,
}  # fmt: skip


# Named colours rather than CSS values: each client maps them to its own light and dark palette.
OptionColor = Literal["gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]
# Kept in the field's settings under this key (options themselves are (value, label) pairs in the engine).
_OPTION_COLORS = "option_colors"


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=200)
    color: OptionColor | None = Field(default=None, description="The colour the option's tag is shown in.")


class FieldSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: str | None = Field(default=None, description="relation: the API name of the related object")
    max: float | None = Field(default=None, description="rating: the top score (1-10); number: the maximum")
    min: float | None = None
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    scale: int | None = Field(default=None, ge=0, le=12, description="decimal: decimal places")
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="currency: the ISO 4217 code values default to"
    )


# The settings each type takes; anything else is refused rather than silently ignored.
_SETTINGS_FOR: dict[FieldType, frozenset[str]] = {
    FieldType.TEXT: frozenset({"max_length"}),
    FieldType.LONG_TEXT: frozenset({"max_length"}),
    FieldType.EMAIL: frozenset({"max_length"}),
    FieldType.PHONE: frozenset({"max_length"}),
    FieldType.URL: frozenset({"max_length"}),
    FieldType.NUMBER: frozenset({"min", "max"}),
    FieldType.PERCENT: frozenset({"min", "max"}),
    FieldType.DECIMAL: frozenset({"scale"}),
    FieldType.CURRENCY: frozenset({"currency"}),
    FieldType.RATING: frozenset({"max"}),
    FieldType.RELATION: frozenset({"target"}),
}


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
    sensitive: bool = Field(default=False, description=_SENSITIVE)


class FieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, min_length=1, max_length=200)
    help_text: str | None = Field(default=None, max_length=2000)
    position: int | None = None
    options: list[OptionIn] | None = Field(default=None, max_length=500)
    settings: FieldSettings | None = Field(
        default=None, description="Replaces the type's settings; a relation's target cannot change."
    )
    required: bool | None = None
    unique: bool | None = Field(
        default=None,
        description="Make the field unique in the workspace (refused with 409 listing the records that "
        "already share a value) or not unique any more.",
    )
    default: Any = None
    sensitive: bool | None = Field(
        default=None,
        description=_SENSITIVE + " Switching it on encrypts the stored values (and their history), switching "
        "it off decrypts them: in the request for up to a few thousand values, else by a background job (the "
        "field stays sensitive until its values are decrypted).",
    )


class FieldOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[str] = Field(
        max_length=MAX_CUSTOM_FIELDS,
        description="Every active custom field of the object, by API name, in the order to show them.",
    )


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
    many: bool = Field(
        default=False,
        description="Holds a list of values (a JSON array): multi-selects, e-mail lists, relation lists.",
    )
    standard: bool = Field(description="Declared in code (a typed column) rather than a custom field.")
    system: bool = Field(description="Set by the server; never writable.")
    access: Literal["read", "write"] = Field(description="What the caller may do with this field.")
    position: int
    archived: bool
    sensitive: bool = Field(default=False, description="Values are stored encrypted.")
    masked: bool = Field(
        default=False,
        description=f"The caller gets {_MASK!r} instead of this sensitive field's values.",
    )


class ObjectPermissions(BaseModel):
    """What the caller's role lets them do with the object's records, so a client hides what would be
    refused. The server enforces the same rules on every request; these only mirror them."""

    read: bool = False
    create: bool = False
    update: bool = False
    delete: bool = False
    export: bool = False
    customize: bool = Field(
        default=False, description="May add, change and archive the object's fields (admins)."
    )
    visibility: Visibility = Field(
        default="all",
        description="The records the caller reads: own (theirs), team (theirs and their teams' members') or "
        "all. A list shows only these.",
    )
    edit_visibility: Visibility = Field(
        default="all", description="The records among those the caller may update and delete."
    )


class ObjectOut(BaseModel):
    name: str
    singular: str
    label: str
    label_plural: str
    title_field: str
    custom: bool = Field(description="Defined by this workspace rather than built in.")
    archived: bool = False
    description: str | None = None
    # Always sent; a default (nothing allowed) keeps clients built against older servers type-correct.
    permissions: ObjectPermissions = Field(default_factory=ObjectPermissions)
    fields: list[FieldOut]


def field_out(spec: FieldSpec, access: Literal["read", "write"], *, masked: bool = False) -> FieldOut:
    colors = spec.settings.get(_OPTION_COLORS) or {}
    return FieldOut(
        name=spec.name,
        label=spec.label,
        type=spec.type,
        required=spec.required,
        unique=spec.unique,
        default=spec.default,
        help_text=spec.help_text,
        options=[OptionIn(value=o.value, label=o.label, color=colors.get(o.value)) for o in spec.options],
        settings={key: value for key, value in spec.settings.items() if key != _OPTION_COLORS},
        many=spec.is_list,
        standard=not spec.is_custom,
        system=spec.system,
        access="read" if spec.system or access == "read" else "write",
        position=spec.position,
        archived=spec.archived,
        sensitive=spec.sensitive,
        masked=spec.sensitive and masked,
    )


def describe(schema: ObjectSchema, principal: Principal, *, include_archived: bool) -> ObjectOut:
    perms = principal.permissions
    fields: list[FieldOut] = []
    specs = schema.ordered() + (list(schema.archived.values()) if include_archived else [])
    for spec in specs:
        access = "write" if spec.system else perms.field_access(schema.name, spec.name)
        if access == "hidden":
            continue
        masked = spec.sensitive and not sensitive.reveals(perms, schema.name, spec.name)
        fields.append(field_out(spec, "write" if access == "write" else "read", masked=masked))
    definition = schema.definition
    actions: tuple[Action, ...] = ("read", "create", "update", "delete", "export")
    allowed = {action: perms.can(schema.name, action) for action in actions}
    # An object without an owner has no per-record visibility: all its records are everyone's.
    owned = definition.owner_spec is not None and definition.owner_spec.column is not None
    return ObjectOut(
        name=definition.name,
        singular=definition.singular,
        label=definition.label,
        label_plural=definition.label_plural,
        title_field=definition.title_field,
        custom=definition.custom,
        archived=definition.archived,
        description=definition.description,
        permissions=ObjectPermissions(
            **allowed,
            customize=perms.is_admin,
            visibility=perms.visibility(schema.name) if owned else "all",
            edit_visibility=perms.edit_visibility(schema.name) if owned else "all",
        ),
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
    errors = sensitive.definition_errors(spec)
    if errors:
        raise ValidationFailed("; ".join(f"{e.path}: {e.message}" for e in errors), errors=errors)
    if spec.default is not None:
        if spec.unique:
            raise _invalid("body.default", "A unique field cannot have a default.")
        try:
            spec.validate(spec.default)
        except FieldInvalid as exc:
            raise _invalid("body.default", exc.message, exc.type) from None


def _settings(type: FieldType, settings: FieldSettings, options: list[OptionIn]) -> dict[str, Any]:
    """The stored settings: the type's own (checked, so a mistyped one is a 422 rather than ignored), and
    the options' colours, kept here because the engine's options are (value, label) pairs."""
    given = settings.model_dump(exclude_none=True)
    foreign = sorted(set(given) - _SETTINGS_FOR.get(type, frozenset()))
    if foreign:
        raise _invalid(f"body.settings.{foreign[0]}", f"A {type.value} field has no '{foreign[0]}' setting.")
    currency = given.get("currency")
    if currency is not None:
        if currency.upper() not in ISO_4217:
            raise _invalid("body.settings.currency", "Expected an ISO 4217 currency code such as EUR or USD.")
        given["currency"] = currency.upper()
    colors = {option.value: option.color for option in options if option.color}
    if colors:
        given[_OPTION_COLORS] = colors
    return given


def _options(options: list[OptionIn]) -> list[dict[str, str]]:
    return [{"value": option.value, "label": option.label} for option in options]


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
        options=_options(body.options),
        settings=_settings(body.type, body.settings, body.options),
        required=body.required,
        unique=body.unique,
        default=None,
        help_text=body.help_text,
        position=position,
        sensitive=body.sensitive,
        decrypting=False,
    )
    spec = spec_from_definition(row)
    spec = replace(spec, default=body.default)
    await _check_target(session, registry, principal, spec)
    _check_spec(spec)
    if spec.sensitive:
        KEYS.for_writing()  # 409 on a production server without keys (and makes the embedded key file)
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
    was_unique = row.unique
    if "unique" in given and body.unique is not None:
        row.unique = body.unique
    _update_settings(row, body)
    # The switch the admin asks for, if any: None, or sensitive on (True) / off (False).
    switch = body.sensitive if body.sensitive not in (None, _wants_sensitive(row)) else None
    spec = spec_from_definition(row)
    if switch is not None:  # the definition's rules hold for the field as it will be
        spec = replace(spec, sensitive=switch)
    if "default" in given:
        spec = replace(spec, default=body.default)
    await _check_target(session, registry, principal, spec)
    _check_spec(spec)
    if "default" in given:
        row.default = spec.validate(body.default) if body.default is not None else None
    if switch is not None:  # before claiming unique values: they are read plain
        await sensitive_values.switch(session, definition, row, on=switch)
        if row.sensitive and row.unique:
            raise _invalid(
                "body.unique",
                "This field has too many values to decrypt in one request: it stays sensitive (so it cannot "
                "be unique) until a background job has decrypted them. Make it unique after that.",
                "sensitive_field",
            )
    if row.unique != was_unique:
        await _claim_values(session, principal, definition, spec)
    row.updated_at = utcnow()
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
    return spec_from_definition(row)


async def _claim_values(
    session: AsyncSession, principal: Principal, definition: ObjectDefinition, spec: FieldSpec
) -> None:
    """A field made unique claims its live records' values in ``unique_values`` (409 listing the records
    that already share one: nothing changes until the data is fixed); one made not unique drops its claims."""
    if not spec.unique:
        await unique.release_field(session, principal.tenant_id, definition.name, spec.name)
        return
    schema = await load_schema(session, principal.tenant_id, definition)
    dialect = session.get_bind().dialect.name
    await unique.backfill_field(session, schema, principal.tenant_id, spec, dialect)


def _wants_sensitive(row: FieldDefinition) -> bool:
    """What the admin last asked for: sensitive, unless switched off (even while values are decrypted)."""
    return row.sensitive and not row.decrypting


def _update_settings(row: FieldDefinition, body: FieldUpdate) -> None:
    """Options and settings of a custom field: new settings replace the old, but a relation keeps its
    target (its stored ids point at that object) and options keep their colours unless options are given."""
    old = dict(row.settings or {})
    colors = old.get(_OPTION_COLORS) or {}
    if body.options is not None:
        row.options = _options(body.options)
        colors = {option.value: option.color for option in body.options if option.color}
    if body.settings is None:
        # Settings stay as stored (even ones older rules let through), with the options' colours.
        kept = {key: value for key, value in old.items() if key != _OPTION_COLORS}
        row.settings = {**kept, _OPTION_COLORS: colors} if colors else kept
        return
    settings = body.settings
    if row.type == FieldType.RELATION.value:
        if settings.target not in (None, old.get("target")):
            raise _invalid("body.settings.target", "A relation field's target object cannot change.")
        settings = settings.model_copy(update={"target": old.get("target")})
    options = [OptionIn(value=o["value"], label=o.get("label", o["value"]), color=colors.get(o["value"]))
               for o in row.options or ()]  # fmt: skip
    row.settings = _settings(FieldType(row.type), settings, options)


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
    if any(option.color for option in body.options):
        raise _invalid("body.options", "Colours can be set on custom fields' options only.")
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
    row.options = _options(body.options)
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


async def reorder_fields(
    session: AsyncSession, registry: ObjectRegistry, principal: Principal, object_name: str, body: FieldOrder
) -> None:
    """Order an object's custom fields. They follow the standard fields, whose order is the product's (it
    lives in code), so one list of custom names says it all and lands in one transaction."""
    principal.require_admin()
    schema = await registry.schema(session, principal.tenant_id, object_name)
    custom = {spec.name for spec in schema.fields.values() if spec.is_custom}
    given = set(body.fields)
    if len(given) != len(body.fields):
        raise _invalid("body.fields", "Each field may appear once.")
    if given != custom:
        parts = []
        if unknown := sorted(given - custom):
            parts.append(f"not active custom fields: {', '.join(name[:64] for name in unknown[:10])}")
        if missing := sorted(custom - given):
            parts.append(f"missing: {', '.join(missing)}")
        raise _invalid("body.fields", f"Name every active custom field once ({'; '.join(parts)}).")
    rows = (
        await session.scalars(
            select(FieldDefinition).where(
                FieldDefinition.tenant_id == principal.tenant_id,
                FieldDefinition.object == object_name,
                FieldDefinition.api_name.in_(custom),
                FieldDefinition.deleted_at.is_(None),
                FieldDefinition.archived_at.is_(None),
            )
        )
    ).all()
    by_name = {row.api_name: row for row in rows}
    first = 1 + max(
        (spec.position for spec in schema.fields.values() if not spec.is_custom and spec.position < 1000),
        default=0,
    )
    now = utcnow()
    for index, name in enumerate(body.fields):
        row = by_name[name]
        if row.position != first + index:
            row.position = first + index
            row.updated_at = now
    await bump_schema_version(session, principal.tenant_id)
    await session.flush()
