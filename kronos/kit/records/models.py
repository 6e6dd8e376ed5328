"""Tables of the record engine: the mixin every record table uses, custom field definitions, field history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from kronos.kit.ids import uuid7
from kronos.kit.models import Base, TenantModel

# A JSON column where Python None is SQL NULL (not JSON 'null'), so ``IS NULL`` means "no value".
NullableJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class RecordMixin:
    """What the engine needs of a record table: an optimistic-lock ``version`` and the ``custom`` JSON.

    ``version_id_col`` makes every UPDATE carry ``WHERE version = <loaded>``: two writers that both read
    version 3 cannot both win, even when If-Match was not sent (the loser gets a 412).
    """

    version: Mapped[int] = mapped_column(Integer, default=1, sort_order=80)
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict, sort_order=81)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class FieldDefinition(TenantModel):
    """A custom field of an object in one workspace. Archived fields keep their values in ``custom``."""

    __tablename__ = "field_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "object", "api_name"),)

    object: Mapped[str] = mapped_column(String(64))
    api_name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    required: Mapped[bool] = mapped_column(default=False)
    unique: Mapped[bool] = mapped_column(default=False)
    default: Mapped[Any] = mapped_column(NullableJSON, nullable=True, default=None)
    help_text: Mapped[str | None] = mapped_column(Text, default=None)
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    # Values stored encrypted, in records and history (``kronos.kit.records.sensitive``).
    sensitive: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Switched off, its values still being decrypted by a job: sensitive until that is done.
    decrypting: Mapped[bool] = mapped_column(default=False, server_default=false())


class FieldHistory(Base):
    """One changed field of one record: append-only, never pruned.

    Indexes serve the history issue's reads: a record's changes newest first and ``as_of`` reconstruction
    (tenant, object, record, changed_at desc, id desc — id breaks ties inside one microsecond), and
    time-in-state reports over one field (tenant, object, field, changed_at).
    """

    __tablename__ = "field_history"
    __table_args__ = (
        Index(
            "ix_field_history_record",
            "tenant_id",
            "object",
            "record_id",
            text("changed_at DESC"),
            text("id DESC"),
        ),
        Index("ix_field_history_field", "tenant_id", "object", "field", "changed_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    object: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[Any] = mapped_column(NullableJSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(NullableJSON, nullable=True)
    changed_at: Mapped[datetime]
    change_set_id: Mapped[uuid.UUID]
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    source: Mapped[str] = mapped_column(String(16))


class FieldStint(Base):
    """One stretch of time a record's single-valued select, relation or user field held one value.

    Derived from ``field_history`` and kept in step with it in the same transaction
    (``kronos.kit.records.stints``): a create opens a stint per non-empty tracked field, a change closes the
    current one and opens the next, a delete closes them, a restore reopens them; imports and erasures
    rebuild the record's stints from its history. ``left_at`` is null while the value is current.
    ``value`` is the value's text (an option value or an id). Time-in-state and funnel reports read this
    table instead of windowing the whole history: ``ix_field_stints_field`` finds one field's stints by
    date (on PostgreSQL it carries the columns the reports read, for index-only scans);
    ``ix_field_stints_record`` serves the write path and a record's durations.
    """

    __tablename__ = "field_stints"
    __table_args__ = (
        Index(
            "ix_field_stints_field",
            "tenant_id",
            "object",
            "field",
            "entered_at",
            postgresql_include=["left_at", "record_id", "value"],
        ),
        Index("ix_field_stints_record", "tenant_id", "object", "record_id", "field", "entered_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    object: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class CustomObject(TenantModel):
    """An object a workspace defined itself. Its records live in ``custom_records``; its fields are
    ``field_definitions`` rows with ``object = api_name``, like custom fields of a standard object."""

    __tablename__ = "custom_objects"
    __table_args__ = (UniqueConstraint("tenant_id", "api_name"),)

    api_name: Mapped[str] = mapped_column(String(64))
    singular: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    label_plural: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class CustomRecord(RecordMixin, TenantModel):
    """A record of a custom object: the shared generic table DESIGN.md describes.

    ``name`` (the title) and ``owner_id`` (record visibility) are columns so lists sort, search and scope
    on indexes; every other field is a custom field in ``custom``. ``object`` tells the objects apart, and
    every index starts with ``(tenant_id, object)`` so one object's pages never scan another's rows.
    """

    __tablename__ = "custom_records"
    __table_args__ = (
        Index("ix_custom_records_tenant_id_object_created_at", "tenant_id", "object", "created_at"),
        Index("ix_custom_records_tenant_id_object_name", "tenant_id", "object", "name"),
        Index("ix_custom_records_tenant_id_object_owner_id", "tenant_id", "object", "owner_id"),
    )

    object: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    owner_id: Mapped[uuid.UUID | None]


class SchemaVersion(Base):
    """A counter per workspace, bumped in the transaction of every change to its objects or fields.

    Authentication reads it with the caller's permissions (no extra query), and the registry caches each
    workspace's resolved schemas under it: a request never reads ``field_definitions`` unless the metadata
    changed since a request of this process last did, and no process serves a schema older than the
    version its request saw.
    """

    __tablename__ = "schema_versions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)


class UniqueValue(Base):
    """One value of a unique field held by one live record: the claim that keeps it unique in a workspace.

    The primary key (tenant, object, field, value_key) is the unique index: two records cannot claim the same
    normalized value, even in two transactions racing each other, and finding who holds a value is an
    equality lookup on plain columns, which row-level security does not slow down (unlike a jsonb ``@>``
    over the record table, which the planner will not push into an index under RLS). A list field (a
    contact's e-mails) has one row per item. Only live records hold claims: soft delete frees them.
    ``ix_unique_values_record`` finds a record's claims when it is deleted, purged or erased.
    Maintained by ``kronos.kit.records.unique`` in the write path's transaction.
    """

    __tablename__ = "unique_values"
    __table_args__ = (Index("ix_unique_values_record", "tenant_id", "object", "record_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    object: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Normalized (trimmed; e-mails and lower-cased fields case-insensitive); a long value is its SHA-256.
    value_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    record_id: Mapped[uuid.UUID]
