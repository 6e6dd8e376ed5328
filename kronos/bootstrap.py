"""First start: an empty database gets a workspace and an owner account."""

from __future__ import annotations

from dataclasses import dataclass

from kronos.config import Settings
from kronos.kit.db import Database
from kronos.kit.security import generate_password
from kronos.modules.identity.service import create_workspace_with_owner, has_any_workspace

DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_WORKSPACE_NAME = "My workspace"


@dataclass
class FirstOwner:
    email: str
    workspace_name: str
    generated_password: str | None  # shown once when we made it up; None when it came from the settings


async def ensure_first_workspace(settings: Settings) -> FirstOwner | None:
    """Create the first workspace and its owner when there is none; return what was created, if anything."""
    db = Database(settings)
    try:
        async with db.write_session() as session:
            if await has_any_workspace(session):
                return None
            email = settings.admin_email or DEFAULT_ADMIN_EMAIL
            given = settings.admin_password.get_secret_value() if settings.admin_password else None
            password = given or generate_password()
            await create_workspace_with_owner(
                session, email=email, password=password, workspace_name=DEFAULT_WORKSPACE_NAME
            )
            return FirstOwner(email, DEFAULT_WORKSPACE_NAME, None if given else password)
    finally:
        await db.dispose()
