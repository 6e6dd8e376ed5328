"""Time in state and funnels from field history, checked against hand-computed durations (history times are
set directly): grouping, date ranges, filters, deleted/restored records, same-microsecond changes, hidden
fields, visibility, another workspace and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from kronos.modules.crm.models import Deal, Lead
from tests.kit.records.support import Perms, World
from tests.kit.records.test_asof_lists import patch, retime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = 86_400.0
FROM, TO = "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


async def stages(world: World, headers: dict[str, str] | None = None) -> dict[str, str]:
    response = await world.client.get("/api/v1/stages?sort=position", headers=headers or world.auth())
    assert response.status_code == 200, response.text
    return {item["name"]: item["id"] for item in response.json()["items"]}


async def deal(
    world: World, name: str, moves: list[tuple[float, str]], headers: dict[str, str] | None = None
) -> str:
    """A deal created at T0 in the first stage; ``moves``: (day, stage name | 'delete' | 'restore')."""
    headers = headers or world.auth()
    record = await world.create("deals", {"name": name}, headers=headers)
    ids = await stages(world, headers)
    times = [T0]
    for when, action in moves:
        if action == "delete":
            response = await world.client.delete(f"/api/v1/deals/{record['id']}", headers=headers)
            assert response.status_code == 204
        elif action == "restore":
            response = await world.client.post(f"/api/v1/deals/{record['id']}/restore", headers=headers)
            assert response.status_code == 200
        else:
            await patch(world, "deals", record["id"], {"stage_id": ids[action]}, headers=headers)
        times.append(day(when))
    await retime(world, Deal, record["id"], times)
    return str(record["id"])


async def seed(world: World) -> dict[str, str]:
    """P: Qualification 1d, Proposal 2d, Negotiation 3d, Won.  Q: Qualification 2d, Proposal 4d, Lost.
    R: Qualification 4d, Negotiation 4d (deleted on day 5, restored on day 7), Lost on day 8.
    S: deleted now (left out).  U: another owner's; Qualification 3d, Proposal 1d, Lost."""
    ids = {
        "P": await deal(world, "P", [(1, "Proposal"), (3, "Negotiation"), (6, "Won")]),
        "Q": await deal(world, "Q", [(2, "Proposal"), (6, "Lost")]),
        "R": await deal(world, "R", [(4, "Negotiation"), (5, "delete"), (7, "restore"), (8, "Lost")]),
        "S": await deal(world, "S", [(1, "Proposal"), (2, "delete")]),
    }
    other_user = await world.member()
    ids["U"] = await deal(world, "U", [(3, "Proposal"), (4, "Lost")])
    await patch(world, "deals", ids["U"], {"owner_id": str(other_user)})
    ids["other_user"] = str(other_user)
    return ids


async def report(world: World, kind: str, query: str, headers: dict[str, str] | None = None) -> Any:
    response = await world.client.get(f"/api/v1/analytics/{kind}?{query}", headers=headers or world.auth())
    assert response.status_code == 200, response.text
    return response.json()


def by_display(group: dict[str, Any], key: str = "values") -> dict[str, dict[str, Any]]:
    return {item["display"]: item for item in group[key]}


def assert_stats(item: dict[str, Any], count: int, mean_days: float, median_days: float) -> None:
    assert item["count"] == count
    assert item["mean_seconds"] == pytest.approx(mean_days * DAY, abs=0.01)
    assert item["median_seconds"] == pytest.approx(median_days * DAY, abs=0.01)


async def test_time_in_state_per_stage(world: World) -> None:
    await seed(world)
    body = await report(world, "time-in-state", f"object=deals&field=stage_id&from={FROM}&to={TO}")
    assert body["object"] == "deals"
    assert body["field"] == "stage_id"
    assert len(body["groups"]) == 1
    group = body["groups"][0]
    assert group["group"] is None
    values = by_display(group)
    # Ordered like the pipeline (stages by position).
    assert [v["display"] for v in group["values"]] == [
        "Qualification",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert_stats(values["Qualification"], 4, (1 + 2 + 4 + 3) / 4, 2.5)
    assert_stats(values["Proposal"], 3, (2 + 4 + 1) / 3, 2)
    # R's deletion (day 5) ends its Negotiation stint and its restore (day 7) starts another, as on the
    # deal's own durations: P 3 days, R 1 + 1 day.
    assert_stats(values["Negotiation"], 3, 5 / 3, 1)
    assert values["Won"]["count"] == 1  # open stints: counted up to now
    assert values["Lost"]["count"] == 3
    # Only stints overlapping [day 5, ...): Q's Proposal, P's Negotiation and R's after its restore (the
    # one before ends exactly on day 5), and the closed ones.
    since = quote(day(5).strftime("%Y-%m-%dT%H:%M:%SZ"))
    body = await report(world, "time-in-state", f"object=deals&field=stage_id&from={since}&to={TO}")
    values = by_display(body["groups"][0])
    assert set(values) == {"Proposal", "Negotiation", "Won", "Lost"}
    assert_stats(values["Proposal"], 1, 4, 4)
    assert_stats(values["Negotiation"], 2, 2, 2)
    # Before anything happened: nothing.
    body = await report(world, "time-in-state", "object=deals&field=stage_id&from=2026-01-01&to=2026-02-01")
    assert body["groups"] == []


async def test_grouping_filter_and_visibility(world: World) -> None:
    ids = await seed(world)
    body = await report(
        world, "time-in-state", f"object=deals&field=stage_id&from={FROM}&to={TO}&group_by=owner_id"
    )
    groups = {g["group"]: by_display(g) for g in body["groups"]}
    assert set(groups) == {str(world.user), ids["other_user"]}
    assert_stats(groups[str(world.user)]["Qualification"], 3, 7 / 3, 2)
    assert_stats(groups[ids["other_user"]]["Qualification"], 1, 3, 3)
    assert_stats(groups[ids["other_user"]]["Proposal"], 1, 1, 1)
    name_filter = quote(json.dumps({"field": "name", "op": "in", "value": ["P", "Q"]}))
    body = await report(
        world, "time-in-state", f"object=deals&field=stage_id&from={FROM}&to={TO}&filter={name_filter}"
    )
    values = by_display(body["groups"][0])
    assert_stats(values["Qualification"], 2, 1.5, 1.5)
    assert "Negotiation" in values
    assert values["Negotiation"]["count"] == 1
    # Own records only: U is not counted.
    own = world.auth(Perms(scope="own"))
    body = await report(world, "time-in-state", f"object=deals&field=stage_id&from={FROM}&to={TO}", own)
    assert_stats(by_display(body["groups"][0])["Qualification"], 3, 7 / 3, 2)


async def test_funnel_over_stages(world: World) -> None:
    await seed(world)
    body = await report(world, "funnel", f"object=deals&field=stage_id&from={FROM}&to={TO}")
    steps = body["groups"][0]["steps"]
    assert [(s["display"], s["entered"], s["reached_next"]) for s in steps] == [
        ("Qualification", 4, 4),
        ("Proposal", 3, 1),  # P to Negotiation; Q and U to Lost, which is no progress
        ("Negotiation", 2, 1),  # P won, R lost
        ("Won", 1, 0),
        ("Lost", 3, 0),
    ]
    assert steps[0]["conversion_rate"] == 1.0
    assert steps[3]["conversion_rate"] == 0.0
    since = quote(day(5).strftime("%Y-%m-%dT%H:%M:%SZ"))
    body = await report(world, "funnel", f"object=deals&field=stage_id&from={since}&to={TO}")
    steps = body["groups"][0]["steps"]
    # Nobody was in Qualification after day 5: a relation's unentered step is left out.
    assert [(s["display"], s["entered"], s["reached_next"]) for s in steps] == [
        ("Proposal", 1, 0),
        ("Negotiation", 2, 1),
        ("Won", 1, 0),
        ("Lost", 3, 0),
    ]


async def test_funnel_counts_only_forward_moves_into_open_or_won_steps(world: World) -> None:
    """Moving to Lost is no progress, wherever Lost sits in the pipeline's order (it is last here)."""
    await deal(world, "A", [(1, "Proposal"), (2, "Lost")])
    await deal(world, "B", [(1, "Lost")])
    await deal(world, "C", [(1, "Negotiation"), (3, "Won")])
    # Back to Qualification, then Proposal again: Qualification did reach a later step; Proposal did not.
    await deal(world, "D", [(1, "Proposal"), (2, "Qualification"), (3, "Proposal")])
    body = await report(world, "funnel", f"object=deals&field=stage_id&from={FROM}&to={TO}")
    steps = body["groups"][0]["steps"]
    assert [(s["display"], s["entered"], s["reached_next"]) for s in steps] == [
        ("Qualification", 4, 3),
        ("Proposal", 2, 0),
        ("Negotiation", 1, 1),
        ("Won", 1, 0),
        ("Lost", 2, 0),
    ]
    assert steps[0]["conversion_rate"] == 0.75
    # A select's option valued "lost" is an exit too.
    response = await world.client.post(
        "/api/v1/metadata/objects/leads/fields",
        json={
            "api_name": "phase",
            "label": "Phase",
            "type": "select",
            "options": [{"value": v, "label": v.title()} for v in ("cold", "warm", "hot", "lost")],
        },
        headers=world.auth(),
    )
    assert response.status_code == 201, response.text
    for name, moves in (("Gone", ["lost"]), ("Keen", ["warm", "hot"])):
        lead = (await world.create("leads", {"last_name": name, "phase": "cold"}))["id"]
        for value in moves:
            await patch(world, "leads", lead, {"phase": value})
        await retime(world, Lead, lead, [day(n) for n in range(len(moves) + 1)])
    body = await report(world, "funnel", f"object=leads&field=phase&from={FROM}&to={TO}")
    steps = [(s["value"], s["entered"], s["reached_next"]) for s in body["groups"][0]["steps"]]
    assert steps == [("cold", 2, 1), ("warm", 1, 1), ("hot", 1, 0), ("lost", 1, 0)]


async def test_lead_status_select_with_same_microsecond_changes(world: World) -> None:
    one = (await world.create("leads", {"last_name": "One"}))["id"]
    await patch(world, "leads", one, {"status": "contacted"})
    await patch(world, "leads", one, {"status": "qualified"})
    await retime(world, Lead, one, [T0, day(1), day(2)])
    two = (await world.create("leads", {"last_name": "Two"}))["id"]
    await patch(world, "leads", two, {"status": "contacted"})
    await patch(world, "leads", two, {"status": "unqualified"})
    await retime(world, Lead, two, [T0, day(1), day(1)])  # contacted for zero time: left out
    body = await report(world, "time-in-state", f"object=leads&field=status&from={FROM}&to={TO}")
    values = {v["value"]: v for v in body["groups"][0]["values"]}
    assert_stats(values["new"], 2, 1, 1)
    assert_stats(values["contacted"], 1, 1, 1)
    assert values["new"]["display"] == "New"
    body = await report(world, "funnel", f"object=leads&field=status&from={FROM}&to={TO}")
    steps = [(s["value"], s["entered"], s["reached_next"]) for s in body["groups"][0]["steps"]]
    # Select options are all listed, in their order, entered or not.
    assert steps == [
        ("new", 2, 2),
        ("contacted", 1, 1),
        ("qualified", 1, 0),
        ("unqualified", 1, 0),
        ("converted", 0, 0),
    ]
    assert body["groups"][0]["steps"][4]["conversion_rate"] is None


async def test_another_workspace_and_hidden_fields(world: World) -> None:
    await seed(world)
    other = world.auth(tenant=world.other_tenant)
    await deal(world, "Elsewhere", [(10, "Proposal")], headers=other)
    mine = await report(world, "time-in-state", f"object=deals&field=stage_id&from={FROM}&to={TO}")
    assert by_display(mine["groups"][0])["Qualification"]["count"] == 4
    theirs = await report(world, "time-in-state", f"object=deals&field=stage_id&from={FROM}&to={TO}", other)
    values = by_display(theirs["groups"][0])
    assert set(values) == {"Qualification", "Proposal"}
    assert_stats(values["Qualification"], 1, 10, 10)
    for hidden_field, query in (
        ("stage_id", "field=stage_id"),
        ("owner_id", "field=stage_id&group_by=owner_id"),
        ("name", "field=stage_id&filter=" + quote(json.dumps({"field": "name", "op": "eq", "value": "P"}))),
    ):
        headers = world.auth(Perms(hidden=frozenset({("deals", hidden_field)})))
        response = await world.client.get(
            f"/api/v1/analytics/time-in-state?object=deals&{query}", headers=headers
        )
        assert response.status_code == 422, hidden_field
        assert response.json()["errors"][0]["type"] == "unknown_field"


@pytest.mark.parametrize(
    ("query", "status", "path"),
    [
        ("object=deals&field=name", 422, "query.field"),
        ("object=deals&field=contact_ids", 422, "query.field"),
        ("object=deals&field=stage_id&group_by=name", 422, "query.group_by"),
        ("object=deals&field=stage_id&from=2026-05-01&to=2026-04-01", 422, "query.from"),
        ("object=deals&field=stage_id&from=soon", 422, "query.from"),
        ("object=deals&field=stage_id&to=2026-04-01T00:00:00", 422, "query.to"),
        ("object=deals&field=stage_id&filter=%7Bnot", 422, "query.filter"),
        ("object=deals&field=stage_id&bogus=1", 422, "query.bogus"),
        ("object=deals", 422, None),
        ("object=nothing&field=stage_id", 404, None),
    ],
)
async def test_bad_input(world: World, query: str, status: int, path: str | None) -> None:
    for kind in ("time-in-state", "funnel"):
        response = await world.client.get(f"/api/v1/analytics/{kind}?{query}", headers=world.auth())
        assert response.status_code == status, (kind, response.text)
        if path is not None:
            assert response.json()["errors"][0]["path"] == path


async def test_permissions(world: World) -> None:
    no_read = world.auth(Perms(actions=frozenset({"create"})))
    response = await world.client.get("/api/v1/analytics/funnel?object=deals&field=stage_id", headers=no_read)
    assert response.status_code == 403
    response = await world.client.get(
        "/api/v1/analytics/funnel?object=deals&field=owner_id", headers=world.auth()
    )
    assert response.status_code == 422
    response = await world.client.get("/api/v1/analytics/funnel?object=deals&field=stage_id")
    assert response.status_code == 401
