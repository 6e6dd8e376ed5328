"""Tables of the standard CRM objects. Standard fields are typed columns; custom ones go in ``custom``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, String, text
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
