"""Tables of the standard CRM objects. Standard fields are typed columns; custom ones go in ``custom``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CHAR, BigInteger, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kronos.kit.models import TenantModel
from kronos.kit.records.models import NullableJSON, RecordMixin


class Company(RecordMixin, TenantModel):
    __tablename__ = "companies"
    __table_args__ = (
        # Backstop for the engine's unique check: one live company per domain in a workspace.
        Index(
            "uq_companies_tenant_id_domain",
            "tenant_id",
            "domain",
            unique=True,
            postgresql_where=text("deleted_at IS NULL AND domain IS NOT NULL"),
            sqlite_where=text("deleted_at IS NULL AND domain IS NOT NULL"),
        ),
        Index("ix_companies_tenant_id_name", "tenant_id", "name"),
        Index("ix_companies_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_companies_tenant_id_created_at", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[str | None] = mapped_column(String(64))
    address_street: Mapped[str | None] = mapped_column(String(255))
    address_city: Mapped[str | None] = mapped_column(String(255))
    address_region: Mapped[str | None] = mapped_column(String(255))
    address_postal_code: Mapped[str | None] = mapped_column(String(255))
    address_country: Mapped[str | None] = mapped_column(String(255))
    # A user of the workspace; users are global rows, so no tenant-scoped foreign key is possible here.
    owner_id: Mapped[uuid.UUID | None]


class Contact(RecordMixin, TenantModel):
    __tablename__ = "contacts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "company_id"],
            ["companies.tenant_id", "companies.id"],
            name="fk_contacts_tenant_id_company_id_companies",
        ),
        Index("ix_contacts_tenant_id_last_name", "tenant_id", "last_name"),
        Index("ix_contacts_tenant_id_company_id", "tenant_id", "company_id"),
        Index("ix_contacts_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_contacts_tenant_id_created_at", "tenant_id", "created_at"),
    )

    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    emails: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    phones: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    job_title: Mapped[str | None] = mapped_column(String(255))
    company_id: Mapped[uuid.UUID | None]
    owner_id: Mapped[uuid.UUID | None]


def _tenant_fk(column: str, table: str, owner: str) -> ForeignKeyConstraint:
    # Foreign keys between tenant tables carry the tenant: no row can point into another workspace.
    return ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{table}.tenant_id", f"{table}.id"],
        name=f"fk_{owner}_tenant_id_{column}_{table}",
    )


class Pipeline(RecordMixin, TenantModel):
    __tablename__ = "pipelines"
    __table_args__ = (
        # One live default pipeline per workspace: two requests creating it at once cannot both win.
        Index(
            "uq_pipelines_tenant_id_default",
            "tenant_id",
            unique=True,
            postgresql_where=text("deleted_at IS NULL AND is_default"),
            sqlite_where=text("deleted_at IS NULL AND is_default"),
        ),
        Index("ix_pipelines_tenant_id_created_at", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(255))
    is_default: Mapped[bool] = mapped_column(default=False)
    position: Mapped[float | None]


class Stage(RecordMixin, TenantModel):
    __tablename__ = "stages"
    __table_args__ = (
        _tenant_fk("pipeline_id", "pipelines", "stages"),
        Index("ix_stages_tenant_id_pipeline_id_position", "tenant_id", "pipeline_id", "position"),
        Index("ix_stages_tenant_id_created_at", "tenant_id", "created_at"),
    )

    pipeline_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[float] = mapped_column(default=0)
    probability: Mapped[float | None]
    type: Mapped[str] = mapped_column(String(16), default="open")


class Deal(RecordMixin, TenantModel):
    __tablename__ = "deals"
    __table_args__ = (
        _tenant_fk("pipeline_id", "pipelines", "deals"),
        _tenant_fk("stage_id", "stages", "deals"),
        _tenant_fk("company_id", "companies", "deals"),
        Index("ix_deals_tenant_id_stage_id", "tenant_id", "stage_id"),
        Index("ix_deals_tenant_id_company_id", "tenant_id", "company_id"),
        Index("ix_deals_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_deals_tenant_id_amount_minor", "tenant_id", "amount_minor"),
        Index("ix_deals_tenant_id_close_date", "tenant_id", "close_date"),
        Index("ix_deals_tenant_id_created_at", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(255))
    # Money is integer minor units (cents) plus its ISO 4217 code: no float rounding, sortable by amount.
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(CHAR(3))
    close_date: Mapped[date | None]
    pipeline_id: Mapped[uuid.UUID | None]
    stage_id: Mapped[uuid.UUID | None]
    company_id: Mapped[uuid.UUID | None]
    contact_ids: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    owner_id: Mapped[uuid.UUID | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))


class Lead(RecordMixin, TenantModel):
    __tablename__ = "leads"
    __table_args__ = (
        _tenant_fk("converted_contact_id", "contacts", "leads"),
        _tenant_fk("converted_company_id", "companies", "leads"),
        _tenant_fk("converted_deal_id", "deals", "leads"),
        Index("ix_leads_tenant_id_status", "tenant_id", "status"),
        Index("ix_leads_tenant_id_email", "tenant_id", "email"),
        Index("ix_leads_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_leads_tenant_id_created_at", "tenant_id", "created_at"),
    )

    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    company_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(64), default="new")
    source: Mapped[str | None] = mapped_column(String(255))
    score: Mapped[float | None]
    owner_id: Mapped[uuid.UUID | None]
    contact_ids: Mapped[list[Any] | None] = mapped_column(NullableJSON)
    converted_at: Mapped[datetime | None]
    converted_contact_id: Mapped[uuid.UUID | None]
    converted_company_id: Mapped[uuid.UUID | None]
    converted_deal_id: Mapped[uuid.UUID | None]


class Activity(RecordMixin, TenantModel):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_tenant_id_assignee_id_due_at", "tenant_id", "assignee_id", "due_at"),
        Index("ix_activities_tenant_id_created_at", "tenant_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    done: Mapped[bool] = mapped_column(default=False)
    assignee_id: Mapped[uuid.UUID | None]
    # The records it is about, of any objects: [{"object": "deals", "id": "..."}, ...].
    links: Mapped[list[Any] | None] = mapped_column(NullableJSON)
