"""The aggregate API (``GET /api/v1/{object}/aggregate``) against hand-computed figures: groups by value, by
date bucket and by list elements, per-currency sums, standard and custom fields, custom objects, filters,
record visibility, hidden fields, another workspace and bad input."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import update

from kronos.kit.db import Database
from kronos.kit.records import aggregate
from kronos.modules.crm.models import Deal
from tests.kit.records.support import Perms, World

FIELDS: list[dict[str, Any]] = [
    {
        "api_name": "tags",
        "label": "Tags",
        "type": "multi_select",
        "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}],
    },
    {
        "api_name": "region",
        "label": "Region",
        "type": "select",
        "options": [{"value": "north", "label": "North"}, {"value": "south", "label": "South"}],
    },
    {"api_name": "budget", "label": "Budget", "type": "currency"},
    {"api_name": "weight", "label": "Weight", "type": "number"},
    {"api_name": "hot", "label": "Hot", "type": "boolean"},
    {"api_name": "signed_at", "label": "Signed", "type": "datetime"},
    {"api_name": "kickoff", "label": "Kickoff", "type": "date"},
]


def eur(amount: int) -> dict[str, Any]:
    return {"amount_minor": amount, "currency": "EUR"}


def usd(amount: int) -> dict[str, Any]:
    return {"amount_minor": amount, "currency": "USD"}


async def stage_ids(world: World) -> dict[str, str]:
    response = await world.client.get("/api/v1/stages?sort=position", headers=world.auth())
    assert response.status_code == 200, response.text
    return {item["name"]: item["id"] for item in response.json()["items"]}


async def set_closed_at(world: World, record_id: str, when: datetime) -> None:
    """``closed_at`` is a system field (the stage rules set it): put a chosen instant straight in the row."""
    db: Database = world.app.state.db
    async with db.write_session() as session:
        await session.execute(update(Deal).where(Deal.id == uuid.UUID(record_id)).values(closed_at=when))


async def seed(world: World) -> dict[str, str]:
    """Live deals in the caller's workspace (owner: the caller unless said):

    ====  =============  ===========  ======  ========  =========  ======  =====  ====  ===================
    deal  stage          amount       tags    region    budget     weight  close  hot   signed_at (UTC)
    ====  =============  ===========  ======  ========  =========  ======  =====  ====  ===================
    D1    Qualification  EUR 1000     a, b    north     USD 500    2       01-15  true  03-31 23:30
    D2    Qualification  EUR 2500     a       south     -          4       01-31  false 04-01 00:30
    D3    Proposal       USD 700      -       -         USD 300    -       03-02  -     -
    D4    Proposal       -            -       north     -          -       -      -     -
    D5    Qualification  EUR 9000     c       -         -          10      02-10  -     -     (another owner)
    ====  =============  ===========  ======  ========  =========  ======  =====  ====  ===================

    Left out everywhere: D6 (deleted, EUR 50000) and another workspace's deal (EUR 77).
    """
    admin = world.auth()
    other_owner = await world.member()
    for body in FIELDS:
        response = await world.client.post("/api/v1/metadata/objects/deals/fields", json=body, headers=admin)
        assert response.status_code == 201, response.text
    first = await world.create("deals", {"name": "D1", "amount": eur(1000)})
    stages = await stage_ids(world)
    qualification, proposal = stages["Qualification"], stages["Proposal"]
    patch = {
        "stage_id": qualification,
        "tags": ["a", "b"],
        "region": "north",
        "budget": usd(500),
        "weight": 2,
        "close_date": "2026-01-15",
        "hot": True,
        "signed_at": "2026-04-01T01:30:00+02:00",
        "kickoff": "2026-05-31",
    }
    response = await world.client.patch(f"/api/v1/deals/{first['id']}", json=patch, headers=admin)
    assert response.status_code == 200, response.text
    ids = {"D1": first["id"], "other_owner": str(other_owner), **stages}
    bodies: dict[str, dict[str, Any]] = {
        "D2": {
            "stage_id": qualification,
            "amount": eur(2500),
            "tags": ["a"],
            "region": "south",
            "weight": 4,
            "close_date": "2026-01-31",
            "hot": False,
            "signed_at": "2026-04-01T00:30:00Z",
            "kickoff": "2026-06-01",
        },
        "D3": {"stage_id": proposal, "amount": usd(700), "budget": usd(300), "close_date": "2026-03-02"},
        "D4": {"stage_id": proposal, "region": "north"},
        "D5": {
            "stage_id": qualification,
            "amount": eur(9000),
            "tags": ["c"],
            "weight": 10,
            "close_date": "2026-02-10",
            "owner_id": str(other_owner),
        },
        "D6": {"stage_id": qualification, "amount": eur(50000), "region": "north"},
    }
    for name, body in bodies.items():
        ids[name] = (await world.create("deals", {"name": name, **body}))["id"]
    response = await world.client.delete(f"/api/v1/deals/{ids['D6']}", headers=admin)
    assert response.status_code == 204
    await world.create(
        "deals", {"name": "Theirs", "amount": eur(77)}, headers=world.auth(tenant=world.other_tenant)
    )
    await set_closed_at(world, ids["D1"], datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    await set_closed_at(world, ids["D2"], datetime(2026, 4, 1, 0, 30, tzinfo=UTC))
    return ids


async def get(world: World, query: str, headers: dict[str, str] | None = None, status: int = 200) -> Any:
    response = await world.client.get(f"/api/v1/deals/aggregate?{query}", headers=headers or world.auth())
    assert response.status_code == status, response.text
    return response.json()


def by_key(body: dict[str, Any], *fields: str) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for group in body["groups"]:
        key = tuple(group["key"][f] for f in fields)
        out[key[0] if len(fields) == 1 else key] = group
    return out


async def test_pipeline_value_by_stage_per_currency(world: World) -> None:
    ids = await seed(world)
    body = await get(world, "group_by=stage_id&metrics=count,sum:amount,avg:weight,sum:budget")
    groups = by_key(body, "stage_id")
    assert set(groups) == {ids["Qualification"], ids["Proposal"]}
    qualification, proposal = groups[ids["Qualification"]], groups[ids["Proposal"]]
    assert qualification["count"] == 3
    assert qualification["sum:amount"] == [eur(1000 + 2500 + 9000)]
    assert qualification["avg:weight"] == pytest.approx((2 + 4 + 10) / 3)
    assert qualification["sum:budget"] == [usd(500)]
    assert proposal["count"] == 2
    assert proposal["sum:amount"] == [usd(700)]
    assert proposal["avg:weight"] is None
    assert proposal["sum:budget"] == [usd(300)]
    assert body["totals"] == {
        "count": 5,
        "sum:amount": [eur(12500), usd(700)],
        "avg:weight": pytest.approx(16 / 3),
        "sum:budget": [usd(800)],
    }


async def test_totals_only_and_min_max_avg(world: World) -> None:
    await seed(world)
    body = await get(
        world, "metrics=min:amount,max:amount,avg:amount,min:close_date,max:signed_at,sum:weight"
    )
    assert body["groups"] == []
    totals = body["totals"]
    assert totals["count"] == 5
    assert totals["min:amount"] == [eur(1000), usd(700)]
    assert totals["max:amount"] == [eur(9000), usd(700)]
    assert totals["avg:amount"] == [eur(round(12500 / 3)), usd(700)]
    assert totals["min:close_date"] == "2026-01-15"
    assert totals["max:signed_at"] == "2026-04-01T00:30:00.000000Z"
    assert totals["sum:weight"] == 16
    # No metrics: count only.
    assert await get(world, "") == {"groups": [], "totals": {"count": 5}}


async def test_date_buckets_in_utc(world: World) -> None:
    await seed(world)
    expected = {
        "day": {"2026-01-15": 1, "2026-01-31": 1, "2026-02-10": 1, "2026-03-02": 1, None: 1},
        # Thursday 15 Jan -> Monday 12th; Saturday 31st -> 26th; a Monday stays itself.
        "week": {"2026-01-12": 1, "2026-01-26": 1, "2026-02-09": 1, "2026-03-02": 1, None: 1},
        "month": {"2026-01-01": 2, "2026-02-01": 1, "2026-03-01": 1, None: 1},
        "quarter": {"2026-01-01": 4, None: 1},
        "year": {"2026-01-01": 4, None: 1},
    }
    for bucket, counts in expected.items():
        body = await get(world, f"group_by=close_date:{bucket}")
        assert [g["key"]["close_date"] for g in body["groups"]] == list(counts), bucket
        assert {g["key"]["close_date"]: g["count"] for g in body["groups"]} == counts, bucket
    # No bucket: days.
    assert len((await get(world, "group_by=close_date"))["groups"]) == 5
    # Datetimes: 23:30 UTC on 31 March is March, 00:30 UTC on 1 April is April; the custom datetime was sent
    # as 01:30+02:00, i.e. 23:30 UTC the day before.
    body = await get(world, "group_by=closed_at:month&metrics=sum:amount")
    assert {g["key"]["closed_at"]: (g["count"], g["sum:amount"]) for g in body["groups"]} == {
        "2026-03-01": (1, [eur(1000)]),
        "2026-04-01": (1, [eur(2500)]),
        None: (3, [eur(9000), usd(700)]),
    }
    body = await get(world, "group_by=signed_at:day")
    assert {g["key"]["signed_at"]: g["count"] for g in body["groups"]} == {
        "2026-03-31": 1,
        "2026-04-01": 1,
        None: 3,
    }
    body = await get(world, "group_by=kickoff:quarter")
    assert {g["key"]["kickoff"]: g["count"] for g in body["groups"]} == {
        "2026-04-01": 2,
        None: 3,
    }
    body = await get(world, "group_by=signed_at:week")
    assert {g["key"]["signed_at"]: g["count"] for g in body["groups"]} == {"2026-03-30": 2, None: 3}


async def test_list_values_booleans_users_and_two_fields(world: World) -> None:
    ids = await seed(world)
    body = await get(world, "group_by=tags&metrics=sum:amount")
    assert [g["key"]["tags"] for g in body["groups"]] == ["a", "b", "c", None]
    assert {g["key"]["tags"]: (g["count"], g["sum:amount"]) for g in body["groups"]} == {
        "a": (2, [eur(3500)]),
        "b": (1, [eur(1000)]),
        "c": (1, [eur(9000)]),
        None: (2, [usd(700)]),
    }
    assert body["totals"]["count"] == 5  # each record once
    body = await get(world, "group_by=hot")
    assert [(g["key"]["hot"], g["count"]) for g in body["groups"]] == [(False, 1), (True, 1), (None, 3)]
    body = await get(world, "group_by=owner_id")
    assert {g["key"]["owner_id"]: g["count"] for g in body["groups"]} == {
        str(world.user): 4,
        ids["other_owner"]: 1,
    }
    body = await get(world, "group_by=stage_id,region&metrics=sum:amount")
    groups = by_key(body, "stage_id", "region")
    assert {key: g["count"] for key, g in groups.items()} == {
        (ids["Qualification"], "north"): 1,
        (ids["Qualification"], "south"): 1,
        (ids["Qualification"], None): 1,
        (ids["Proposal"], "north"): 1,
        (ids["Proposal"], None): 1,
    }
    assert groups[(ids["Proposal"], "north")]["sum:amount"] == []
    body = await get(world, "group_by=region,tags")
    assert by_key(body, "region", "tags")[("north", "b")]["count"] == 1
    assert by_key(body, "region", "tags")[(None, None)]["count"] == 1  # D3


async def test_filters_are_the_lists(world: World) -> None:
    ids = await seed(world)
    tree = quote(json.dumps({"field": "region", "op": "eq", "value": "north"}))
    body = await get(world, f"filter={tree}&metrics=sum:amount")
    assert body["totals"] == {"count": 2, "sum:amount": [eur(1000)]}
    body = await get(world, f"group_by=stage_id&stage_id[eq]={ids['Proposal']}&metrics=sum:amount")
    assert [(g["key"]["stage_id"], g["count"]) for g in body["groups"]] == [(ids["Proposal"], 2)]
    body = await get(world, "outcome[is_null]=true&amount[gte]=2000&metrics=sum:amount")
    assert body["totals"] == {"count": 2, "sum:amount": [eur(11500)]}
    # Nothing matches: zero, no groups, empty sums.
    body = await get(world, "group_by=stage_id&name[eq]=nobody&metrics=sum:amount,sum:weight,avg:weight")
    assert body == {
        "groups": [],
        "totals": {"count": 0, "sum:amount": [], "sum:weight": 0, "avg:weight": None},
    }


async def test_visibility_own_and_team(world: World) -> None:
    ids = await seed(world)
    own = world.auth(Perms(scope="own"))
    body = await get(world, "group_by=stage_id&metrics=sum:amount", headers=own)
    assert {g["key"]["stage_id"]: (g["count"], g["sum:amount"]) for g in body["groups"]} == {
        ids["Qualification"]: (2, [eur(3500)]),
        ids["Proposal"]: (2, [usd(700)]),
    }
    assert body["totals"]["count"] == 4
    team = world.auth(Perms(scope="team"), team=frozenset({uuid.UUID(ids["other_owner"])}))
    assert (await get(world, "metrics=sum:amount", headers=team))["totals"]["count"] == 5
    # Someone else with "own" visibility sees only what they own.
    them = world.auth(Perms(scope="own"), user=uuid.UUID(ids["other_owner"]))
    assert (await get(world, "metrics=sum:amount", headers=them))["totals"] == {
        "count": 1,
        "sum:amount": [eur(9000)],
    }


async def test_another_workspace_sees_only_its_own(world: World) -> None:
    await seed(world)
    theirs = world.auth(tenant=world.other_tenant)
    body = await get(world, "group_by=stage_id&metrics=sum:amount", headers=theirs)
    assert body["totals"] == {"count": 1, "sum:amount": [eur(77)]}
    assert [g["count"] for g in body["groups"]] == [1]
    # Its workspace has no custom field "region": unknown there.
    await get(world, "group_by=region", headers=theirs, status=422)


async def test_hidden_fields_and_permissions(world: World) -> None:
    await seed(world)
    hidden = world.auth(Perms(hidden=frozenset({("deals", "amount"), ("deals", "region")})))
    for query in (
        "metrics=sum:amount",
        "group_by=region",
        "group_by=stage_id,region",
        "region[eq]=north",
        "filter=" + quote(json.dumps({"field": "amount", "op": "gte", "value": 1})),
    ):
        body = await get(world, query, headers=hidden, status=422)
        assert "amount" in body["detail"] or "region" in body["detail"], body
        assert body["errors"][0]["type"] == "unknown_field"
    # Other fields still work for that role.
    assert (await get(world, "group_by=tags", headers=hidden))["totals"]["count"] == 5
    no_read = world.auth(Perms(actions=frozenset({"create"})))
    body = await get(world, "group_by=stage_id", headers=no_read, status=403)
    assert body["code"] == "forbidden"
    response = await world.client.get("/api/v1/deals/aggregate")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("query", "type"),
    [
        ("group_by=nope", "unknown_field"),
        ("group_by=amount", "unsupported_field"),
        ("group_by=weight", "unsupported_field"),
        ("group_by=stage_id,region,tags", "invalid_group_by"),
        ("group_by=stage_id,stage_id", "invalid_group_by"),
        ("group_by=stage_id,", "invalid_group_by"),
        ("group_by=region:month", "invalid_bucket"),
        ("group_by=close_date:fortnight", "invalid_bucket"),
        ("metrics=median:amount", "invalid_metric"),
        ("metrics=sum", "invalid_metric"),
        ("metrics=sum:name", "unsupported_field"),
        ("metrics=avg:close_date", "unsupported_field"),
        ("metrics=min:tags", "unsupported_field"),
        ("metrics=sum:nope", "unknown_field"),
        ("metrics=count,count", "invalid_metric"),
        ("metrics=count,,sum:amount", "invalid_metric"),
        ("limit=5", "unknown_parameter"),
        ("Amount[gte]=5", "invalid_filter"),
        ("amount[bogus]=5", "unknown_operator"),
        ("filter=%7Bnot-json", "invalid_filter"),
    ],
)
async def test_bad_input_is_a_422(world: World, query: str, type: str) -> None:
    await seed(world)
    body = await get(world, query, status=422)
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["type"] == type


async def test_unknown_object_and_too_many_groups(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed(world)
    response = await world.client.get("/api/v1/nothings/aggregate", headers=world.auth())
    assert response.status_code == 404
    monkeypatch.setattr(aggregate, "MAX_GROUPS", 3)
    body = await get(world, "group_by=close_date:day", status=422)
    assert body["errors"][0]["type"] == "too_many_groups"
    assert len((await get(world, "group_by=close_date:quarter"))["groups"]) == 2


async def test_custom_objects_and_other_standard_objects(world: World) -> None:
    admin = world.auth()
    someone = await world.member()
    response = await world.client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    for body in (
        {
            "api_name": "status",
            "label": "Status",
            "type": "select",
            "options": [{"value": "planned", "label": "Planned"}, {"value": "live", "label": "Live"}],
        },
        {"api_name": "budget", "label": "Budget", "type": "currency"},
    ):
        response = await world.client.post(
            "/api/v1/metadata/objects/projects/fields", json=body, headers=admin
        )
        assert response.status_code == 201, response.text
    for name, status, budget in (("P1", "live", eur(10)), ("P2", "live", eur(5)), ("P3", "planned", usd(1))):
        await world.create("projects", {"name": name, "status": status, "budget": budget})
    await world.create("projects", {"name": "P4"})
    response = await world.client.get(
        "/api/v1/projects/aggregate?group_by=status&metrics=sum:budget,max:budget", headers=admin
    )
    assert response.status_code == 200, response.text
    assert [
        (g["key"]["status"], g["count"], g["sum:budget"], g["max:budget"]) for g in response.json()["groups"]
    ] == [
        ("live", 2, [eur(15)], [eur(10)]),
        ("planned", 1, [usd(1)], [usd(1)]),
        (None, 1, [], []),
    ]
    # Leads by status and source; activities by assignee and kind (visibility follows the assignee).
    for last, status, source in (("A", "new", "web"), ("B", "new", "event"), ("C", "contacted", "web")):
        await world.create("leads", {"last_name": last, "status": status, "source": source})
    response = await world.client.get("/api/v1/leads/aggregate?group_by=status,source", headers=admin)
    assert [(g["key"]["status"], g["key"]["source"], g["count"]) for g in response.json()["groups"]] == [
        ("contacted", "web", 1),
        ("new", "event", 1),
        ("new", "web", 1),
    ]
    for kind, assignee in (
        ("call", world.user),
        ("call", world.user),
        ("email", world.user),
        ("call", someone),
    ):
        await world.create("activities", {"kind": kind, "assignee_id": str(assignee)})
    own = world.auth(Perms(scope="own"))
    response = await world.client.get("/api/v1/activities/aggregate?group_by=assignee_id,kind", headers=own)
    assert [(g["key"]["assignee_id"], g["key"]["kind"], g["count"]) for g in response.json()["groups"]] == [
        (str(world.user), "call", 2),
        (str(world.user), "email", 1),
    ]


async def test_route_does_not_shadow_records(world: World) -> None:
    record = await world.create("deals", {"name": "Solo", "amount": eur(5)})
    response = await world.client.get(f"/api/v1/deals/{record['id']}", headers=world.auth())
    assert response.status_code == 200
    assert response.json()["name"] == "Solo"
    body = await get(world, "metrics=sum:amount")
    assert body["totals"] == {"count": 1, "sum:amount": [eur(5)]}
