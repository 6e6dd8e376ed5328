"""Objects described by metadata: a definition declared in code, plus a workspace's custom fields.

``ObjectDefinition`` is what a module declares (api name, labels, ORM model, standard fields).
``ObjectSchema`` is that definition resolved for one workspace: standard fields plus its custom fields from
``field_definitions``. The engine only ever works from an ``ObjectSchema``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.errors import NotFound
from kronos.kit.records.fields import FieldSpec, FieldType, Option
from kronos.kit.records.models import FieldDefinition

if TYPE_CHECKING:
    from kronos.kit.records.write import WriteContext

# A module's rule, run by the write path inside its transaction before anything is stored:
# ``hook(ctx, record, changes)``. It may raise (a 422/409 that changes nothing) or add validated canonical
# values to ``changes`` — they join the same change set, so they land in history like the caller's own.
BeforeWrite = Callable[["WriteContext", Any, dict[str, Any]], Awaitable[None]]

# Fields every record has; the engine sets them.
SYSTEM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "ID", FieldType.ID, column="id", system=True, position=-4),
    FieldSpec("version", "Version", FieldType.NUMBER, column="version", system=True, position=-3),
    FieldSpec("created_at", "Created", FieldType.DATETIME, column="created_at", system=True, position=1000),
    FieldSpec("updated_at", "Updated", FieldType.DATETIME, column="updated_at", system=True, position=1001),
)


@dataclass(frozen=True, slots=True)
class ObjectDefinition:
    """An object declared in code. ``model`` is a ``TenantModel`` + ``RecordMixin`` subclass."""

    name: str  # API name, plural: "companies"
    singular: str  # event names: "company.created"
    label: str
    label_plural: str
    model: Any
    fields: tuple[FieldSpec, ...]
    # The field a record's name is shown by (relations, search results).
    title_field: str = "name"
    default_sort: str = "-created_at"
    # The user field record visibility (own/team) is decided by, and that defaults to the caller on create.
    owner_field: str = "owner_id"
    # Domain rules (``BeforeWrite``), run in order on every create, update, delete and restore.
    before_write: tuple[BeforeWrite, ...] = ()

    @property
    def has_owner(self) -> bool:
        return any(spec.name == self.owner_field for spec in self.fields)

    @property
    def owner_spec(self) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == self.owner_field), None)


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    definition: ObjectDefinition
    fields: dict[str, FieldSpec]  # active fields, by api name, system fields included
    archived: dict[str, FieldSpec] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def model(self) -> Any:
        return self.definition.model

    def writable(self) -> list[FieldSpec]:
        return [spec for spec in self.fields.values() if not spec.system]

    def ordered(self) -> list[FieldSpec]:
        return sorted(self.fields.values(), key=lambda spec: (spec.position, spec.name))


def spec_from_definition(row: FieldDefinition) -> FieldSpec:
    return FieldSpec(
        name=row.api_name,
        label=row.label,
        type=FieldType(row.type),
        required=row.required,
        unique=row.unique,
        default=row.default,
        help_text=row.help_text,
        options=tuple(Option(o["value"], o.get("label", o["value"])) for o in row.options or ()),
        settings=dict(row.settings or {}),
        position=row.position,
        archived=row.archived_at is not None,
    )


class ObjectRegistry:
    """The objects an app serves. Standard objects are registered at start-up by their modules."""

    def __init__(self, definitions: Iterable[ObjectDefinition] = ()) -> None:
        self._objects: dict[str, ObjectDefinition] = {}
        for definition in definitions:
            self.register(definition)

    def register(self, definition: ObjectDefinition) -> None:
        if definition.name in self._objects:
            raise ValueError(f"object {definition.name!r} registered twice")
        names = [spec.name for spec in definition.fields]
        if len(names) != len(set(names)) or {s.name for s in SYSTEM_FIELDS} & set(names):
            raise ValueError(f"object {definition.name!r} has duplicate or reserved field names")
        self._objects[definition.name] = definition

    def definitions(self) -> Sequence[ObjectDefinition]:
        return list(self._objects.values())

    def get(self, name: str) -> ObjectDefinition:
        definition = self._objects.get(name)
        if definition is None:
            raise NotFound(f"There is no object named '{name[:64]}'.")
        return definition

    async def schema(
        self, session: AsyncSession, tenant_id: uuid.UUID, name: str | ObjectDefinition
    ) -> ObjectSchema:
        definition = self.get(name) if isinstance(name, str) else name
        return await load_schema(session, tenant_id, definition)


async def load_schema(
    session: AsyncSession, tenant_id: uuid.UUID, definition: ObjectDefinition
) -> ObjectSchema:
    """``definition`` resolved for one workspace (its custom fields and option overrides)."""
    rows = (
        await session.scalars(
            select(FieldDefinition).where(
                FieldDefinition.tenant_id == tenant_id,
                FieldDefinition.object == definition.name,
                FieldDefinition.deleted_at.is_(None),
            )
        )
    ).all()
    return build_schema(definition, rows)


def build_schema(definition: ObjectDefinition, rows: Iterable[FieldDefinition]) -> ObjectSchema:
    fields = {spec.name: spec for spec in (*SYSTEM_FIELDS, *definition.fields)}
    archived: dict[str, FieldSpec] = {}
    for row in rows:
        spec = spec_from_definition(row)
        standard = fields.get(spec.name)
        if standard is not None:
            # A standard select whose options a workspace may configure: the row holds its options.
            if standard.settings.get("configurable_options") and spec.options:
                fields[spec.name] = replace(standard, options=spec.options)
            # Otherwise a standard field added later in code wins; the row stays dormant.
            continue
        (archived if spec.archived else fields)[spec.name] = spec
    return ObjectSchema(definition, fields, archived)
