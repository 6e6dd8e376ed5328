"""Creating workspaces and their owners; the bootstrap that `kronos serve` runs on an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.errors import Conflict
from kronos.kit.security import hash_password, verify_password
from kronos.modules.identity.models import Membership, User, Workspace
from kronos.modules.identity.repository import IdentityRepository

OWNER_ROLE = "owner"


@dataclass
class WorkspaceWithOwner:
    workspace: Workspace
    owner: User


class EmailTaken(Conflict):
    code = "email_taken"


async def create_workspace_with_owner(
    session: AsyncSession, *, email: str, password: str, workspace_name: str, full_name: str = ""
) -> WorkspaceWithOwner:
    """A new workspace owned by the account with ``email``; the account is created if it does not exist,
    and an existing one must present its own password."""
    repo = IdentityRepository(session)
    email = email.strip().lower()
    user = await repo.get_user_by_email(email)
    if user is None:
        user = User(email=email, password_hash=hash_password(password), full_name=full_name)
        session.add(user)
    elif not verify_password(user.password_hash, password):
        raise EmailTaken(f"An account with the e-mail {email} already exists.")
    workspace = Workspace(name=workspace_name)
    session.add(workspace)
    await session.flush()
    session.add(Membership(tenant_id=workspace.id, user_id=user.id, role=OWNER_ROLE))
    await session.flush()
    return WorkspaceWithOwner(workspace, user)


async def has_any_workspace(session: AsyncSession) -> bool:
    return await IdentityRepository(session).count_workspaces() > 0
