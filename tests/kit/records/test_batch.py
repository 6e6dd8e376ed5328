"""POST /api/v1/{object}/batch: create / update / upsert / delete, all-or-nothing or per record."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.clock import utcnow
from kronos.kit.db import Database
from kronos.kit.records import unique
from kronos.kit.records.batch import BatchWriter
from kronos.modules.crm.models import Company, Contact
from tests.kit.records.support import READ_ONLY, Perms, World

URL = "/api/v1/companies/batch"


async def _names(world: World) -> list[str]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        rows = await session.scalars(
            select(Company.name).where(Company.tenant_id == world.tenant, Company.deleted_at.is_(None))
        )
        return sorted(rows.all())


async def _batch(world: World, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return await world.client.post(URL, json=body, headers=headers or world.auth())


async def test_create_all_or_nothing_writes_history_per_record(world: World) -> None:
    response = await _batch(
        world, {"operation": "create", "records": [{"name": "A", "domain": "a.com"}, {"name": "B"}]}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["index"], r["status"], r["record"]["name"]) for r in results] == [
        (0, 201, "A"),
        (1, 201, "B"),
    ]
    assert results[0]["id"] == results[0]["record"]["id"]
    assert {r.field for r in await world.history(results[0]["id"])} == {"name", "domain", "owner_id"}
    assert {r.field for r in await world.history(results[1]["id"])} == {"name", "owner_id"}


async def test_all_or_nothing_leaves_nothing_on_one_bad_record(world: World) -> None:
    await world.create("companies", {"name": "Taken", "domain": "taken.com"})
    bad_value = await _batch(
        world, {"operation": "create", "records": [{"name": "A"}, {"name": ""}, {"nope": 1}]}
    )
    assert bad_value.status_code == 422
    problem = bad_value.json()
    assert problem["code"] == "batch_failed"
    assert [r["index"] for r in problem["records"]] == [1, 2]
    assert problem["records"][0]["errors"][0]["path"] == "body.name"
    assert {e["path"] for e in problem["errors"]} == {
        "records.1.body.name",
        "records.2.body.nope",
        "records.2.body.name",
    }
    # An error only the database sees (a unique value taken) also undoes the records before it.
    duplicate = await _batch(
        world, {"operation": "create", "records": [{"name": "A"}, {"name": "B", "domain": "taken.com"}]}
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["records"][0]["index"] == 1
    assert duplicate.json()["records"][0]["status"] == 409
    assert await _names(world) == ["Taken"]


async def test_per_record_keeps_the_good_ones(world: World) -> None:
    await world.create("companies", {"name": "Taken", "domain": "taken.com"})
    response = await _batch(
        world,
        {
            "operation": "create",
            "mode": "per_record",
            "records": [{"name": "A"}, {"name": "B", "domain": "taken.com"}, {"name": ""}, {"name": "C"}],
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 409, 422, 201]
    assert results[1]["error"]["code"] == "duplicate_value"
    assert results[2]["error"]["errors"][0]["path"] == "body.name"
    assert await _names(world) == ["A", "C", "Taken"]
    assert len(await world.history(results[0]["id"])) == 2


async def test_update_and_delete_by_id(world: World) -> None:
    a = await world.create("companies", {"name": "A"})
    b = await world.create("companies", {"name": "B"})
    foreign = await world.create("companies", {"name": "F"}, world.auth(tenant=world.other_tenant))
    response = await _batch(
        world,
        {
            "operation": "update",
            "mode": "per_record",
            "records": [
                {"id": a["id"], "industry": "software"},
                {"id": b["id"], "version": 7, "name": "B2"},
                {"id": foreign["id"], "name": "stolen"},
                {"id": "not-a-uuid", "name": "x"},
                {"id": a["id"], "name": "again"},
            ],
        },
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 412, 404, 404, 422]
    assert results[0]["record"]["version"] == 2
    assert results[4]["error"]["code"] == "duplicate_in_batch"
    assert [(r.field, r.new_value) for r in await world.history(a["id"]) if r.op == "update"] == [
        ("industry", "software")
    ]

    deleted = await _batch(
        world,
        {"operation": "delete", "records": [{"id": a["id"], "version": 2}, {"id": b["id"]}]},
    )
    assert [r["status"] for r in deleted.json()["results"]] == [204, 204]
    assert await _names(world) == []
    # Another workspace's id is not found, and all_or_nothing then deletes nothing.
    cross = await _batch(world, {"operation": "delete", "records": [{"id": foreign["id"]}]})
    assert cross.status_code == 422
    assert cross.json()["records"][0]["status"] == 404


async def test_upsert_matches_on_a_unique_field(world: World) -> None:
    existing = await world.create("companies", {"name": "Old", "domain": "old.com"})
    response = await _batch(
        world,
        {
            "operation": "upsert",
            "match_on": "domain",
            "mode": "per_record",
            "records": [
                {"name": "Old renamed", "domain": "OLD.com"},
                {"name": "New", "domain": "new.com"},
                {"name": "New twice", "domain": "new.com"},
                {"name": "No domain"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 201, 422, 422]
    assert results[0]["id"] == existing["id"]
    assert results[0]["record"]["version"] == 2
    assert results[2]["error"]["code"] == "duplicate_in_batch"
    assert await _names(world) == ["New", "Old renamed"]
    assert [r.field for r in await world.history(existing["id"]) if r.op == "update"] == ["name"]

    not_unique = await _batch(world, {"operation": "upsert", "match_on": "name", "records": [{"name": "x"}]})
    assert not_unique.status_code == 422
    assert "domain" in not_unique.json()["detail"]
    missing = await _batch(world, {"operation": "upsert", "records": [{"name": "x"}]})
    assert missing.status_code == 422


async def test_upsert_on_a_custom_unique_field(world: World) -> None:
    field = await world.client.post(
        "/api/v1/metadata/objects/contacts/fields",
        json={"api_name": "external_id", "label": "External id", "type": "text", "unique": True},
        headers=world.auth(),
    )
    assert field.status_code == 201, field.text
    await world.create("contacts", {"last_name": "One", "external_id": "x-1"})
    records = [{"last_name": f"C{i}", "external_id": f"x-{i}"} for i in range(1, 51)]
    response = await world.client.post(
        "/api/v1/contacts/batch",
        json={"operation": "upsert", "match_on": "external_id", "records": records},
        headers=world.auth(),
    )
    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == [200] + [201] * 49


async def test_limits_and_shape(world: World) -> None:
    too_many = await _batch(world, {"operation": "create", "records": [{"name": "x"}] * 1001})
    assert too_many.status_code == 413
    assert too_many.json()["code"] == "too_many_records"
    empty = await _batch(world, {"operation": "create", "records": []})
    assert empty.status_code == 422
    unknown = await _batch(world, {"operation": "merge", "records": [{"name": "x"}]})
    assert unknown.status_code == 422
    assert await _names(world) == []


async def test_permissions(world: World) -> None:
    readonly = await _batch(world, {"operation": "create", "records": [{"name": "x"}]}, world.auth(READ_ONLY))
    assert readonly.status_code == 403
    no_create = world.auth(Perms(actions=frozenset({"read", "update"})))
    upsert = await _batch(
        world,
        {"operation": "upsert", "match_on": "domain", "records": [{"name": "x", "domain": "x.com"}]},
        no_create,
    )
    assert upsert.status_code == 403
    hidden = Perms(hidden=frozenset({("companies", "domain")}))
    match_hidden = await _batch(
        world,
        {"operation": "upsert", "match_on": "domain", "records": [{"name": "x"}]},
        world.auth(hidden),
    )
    assert match_hidden.status_code == 422
    read_only_field = Perms(read_only=frozenset({("companies", "industry")}))
    denied = await _batch(
        world,
        {"operation": "create", "mode": "per_record", "records": [{"name": "a", "industry": "software"}]},
        world.auth(read_only_field),
    )
    assert denied.json()["results"][0]["status"] == 403
    assert await _names(world) == []
    # The batch route is not captured as a record id.
    assert (await world.client.get("/api/v1/companies/batch", headers=world.auth())).status_code == 404


async def test_update_many_records(world: World) -> None:
    ids = [
        r["id"]
        for r in (
            await _batch(world, {"operation": "create", "records": [{"name": f"N{i}"} for i in range(30)]})
        ).json()["results"]
    ]
    response = await _batch(
        world, {"operation": "update", "records": [{"id": i, "industry": "retail"} for i in ids]}
    )
    assert response.status_code == 200
    db: Database = world.app.state.db
    async with db.read_session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Company).where(Company.industry == "retail")
        )
    assert count == 30


# -- a batch the database refuses at its final flush names the records it refuses ---------------------
Act = Callable[[AsyncSession], Awaitable[Any]]
RACING = [{"name": "A", "domain": "a.com"}, {"name": "B", "domain": "race.com"}]
# Core statements on the table leave the batch's loaded records as they were, as another transaction does.
COMPANIES = cast(Table, Company.__table__)


def _meanwhile(monkeypatch: pytest.MonkeyPatch, world: World, act: Act, *, locked: bool = False) -> None:
    """Run ``act`` as another transaction would: after the batch checked its records, before its final flush.

    PostgreSQL: another session commits it just before the flush. SQLite lets one writer at a time (the
    batch's transaction holds the lock from its first statement), so no race reaches the flush there; ``act``
    runs in the batch's own transaction just before it starts writing, leaving the flush the same rows.
    ``locked``: ``act`` changes records the batch writes, whose rows the batch holds (``write.for_update``):
    another transaction would wait for the batch to end, so on PostgreSQL too it runs in the batch's own
    transaction, as a writer that took no lock would leave them."""
    db: Database = world.app.state.db
    if db.dialect == "postgresql" and not locked:
        flush = BatchWriter._flush

        async def raced_flush(self: BatchWriter) -> None:
            async with db.write_session() as other:
                await act(other)
            await flush(self)

        monkeypatch.setattr(BatchWriter, "_flush", raced_flush)
        return
    all_or_nothing = BatchWriter._all_or_nothing

    async def raced(self: BatchWriter, items: Any, shown: Any) -> Any:
        await act(self.session)
        return await all_or_nothing(self, items, shown)

    monkeypatch.setattr(BatchWriter, "_all_or_nothing", raced)


def _failures(response: Any) -> list[tuple[int, int, str]]:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "batch_failed"
    return [(r["index"], r["status"], r["code"]) for r in response.json()["records"]]


async def test_a_unique_index_refusing_the_flush_names_the_record(world: World) -> None:
    # One live default pipeline per workspace is kept by a unique index only, seen at the flush.
    records = [{"name": "A", "is_default": True}, {"name": "B"}, {"name": "C", "is_default": True}]
    response = await world.client.post(
        "/api/v1/pipelines/batch", json={"operation": "create", "records": records}, headers=world.auth()
    )
    assert _failures(response) == [(2, 409, "duplicate_value")]
    assert response.json()["errors"][0]["path"] == "records.2"
    listed = await world.client.get("/api/v1/pipelines", headers=world.auth())
    assert listed.json()["items"] == []


async def test_a_unique_value_taken_meanwhile_names_the_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def take(session: AsyncSession) -> None:  # a row the claims in unique_values do not know of
        await session.execute(
            insert(COMPANIES).values(tenant_id=world.tenant, name="Racer", domain="race.com")
        )

    _meanwhile(monkeypatch, world, take)
    response = await _batch(world, {"operation": "create", "records": RACING})
    assert _failures(response) == [(1, 409, "duplicate_value")]
    assert response.json()["records"][0]["errors"] == []
    db: Database = world.app.state.db
    assert await _names(world) == (["Racer"] if db.dialect == "postgresql" else [])


async def test_a_related_record_purged_meanwhile_names_the_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = await world.create("companies", {"name": "Kept"})
    doomed = await world.create("companies", {"name": "Doomed"})

    async def purge(session: AsyncSession) -> None:
        await session.execute(delete(COMPANIES).where(COMPANIES.c.id == uuid.UUID(doomed["id"])))

    _meanwhile(monkeypatch, world, purge)
    records = [
        {"last_name": "A", "company_id": kept["id"]},
        {"last_name": "B", "company_id": doomed["id"]},
        {"last_name": "C", "company_id": kept["id"]},
    ]
    response = await world.client.post(
        "/api/v1/contacts/batch", json={"operation": "create", "records": records}, headers=world.auth()
    )
    assert _failures(response) == [(1, 422, "validation_failed")]
    assert response.json()["records"][0]["errors"] == [
        {"path": "body.company_id", "message": "No such record.", "type": "relation_not_found"}
    ]
    db: Database = world.app.state.db
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 0


async def test_records_changed_or_deleted_meanwhile_are_named(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = [await world.create("companies", {"name": name}) for name in ("A", "B", "C")]
    table = COMPANIES.c

    async def change(session: AsyncSession) -> None:
        await session.execute(
            update(COMPANIES).where(table.id == uuid.UUID(b["id"])).values(version=table.version + 1)
        )
        await session.execute(
            update(COMPANIES)
            .where(table.id == uuid.UUID(c["id"]))
            .values(deleted_at=utcnow(), version=table.version + 1)
        )

    _meanwhile(monkeypatch, world, change, locked=True)
    response = await _batch(
        world,
        {"operation": "update", "records": [{"id": r["id"], "industry": "retail"} for r in (a, b, c)]},
    )
    assert _failures(response) == [(1, 412, "version_mismatch"), (2, 404, "not_found")]
    assert response.json()["records"][0]["current_version"] == 2
    db: Database = world.app.state.db
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).where(Company.industry.is_not(None))) == 0
    assert [r.op for r in await world.history(a["id"])] == ["create", "create"]


async def test_a_refused_flush_whose_clash_went_away_writes_the_batch(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What refused the flush was undone before the records were written again (here: by the savepoint, as
    when the transaction that held the value rolls back): every record is written, once."""
    claim_pending = unique.claim_pending

    async def claim_and_clash(session: AsyncSession, dialect: str, viewer: Any = None) -> Any:
        await session.execute(
            insert(COMPANIES).values(tenant_id=world.tenant, name="Racer", domain="race.com")
        )
        return await claim_pending(session, dialect, viewer)

    monkeypatch.setattr(unique, "claim_pending", claim_and_clash)
    response = await _batch(world, {"operation": "create", "records": RACING})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == [201, 201]
    assert await _names(world) == ["A", "B"]
    for result in response.json()["results"]:
        assert {r.field for r in await world.history(result["id"])} == {"name", "domain", "owner_id"}
