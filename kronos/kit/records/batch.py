"""Batch create / update / upsert / delete of up to 1,000 records of one object in one request.

Every record goes through the one write path (``write_record``): the same validation, permissions,
history rows, outbox event and If-Match (a per-record ``version``) as a single write. What a batch adds is
doing the reads once: the schema is loaded once, the records an update or delete names are loaded in one
query, and an upsert finds its matches in one query over the match field.

Two modes:

- ``all_or_nothing`` (default): every record is checked first (values, ids, duplicates, match values); any
  error answers 422 with every record's errors and writes nothing. An error only the database can see
  (a unique value taken, a stale version) stops the batch at that record, and the whole transaction rolls
  back.
- ``per_record``: each record is written inside its own savepoint, so a failure undoes only that record;
  the answer is 200 with one result per record, in order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kronos.kit.auth import Action
from kronos.kit.errors import (
    FieldError,
    KronosError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ValidationFailed,
)
from kronos.kit.records.fields import FieldInvalid, FieldSpec, FieldType
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.query import QueryCompiler
from kronos.kit.records.service import RecordService, actor_of
from kronos.kit.records.write import Op, read_value, write_record

MAX_RECORDS = 1000
Operation = Literal["create", "update", "upsert", "delete"]
# Field types an upsert can match on: one scalar value compared by equality.
_MATCHABLE = {
    FieldType.TEXT,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
    FieldType.NUMBER,
    FieldType.SELECT,
    FieldType.USER,
    FieldType.RELATION,
}
_ACTIONS: dict[str, tuple[Action, ...]] = {
    "create": ("create",),
    "update": ("update",),
    "upsert": ("create", "update"),  # an upsert may do either
    "delete": ("delete",),
}
_STATUS = {"create": 201, "update": 200, "delete": 204}


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation: Operation
    records: list[dict[str, Any]] = Field(
        min_length=1,
        description=(
            f"At most {MAX_RECORDS}. create: field values. update: `id`, optional `version` (If-Match), the "
            "fields to change. upsert: field values including the `match_on` field, optional `version`. "
            "delete: `id`, optional `version`."
        ),
    )
    mode: Literal["all_or_nothing", "per_record"] = "all_or_nothing"
    match_on: str | None = Field(
        default=None,
        description="upsert only: a unique field of the object (e.g. companies.domain, or a custom unique "
        "field such as an external id); records whose value matches are updated, the others created.",
    )


class BatchItem(BaseModel):
    index: int
    status: int = Field(description="201 created, 200 updated, 204 deleted, or the error's status.")
    id: str | None = None
    record: dict[str, Any] | None = None
    error: dict[str, Any] | None = Field(
        default=None, description="status, code, detail and field errors, as a single write's problem."
    )


class BatchResult(BaseModel):
    results: list[BatchItem]


class TooManyRecords(PayloadTooLarge):
    code = "too_many_records"


class BatchFailed(ValidationFailed):
    code = "batch_failed"


class DuplicateInBatch(ValidationFailed):
    code = "duplicate_in_batch"


@dataclass(slots=True)
class _Item:
    index: int
    op: Op = "create"
    record: Any = None
    id: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    expected: int | None = None
    error: KronosError | None = None


def _error_body(exc: KronosError) -> dict[str, Any]:
    return {
        "status": exc.status_code,
        "code": exc.code,
        "detail": exc.message,
        "errors": [error.model_dump() for error in exc.errors or []],
        **exc.extra,
    }


def _bad(path: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


def _version(body: dict[str, Any]) -> int | None:
    version = body.pop("version", None)
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _bad("body.version", "The record's version: a positive integer.", "invalid_version")
    return version


class BatchWriter:
    def __init__(self, service: RecordService, object_name: str, request: BatchRequest) -> None:
        self.service = service
        self.session = service.session
        self.object_name = object_name
        self.request = request

    async def run(self) -> BatchResult:
        request, principal = self.request, self.service.principal
        if len(request.records) > MAX_RECORDS:
            raise TooManyRecords(f"A batch holds at most {MAX_RECORDS} records; split it.")
        for action in _ACTIONS[request.operation]:
            principal.require(self.object_name, action)
        schema = await self.service.schema(self.object_name)
        self.schema = schema
        if request.operation == "upsert":
            items = await self._plan_upsert(schema)
        else:
            if request.match_on is not None:
                raise _bad("body.match_on", "Only an upsert matches on a field.", "not_allowed")
            if request.operation == "create":
                items = [self._plan_create(schema, i, dict(raw)) for i, raw in enumerate(request.records)]
            else:
                items = await self._plan_by_id(schema)
        per_record = request.mode == "per_record"
        if not per_record and any(item.error for item in items):
            raise self._failed(items)
        shown = self.service.readable(schema)
        results: list[BatchItem] = []
        for item in items:
            if item.error is None:
                try:
                    if per_record:
                        async with self.session.begin_nested():
                            results.append(await self._write(item, shown))
                    else:
                        results.append(await self._write(item, shown))
                    continue
                except KronosError as exc:
                    if not per_record:
                        item.error = exc
                        raise self._failed(items) from None
                    item.error = exc
            assert item.error is not None
            results.append(
                BatchItem(
                    index=item.index, status=item.error.status_code, id=item.id, error=_error_body(item.error)
                )
            )
        return BatchResult(results=results)

    async def _write(self, item: _Item, shown: set[str]) -> BatchItem:
        service = self.service
        result = await write_record(
            self.session,
            self.schema,
            service.tenant_id,
            op=item.op,
            actor=actor_of(service.principal),
            record=item.record,
            changes=item.changes,
            expected_version=item.expected,
            resolve=service.registry.resolver(service.session, service.tenant_id),
            dialect=service.dialect,
        )
        record_id = str(result.record.id)
        if item.op == "delete":
            return BatchItem(index=item.index, status=204, id=record_id)
        # Serialised now: a later record's savepoint rollback must not find this one's attributes expired.
        record = service.serialize(self.schema, result.record, shown)
        return BatchItem(index=item.index, status=_STATUS[item.op], id=record_id, record=record)

    def _failed(self, items: list[_Item]) -> BatchFailed:
        failed = [item for item in items if item.error is not None]
        flat: list[FieldError] = []
        records: list[dict[str, Any]] = []
        for item in failed:
            assert item.error is not None
            records.append({"index": item.index, **_error_body(item.error)})
            errors = item.error.errors or [
                FieldError(path="", message=item.error.message, type=item.error.code)
            ]
            flat.extend(
                FieldError(
                    path=f"records.{item.index}" + (f".{e.path}" if e.path else ""),
                    message=e.message,
                    type=e.type,
                )
                for e in errors
            )
        first = failed[0]
        assert first.error is not None
        return BatchFailed(
            f"{len(failed)} record(s) failed and nothing was written. "
            f"Record {first.index}: {first.error.message}",
            errors=flat,
            extra={"records": records},
        )

    # -- planning: everything that can be known before writing ---------------------------------------------
    def _plan_create(self, schema: ObjectSchema, index: int, body: dict[str, Any]) -> _Item:
        item = _Item(index)
        try:
            item.changes = self.service.validate_input(schema, body, "create")
        except KronosError as exc:
            item.error = exc
        return item

    async def _plan_by_id(self, schema: ObjectSchema) -> list[_Item]:
        op: Op = "delete" if self.request.operation == "delete" else "update"
        items: list[_Item] = []
        bodies: list[dict[str, Any]] = []
        seen: set[uuid.UUID] = set()
        keys: dict[int, uuid.UUID] = {}
        for index, raw in enumerate(self.request.records):
            body = dict(raw)
            item = _Item(index, op)
            items.append(item)
            bodies.append(body)
            raw_id = body.pop("id", None)
            item.id = raw_id if isinstance(raw_id, str) else None
            try:
                item.expected = _version(body)
                if not isinstance(raw_id, str):
                    raise _bad("body.id", "The id of the record to change.", "missing")
                try:
                    key = uuid.UUID(raw_id)
                except ValueError:
                    raise NotFound(f"No {schema.definition.label.lower()} with id '{raw_id[:40]}'.") from None
                if key in seen:
                    raise DuplicateInBatch(
                        "This id appears earlier in the batch.",
                        errors=[FieldError(path="body.id", message="Repeated.", type="duplicate_in_batch")],
                    )
                seen.add(key)
                keys[index] = key
                if op == "delete" and body:
                    raise _bad(
                        f"body.{sorted(body)[0][:64]}", "A delete takes only id and version.", "unknown_field"
                    )
            except KronosError as exc:
                item.error = exc
        found = await self._load(schema, set(keys.values()))
        for index, key in keys.items():
            item = items[index]
            if item.error is not None:
                continue
            record = found.get(key)
            if record is None:
                item.error = NotFound(f"No {schema.definition.label.lower()} with id '{key}'.")
                continue
            item.record = record
            if op == "update":
                try:
                    item.changes = self.service.validate_input(schema, bodies[index], "update")
                except KronosError as exc:
                    item.error = exc
        return items

    async def _load(self, schema: ObjectSchema, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
        if not ids:
            return {}
        model = schema.model
        rows = await self.session.scalars(
            select(model).where(
                *schema.definition.scope(self.service.tenant_id),
                model.deleted_at.is_(None),
                self.service.visibility(schema),
                model.id.in_(ids),
            )
        )
        return {row.id: row for row in rows}

    def _match_spec(self, schema: ObjectSchema) -> FieldSpec:
        name = self.request.match_on
        if name is None:
            raise _bad("body.match_on", "An upsert needs the unique field to match records on.", "missing")
        spec = schema.fields.get(name)
        hidden = (
            spec is not None
            and self.service.principal.permissions.field_access(schema.name, name) == "hidden"
        )
        if spec is None or hidden or spec.system:
            raise _bad("body.match_on", f"Unknown field '{name[:64]}'.", "unknown_field")
        if not spec.unique or spec.is_list or spec.type not in _MATCHABLE:
            raise _bad(
                "body.match_on",
                f"'{name}' is not a unique single-value field; an upsert matches on one "
                f"(unique fields of {schema.name}: {', '.join(self.unique_fields(schema)) or 'none'}).",
                "not_unique",
            )
        return spec

    @staticmethod
    def unique_fields(schema: ObjectSchema) -> list[str]:
        return sorted(
            spec.name
            for spec in schema.fields.values()
            if spec.unique and not spec.is_list and spec.type in _MATCHABLE
        )

    async def _plan_upsert(self, schema: ObjectSchema) -> list[_Item]:
        spec = self._match_spec(schema)
        items: list[_Item] = []
        bodies: list[dict[str, Any]] = []
        values: dict[int, Any] = {}
        first_with: dict[Any, int] = {}
        for index, raw in enumerate(self.request.records):
            body = dict(raw)
            item = _Item(index)
            items.append(item)
            bodies.append(body)
            try:
                item.expected = _version(body)
                try:
                    value = spec.validate(body.get(spec.name))
                except FieldInvalid as exc:
                    raise _bad(f"body.{spec.name}", exc.message, exc.type) from None
                if value is None:
                    raise _bad(f"body.{spec.name}", "The value to match on is required.", "missing")
                if value in first_with:
                    raise DuplicateInBatch(
                        f"Record {first_with[value]} of this batch has the same {spec.name}.",
                        errors=[
                            FieldError(
                                path=f"body.{spec.name}",
                                message="Repeated in the batch.",
                                type="duplicate_in_batch",
                            )
                        ],
                    )
                first_with[value] = index
                values[index] = value
            except KronosError as exc:
                item.error = exc
        matches = await self._matches(schema, spec, set(values.values()))
        for index, value in values.items():
            item, body = items[index], bodies[index]
            record = matches.get(value)
            try:
                if record is None:
                    if item.expected is not None:
                        raise PreconditionFailed(
                            f"No record has this {spec.name}, so version {item.expected} cannot match.",
                        )
                    item.changes = self.service.validate_input(schema, body, "create")
                else:
                    item.op, item.record, item.id = "update", record, str(record.id)
                    item.changes = self.service.validate_input(schema, body, "update")
            except KronosError as exc:
                item.error = exc
        return items

    async def _matches(self, schema: ObjectSchema, spec: FieldSpec, values: set[Any]) -> dict[Any, Any]:
        """Live records the caller can see whose ``spec`` value is one of ``values``: one query."""
        if not values:
            return {}
        model = schema.model
        compiler = QueryCompiler(schema, set(schema.fields), self.service.dialect)
        column = compiler.column(spec)
        rows = await self.session.scalars(
            select(model).where(
                *schema.definition.scope(self.service.tenant_id),
                model.deleted_at.is_(None),
                self.service.visibility(schema),
                column.in_([compiler.bind(spec, value) for value in values]),
            )
        )
        return {read_value(spec, row): row for row in rows}
