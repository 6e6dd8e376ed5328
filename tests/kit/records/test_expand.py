"""``?expand=``: related records one level deep, in one query per field, under the caller's permissions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from kronos.kit.db import Database
from tests.kit.records.support import Perms, World


async def _contacts_at(world: World, count: int) -> list[dict[str, Any]]:
    out = []
    for index in range(count):
        company = await world.create("companies", {"name": f"Company {index}", "domain": f"c{index}.example"})
        out.append(await world.create("contacts", {"last_name": f"P{index}", "company_id": company["id"]}))
    return out


async def test_a_page_expands_each_relation_in_one_query(world: World) -> None:
    contacts = await _contacts_at(world, 12)
    lonely = await world.create("contacts", {"last_name": "Zed"})
    db: Database = world.app.state.db
    statements: list[str] = []

    def record(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = await world.client.get(
            "/api/v1/contacts",
            params={"expand": "company_id", "sort": "last_name", "fields": "last_name", "limit": 50},
            headers=world.auth(),
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 13
    by_name = {item["last_name"]: item for item in items}
    first = by_name["P0"]
    # The relation is shown (projection or not) and its record sits under _expanded.
    assert first["company_id"] == contacts[0]["company_id"]
    assert first["_expanded"]["company_id"]["name"] == "Company 0"
    assert first["_expanded"]["company_id"]["domain"] == "c0.example"
    assert by_name["Zed"]["_expanded"] == {"company_id": None}
    assert lonely["id"] == by_name["Zed"]["id"]
    company_queries = [s for s in statements if "FROM companies" in s]
    assert len(company_queries) == 1, company_queries


async def test_relation_lists_expand_to_lists_and_get_expands_too(world: World) -> None:
    ada = await world.create("contacts", {"last_name": "Lovelace"})
    bob = await world.create("contacts", {"last_name": "Babbage"})
    deal = await world.create("deals", {"name": "Engine", "contact_ids": [ada["id"], bob["id"]]})
    response = await world.client.get(
        f"/api/v1/deals/{deal['id']}", params={"expand": "contact_ids,company_id"}, headers=world.auth()
    )
    assert response.status_code == 200, response.text
    expanded = response.json()["_expanded"]
    assert [c["last_name"] for c in expanded["contact_ids"]] == ["Lovelace", "Babbage"]
    assert expanded["company_id"] is None
    # A deleted contact drops out of the expansion (it no longer exists for readers).
    assert (
        await world.client.delete(f"/api/v1/contacts/{bob['id']}", headers=world.auth())
    ).status_code == 204
    again = await world.client.get(
        f"/api/v1/deals/{deal['id']}", params={"expand": "contact_ids"}, headers=world.auth()
    )
    assert [c["last_name"] for c in again.json()["_expanded"]["contact_ids"]] == ["Lovelace"]


async def test_expansion_honours_visibility_and_hidden_fields(world: World) -> None:
    someone = await world.member()
    theirs = await world.create(
        "companies", {"name": "Theirs", "owner_id": str(someone), "domain": "t.example"}
    )
    mine = await world.create("companies", {"name": "Mine", "domain": "m.example"})
    await world.create("contacts", {"last_name": "A", "company_id": theirs["id"]})
    await world.create("contacts", {"last_name": "B", "company_id": mine["id"]})
    caller = world.auth(Perms(scope="own", hidden=frozenset({("companies", "domain")})))
    items = (
        await world.client.get("/api/v1/contacts?expand=company_id&sort=last_name", headers=caller)
    ).json()["items"]
    expanded = {item["last_name"]: item["_expanded"]["company_id"] for item in items}
    # A company outside the caller's visibility expands to null, like one that does not exist.
    assert expanded["A"] is None
    assert expanded["B"]["name"] == "Mine"
    assert "domain" not in expanded["B"]


class _NoCompanies(Perms):
    def can(self, object_name: str, action: Any) -> bool:
        return object_name != "companies"


async def test_expanding_an_object_the_caller_cannot_read_is_forbidden(world: World) -> None:
    await world.create("contacts", {"last_name": "A"})
    response = await world.client.get(
        "/api/v1/contacts?expand=company_id", headers=world.auth(_NoCompanies())
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["path"] == "query.expand"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"expand": "last_name"}, "not a relation"),
        ({"expand": "nope"}, "Unknown field"),
        ({"expand": "company_id,owner_id"}, "not a relation"),
        ({"expand": "company_id", "as_of": "2026-01-01T00:00:00Z"}, "as_of"),
    ],
)
async def test_bad_expansions_are_422(world: World, params: dict[str, str], reason: str) -> None:
    response = await world.client.get("/api/v1/contacts", params=params, headers=world.auth())
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]


async def test_a_hidden_relation_cannot_be_expanded(world: World) -> None:
    caller = world.auth(Perms(hidden=frozenset({("contacts", "company_id")})))
    response = await world.client.get("/api/v1/contacts?expand=company_id", headers=caller)
    assert response.status_code == 422
