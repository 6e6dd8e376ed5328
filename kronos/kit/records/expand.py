"""``?expand=``: related records one level deep, under the same permissions as reading them directly.

For each relation field named, the related records of the whole page are loaded in one query (no N+1), through
the target object's own rules: the caller must be able to read that object (else 403 naming the field),
record visibility applies (a related record the caller may not see expands to ``null``, exactly as if it did
not exist), and hidden fields of the target are left out. Results go under ``_expanded`` — a key no field can
have, since field names start with a letter — so the record's own values never change shape.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kronos.kit.errors import FieldError, Forbidden, ValidationFailed
from kronos.kit.records.fields import FieldSpec, FieldType
from kronos.kit.records.objects import ObjectSchema

if TYPE_CHECKING:
    from kronos.kit.records.service import RecordService

EXPANDED = "_expanded"
MAX_EXPAND = 10


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"query.expand: {message}",
        errors=[FieldError(path="query.expand", message=message, type="invalid_expand")],
    )


def parse(schema: ObjectSchema, readable: set[str], raw: str | None) -> list[FieldSpec]:
    """The relation fields ``raw`` names, checked against what the caller can read."""
    if not raw:
        return []
    names = list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    if len(names) > MAX_EXPAND:
        raise _bad(names[0], f"At most {MAX_EXPAND} fields can be expanded at once.")
    specs = []
    for name in names:
        spec = schema.fields.get(name)
        if spec is None or name not in readable:
            raise _bad(name, f"Unknown field '{name[:64]}'.")
        if spec.type != FieldType.RELATION:
            raise _bad(name, f"'{name}' is not a relation field; only relations expand.")
        specs.append(spec)
    return specs


async def expand(service: RecordService, specs: list[FieldSpec], items: list[dict[str, Any]]) -> None:
    """Add ``_expanded`` to every item of ``items`` (serialized records that include the ``specs`` fields)."""
    if not specs:
        return
    for item in items:
        item[EXPANDED] = {}
    for spec in specs:
        target_name = str(spec.settings["target"])
        if not service.principal.permissions.can(target_name, "read"):
            raise Forbidden(
                f"Your role cannot read {target_name}, so '{spec.name}' cannot be expanded.",
                errors=[
                    FieldError(path="query.expand", message=f"Cannot read {target_name}.", type="forbidden")
                ],
            )
        wanted: set[uuid.UUID] = set()
        for item in items:
            value = item.get(spec.name)
            for raw in value if isinstance(value, list) else [value]:
                if raw:
                    wanted.add(uuid.UUID(raw))
        found: dict[str, dict[str, Any]] = {}
        if wanted:
            target = await service.schema(target_name)
            model = target.model
            rows = await service.session.scalars(
                select(model).where(
                    *target.definition.scope(service.tenant_id),
                    model.deleted_at.is_(None),
                    service.visibility(target),
                    model.id.in_(sorted(wanted, key=str)),
                )
            )
            shown = service.readable(target)
            found = {str(row.id): service.serialize(target, row, shown) for row in rows}
        for item in items:
            value = item.get(spec.name)
            if isinstance(value, list):
                item[EXPANDED][spec.name] = [found[v] for v in value if v in found]
            else:
                item[EXPANDED][spec.name] = found.get(value) if value else None
