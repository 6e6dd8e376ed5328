"""Objects described by metadata: a definition declared in code, plus a workspace's custom fields.

``ObjectDefinition`` is what a module declares (api name, labels, ORM model, standard fields).
``ObjectSchema`` is that definition resolved for one workspace: standard fields plus its custom fields from
``field_definitions``. The engine only ever works from an ``ObjectSchema``.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.errors import NotFound
from kronos.kit.ids import uuid7
from kronos.kit.records.fields import FieldSpec, FieldType, Option
from kronos.kit.records.models import CustomObject, CustomRecord, FieldDefinition, SchemaVersion

if TYPE_CHECKING:
    from kronos.kit.records.write import WriteContext

# A module's rule, run by the write path inside its transaction before anything is stored:
# ``hook(ctx, record, changes)``. It may raise (a 422/409 that changes nothing) or add validated canonical
# values to ``changes`` — they join the same change set, so they land in history like the caller's own.
BeforeWrite = Callable[["WriteContext", Any, dict[str, Any]], Awaitable[None]]

# Resolves an object's API name to its definition in the caller's workspace (standard or custom).
Resolver = Callable[[str], Awaitable["ObjectDefinition"]]

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
    # A workspace's own object: its rows share ``custom_records`` with the workspace's other custom objects.
    custom: bool = False
    description: str | None = None
    archived: bool = False

    def scope(self, tenant_id: uuid.UUID) -> list[ColumnElement[bool]]:
        """The conditions that select this object's rows of one workspace (and only them)."""
        clauses: list[ColumnElement[bool]] = [self.model.tenant_id == tenant_id]
        if self.custom:
            clauses.append(self.model.object == self.name)
        return clauses

    def new_record(self, tenant_id: uuid.UUID) -> Any:
        if self.custom:
            return self.model(tenant_id=tenant_id, id=uuid7(), custom={}, object=self.name)
        return self.model(tenant_id=tenant_id, id=uuid7(), custom={})

    @property
    def has_owner(self) -> bool:
        return any(spec.name == self.owner_field for spec in self.fields)

    @property
    def owner_spec(self) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == self.owner_field), None)


# Reads one field's canonical JSON value off a loaded record or row.
Reader = Callable[[Any], Any]


def money_value(amount: Any, currency: Any) -> dict[str, Any]:
    """A currency field's value from its two columns (minor units, ISO 4217 code)."""
    return {"amount_minor": int(amount), "currency": str(currency).strip()}


def field_reader(spec: FieldSpec) -> Reader:
    """A function doing what ``write.read_value`` does for ``spec``, with the decisions taken once."""
    column = spec.column
    name = spec.name
    if spec.sensitive:
        from kronos.kit.records.sensitive import reveal

        return lambda record: reveal(name, record.id, (record.custom or {}).get(name))
    if column is None:
        return lambda record: (record.custom or {}).get(name)
    currency = spec.currency_column
    if currency is not None:

        def money(record: Any) -> Any:
            amount = getattr(record, column)
            return None if amount is None else money_value(amount, getattr(record, currency))

        return money
    convert = spec.from_column
    return lambda record: convert(getattr(record, column))


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    definition: ObjectDefinition
    fields: dict[str, FieldSpec]  # active fields, by api name, system fields included
    archived: dict[str, FieldSpec] = field(default_factory=dict)
    # Fields stored encrypted, active or archived (custom fields: their values live in ``custom``).
    sensitive: frozenset[str] = frozenset()
    # Built on first use: schemas are cached across requests, so serializing a page costs one call per value.
    _readers: list[tuple[str, bool, Reader]] = field(default_factory=list, compare=False, repr=False)

    def readers(self) -> list[tuple[str, bool, Reader]]:
        """(name, holds a list, reader) for every active field, in display order."""
        if not self._readers:
            self._readers.extend((spec.name, spec.is_list, field_reader(spec)) for spec in self.ordered())
        return self._readers

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
        sensitive=row.sensitive,
    )


# The fields every custom object starts with: a title and an owner (record visibility hangs on it).
CUSTOM_OBJECT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "Name", FieldType.TEXT, column="name", required=True, position=1),
    FieldSpec("owner_id", "Owner", FieldType.USER, column="owner_id", position=2),
)


def custom_definition(row: CustomObject) -> ObjectDefinition:
    return ObjectDefinition(
        name=row.api_name,
        singular=row.singular,
        label=row.label,
        label_plural=row.label_plural,
        model=CustomRecord,
        fields=CUSTOM_OBJECT_FIELDS,
        custom=True,
        description=row.description,
        archived=row.archived_at is not None,
    )


class ObjectRegistry:
    """The objects an app serves: standard ones registered at start-up by their modules, plus each
    workspace's custom objects, read from ``custom_objects`` when asked for."""

    def __init__(self, definitions: Iterable[ObjectDefinition] = (), *, cache_size: int = 4096) -> None:
        self._objects: dict[str, ObjectDefinition] = {}
        for definition in definitions:
            self.register(definition)
        # (tenant, schema version, kind, name) -> resolved definition or schema. Entries of a version that
        # moved on are never asked for again and age out; the size bounds memory across many workspaces.
        self._cache: OrderedDict[tuple[uuid.UUID, int, str, str], Any] = OrderedDict()
        self._cache_size = cache_size

    def _cached(self, key: tuple[uuid.UUID, int, str, str] | None) -> Any:
        if key is None:
            return None
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
        return found

    def _remember(self, key: tuple[uuid.UUID, int, str, str] | None, value: Any) -> None:
        if key is None:
            return
        self._cache[key] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def register(self, definition: ObjectDefinition) -> None:
        if definition.name in self._objects:
            raise ValueError(f"object {definition.name!r} registered twice")
        names = [spec.name for spec in definition.fields]
        if len(names) != len(set(names)) or {s.name for s in SYSTEM_FIELDS} & set(names):
            raise ValueError(f"object {definition.name!r} has duplicate or reserved field names")
        self._objects[definition.name] = definition

    def definitions(self) -> Sequence[ObjectDefinition]:
        """The standard objects only; ``all_definitions`` adds a workspace's custom ones."""
        return list(self._objects.values())

    def is_standard(self, name: str) -> bool:
        return name in self._objects

    def get(self, name: str) -> ObjectDefinition:
        """A standard object by name (no workspace needed); ``definition`` also finds custom objects."""
        definition = self._objects.get(name)
        if definition is None:
            raise NotFound(f"There is no object named '{name[:64]}'.")
        return definition

    async def definition(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        name: str,
        *,
        archived: bool = False,
        version: int | None = None,
    ) -> ObjectDefinition:
        """A standard object, or a custom object of this workspace (archived ones only when asked).

        ``version`` is the workspace's schema version as the caller's authentication read it; with it, the
        answer comes from this process's cache when it has one for that version."""
        standard = self._objects.get(name)
        if standard is not None:
            return standard
        key = (tenant_id, version, "object", name) if version is not None and not archived else None
        cached: ObjectDefinition | None = self._cached(key)
        if cached is not None:
            return cached
        row = await session.scalar(
            select(CustomObject).where(
                CustomObject.tenant_id == tenant_id,
                CustomObject.api_name == name[:64],
                CustomObject.deleted_at.is_(None),
            )
        )
        if row is None or (row.archived_at is not None and not archived):
            raise NotFound(f"There is no object named '{name[:64]}'.")
        definition = custom_definition(row)
        self._remember(key, definition)
        return definition

    async def all_definitions(
        self, session: AsyncSession, tenant_id: uuid.UUID, *, archived: bool = False
    ) -> list[ObjectDefinition]:
        """Standard objects, then the workspace's custom objects by label."""
        query = select(CustomObject).where(
            CustomObject.tenant_id == tenant_id, CustomObject.deleted_at.is_(None)
        )
        if not archived:
            query = query.where(CustomObject.archived_at.is_(None))
        rows = (await session.scalars(query.order_by(CustomObject.label, CustomObject.id))).all()
        return [*self._objects.values(), *(custom_definition(row) for row in rows)]

    def resolver(self, session: AsyncSession, tenant_id: uuid.UUID, version: int | None = None) -> Resolver:
        async def resolve(name: str) -> ObjectDefinition:
            return await self.definition(session, tenant_id, name, version=version)

        return resolve

    async def schema(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        name: str | ObjectDefinition,
        *,
        version: int | None = None,
    ) -> ObjectSchema:
        """The object resolved for this workspace. With ``version`` (see ``definition``), cached."""
        definition = (
            await self.definition(session, tenant_id, name, version=version)
            if isinstance(name, str)
            else name
        )
        key = (tenant_id, version, "schema", definition.name) if version is not None else None
        cached: ObjectSchema | None = self._cached(key)
        if cached is not None and cached.definition == definition:
            return cached
        schema = await load_schema(session, tenant_id, definition)
        self._remember(key, schema)
        return schema


async def bump_schema_version(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Call in the transaction of any change to a workspace's objects or fields: caches keyed by the old
    version stop being used by every process as soon as the change commits."""
    bumped = await session.execute(
        update(SchemaVersion)
        .where(SchemaVersion.tenant_id == tenant_id)
        .values(version=SchemaVersion.version + 1)
    )
    if getattr(bumped, "rowcount", 0):
        return
    try:
        async with session.begin_nested():
            session.add(SchemaVersion(tenant_id=tenant_id, version=1))
    except IntegrityError:  # another transaction created it first: bump that row instead
        await session.execute(
            update(SchemaVersion)
            .where(SchemaVersion.tenant_id == tenant_id)
            .values(version=SchemaVersion.version + 1)
        )


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
    sensitive = frozenset(s.name for s in (*fields.values(), *archived.values()) if s.sensitive)
    return ObjectSchema(definition, fields, archived, sensitive)
