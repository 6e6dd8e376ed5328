"""The record service: what any object's API does, with the caller's permissions applied everywhere.

Object actions are checked first (403). Hidden fields are left out of reads and reported as unknown when
used in writes, filters, sorts or projections, so a caller cannot learn they exist. Read-only fields in a
write are a 403. Record visibility (own/team/all) narrows every query — lists, counts, reads and writes — and
a record outside it (or in another workspace) is a 404 exactly like an id that does not exist. Edit visibility
narrows writes further: a record the caller sees but may not change (a rep's teammate's deal) is a 403
``record_read_only`` on update, delete, restore and the history writes.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic_core import to_json
from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Principal
from kronos.kit.driver import select_rows
from kronos.kit.errors import FieldError, Forbidden, NotFound, ValidationFailed
from kronos.kit.records import expand, sensitive
from kronos.kit.records.fields import FieldInvalid
from kronos.kit.records.objects import ObjectDefinition, ObjectRegistry, ObjectSchema
from kronos.kit.records.query import (
    QueryCompiler,
    decode_cursor,
    encode_cursor,
    parse_filters,
)
from kronos.kit.records.rows import row_columns, row_object, serialize_rows
from kronos.kit.records.write import (
    Actor,
    WriteResult,
    for_update,
    purge_record,
    read_value,
    write_record,
)

Mode = Literal["create", "update", "replace"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# RecordService._base statements, by (schema, workspace, deleted, rows, visibility); bounded, oldest out.
_BASES: OrderedDict[tuple[Any, ...], tuple[ObjectSchema, Any]] = OrderedDict()
_BASES_SIZE = 4096


class RecordReadOnly(Forbidden):
    """The caller may read the record but not change it: it is outside their role's edit visibility."""

    code = "record_read_only"


@dataclass(frozen=True, slots=True)
class ListParams:
    filter: str | None = None
    conditions: Mapping[str, str] | None = None
    sort: str | None = None
    after: str | None = None
    limit: int = DEFAULT_LIMIT
    fields: str | None = None
    count: bool = False
    expand: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None

    def to_json(self, *, with_total: bool) -> bytes:
        """The list body (``RecordList``): compact JSON by pydantic's serializer, the one FastAPI uses."""
        body: dict[str, Any] = {"items": self.items, "next_cursor": self.next_cursor}
        if with_total:
            body["total"] = self.total
        return to_json(body)


def actor_of(principal: Principal) -> Actor:
    # A session token is the web app; an API key is an integration.
    return Actor(
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        source="api" if principal.via == "api_key" else "ui",
    )


class RecordService:
    def __init__(
        self, session: AsyncSession, registry: ObjectRegistry, principal: Principal, dialect: str
    ) -> None:
        self.session = session
        self.registry = registry
        self.principal = principal
        self.tenant_id = principal.tenant_id
        self.dialect = dialect

    # -- permissions ------------------------------------------------------------------------------------
    async def schema(self, object_name: str) -> ObjectSchema:
        return await self.registry.schema(
            self.session, self.tenant_id, object_name, version=self.principal.schema_version
        )

    def readable(self, schema: ObjectSchema) -> set[str]:
        access = self.principal.permissions.field_access
        return {
            name
            for name, spec in schema.fields.items()
            if spec.system or access(schema.name, name) != "hidden"
        }

    def visibility(self, schema: ObjectSchema) -> ColumnElement[bool]:
        return self._visibility(schema.definition)

    def _visibility(self, definition: ObjectDefinition) -> ColumnElement[bool]:
        model = definition.model
        scope = self.principal.permissions.visibility(definition.name)
        owner_spec = definition.owner_spec
        if scope == "all" or owner_spec is None or owner_spec.column is None:
            return true()
        owner = getattr(model, owner_spec.column)
        if scope == "own":
            clause: ColumnElement[bool] = owner == self.principal.user_id
            return clause
        owners = {*self.principal.visible_owner_ids, self.principal.user_id}
        in_team: ColumnElement[bool] = owner.in_(sorted(owners, key=str))
        return in_team

    # -- what the write path may tell the caller of other records (``kronos.kit.records.viewer.Viewer``) --
    def sees(self, definition: ObjectDefinition) -> ColumnElement[bool]:
        """The records of ``definition`` the caller may see: none of an object their role cannot read."""
        if not self.principal.permissions.can(definition.name, "read"):
            return false()
        return self._visibility(definition)

    def shows(self, schema: ObjectSchema, field: str) -> bool:
        spec = schema.fields.get(field) or schema.archived.get(field)
        return spec is not None and (
            spec.system or self.principal.permissions.field_access(schema.name, field) != "hidden"
        )

    def _owner_allowed(self, schema: ObjectSchema, owner: str | None) -> bool:
        """Whether the caller may give a record to ``owner``: someone whose records they may edit (a record
        handed further would be one they created and can no longer change)."""
        return self._edits_for(schema, uuid.UUID(owner) if owner else None)

    def _edits_for(self, schema: ObjectSchema, owner_id: uuid.UUID | None) -> bool:
        scope = self.principal.permissions.edit_visibility(schema.name)
        if scope == "all":
            return True
        if scope == "own":
            return owner_id == self.principal.user_id
        return owner_id in {*self.principal.visible_owner_ids, self.principal.user_id}

    def require_editable(self, schema: ObjectSchema, record: Any) -> None:
        """403 ``record_read_only`` unless the caller may change ``record`` (one they can see)."""
        owner_spec = schema.definition.owner_spec
        if owner_spec is None or owner_spec.column is None:
            return
        if self._edits_for(schema, getattr(record, owner_spec.column)):
            return
        scope = self.principal.permissions.edit_visibility(schema.name)
        whose = "your own" if scope == "own" else "your own and your teams'"
        raise RecordReadOnly(
            f"Your role lets you read this {schema.definition.label.lower()} but change only {whose} "
            f"{schema.definition.label_plural.lower()}."
        )

    def _visibility_key(self, schema: ObjectSchema) -> tuple[Any, ...]:
        """What ``visibility`` depends on, as a cache key."""
        scope = self.principal.permissions.visibility(schema.name)
        owner_spec = schema.definition.owner_spec
        if scope == "all" or owner_spec is None or owner_spec.column is None:
            return ("all",)
        if scope == "own":
            return ("own", self.principal.user_id)
        return ("team", frozenset({*self.principal.visible_owner_ids, self.principal.user_id}))

    def _base(self, schema: ObjectSchema, *, deleted: bool = False, rows: bool = False) -> Any:
        """Live (or deleted) records of ``schema`` the caller may see: ORM objects to write to, or plain
        ``rows`` (the columns its fields are read from, ``row_columns``; attribute access by column name works
        on both) for reads, which skips the identity map and change tracking a read never uses.

        Built once per schema, workspace and visibility and reused (statements are immutable; ``where``
        copies): building it costs more than running a page of it through the driver."""
        # Only schemas the registry caches (a principal with a schema version) live long enough to be worth
        # it; caching others would keep every one of them alive.
        key = (id(schema), self.tenant_id, deleted, rows, self._visibility_key(schema))
        cached = _BASES.get(key) if self.principal.schema_version is not None else None
        if cached is not None and cached[0] is schema:
            _BASES.move_to_end(key)
            return cached[1]
        model = schema.model
        columns = row_columns(schema, cache=self.principal.schema_version is not None) if rows else [model]
        statement = select(*columns).where(
            *schema.definition.scope(self.tenant_id),
            model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None),
            self.visibility(schema),
        )
        if self.principal.schema_version is not None:
            _BASES[key] = (schema, statement)  # keeps the schema alive: its id is not reused meanwhile
            if len(_BASES) > _BASES_SIZE:
                _BASES.popitem(last=False)
        return statement

    async def _load(
        self, schema: ObjectSchema, record_id: str, *, deleted: bool = False, lock: bool = False
    ) -> Any:
        """A record the caller can see, or 404. ``lock``: it is about to be written; hold its row until the
        transaction ends and read it as the writer before (if any) left it (``write.for_update``)."""
        try:
            key = uuid.UUID(record_id)
        except ValueError:
            key = None
        record = None
        if key is not None:
            statement = self._base(schema, deleted=deleted).where(schema.model.id == key)
            if lock:
                statement = for_update(statement, self.dialect)
            record = await self.session.scalar(statement)
        if record is None:
            raise NotFound(f"No {schema.definition.label.lower()} with id '{record_id[:40]}'.")
        if lock:  # every write locks what it loads
            self.require_editable(schema, record)
        return record

    # -- output ---------------------------------------------------------------------------------------
    def masked(self, schema: ObjectSchema) -> frozenset[str]:
        """Sensitive fields the caller gets masked (``kronos.kit.records.sensitive``)."""
        return sensitive.masked_fields(self.principal.permissions, schema)

    def serialize(self, schema: ObjectSchema, record: Any, shown: set[str]) -> dict[str, Any]:
        masked = self.masked(schema)
        out: dict[str, Any] = {}
        for name, is_list, read in schema.readers():
            if name in shown:
                # A masked value is never decrypted: it needs no key and leaves nothing in memory.
                value = sensitive.mask((record.custom or {}).get(name)) if name in masked else read(record)
                out[name] = [] if value is None and is_list else value
        return out

    def projection(self, schema: ObjectSchema, fields: str | None) -> set[str]:
        readable = self.readable(schema)
        if not fields:
            return readable
        wanted = {name.strip() for name in fields.split(",") if name.strip()}
        unknown = sorted(wanted - readable)
        if unknown:
            raise ValidationFailed(
                f"query.fields: unknown field(s): {', '.join(n[:64] for n in unknown)}.",
                errors=[
                    FieldError(
                        path="query.fields", message=f"Unknown field '{n[:64]}'.", type="unknown_field"
                    )
                    for n in unknown
                ],
            )
        return wanted | {"id", "version"}

    # -- reads ----------------------------------------------------------------------------------------
    async def list(self, object_name: str, params: ListParams) -> Page:
        self.principal.require(object_name, "read")
        schema = await self.schema(object_name)
        shown = self.projection(schema, params.fields)
        expanded = expand.parse(schema, self.readable(schema), params.expand)
        shown |= {spec.name for spec in expanded}
        compiler = QueryCompiler(schema, self.readable(schema), self.dialect)
        where = compiler.where(parse_filters(params.filter, params.conditions or {}))
        keys = compiler.parse_sort(params.sort)
        sort_signature = ",".join(("-" if k.descending else "") + k.spec.name for k in keys)
        id_desc = bool(keys) and keys[-1].descending
        statement = self._base(schema, rows=True).where(where)
        total = None
        if params.count:
            total = int(
                await self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            )
        if params.after:
            values, last_id = decode_cursor(params.after, sort_signature, len(keys))
            statement = statement.where(compiler.after(keys, values, last_id, id_desc))
        limit = max(1, min(params.limit, MAX_LIMIT))
        # Plain rows, straight from the driver (kronos.kit.driver): same transaction, same tenant binding.
        cache = self.principal.schema_version is not None
        rows = await select_rows(
            self.session, statement.order_by(*compiler.order_by(keys, id_desc)).limit(limit + 1)
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = row_object(schema, rows[-1], cache=cache)
            next_cursor = encode_cursor(sort_signature, [read_value(key.spec, last) for key in keys], last.id)
        items = serialize_rows(schema, rows, shown, cache=cache, masked=self.masked(schema))
        await expand.expand(self, expanded, items)
        return Page(items, next_cursor, total)

    async def get(
        self, object_name: str, record_id: str, fields: str | None = None, expand_fields: str | None = None
    ) -> dict[str, Any]:
        self.principal.require(object_name, "read")
        schema = await self.schema(object_name)
        shown = self.projection(schema, fields)
        expanded = expand.parse(schema, self.readable(schema), expand_fields)
        shown |= {spec.name for spec in expanded}
        item = self.serialize(schema, await self._load(schema, record_id), shown)
        await expand.expand(self, expanded, [item])
        return item

    # -- writes ---------------------------------------------------------------------------------------
    def validate_input(self, schema: ObjectSchema, body: Mapping[str, Any], mode: Mode) -> dict[str, Any]:
        """Validated canonical values by field name, or 422 (bad values) / 403 (read-only fields)."""
        access = self.principal.permissions.field_access
        errors: list[FieldError] = []
        denied: list[FieldError] = []
        changes: dict[str, Any] = {}
        kept: set[str] = set()  # sensitive fields sent back masked: they keep their value
        for name, raw in body.items():
            spec = schema.fields.get(name)
            path = f"body.{name}"
            if spec is None or (not spec.system and access(schema.name, name) == "hidden"):
                errors.append(
                    FieldError(path=path, message=f"Unknown field '{name[:64]}'.", type="unknown_field")
                )
                continue
            if spec.system:
                errors.append(FieldError(path=path, message="Set by the server.", type="read_only"))
                continue
            if access(schema.name, name) != "write":
                denied.append(
                    FieldError(path=path, message="Your role cannot change this field.", type="read_only")
                )
                continue
            if spec.sensitive and raw == sensitive.MASK:
                if mode != "create":
                    kept.add(name)
                continue
            try:
                changes[name] = spec.validate(raw)
            except FieldInvalid as exc:
                errors.append(FieldError(path=path, message=exc.message, type=exc.type))
        for spec in schema.writable():
            if spec.name in body:
                continue
            if mode == "create" and spec.name == schema.definition.owner_field and spec.default is None:
                # A new record is its creator's, also when their role may not choose owners: otherwise a
                # rep who sees only their own records would create records they cannot see.
                changes[spec.name] = str(self.principal.user_id)
                continue
            if access(schema.name, spec.name) != "write":
                continue
            if mode == "create" and spec.default is not None:
                changes[spec.name] = spec.default
            elif mode == "replace":
                changes[spec.name] = None
        for spec in schema.writable():
            if not spec.required or access(schema.name, spec.name) != "write":
                continue
            checked = (mode != "update" or spec.name in body) and spec.name not in kept
            if (
                checked
                and changes.get(spec.name) is None
                and not any(e.path == f"body.{spec.name}" for e in errors)
            ):
                errors.append(
                    FieldError(path=f"body.{spec.name}", message="This field is required.", type="missing")
                )
        if errors:
            raise ValidationFailed(
                "The record is not valid: " + "; ".join(f"{e.path}: {e.message}" for e in errors[:5]),
                errors=errors,
            )
        if denied:
            raise Forbidden(
                "Your role cannot change: " + ", ".join(e.path[5:] for e in denied) + ".", errors=denied
            )
        owner_field = schema.definition.owner_field
        if owner_field in changes and not self._owner_allowed(schema, changes[owner_field]):
            raise Forbidden(
                "Your visibility lets you assign records only to yourself or your team.",
                errors=[
                    FieldError(
                        path=f"body.{owner_field}",
                        message="Owner outside your visibility.",
                        type="forbidden_owner",
                    )
                ],
            )
        return changes

    async def create(self, object_name: str, body: Mapping[str, Any]) -> WriteResult:
        self.principal.require(object_name, "create")
        schema = await self.schema(object_name)
        changes = self.validate_input(schema, body, "create")
        return await self._write(schema, "create", None, changes, None)

    async def update(
        self,
        object_name: str,
        record_id: str,
        body: Mapping[str, Any],
        *,
        replace: bool,
        expected: int | None,
    ) -> WriteResult:
        self.principal.require(object_name, "update")
        schema = await self.schema(object_name)
        record = await self._load(schema, record_id, lock=True)
        changes = self.validate_input(schema, body, "replace" if replace else "update")
        return await self._write(schema, "update", record, changes, expected)

    async def apply(
        self, object_name: str, record_id: str, changes: Mapping[str, Any], expected: int | None = None
    ) -> WriteResult:
        """For module services: apply already-validated canonical ``changes`` — system fields included,
        which no caller may send — to a record the caller can see and update, through the same write path."""
        self.principal.require(object_name, "update")
        schema = await self.schema(object_name)
        record = await self._load(schema, record_id, lock=True)
        return await self._write(schema, "update", record, dict(changes), expected)

    async def lock(self, object_name: str, record_id: str) -> None:
        """For module services that decide from a read what they then write (a lead conversion): hold the
        record's row from now until the transaction ends, so that a concurrent writer waits instead of
        changing it in between (404 like a read; ``write.for_update``)."""
        self.principal.require(object_name, "update")
        schema = await self.schema(object_name)
        await self._load(schema, record_id, lock=True)

    async def delete(self, object_name: str, record_id: str, expected: int | None) -> WriteResult:
        self.principal.require(object_name, "delete")
        schema = await self.schema(object_name)
        record = await self._load(schema, record_id, lock=True)
        return await self._write(schema, "delete", record, {}, expected)

    async def restore(self, object_name: str, record_id: str) -> WriteResult:
        self.principal.require(object_name, "delete")
        schema = await self.schema(object_name)
        record = await self._load(schema, record_id, deleted=True, lock=True)
        return await self._write(schema, "restore", record, {}, None)

    async def purge(self, object_name: str, record_id: str) -> None:
        self.principal.require_admin()
        schema = await self.schema(object_name)
        record = await self._load(schema, record_id, deleted=True, lock=True)
        await purge_record(self.session, schema, self.tenant_id, record, actor_of(self.principal))

    async def _write(
        self, schema: ObjectSchema, op: Any, record: Any, changes: dict[str, Any], expected: int | None
    ) -> WriteResult:
        return await write_record(
            self.session,
            schema,
            self.tenant_id,
            op=op,
            actor=actor_of(self.principal),
            record=record,
            changes=changes,
            expected_version=expected,
            resolve=self.registry.resolver(self.session, self.tenant_id, self.principal.schema_version),
            dialect=self.dialect,
            viewer=self,
        )

    async def shown_fields(self, object_name: str) -> tuple[ObjectSchema, set[str]]:
        schema = await self.schema(object_name)
        return schema, self.readable(schema)
