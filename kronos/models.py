"""The one import point for every ORM model: Alembic's autogenerate and relationship resolution use it."""

from kronos.kit.events.models import ConsumerReceipt, DeadLetter, OutboxEvent
from kronos.kit.models import Base
from kronos.kit.records.idempotency import IdempotencyKey
from kronos.kit.records.models import (
    CustomObject,
    CustomRecord,
    FieldDefinition,
    FieldHistory,
    FieldStint,
    SchemaVersion,
    UniqueValue,
)
from kronos.kit.records.views_models import SavedView, SavedViewDefault
from kronos.modules.access.models import ApiKey, AuditEvent, Role, Team, TeamMember
from kronos.modules.crm.models import Activity, Company, Contact, Deal, Lead, Pipeline, Stage
from kronos.modules.identity.models import (
    AuthSession,
    Invitation,
    Membership,
    PasswordResetToken,
    RecoveryCode,
    RefreshToken,
    User,
    Workspace,
)

__all__ = [
    "Activity",
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Company",
    "ConsumerReceipt",
    "Contact",
    "CustomObject",
    "CustomRecord",
    "DeadLetter",
    "Deal",
    "FieldDefinition",
    "FieldHistory",
    "FieldStint",
    "IdempotencyKey",
    "Invitation",
    "Lead",
    "Membership",
    "OutboxEvent",
    "PasswordResetToken",
    "Pipeline",
    "RecoveryCode",
    "RefreshToken",
    "Role",
    "SavedView",
    "SavedViewDefault",
    "SchemaVersion",
    "Stage",
    "Team",
    "TeamMember",
    "UniqueValue",
    "User",
    "Workspace",
]
