from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.modules.identity.models import User, Workspace


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_workspaces(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Workspace)) or 0)

    async def get_user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email.strip().lower()))
