"""Batch create / update / upsert / delete of up to 1,000 records of one object in one request.

Every record goes through the one write path (``write_record``): the same validation, permissions,
history rows, outbox event and If-Match (a per-record ``version``) as a single write. What a batch adds is
doing the reads once: the schema is loaded once, the records an update or delete names are loaded in one
query, an upsert finds its matches in one query: the match field's normalized values looked up in
``unique_values`` (an index, whatever the field: a column, a custom field or a list such as contact
e-mails), joined to the records the caller may see, and the records the batch's relations point at are
looked up in one query per target object (``write.prefetch_relations``), not one per record.

Two modes:

- ``all_or_nothing`` (default): every record is checked first (values, ids, duplicates, match values, and
  its related records: one query per target object for the whole batch); any error answers 422 with every
  record's errors and writes nothing. Then every record goes through the write path with its unique-value
  claims and its flush deferred, inside a savepoint: one statement claims the whole batch's values (a value
  taken answers 422 naming each record that lost one) and one flush writes the rows, their history and
  events. If the database refuses that flush (a version that moved on, a related record purged meanwhile, a
  value a unique index holds), the savepoint undoes the batch and each record is written again alone to find
  which ones fail and why; the 422 names them, and the transaction rolls back.
- ``per_record``: each record is written inside its own savepoint, so a failure undoes only that record;
  the answer is 200 with one result per record, in order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from kronos.kit.auth import Action
from kronos.kit.errors import (
    FieldError,
    KronosError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ValidationFailed,
)
from kronos.kit.records import unique
from kronos.kit.records.fields import FieldInvalid, FieldSpec
from kronos.kit.records.models import UniqueValue
from kronos.kit.records.objects import ObjectSchema
from kronos.kit.records.service import RecordService, actor_of
from kronos.kit.records.unique import DuplicateValue, claims_of
from kronos.kit.records.write import (
    Op,
    WriteResult,
    discard_deferred_history,
    for_update,
    forget_relations,
    insert_deferred_history,
    prefetch_relations,
    read_value,
    relation_error,
    write_record,
)

MAX_RECORDS = 1000
Operation = Literal["create", "update", "upsert", "delete"]
# Keys per lookup query: 1,000 records with a handful of e-mails each stay one query, and a batch of
# records with 100 e-mails each stays under the drivers' bind-parameter limits.
_KEYS_PER_QUERY = 5000
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
        description="upsert only: a unique field of the object (e.g. companies.domain, contacts.emails, or a "
        "custom unique field such as an external id); records whose value matches are updated, the others "
        "created. On a list field (contacts.emails) a record matches the one holding any of its values; "
        "values held by two different records are a 409 for that record.",
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


class _Refused(Exception):
    """The database refused a deferred batch at its final flush; ``BatchWriter._replay`` finds out why."""


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
        self.resolve = service.registry.resolver(
            service.session, service.tenant_id, service.principal.schema_version
        )

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
        shown = self.service.readable(schema)
        try:
            await self._prefetch_relations(items)
            if request.mode == "all_or_nothing":
                return await self._all_or_nothing(items, shown)
            return BatchResult(results=await self._each(items, shown))
        finally:
            forget_relations(self.session)

    async def _each(self, items: list[_Item], shown: set[str]) -> list[BatchItem]:
        """Each record through the single-record write path in its own savepoint: a failure undoes only that
        record. One result per record, in order."""
        results: list[BatchItem] = []
        for item in items:
            if item.error is None:
                try:
                    async with self.session.begin_nested():
                        record = (await self._write(item, deferred=False)).record
                        # Serialised now: a later record's savepoint rollback must not expire its attributes.
                        results.append(self._result(item, record, shown))
                    continue
                except KronosError as exc:
                    item.error = exc
            assert item.error is not None
            results.append(
                BatchItem(
                    index=item.index, status=item.error.status_code, id=item.id, error=_error_body(item.error)
                )
            )
        return results

    async def _all_or_nothing(self, items: list[_Item], shown: set[str]) -> BatchResult:
        """Every record through the write path with its unique claims, flush and history rows deferred, then
        one claim statement, one flush and one history INSERT for the batch: a few round trips per batch, not
        a few per record (UPDATEs stay one per row: each checks its version). The first error fails the
        batch, which rolls back; so does a flush the database refuses, once ``_replay`` has named the
        records it refuses."""
        await self._relation_errors(items)
        if any(item.error for item in items):
            raise self._failed(items)
        # The records as this batch read them: what a replay holds the ones it changes to.
        read = {
            item.index: (item.record.id, item.record.version) for item in items if item.record is not None
        }
        written: list[tuple[_Item, WriteResult]] = []
        refused = False
        try:
            # A savepoint, so that a refused flush can be undone and the batch replayed in this transaction.
            async with self.session.begin_nested():
                for item in items:
                    try:
                        written.append((item, await self._write(item, deferred=True)))
                    except KronosError as exc:
                        item.error = exc
                        raise self._failed(items) from None
                clashes = await unique.claim_pending(self.session, self.service.dialect, self.service)
                if clashes:
                    for item, result in written:
                        item.error = clashes.get(result.record.id)
                    raise self._failed(items)
                await self._flush()
        except _Refused:
            refused = True
        finally:
            unique.discard_pending(self.session)
            discard_deferred_history(self.session)
        if refused:
            # An update that changed nothing wrote nothing, so nothing held it to its version.
            held = {item.index for item, result in written if result.changed}
            return await self._replay(items, read, held, shown)
        return BatchResult(results=[self._result(item, result.record, shown) for item, result in written])

    async def _flush(self) -> None:
        """The whole batch's rows and events, then its history rows."""
        try:
            await self.session.flush()
            await insert_deferred_history(self.session)
        except (StaleDataError, IntegrityError) as exc:
            # What only the database saw at the flush (a version that moved on, a related record purged, a
            # value a unique index holds) names no record here: ``_replay`` finds which.
            raise _Refused from exc

    async def _replay(
        self,
        items: list[_Item],
        read: dict[int, tuple[uuid.UUID, int]],
        held: set[int],
        shown: set[str],
    ) -> BatchResult:
        """After the database refused the batch's flush and the savepoint undid the batch: write each record
        again alone, through the single-record path in its own savepoint (``_each``), against the database as
        it is now, to name the records it refuses and why, each with the error a single write of it answers.
        A record the batch changed is held to the version the batch read (``held``): 412 ``version_mismatch``
        if it moved on, as the flush found, 404 if the record is gone; a related record that went away is a
        422 ``relation_not_found``, a value a unique index holds a 409 ``duplicate_value``. Any failure fails
        the batch (the transaction rolls back, nothing is written); if none fails now (what clashed went away
        meanwhile), every record has just been written, and that is the batch's result. A rare path: it costs
        a few statements a record."""
        # The rollback expired the records the batch changed: read them again, as they are now, in one query.
        found = await self._load(self.schema, {key for key, _ in read.values()})
        label = self.schema.definition.label.lower()
        for item in items:
            if item.index not in read:
                continue
            key, version = read[item.index]
            item.record = found.get(key)
            if item.index in held:
                item.expected = version
            if item.record is None:
                item.error = NotFound(f"No {label} with id '{key}'.")
        forget_relations(self.session)  # a related record may be what went away
        await self._prefetch_relations(items)
        results = await self._each(items, shown)
        if any(item.error for item in items):
            raise self._failed(items)
        return BatchResult(results=results)

    async def _prefetch_relations(self, items: list[_Item]) -> None:
        """The batch's related records looked up in one query per target object; the write path's relation
        check of each record then asks no query (``write.prefetch_relations``)."""
        await prefetch_relations(
            self.session,
            self.schema,
            self.service.tenant_id,
            [item.changes for item in items if item.error is None],
            self.resolve,
            viewer=self.service,
        )

    async def _relation_errors(self, items: list[_Item]) -> None:
        """Each record whose related records do not all exist gets the 422 its write would answer, from the
        prefetched lookups (no query), so that a failed batch names every such record, not only the first.
        An update is asked only about values it changes: one that changes nothing writes nothing, so its
        write checks nothing either."""
        for item in items:
            if item.error is not None or not item.changes:
                continue
            changes, before = item.changes, None
            if item.op == "update":
                fields = self.schema.fields
                before = {name: read_value(fields[name], item.record) for name in changes}
                changes = {name: value for name, value in changes.items() if value != before[name]}
            item.error = await relation_error(
                self.session,
                self.schema,
                self.service.tenant_id,
                changes,
                self.resolve,
                viewer=self.service,
                before=before,
            )

    async def _write(self, item: _Item, *, deferred: bool) -> WriteResult:
        service = self.service
        return await write_record(
            self.session,
            self.schema,
            service.tenant_id,
            op=item.op,
            actor=actor_of(service.principal),
            record=item.record,
            changes=item.changes,
            expected_version=item.expected,
            resolve=self.resolve,
            dialect=service.dialect,
            deferred=deferred,
            viewer=service,
        )

    def _result(self, item: _Item, record: Any, shown: set[str]) -> BatchItem:
        if item.op == "delete":
            return BatchItem(index=item.index, status=204, id=str(record.id))
        body = self.service.serialize(self.schema, record, shown)
        return BatchItem(index=item.index, status=_STATUS[item.op], id=str(record.id), record=body)

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
            try:
                self.service.require_editable(schema, record)  # seen is not always changeable
                if op == "update":
                    item.changes = self.service.validate_input(schema, bodies[index], "update")
            except KronosError as exc:
                item.error = exc
        return items

    async def _load(self, schema: ObjectSchema, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Live records the caller can see, by id, locked for the batch's writes (in id order: two batches
        never wait for each other in a cycle) and read as they are now, over what the session holds."""
        if not ids:
            return {}
        model = schema.model
        statement = select(model).where(
            *schema.definition.scope(self.service.tenant_id),
            model.deleted_at.is_(None),
            self.service.visibility(schema),
            model.id.in_(ids),
        )
        statement = for_update(statement.order_by(model.id), self.service.dialect)
        rows = await self.session.scalars(statement)
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
        if not spec.unique:
            raise _bad(
                "body.match_on",
                f"'{name}' is not a unique field; an upsert matches on one "
                f"(unique fields of {schema.name}: {', '.join(self.unique_fields(schema)) or 'none'}).",
                "not_unique",
            )
        return spec

    @staticmethod
    def unique_fields(schema: ObjectSchema) -> list[str]:
        return sorted(spec.name for spec in schema.fields.values() if spec.unique and not spec.system)

    async def _plan_upsert(self, schema: ObjectSchema) -> list[_Item]:
        spec = self._match_spec(schema)
        items: list[_Item] = []
        bodies: list[dict[str, Any]] = []
        keys: dict[int, list[str]] = {}
        first_with: dict[str, int] = {}
        for index, raw in enumerate(self.request.records):
            body = dict(raw)
            item = _Item(index)
            items.append(item)
            bodies.append(body)
            try:
                item.expected = _version(body)
                keys[index] = self._match_keys(spec, body, first_with)
                for key in keys[index]:
                    first_with[key] = index
            except KronosError as exc:
                item.error = exc
        matches = await self._matches(schema, spec, {key for found in keys.values() for key in found})
        for index, found in keys.items():
            item, body = items[index], bodies[index]
            try:
                record = self._one_match(spec, [matches[key] for key in found if key in matches])
                if record is None:
                    if item.expected is not None:
                        raise PreconditionFailed(
                            f"No record has this {spec.name}, so version {item.expected} cannot match.",
                        )
                    item.changes = self.service.validate_input(schema, body, "create")
                else:
                    item.op, item.record, item.id = "update", record, str(record.id)
                    self.service.require_editable(schema, record)
                    item.changes = self.service.validate_input(schema, body, "update")
            except KronosError as exc:
                item.error = exc
        return items

    @staticmethod
    def _match_keys(spec: FieldSpec, body: dict[str, Any], first_with: dict[str, int]) -> list[str]:
        """The normalized keys a record matches by (one per item of a list); 422 if it has none or shares
        one with an earlier record of the batch."""
        try:
            value = spec.validate(body.get(spec.name))
        except FieldInvalid as exc:
            raise _bad(f"body.{spec.name}", exc.message, exc.type) from None
        found = [claim.key for claim in claims_of(spec, value)]
        if not found:
            raise _bad(f"body.{spec.name}", "The value to match on is required.", "missing")
        repeated = next((key for key in found if key in first_with), None)
        if repeated is not None:
            raise DuplicateInBatch(
                f"Record {first_with[repeated]} of this batch has the same {spec.name}.",
                errors=[
                    FieldError(
                        path=f"body.{spec.name}", message="Repeated in the batch.", type="duplicate_in_batch"
                    )
                ],
            )
        return found

    @staticmethod
    def _one_match(spec: FieldSpec, records: list[Any]) -> Any:
        """The record a batch record updates, if any; a list value spread over two records is a 409."""
        distinct = {record.id: record for record in records}
        if len(distinct) > 1:
            raise DuplicateValue(
                f"These {spec.label.lower()} belong to {len(distinct)} different records; "
                "upsert them one record at a time.",
                errors=[
                    FieldError(path=f"body.{spec.name}", message="Matches several records.", type="ambiguous")
                ],
                extra={"existing_ids": sorted(str(key) for key in distinct), "field": spec.name},
            )
        return next(iter(distinct.values()), None)

    async def _matches(self, schema: ObjectSchema, spec: FieldSpec, keys: set[str]) -> dict[str, Any]:
        """Normalized key -> the live record the caller can see that holds it, through ``unique_values``:
        one indexed query for the whole batch (one per 5,000 keys)."""
        model, ordered = schema.model, sorted(keys)
        found: dict[str, Any] = {}
        for start in range(0, len(ordered), _KEYS_PER_QUERY):
            statement = (
                select(model, UniqueValue.value_key)
                .join(
                    UniqueValue,
                    and_(UniqueValue.tenant_id == model.tenant_id, UniqueValue.record_id == model.id),
                )
                .where(
                    UniqueValue.tenant_id == self.service.tenant_id,
                    UniqueValue.object == schema.name,
                    UniqueValue.field == spec.name,
                    UniqueValue.value_key.in_(ordered[start : start + _KEYS_PER_QUERY]),
                    *schema.definition.scope(self.service.tenant_id),
                    model.deleted_at.is_(None),
                    self.service.visibility(schema),
                )
                .order_by(model.id)
            )
            # The matched records are about to be updated: locked, like the records an update names.
            rows = await self.session.execute(for_update(statement, self.service.dialect, of=model))
            found.update({key: record for record, key in rows.all()})
        return found
