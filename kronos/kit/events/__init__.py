"""Events: written to the outbox inside the writing transaction, relayed to the bus after commit.

Modules need only ``emit`` (in a service, inside the request's transaction) and ``consumer`` (in the
module's ``tasks.py``); the runtime, relay and buses are wired by the app and the worker.
"""

from kronos.kit.events.outbox import emit
from kronos.kit.events.registry import ConsumerContext, Event, Registry, consumer, default_registry

__all__ = ["ConsumerContext", "Event", "Registry", "consumer", "default_registry", "emit"]
