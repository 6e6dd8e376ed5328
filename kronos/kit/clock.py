"""The one place that reads the wall clock, so every timestamp is UTC with microseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
