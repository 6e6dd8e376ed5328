"""The admin API over the dead-letter store: admins only, one workspace's letters only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import select

from kronos.kit.auth import Action, FieldAccess, Principal, Visibility, register_authenticator
from kronos.kit.db import Database
from kronos.kit.events.models import DeadLetter, OutboxEvent
from kronos.kit.events.outbox import REPLAY_EVENT

URL = "/api/v1/admin/dead-letters"
TENANT = uuid.uuid4()
OTHER_TENANT = uuid.uuid4()


@dataclass(frozen=True)
class FakePermissions:
    admin: bool

    @property
    def is_admin(self) -> bool:
        return self.admin

    def can(self, object_name: str, action: Action) -> bool:
        return self.admin

    def field_access(self, object_name: str, field_name: str) -> FieldAccess:
        return "write"

    def visibility(self, object_name: str) -> Visibility:
        return "all"

    def edit_visibility(self, object_name: str) -> Visibility:
        return "all"


TOKENS = {
    "admin": Principal(uuid.uuid4(), TENANT, "session", FakePermissions(admin=True)),
    "member": Principal(uuid.uuid4(), TENANT, "session", FakePermissions(admin=False)),
    "other-admin": Principal(uuid.uuid4(), OTHER_TENANT, "session", FakePermissions(admin=True)),
}


async def _authenticate(request: Request, db: Database, token: str) -> Principal | None:
    return TOKENS.get(token)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def letters(app: FastAPI) -> list[DeadLetter]:
    """Five dead letters in TENANT (two consumers) and one in another workspace, oldest first."""
    register_authenticator(app.state, _authenticate)
    db: Database = app.state.db
    rows = [
        DeadLetter(
            tenant_id=TENANT,
            consumer="timeline" if i % 2 == 0 else "webhooks",
            event_id=uuid.uuid4(),
            event_name="contact.created",
            payload={"id": str(i)},
            error="RuntimeError: down",
            attempts=5,
        )
        for i in range(5)
    ]
    rows.append(
        DeadLetter(
            tenant_id=OTHER_TENANT,
            consumer="timeline",
            event_id=uuid.uuid4(),
            event_name="deal.won",
            payload={},
            error="x",
            attempts=5,
        )
    )
    async with db.write_session() as session:
        session.add_all(rows)
    return rows


async def test_listing_needs_a_signed_in_admin(client: httpx.AsyncClient, letters: list[DeadLetter]) -> None:
    assert (await client.get(URL)).status_code == 401
    response = await client.get(URL, headers=auth("member"))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_list_pages_newest_first_within_the_workspace(
    client: httpx.AsyncClient, letters: list[DeadLetter]
) -> None:
    ours = [str(row.id) for row in reversed(letters[:5])]
    first = await client.get(URL, params={"limit": 3}, headers=auth("admin"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert [item["id"] for item in body["items"]] == ours[:3]
    assert body["next_cursor"] == ours[2]
    second = (
        await client.get(URL, params={"limit": 3, "after": body["next_cursor"]}, headers=auth("admin"))
    ).json()
    assert [item["id"] for item in second["items"]] == ours[3:]
    assert second["next_cursor"] is None
    item = body["items"][0]
    assert (item["consumer"], item["event_name"], item["attempts"], item["replayed_at"]) == (
        "timeline",
        "contact.created",
        5,
        None,
    )


async def test_list_filters_by_consumer(client: httpx.AsyncClient, letters: list[DeadLetter]) -> None:
    response = await client.get(URL, params={"consumer": "webhooks"}, headers=auth("admin"))
    assert [item["id"] for item in response.json()["items"]] == [str(letters[3].id), str(letters[1].id)]


async def test_get_one_is_scoped_to_the_workspace(
    client: httpx.AsyncClient, letters: list[DeadLetter]
) -> None:
    mine = await client.get(f"{URL}/{letters[0].id}", headers=auth("admin"))
    assert mine.status_code == 200
    assert mine.json()["payload"] == {"id": "0"}
    theirs = await client.get(f"{URL}/{letters[5].id}", headers=auth("admin"))
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "dead_letter_not_found"


async def test_replay_marks_it_and_queues_a_redelivery_to_that_consumer_once(
    client: httpx.AsyncClient, app: FastAPI, letters: list[DeadLetter]
) -> None:
    letter = letters[1]
    response = await client.post(f"{URL}/{letter.id}/replay", headers=auth("admin"))
    assert response.status_code == 202, response.text
    assert response.json()["replayed_at"] is not None
    async with app.state.db.read_session() as session:
        queued = list(await session.scalars(select(OutboxEvent).where(OutboxEvent.name == REPLAY_EVENT)))
    assert [(q.tenant_id, q.payload["consumer"], q.payload["event_id"]) for q in queued] == [
        (TENANT, "webhooks", str(letter.event_id))
    ]
    again = await client.post(f"{URL}/{letter.id}/replay", headers=auth("admin"))
    assert again.status_code == 409
    assert again.json()["code"] == "dead_letter_already_replayed"


async def test_replay_of_another_workspace_letter_is_not_found_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, letters: list[DeadLetter]
) -> None:
    response = await client.post(f"{URL}/{letters[0].id}/replay", headers=auth("other-admin"))
    assert response.status_code == 404
    async with app.state.db.read_session() as session:
        row = await session.get(DeadLetter, letters[0].id)
        assert row is not None
        assert row.replayed_at is None
        assert await session.scalar(select(OutboxEvent.id).where(OutboxEvent.name == REPLAY_EVENT)) is None
