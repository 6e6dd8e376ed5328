"""Admin API for the dead-letter store: ``/api/v1/admin/dead-letters``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.kit.errors import Forbidden, Unauthorized, responses
from kronos.kit.events import dead_letters
from kronos.kit.events.dead_letters import DeadLetterAlreadyReplayed, DeadLetterNotFound

router = APIRouter(prefix="/api/v1/admin/dead-letters", tags=["admin"])


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    consumer: str = Field(description="The consumer that gave up on the event.")
    event_id: uuid.UUID
    event_name: str
    payload: dict[str, Any]
    error: str = Field(description="The last error the consumer raised.")
    attempts: int
    created_at: datetime
    replayed_at: datetime | None = Field(description="When an admin replayed it; null until then.")


class DeadLetterPage(BaseModel):
    items: list[DeadLetterOut]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


_AUTH = (Unauthorized, Forbidden)


@router.get("", response_model=DeadLetterPage, responses=responses(*_AUTH))
async def list_dead_letters(
    principal: CurrentPrincipal,
    session: ReadDbSession,
    consumer: Annotated[str | None, Query(max_length=100, description="Only this consumer's.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[uuid.UUID | None, Query(description="Cursor from the previous page.")] = None,
) -> DeadLetterPage:
    """Events a consumer kept failing on in this workspace, newest first. Admins only."""
    principal.require_admin()
    rows = await dead_letters.list_dead_letters(
        session, principal.tenant_id, consumer=consumer, limit=limit + 1, after=after
    )
    items = [DeadLetterOut.model_validate(row) for row in rows[:limit]]
    return DeadLetterPage(items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None)


@router.get(
    "/{dead_letter_id}", response_model=DeadLetterOut, responses=responses(*_AUTH, DeadLetterNotFound)
)
async def get_dead_letter(
    dead_letter_id: uuid.UUID, principal: CurrentPrincipal, session: ReadDbSession
) -> DeadLetterOut:
    """One dead letter, with the event payload and the last error. Admins only."""
    principal.require_admin()
    row = await dead_letters.get_dead_letter(session, principal.tenant_id, dead_letter_id)
    return DeadLetterOut.model_validate(row)


@router.post(
    "/{dead_letter_id}/replay",
    response_model=DeadLetterOut,
    status_code=202,
    responses=responses(*_AUTH, DeadLetterNotFound, DeadLetterAlreadyReplayed),
)
async def replay_dead_letter(
    dead_letter_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> DeadLetterOut:
    """Deliver the event again to the consumer that gave up on it (asynchronously: 202). A dead letter is
    replayed once; if the consumer fails again, a new dead letter appears. Admins only."""
    principal.require_admin()
    row = await dead_letters.replay_dead_letter(session, principal.tenant_id, dead_letter_id)
    return DeadLetterOut.model_validate(row)
