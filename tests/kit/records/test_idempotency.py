"""Idempotency-Key on POST: a retry returns the first response and writes nothing twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from kronos.kit.clock import utcnow
from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from kronos.kit.records.idempotency import IdempotencyKey
from kronos.modules.crm.models import Company
from tests.kit.records.support import World


async def _count(world: World, statement: object) -> int:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]


async def _companies(world: World) -> int:
    return await _count(
        world, select(func.count()).select_from(Company).where(Company.tenant_id == world.tenant)
    )


async def _events(world: World, record_id: str) -> int:
    return await _count(
        world,
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.payload["id"].as_string() == record_id),
    )


async def test_retry_returns_the_first_response_and_creates_nothing(world: World) -> None:
    headers = world.auth() | {"Idempotency-Key": "create-acme-1"}
    body = {"name": "Acme", "domain": "acme.com"}
    first = await world.client.post("/api/v1/companies", json=body, headers=headers)
    assert first.status_code == 201, first.text
    # Same body, keys in another order: the same request.
    retry = await world.client.post(
        "/api/v1/companies", json={"domain": "acme.com", "name": "Acme"}, headers=headers
    )
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await _companies(world) == 1
    assert len(await world.history(first.json()["id"])) == 3  # name, domain, owner_id: once
    assert await _events(world, first.json()["id"]) == 1

    # Another principal's identical key is another request.
    other = await world.client.post(
        "/api/v1/companies",
        json={"name": "Beta"},
        headers=world.auth(via="api_key") | {"Idempotency-Key": "create-acme-1"},
    )
    assert other.status_code == 201
    assert await _companies(world) == 2


async def test_same_key_different_body_is_422(world: World) -> None:
    headers = world.auth() | {"Idempotency-Key": "k1"}
    assert (
        await world.client.post("/api/v1/companies", json={"name": "A"}, headers=headers)
    ).status_code == 201
    reused = await world.client.post("/api/v1/companies", json={"name": "B"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    other_route = await world.client.post("/api/v1/contacts", json={"name": "A"}, headers=headers)
    assert other_route.json()["code"] == "idempotency_key_reused"
    assert await _companies(world) == 1


async def test_failed_request_stores_nothing_and_can_be_retried(world: World) -> None:
    headers = world.auth() | {"Idempotency-Key": "k-fail"}
    bad = await world.client.post("/api/v1/companies", json={"name": ""}, headers=headers)
    assert bad.status_code == 422
    assert await _count(world, select(func.count()).select_from(IdempotencyKey)) == 0
    bad_again = await world.client.post("/api/v1/companies", json={"name": ""}, headers=headers)
    assert bad_again.status_code == 422
    assert bad_again.headers.get("Idempotent-Replayed") is None
    good = await world.client.post("/api/v1/companies", json={"name": "Now valid"}, headers=headers)
    assert good.status_code == 201


async def test_expired_key_is_ignored(world: World) -> None:
    headers = world.auth() | {"Idempotency-Key": "old"}
    first = await world.client.post("/api/v1/companies", json={"name": "A"}, headers=headers)
    db: Database = world.app.state.db
    async with db.write_session() as session:
        await session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    second = await world.client.post("/api/v1/companies", json={"name": "A"}, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert await _companies(world) == 2
    # The key now belongs to the second request.
    third = await world.client.post("/api/v1/companies", json={"name": "A"}, headers=headers)
    assert third.json()["id"] == second.json()["id"]


async def test_key_too_long_is_422(world: World) -> None:
    response = await world.client.post(
        "/api/v1/companies", json={"name": "A"}, headers=world.auth() | {"Idempotency-Key": "x" * 256}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"
    assert await _companies(world) == 0


async def test_restore_and_batch_are_idempotent(world: World) -> None:
    company = await world.create("companies", {"name": "A"})
    await world.client.delete(f"/api/v1/companies/{company['id']}", headers=world.auth())
    headers = world.auth() | {"Idempotency-Key": "restore-1"}
    url = f"/api/v1/companies/{company['id']}/restore"
    first = await world.client.post(url, headers=headers)
    assert first.status_code == 200
    retry = await world.client.post(url, headers=headers)
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert [r.op for r in await world.history(company["id"]) if r.field == "deleted_at"].count("restore") == 1

    headers = world.auth() | {"Idempotency-Key": "batch-1"}
    body = {"operation": "create", "records": [{"name": "B1"}, {"name": "B2"}]}
    batch = await world.client.post("/api/v1/companies/batch", json=body, headers=headers)
    assert batch.status_code == 200
    again = await world.client.post("/api/v1/companies/batch", json=body, headers=headers)
    assert (again.status_code, again.json()) == (200, batch.json())
    assert await _companies(world) == 3
