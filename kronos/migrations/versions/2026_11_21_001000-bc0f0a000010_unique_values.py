"""unique values: a side table holding the values of unique fields, under a real unique index

Revision ID: bc0f0a000010
Revises: ab9e0a000009
Create Date: 2026-11-21

Creates ``unique_values`` (see ``kronos.kit.records.models.UniqueValue``) and fills it from the live records
of every unique field: company domains, contact e-mails (unique from this revision on) and custom fields
flagged unique. Existing data may already hold duplicates (contact e-mails were never unique before): the
oldest record keeps the value, the others are logged — record ids, never the values — and the upgrade goes
on; those records keep their data, and a later write of that value to them answers 409 until it is fixed.
"""

import logging
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

from kronos.kit.records.fields import FieldType
from kronos.kit.records.unique import normalize
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "bc0f0a000010"
down_revision: str | None = "ab9e0a000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_log = logging.getLogger("kronos.migrations")
_CHUNK = 1000
# Objects whose records have a table of their own (as of this revision); any other object is a custom one.
_STANDARD_TABLES = {"companies", "contacts", "leads", "pipelines", "stages", "deals", "activities"}
# (object, column, type, lower-cased, holds a list): the standard fields unique as of this revision.
_STANDARD_UNIQUE = (
    ("companies", "domain", FieldType.TEXT, True, False),
    ("contacts", "emails", FieldType.EMAIL, True, True),
)

_unique_values = sa.table(
    "unique_values",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("object", sa.String()),
    sa.column("field", sa.String()),
    sa.column("value_key", sa.String()),
    sa.column("record_id", sa.Uuid()),
)


def upgrade() -> None:
    op.create_table(
        "unique_values",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value_key", sa.String(length=255), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["workspaces.id"], name="fk_unique_values_tenant_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "object", "field", "value_key", name="pk_unique_values"),
    )
    op.create_index("ix_unique_values_record", "unique_values", ["tenant_id", "object", "record_id"])
    enable_tenant_rls(op, "unique_values")
    connection = op.get_bind()
    for object_name, column, type, lowercase, many in _STANDARD_UNIQUE:
        _backfill(connection, object_name, column, type, lowercase, many=many, custom=False)
    for object_name, api_name, type_name in _custom_unique_fields(connection):
        _backfill(connection, object_name, api_name, FieldType(type_name), False, many=False, custom=True)


def downgrade() -> None:
    disable_tenant_rls(op, "unique_values")
    op.drop_index("ix_unique_values_record", table_name="unique_values")
    op.drop_table("unique_values")


def _custom_unique_fields(connection: sa.Connection) -> list[tuple[str, str, str]]:
    definitions = sa.table(
        "field_definitions",
        sa.column("object", sa.String()),
        sa.column("api_name", sa.String()),
        sa.column("type", sa.String()),
        sa.column("unique", sa.Boolean()),
        sa.column("deleted_at", sa.DateTime()),
    )
    rows = connection.execute(
        sa.select(definitions.c.object, definitions.c.api_name, definitions.c.type)
        .where(definitions.c.unique.is_(True), definitions.c.deleted_at.is_(None))
        .distinct()
        .order_by(definitions.c.object, definitions.c.api_name)
    )
    return [(str(o), str(n), str(t)) for o, n, t in rows]


def _source(object_name: str, column: str, custom: bool) -> tuple[sa.TableClause, Any, list[Any]]:
    """The record table of ``object_name``, the column holding the field, and the rows to read."""
    table_name = object_name if object_name in _STANDARD_TABLES else "custom_records"
    holder = "custom" if custom else column
    table = sa.table(
        table_name,
        sa.column("tenant_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("object", sa.String()),
        sa.column(holder, sa.JSON() if custom or column == "emails" else sa.String()),
        sa.column("created_at", sa.DateTime()),
        sa.column("deleted_at", sa.DateTime()),
    )
    where: list[sa.ColumnElement[bool]] = [table.c.deleted_at.is_(None), table.c[holder].is_not(None)]
    if table_name == "custom_records":
        where.append(table.c.object == object_name)
    return table, table.c[holder], where


def _claims(
    connection: sa.Connection,
    object_name: str,
    column: str,
    type: FieldType,
    lowercase: bool,
    *,
    many: bool,
    custom: bool,
) -> Iterator[dict[str, Any]]:
    """Every (record, key) claim of one field, oldest record first, streamed."""
    table, holder, where = _source(object_name, column, custom)
    # Per statement: Connection.execution_options would stream every later statement too (alembic's own).
    rows = connection.execute(
        sa.select(table.c.tenant_id, table.c.id, holder)
        .where(*where)
        .order_by(table.c.created_at, table.c.id),
        execution_options={"stream_results": True, "yield_per": _CHUNK},
    )
    for tenant_id, record_id, raw in rows:
        value = (raw or {}).get(column) if custom else raw
        if value is None:
            continue
        keys = dict.fromkeys(
            normalize(type, lowercase, item) for item in (value if many else [value]) if item is not None
        )
        for key in keys:
            yield {"tenant_id": tenant_id, "object": object_name, "field": column, "value_key": key,
                   "record_id": record_id}  # fmt: skip


def _backfill(
    connection: sa.Connection,
    object_name: str,
    column: str,
    type: FieldType,
    lowercase: bool,
    *,
    many: bool,
    custom: bool,
) -> None:
    skipped = 0
    chunk: list[dict[str, Any]] = []
    for claim in _claims(connection, object_name, column, type, lowercase, many=many, custom=custom):
        chunk.append(claim)
        if len(chunk) >= _CHUNK:
            skipped += _insert(connection, chunk)
            chunk = []
    if chunk:
        skipped += _insert(connection, chunk)
    if skipped:
        _log.warning(
            "unique_values: %d value(s) of %s.%s were held by more than one live record; the oldest record "
            "keeps each, the others are listed above",
            skipped,
            object_name,
            column,
        )


def _insert(connection: sa.Connection, chunk: list[dict[str, Any]]) -> int:
    """Insert a chunk, first claim wins (earlier chunks and rows come from older records); log the rest."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    inserted = {
        (row.tenant_id, row.field, row.value_key, row.record_id)
        for row in connection.execute(
            insert(_unique_values)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["tenant_id", "object", "field", "value_key"])
            .returning(
                _unique_values.c.tenant_id,
                _unique_values.c.field,
                _unique_values.c.value_key,
                _unique_values.c.record_id,
            )
        )
    }
    lost = [c for c in chunk if (c["tenant_id"], c["field"], c["value_key"], c["record_id"]) not in inserted]
    for claim in lost:
        _log.warning(
            "unique_values: %s %s in workspace %s shares its %s with an older record; not claimed",
            claim["object"],
            _uuid(claim["record_id"]),
            _uuid(claim["tenant_id"]),
            claim["field"],
        )
    return len(lost)


def _uuid(value: Any) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
