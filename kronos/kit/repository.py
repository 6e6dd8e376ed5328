"""Tenant scoping, once: every query a module makes on a tenant table starts from ``TenantRepository``.

A repository is built for one workspace; it cannot express a query without ``tenant_id``. Soft-deleted rows
are left out unless asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.models import TenantModel

M = TypeVar("M", bound=TenantModel)


class TenantRepository(Generic[M]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self, *, include_deleted: bool = False) -> Select[M]:
        statement: Select[M] = select(self.model).where(self.model.tenant_id == self.tenant_id)
        if not include_deleted:
            statement = statement.where(self.model.deleted_at.is_(None))
        return statement

    async def get(self, id: uuid.UUID, *, include_deleted: bool = False) -> M | None:
        result: M | None = await self.session.scalar(
            self.select(include_deleted=include_deleted).where(self.model.id == id)
        )
        return result

    async def list(self, statement: Select[M] | None = None) -> Sequence[M]:
        rows: Sequence[M] = (
            await self.session.scalars(statement if statement is not None else self.select())
        ).all()
        return rows

    def add(self, obj: M) -> M:
        obj.tenant_id = self.tenant_id
        self.session.add(obj)
        return obj
