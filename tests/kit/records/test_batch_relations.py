"""Batch writes check related records once per batch, and name every record whose relation does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from kronos.kit.db import Database
from kronos.modules.crm.models import Contact
from tests.kit.records.support import World

NO_SUCH_COMPANY = [{"path": "body.company_id", "message": "No such record.", "type": "relation_not_found"}]


@contextmanager
def _company_lookups(world: World) -> Iterator[list[str]]:
    """The statements sent to the database that read the companies table."""
    db: Database = world.app.state.db
    engine = db.write_engine.sync_engine
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM companies" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _batch(world: World, object_name: str, body: dict[str, Any]) -> Any:
    return await world.client.post(f"/api/v1/{object_name}/batch", json=body, headers=world.auth())


async def _companies(world: World, count: int) -> list[str]:
    made = await _batch(
        world, "companies", {"operation": "create", "records": [{"name": f"Co {i}"} for i in range(count)]}
    )
    assert made.status_code == 200, made.text
    return [result["id"] for result in made.json()["results"]]


async def _contacts(world: World) -> list[tuple[str, str | None]]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        rows = await session.execute(
            select(Contact.last_name, Contact.company_id)
            .where(Contact.tenant_id == world.tenant, Contact.deleted_at.is_(None))
            .order_by(Contact.last_name)
        )
        return [(name, str(company) if company else None) for name, company in rows.all()]


async def test_a_thousand_records_cost_one_lookup_of_their_related_records(world: World) -> None:
    companies = await _companies(world, 1000)
    records = [
        {"last_name": f"C{i:04}", "emails": [f"c{i}@x.test"], "company_id": companies[i]} for i in range(1000)
    ]
    with _company_lookups(world) as lookups:
        created = await _batch(world, "contacts", {"operation": "create", "records": records})
    assert created.status_code == 200, created.text
    assert len(lookups) == 1  # one query for 1,000 distinct companies, not one per record
    assert await _contacts(world) == [(r["last_name"], r["company_id"]) for r in records]

    # An upsert: half of them matched by e-mail and moved to another company, half new.
    upsert = [
        {"last_name": f"C{i:04}", "emails": [f"c{i}@x.test"], "company_id": companies[-1 - i]}
        if i < 500
        else {"last_name": f"N{i:04}", "emails": [f"n{i}@x.test"], "company_id": companies[i]}
        for i in range(1000)
    ]
    with _company_lookups(world) as lookups:
        upserted = await _batch(
            world, "contacts", {"operation": "upsert", "match_on": "emails", "records": upsert}
        )
    assert upserted.status_code == 200, upserted.text
    assert [r["status"] for r in upserted.json()["results"]] == [200] * 500 + [201] * 500
    assert len(lookups) == 1
    assert len(await _contacts(world)) == 1500
    assert ("C0000", companies[-1]) in await _contacts(world)

    # Per-record mode writes each record in its own savepoint, and still looks the companies up once.
    more = [{"last_name": f"P{i:03}", "company_id": companies[i]} for i in range(100)]
    with _company_lookups(world) as lookups:
        per_record = await _batch(
            world, "contacts", {"operation": "create", "mode": "per_record", "records": more}
        )
    assert [r["status"] for r in per_record.json()["results"]] == [201] * 100
    assert len(lookups) == 1


async def test_all_or_nothing_names_every_record_whose_related_record_is_missing(world: World) -> None:
    live, deleted = await _companies(world, 2)
    assert (
        await world.client.delete(f"/api/v1/companies/{deleted}", headers=world.auth())
    ).status_code == 204
    foreign = await world.create("companies", {"name": "F"}, world.auth(tenant=world.other_tenant))
    records = [
        {"last_name": "Ok", "company_id": live},
        {"last_name": "Missing", "company_id": str(uuid.uuid4())},
        {"last_name": "Deleted", "company_id": deleted},
        {"last_name": ""},  # a bad value, found while planning: reported with the others, in order
        {"last_name": "Foreign", "company_id": foreign["id"]},
        {"last_name": "Ok too", "company_id": live},
    ]
    with _company_lookups(world) as lookups:
        response = await _batch(world, "contacts", {"operation": "create", "records": records})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "batch_failed"
    assert [(r["index"], r["status"]) for r in problem["records"]] == [(1, 422), (2, 422), (3, 422), (4, 422)]
    assert len(lookups) == 1
    # Each record's error is the one a single write of it answers.
    for failed in problem["records"]:
        alone = await world.client.post(
            "/api/v1/contacts", json=records[failed["index"]], headers=world.auth()
        )
        assert alone.status_code == failed["status"]
        single = alone.json()
        assert (failed["code"], failed["detail"], failed["errors"]) == (
            single["code"],
            single["detail"],
            single["errors"],
        )
    assert [r["errors"] for r in problem["records"] if r["index"] != 3] == [NO_SUCH_COMPANY] * 3
    assert {e["path"] for e in problem["errors"]} == {
        "records.1.body.company_id",
        "records.2.body.company_id",
        "records.3.body.last_name",
        "records.4.body.company_id",
    }
    assert await _contacts(world) == []


async def test_relation_lists_and_updates_are_checked_as_a_single_write_checks_them(world: World) -> None:
    (company,) = await _companies(world, 1)
    kept = await world.create("contacts", {"last_name": "Kept", "company_id": company})
    unlinked = await world.create("contacts", {"last_name": "Unlinked"})
    gone = await world.create("contacts", {"last_name": "Gone"})
    assert (
        await world.client.delete(f"/api/v1/contacts/{gone['id']}", headers=world.auth())
    ).status_code == 204
    # A relation list: one missing id among several fails the record.
    deals = await _batch(
        world,
        "deals",
        {
            "operation": "create",
            "records": [
                {"name": "Good", "contact_ids": [kept["id"]]},
                {"name": "Bad", "contact_ids": [kept["id"], gone["id"]]},
            ],
        },
    )
    assert deals.status_code == 422, deals.text
    assert [(r["index"], r["errors"][0]["path"]) for r in deals.json()["records"]] == [
        (1, "body.contact_ids")
    ]

    # The company is deleted under a contact. Sending its id again changes nothing, which a single write
    # accepts (nothing to write, nothing checked); so is it with another change: a write is asked about the
    # links it makes, not those it keeps (asking would tell a caller whether a record they may not see still
    # exists). Linking to the deleted company anew is refused, as there.
    assert (
        await world.client.delete(f"/api/v1/companies/{company}", headers=world.auth())
    ).status_code == 204
    same = {"id": kept["id"], "company_id": company}
    unchanged = await _batch(world, "contacts", {"operation": "update", "records": [same]})
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["results"][0]["record"]["version"] == 1
    changed = await _batch(
        world, "contacts", {"operation": "update", "records": [{**same, "job_title": "CEO"}]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["results"][0]["record"]["company_id"] == company
    single = await world.client.patch(
        f"/api/v1/contacts/{kept['id']}",
        json={"company_id": company, "job_title": "CTO"},
        headers=world.auth(),
    )
    assert single.status_code == 200, single.text
    linked = await _batch(
        world, "contacts", {"operation": "update", "records": [{"id": unlinked["id"], "company_id": company}]}
    )
    assert linked.status_code == 422
    assert linked.json()["records"][0]["errors"] == NO_SUCH_COMPANY
    relinked = await world.client.patch(
        f"/api/v1/contacts/{unlinked['id']}", json={"company_id": company}, headers=world.auth()
    )
    assert relinked.status_code == 422
    assert relinked.json()["errors"] == NO_SUCH_COMPANY


async def test_per_record_mode_fails_only_the_records_with_a_missing_relation(world: World) -> None:
    (company,) = await _companies(world, 1)
    records = [
        {"last_name": "A", "company_id": company},
        {"last_name": "B", "company_id": str(uuid.uuid4())},
        {"last_name": "C", "company_id": company},
    ]
    response = await _batch(
        world, "contacts", {"operation": "create", "mode": "per_record", "records": records}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert results[1]["error"]["code"] == "validation_failed"
    assert results[1]["error"]["errors"] == NO_SUCH_COMPANY
    assert await _contacts(world) == [("A", company), ("C", company)]
    db: Database = world.app.state.db
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Contact)) == 2


async def test_relations_a_rule_sets_are_checked_too(world: World) -> None:
    """Deals: the rule puts each in the default pipeline's first stage (made by the first deal of the batch,
    in the batch's transaction); those relations are checked like the caller's own, once per batch."""
    (company,) = await _companies(world, 1)
    records = [{"name": f"D{i}", "company_id": company} for i in range(20)]
    with _company_lookups(world) as lookups:
        response = await _batch(world, "deals", {"operation": "create", "records": records})
    assert response.status_code == 200, response.text
    deals = [result["record"] for result in response.json()["results"]]
    assert len({(deal["pipeline_id"], deal["stage_id"]) for deal in deals}) == 1
    assert {deal["company_id"] for deal in deals} == {company}
    assert len(lookups) == 1
    stages = await world.client.get("/api/v1/stages", headers=world.auth())
    assert deals[0]["stage_id"] in {stage["id"] for stage in stages.json()["items"]}
