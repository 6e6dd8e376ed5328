"""Writing the past back: reverting a record to an instant, GDPR erasure, and importing another CRM's past
changes. ``erase`` is the one place that rewrites stored history rows (it replaces personal values with
``ERASED``); everything else here appends, through the write path or as ``import`` rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kronos.kit import clock
from kronos.kit.errors import FieldError, Forbidden, ValidationFailed
from kronos.kit.events import emit
from kronos.kit.ids import uuid7
from kronos.kit.records.fields import FieldInvalid, FieldSpec, FieldType
from kronos.kit.records.history import (
    ERASED,
    Hooks,
    find_record,
    invalid,
    parse_instant,
    reconstruct,
    rows_of,
)
from kronos.kit.records.models import FieldHistory
from kronos.kit.records.sensitive import seal
from kronos.kit.records.service import RecordService, actor_of
from kronos.kit.records.stints import is_tracked, rebuild_record
from kronos.kit.records.unique import release_record
from kronos.kit.records.write import WriteResult, assign_value, read_value

PERSONAL_TYPES = frozenset(
    {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
)
MAX_IMPORT = 1000


# -- writing the past back ----------------------------------------------------------------------------------
async def revert(
    service: RecordService,
    object_name: str,
    record_id: str,
    raw_at: str,
    fields: list[str] | None,
    expected: int | None,
) -> WriteResult:
    """Write the values the record had at ``raw_at`` back through the normal write path (permissions,
    validation, unique checks, history, events). Without ``fields``: every field the caller may change."""
    at = parse_instant(raw_at, "body.as_of")
    service.principal.require(object_name, "update")
    schema = await service.schema(object_name)
    # Held from the read the reverted values are chosen by to their write: nothing changes in between.
    record = await find_record(service, schema, record_id, live=True, lock=True)
    state = await reconstruct(service.session, schema, service.tenant_id, record.id, at, record)
    if state is None:
        raise invalid(
            "body.as_of", "The record did not exist (or was deleted) at that instant.", "not_existing"
        )
    if fields is None:
        access = service.principal.permissions.field_access
        body = {
            spec.name: state.values.get(spec.name)
            for spec in schema.writable()
            if access(schema.name, spec.name) == "write"
            and state.values.get(spec.name) != read_value(spec, record)
        }
    else:
        body = {name: state.values.get(name) for name in fields}
    return await service.update(object_name, record_id, body, replace=False, expected=expected)


def _marker(spec: FieldSpec) -> Any:
    return [ERASED] if spec.is_list else ERASED


async def erase(
    service: RecordService, hooks: Hooks, object_name: str, record_id: str, fields: list[str] | None
) -> dict[str, Any]:
    """GDPR erasure (admins): personal values become ``ERASED`` in the record and in every history row."""
    service.principal.require_admin()
    schema = await service.schema(object_name)
    record = await find_record(service, schema, record_id, live=False, lock=True)
    every = [*schema.fields.values(), *schema.archived.values()]
    if fields is None:
        specs = [s for s in every if not s.system and s.type in PERSONAL_TYPES]
    else:
        specs, errors = [], []
        for index, name in enumerate(dict.fromkeys(fields)):
            spec = schema.fields.get(name) or schema.archived.get(name)
            path = f"body.fields.{index}"
            if spec is None or spec.system:
                errors.append(
                    FieldError(path=path, message=f"Unknown field '{name[:64]}'.", type="unknown_field")
                )
            elif not spec.is_custom and spec.type not in PERSONAL_TYPES:
                errors.append(
                    FieldError(
                        path=path, message="Not a field that holds personal text.", type="not_erasable"
                    )
                )
            else:
                specs.append(spec)
        if errors:
            raise ValidationFailed("Cannot erase: " + "; ".join(e.message for e in errors), errors=errors)
    by_name = {spec.name: spec for spec in specs}
    now, actor, change_set_id = clock.utcnow(), actor_of(service.principal), uuid7()
    custom = dict(record.custom or {})
    rows = []
    for spec in specs:
        before = read_value(spec, record)
        after = None if before is None or spec.unique else _marker(spec)
        if spec.column is not None:
            assign_value(spec, record, after)
        elif after is None:
            custom.pop(spec.name, None)
        else:
            custom[spec.name] = after
        rows.append(
            FieldHistory(
                tenant_id=service.tenant_id,
                id=uuid7(),
                object=schema.name,
                record_id=record.id,
                field=spec.name,
                op="erase",
                old_value=None if before is None else _marker(spec),
                new_value=after,
                changed_at=now,
                change_set_id=change_set_id,
                actor_user_id=actor.user_id,
                actor_api_key_id=actor.api_key_id,
                source=actor.source,
            )
        )
    record.custom = custom
    record.updated_at = now
    # Erased unique fields are emptied (above): their claims in unique_values go too, personal data with them.
    await release_record(
        service.session, service.tenant_id, schema.name, record.id, [s.name for s in specs if s.unique]
    )
    # The one place stored history changes: the personal values of past rows, never when or who.
    updated = 0
    if by_name:
        past = await service.session.scalars(
            select(FieldHistory).where(
                *rows_of(schema, service.tenant_id, record.id), FieldHistory.field.in_(sorted(by_name))
            )
        )
        for row in past:
            marker = _marker(by_name[row.field])
            touched = False
            if row.old_value is not None and row.old_value != marker:
                row.old_value, touched = marker, True
            if row.new_value is not None and row.new_value != marker:
                row.new_value, touched = marker, True
            updated += touched
    service.session.add_all(rows)
    await service.session.flush()
    # Stints hold the erased values too: rebuilt from the history just rewritten, like it.
    erased = [spec.name for spec in specs if is_tracked(spec)]
    if erased:
        await rebuild_record(service.session, schema, service.tenant_id, record.id, erased)
    names = [spec.name for spec in specs]
    payload = {"object": schema.name, "id": str(record.id), "version": record.version, "fields": names}
    emit(service.session, f"{schema.definition.singular}.erased", payload, tenant_id=service.tenant_id)
    if hooks.audit is not None:
        await hooks.audit(service.session, service.principal, "record.erased", None, payload)
    return {**payload, "history_rows_updated": updated, "marker": ERASED}


@dataclass(frozen=True, slots=True)
class PastChange:
    field: str
    old_value: Any
    new_value: Any
    changed_at: str


async def import_changes(
    service: RecordService, object_name: str, record_id: str, changes: Iterable[PastChange]
) -> int:
    """Store past changes another CRM made (source ``import``, op ``import``) at their own timestamps."""
    service.principal.require(object_name, "update")
    schema = await service.schema(object_name)
    record = await find_record(service, schema, record_id, live=True, lock=True)
    access = service.principal.permissions.field_access
    now, actor = clock.utcnow(), actor_of(service.principal)
    errors: list[FieldError] = []
    denied: list[FieldError] = []
    rows: list[FieldHistory] = []
    change_sets: dict[datetime, uuid.UUID] = {}
    for index, change in enumerate(changes):
        path = f"body.changes.{index}"
        spec = schema.fields.get(change.field)
        if spec is None or spec.system or access(schema.name, change.field) == "hidden":
            errors.append(
                FieldError(
                    path=f"{path}.field",
                    message=f"Unknown field '{change.field[:64]}'.",
                    type="unknown_field",
                )
            )
            continue
        if access(schema.name, change.field) != "write":
            denied.append(
                FieldError(
                    path=f"{path}.field", message="Your role cannot change this field.", type="read_only"
                )
            )
            continue
        values = []
        for key, raw in (("old_value", change.old_value), ("new_value", change.new_value)):
            try:
                values.append(spec.validate(raw))
            except FieldInvalid as exc:
                errors.append(FieldError(path=f"{path}.{key}", message=exc.message, type=exc.type))
        try:
            at = parse_instant(change.changed_at, f"{path}.changed_at")
        except ValidationFailed as exc:
            errors.extend(exc.errors or [])
            continue
        if at > now:
            errors.append(
                FieldError(path=f"{path}.changed_at", message="Must not be in the future.", type="in_future")
            )
        if len(values) == 2 and not errors:
            if spec.sensitive:  # stored sealed, like the write path's own history rows
                values = [seal(spec.name, record.id, value) for value in values]
            rows.append(
                FieldHistory(
                    tenant_id=service.tenant_id,
                    id=uuid7(),
                    object=schema.name,
                    record_id=record.id,
                    field=spec.name,
                    op="import",
                    old_value=values[0],
                    new_value=values[1],
                    changed_at=at,
                    change_set_id=change_sets.setdefault(at, uuid7()),
                    actor_user_id=actor.user_id,
                    actor_api_key_id=actor.api_key_id,
                    source="import",
                )
            )
    if errors:
        raise ValidationFailed(
            "The changes are not valid: " + "; ".join(f"{e.path}: {e.message}" for e in errors[:5]),
            errors=errors,
        )
    if denied:
        raise Forbidden("Your role cannot change: " + ", ".join(e.path for e in denied) + ".", errors=denied)
    service.session.add_all(rows)
    await service.session.flush()
    # Past changes land between (or before) the record's stints: rebuild them all from its history (an
    # import can also move the instant the record's history starts, where an imported first value begins).
    await rebuild_record(service.session, schema, service.tenant_id, record.id)
    return len(rows)
