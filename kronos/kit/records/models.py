"""Tables of the record engine: the mixin every record table uses, custom field definitions, field history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
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
