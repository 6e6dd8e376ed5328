"""Lists: every filter operator (standard and custom fields, both syntaxes), sorts, keyset pages,
projection."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.kit.records.support import World

ROWS: list[dict[str, Any]] = [
    {
        "name": "Acme",
        "industry": "software",
        "size": "11-50",
        "address_city": "Lyon",
        "score": 5,
        "tags": ["a"],
    },
    {
        "name": "Acorn",
        "industry": "retail",
        "size": "1-10",
        "address_city": "Paris",
        "score": 2,
        "tags": ["a", "b"],
    },
    {"name": "Beta 100%", "industry": "software", "address_city": "Lyon", "score": 9},
    {"name": "Gamma_x", "industry": "media", "size": "51-200", "score": 2, "tags": ["c"]},
    {"name": "zeta", "size": "11-50", "address_city": "Berlin"},
]


async def seed(world: World) -> dict[str, str]:
    headers = world.auth()
    for definition in (
        {"api_name": "score", "label": "Score", "type": "number"},
        {
            "api_name": "tags",
            "label": "Tags",
            "type": "multi_select",
            "options": [{"value": v, "label": v} for v in "abc"],
        },
    ):
        response = await world.client.post(
            "/api/v1/metadata/objects/companies/fields", json=definition, headers=headers
        )
        assert response.status_code == 201
    ids = {}
    for row in ROWS:
        ids[row["name"]] = (await world.create("companies", row))["id"]
    return ids


async def names(world: World, query: str) -> list[str]:
    response = await world.client.get(f"/api/v1/companies?{query}", headers=world.auth())
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def f(tree: Any) -> str:
    return "filter=" + quote(json.dumps(tree))


CASES: list[tuple[str, set[str]]] = [
    ("industry[eq]=software", {"Acme", "Beta 100%"}),
    ("industry[neq]=software", {"Acorn", "Gamma_x", "zeta"}),  # empty values included
    ("name[lt]=B", {"Acme", "Acorn"}),
    ("name[lte]=Acme", {"Acme"}),
    ("name[gt]=Beta 100%", {"Gamma_x", "zeta"}),
    ("name[gte]=Gamma_x", {"Gamma_x", "zeta"}),
    ("industry[in]=retail,media", {"Acorn", "Gamma_x"}),
    ("industry[not_in]=software,retail", {"Gamma_x", "zeta"}),
    ("name[contains]=100%", {"Beta 100%"}),  # % is literal, not a wildcard
    ("name[contains]=_", {"Gamma_x"}),
    ("name[starts_with]=ac", {"Acme", "Acorn"}),  # case-insensitive
    ("industry[is_null]=true", {"zeta"}),
    ("size[is_null]=false", {"Acme", "Acorn", "Gamma_x", "zeta"}),
    ("score[between]=2,5", {"Acme", "Acorn", "Gamma_x"}),
    ("score[eq]=2", {"Acorn", "Gamma_x"}),
    ("score[gt]=4.5", {"Acme", "Beta 100%"}),
    ("score[lte]=2", {"Acorn", "Gamma_x"}),
    ("score[neq]=2", {"Acme", "Beta 100%", "zeta"}),
    ("score[in]=5,9", {"Acme", "Beta 100%"}),
    ("score[is_null]=true", {"zeta"}),
    ("tags[contains]=a", {"Acme", "Acorn"}),
    ("tags[is_null]=true", {"Beta 100%", "zeta"}),
    ("industry[eq]=software&address_city[eq]=Lyon", {"Acme", "Beta 100%"}),
    (f({"field": "score", "op": "gte", "value": 5}), {"Acme", "Beta 100%"}),
    (
        f(
            {
                "or": [
                    {"field": "industry", "op": "eq", "value": "media"},
                    {"field": "address_city", "op": "eq", "value": "Berlin"},
                ]
            }
        ),
        {"Gamma_x", "zeta"},
    ),
    (
        f(
            {
                "and": [
                    {"field": "address_city", "op": "is_null", "value": False},
                    {
                        "or": [
                            {"field": "tags", "op": "contains", "value": "b"},
                            {
                                "and": [
                                    {"field": "score", "op": "gt", "value": 8},
                                    {"field": "name", "op": "starts_with", "value": "be"},
                                ]
                            },
                        ]
                    },
                ]
            }
        ),
        {"Acorn", "Beta 100%"},
    ),
    (
        f({"field": "score", "op": "between", "value": [3, 10]}) + "&industry[eq]=software",
        {"Acme", "Beta 100%"},
    ),
    (f({"field": "created_at", "op": "gte", "value": "2000-01-01"}), {r["name"] for r in ROWS}),
    (f({"field": "score", "op": "in", "value": []}), set()),
]


async def test_filter_operators(world: World) -> None:
    await seed(world)
    for query, expected in CASES:
        assert set(await names(world, query)) == expected, query


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("bogus[eq]=1", "query.bogus[eq]"),
        ("name[like]=x", "query.name[like]"),
        ("score[eq]=abc", "query.score[eq]"),
        ("score[contains]=1", "query.score[contains]"),
        ("tags[eq]=a", "query.tags[eq]"),
        ("score[between]=1", "query.score[between]"),
        ("owner_id[eq]=nope", "query.owner_id[eq]"),
        ("created_at[gt]=soon", "query.created_at[gt]"),
        ("filter=%7Bnot-json", "query.filter"),
        ("filter=" + quote(json.dumps({"or": {"field": "name"}})), "query.filter.or"),
        (
            "filter=" + quote(json.dumps({"field": "name", "op": "eq", "value": "x", "extra": 1})),
            "query.filter",
        ),
        ("sort=bogus", "query.sort"),
        ("sort=tags", "query.sort"),
        ("fields=name,bogus", "query.fields"),
        ("after=garbage", "query.after"),
        ("limit=201", "query.limit"),
        ("limit=0", "query.limit"),
        ("offset=10", "query.offset"),
    ],
)
async def test_bad_list_queries_are_422(world: World, query: str, path: str) -> None:
    response = await world.client.get(f"/api/v1/companies?{query}", headers=world.auth())
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path


async def test_multi_key_sort(world: World) -> None:
    await seed(world)
    assert await names(world, "sort=size,-name") == ["Acorn", "zeta", "Acme", "Gamma_x", "Beta 100%"]
    assert await names(world, "sort=-score,name") == ["Beta 100%", "Acme", "Acorn", "Gamma_x", "zeta"]
    assert await names(world, "sort=industry,-score") == ["Gamma_x", "Acorn", "Beta 100%", "Acme", "zeta"]


async def test_projection_and_count(world: World) -> None:
    await seed(world)
    response = await world.client.get(
        "/api/v1/companies?fields=name,score&count=true&industry[eq]=software&limit=1", headers=world.auth()
    )
    body = response.json()
    assert body["total"] == 2
    assert set(body["items"][0]) == {"id", "version", "name", "score"}
    assert body["next_cursor"]
    plain = (await world.client.get("/api/v1/companies", headers=world.auth())).json()
    assert "total" not in plain
    one = await world.client.get(
        f"/api/v1/companies/{plain['items'][0]['id']}?fields=name", headers=world.auth()
    )
    assert set(one.json()) == {"id", "version", "name"}


async def walk(world: World, query: str, limit: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"/api/v1/companies?{query}&limit={limit}" + (f"&after={cursor}" if cursor else "")
        body = (await world.client.get(url, headers=world.auth())).json()
        assert len(body["items"]) <= limit
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def test_cursor_pagination_walks_every_row_once_and_is_stable_under_inserts(world: World) -> None:
    await seed(world)
    headers = world.auth()
    sizes = ["1-10", "11-50", None, "51-200"]
    for i in range(300):
        body: dict[str, Any] = {"name": f"Co {i % 37:02d}", "size": sizes[i % 4]}
        if i % 3:
            body["score"] = i % 11
        response = await world.client.post("/api/v1/companies", json=body, headers=headers)
        assert response.status_code == 201
    total = 305
    for query in ("sort=name", "sort=-score,size,name", "sort=size,-created_at", "sort=-score", ""):
        rows = await walk(world, query, 23)
        ids = [row["id"] for row in rows]
        assert len(ids) == total, query
        assert len(set(ids)) == total, query
        one_page = (await world.client.get(f"/api/v1/companies?{query}&limit=200", headers=headers)).json()
        assert ids[:200] == [row["id"] for row in one_page["items"]], query

    # Rows inserted mid-walk (before and after the cursor) never make an existing row repeat or vanish.
    first = (await world.client.get("/api/v1/companies?sort=name&limit=50", headers=headers)).json()
    for name in ("AAA new", "Co 05 new", "zzz new"):
        await world.create("companies", {"name": name})
    rest: list[dict[str, Any]] = []
    cursor = first["next_cursor"]
    while cursor:
        body = (
            await world.client.get(f"/api/v1/companies?sort=name&limit=50&after={cursor}", headers=headers)
        ).json()
        rest.extend(body["items"])
        cursor = body["next_cursor"]
    walked = [row["id"] for row in first["items"] + rest]
    assert len(walked) == len(set(walked))
    original = {row["id"] for row in await walk(world, "sort=name", 200) if not row["name"].endswith("new")}
    assert original <= set(walked)
    assert {row["name"] for row in rest if row["name"].endswith("new")} == {"Co 05 new", "zzz new"}


async def test_cursor_is_bound_to_its_sort(world: World) -> None:
    await seed(world)
    page = (await world.client.get("/api/v1/companies?sort=name&limit=2", headers=world.auth())).json()
    other = await world.client.get(
        f"/api/v1/companies?sort=-name&after={page['next_cursor']}", headers=world.auth()
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["type"] == "invalid_cursor"
