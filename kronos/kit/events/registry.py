"""Events as consumers see them, and the registry of consumers.

A module declares what it reacts to in its ``tasks.py``::

    @consumer("timeline", events=["deal.*", "contact.created"])
    async def add_to_timeline(ctx: ConsumerContext, event: Event) -> None:
        contact = await ctx.session.get(Contact, (event.tenant_id, uuid.UUID(event.payload["id"])))

Patterns follow AMQP topic rules on both buses, so a pattern means the same embedded and with RabbitMQ:
words are separated by dots, ``*`` stands for exactly one word and ``#`` for any number of words.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from kronos.kit.db import WriteSession

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
CONSUMER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_PATTERN_WORD = re.compile(r"^([a-z][a-z0-9_]*|\*|#)$")


@dataclass(frozen=True, slots=True)
class Event:
    """One outbox row as it travels: ``id`` is the outbox id, the key consumers deduplicate on."""

    id: uuid.UUID
    name: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    occurred_at: datetime

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "id": str(self.id),
                "name": self.name,
                "tenant_id": str(self.tenant_id) if self.tenant_id else None,
                "payload": self.payload,
                "occurred_at": self.occurred_at.isoformat(),
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, body: bytes) -> Event:
        data = json.loads(body)
        return cls(
            id=uuid.UUID(data["id"]),
            name=data["name"],
            tenant_id=uuid.UUID(data["tenant_id"]) if data.get("tenant_id") else None,
            payload=data["payload"],
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
        )


@dataclass(slots=True)
class ConsumerContext:
    """What a handler gets besides the event: its own write session (its own transaction, committed by the
    framework together with the receipt that makes a redelivery a no-op)."""

    session: WriteSession
    consumer: str
    attempt: int
    redelivered: bool
    log: structlog.stdlib.BoundLogger


Handler = Callable[[ConsumerContext, Event], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str
    patterns: tuple[str, ...]
    handler: Handler

    def wants(self, event_name: str) -> bool:
        return any(topic_matches(pattern, event_name) for pattern in self.patterns)


def topic_matches(pattern: str, name: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more words."""

    def match(p: Sequence[str], n: Sequence[str]) -> bool:
        if not p:
            return not n
        if p[0] == "#":
            return any(match(p[1:], n[i:]) for i in range(len(n) + 1))
        if not n:
            return False
        return (p[0] == "*" or p[0] == n[0]) and match(p[1:], n[1:])

    return match(pattern.split("."), name.split("."))


def _check_pattern(pattern: str) -> str:
    if not all(_PATTERN_WORD.match(word) for word in pattern.split(".")):
        raise ValueError(f"bad event pattern {pattern!r}: use words, '*' (one word) or '#' (any words)")
    return pattern


@dataclass
class Registry:
    """The consumers one process runs. Modules use the default one; tests build their own."""

    consumers: dict[str, Consumer] = field(default_factory=dict)

    def consumer(self, name: str, *, events: Iterable[str]) -> Callable[[Handler], Handler]:
        if not CONSUMER_NAME.match(name):
            raise ValueError(f"bad consumer name {name!r}: lowercase letters, digits and '_'")
        patterns = tuple(_check_pattern(p) for p in events)
        if not patterns:
            raise ValueError(f"consumer {name!r} listens to no events")

        def register(handler: Handler) -> Handler:
            existing = self.consumers.get(name)
            # Re-importing a module re-registers the same function; a second function under one name would
            # share the first one's queue and receipts, which is never what was meant.
            if existing is not None and existing.handler.__qualname__ != handler.__qualname__:
                raise ValueError(f"consumer {name!r} is already registered by {existing.handler!r}")
            self.consumers[name] = Consumer(name, patterns, handler)
            return handler

        return register

    def get(self, name: str) -> Consumer | None:
        return self.consumers.get(name)

    def __iter__(self) -> Iterator[Consumer]:
        return iter(list(self.consumers.values()))

    def __len__(self) -> int:
        return len(self.consumers)

    def matching(self, event_name: str) -> list[Consumer]:
        return [c for c in self.consumers.values() if c.wants(event_name)]


default_registry = Registry()
consumer = default_registry.consumer


# Jobs of the machinery itself, imported with the modules' (the record engine converting sensitive values).
KIT_TASKS = ("kronos.kit.records.tasks",)


def discover(package: str = "kronos.modules") -> None:
    """Import every ``<package>.<module>.tasks`` so its ``@consumer`` declarations register, and
    ``KIT_TASKS``."""
    for name in KIT_TASKS:
        importlib.import_module(name)
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        name = f"{package}.{info.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
