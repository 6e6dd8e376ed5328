"""The one import point for every ORM model: Alembic's autogenerate and relationship resolution use it."""

from kronos.kit.events.models import ConsumerReceipt, DeadLetter, OutboxEvent
from kronos.kit.models import Base
from kronos.modules.identity.models import Membership, User, Workspace

__all__ = ["Base", "ConsumerReceipt", "DeadLetter", "Membership", "OutboxEvent", "User", "Workspace"]
