"""Tables of the event machinery: the transactional outbox, consumer receipts (idempotency) and the
dead-letter store an admin can inspect and replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kronos.kit.clock import utcnow
from kronos.kit.ids import uuid7
from kronos.kit.models import Base


class OutboxEvent(Base):
    """An event written in the same transaction as the change it describes; the relay publishes it."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        # The relay's scan: unpublished events in id (= time) order; published ones drop out of the index.
        Index(
            "ix_outbox_events_pending",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class ConsumerReceipt(Base):
    """Marks an event as handled by a consumer, in the consumer's own transaction: a redelivery is a no-op."""

    __tablename__ = "consumer_receipts"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadLetter(Base):
    """An event a consumer kept failing on, kept for an admin to inspect and replay."""

    __tablename__ = "dead_letters"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    consumer: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[uuid.UUID]
    event_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column(default=None)
