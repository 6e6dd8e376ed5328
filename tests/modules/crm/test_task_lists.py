"""The list queries the web app's "My tasks" screen sends (frontend/src/features/tasks/dates.ts): tasks by
section of the user's local day, with counts and cursor pages, through the generic list filters alone."""

from __future__ import annotations

import json
from typing import Any

from tests.kit.records.support import Perms, World

# A user at UTC+5:30 whose "today" is 2026-03-11 local: [2026-03-10T18:30Z, 2026-03-11T18:30Z), as the
# browser's Date.toISOString() writes the bounds (milliseconds, Z).
START = "2026-03-10T18:30:00.000Z"
END = "2026-03-11T18:30:00.000Z"


def section(name: str, assignee: str | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"field": "kind", "op": "eq", "value": "task"}]
    if assignee:
        parts.append({"field": "assignee_id", "op": "eq", "value": assignee})
    if name == "done":
        parts.append({"field": "done", "op": "eq", "value": True})
        return {"and": parts}
    parts.append({"field": "done", "op": "eq", "value": False})
    windows: dict[str, list[dict[str, Any]]] = {
        "overdue": [{"field": "due_at", "op": "lt", "value": START}],
        "today": [
            {"field": "due_at", "op": "gte", "value": START},
            {"field": "due_at", "op": "lt", "value": END},
        ],
        "upcoming": [{"field": "due_at", "op": "gte", "value": END}],
        "none": [{"field": "due_at", "op": "is_null", "value": True}],
    }
    return {"and": parts + windows[name]}


async def _subjects(world: World, headers: dict[str, str], filter: dict[str, Any], sort: str) -> list[str]:
    """Every page of a section, two rows at a time (the cursor must neither skip nor repeat a row)."""
    subjects: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"filter": json.dumps(filter), "sort": sort, "limit": 2}
        if after:
            params["after"] = after
        response = await world.client.get("/api/v1/activities", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        subjects += [item["subject"] for item in page["items"]]
        after = page["next_cursor"]
        if after is None:
            return subjects


async def _count(world: World, headers: dict[str, str], filter: dict[str, Any]) -> int:
    params: dict[str, str | int] = {"filter": json.dumps(filter), "limit": 1, "fields": "id", "count": "true"}
    response = await world.client.get("/api/v1/activities", params=params, headers=headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


async def test_sections_split_at_the_local_day_bounds(world: World) -> None:
    me = str(world.user)
    colleague = str(await world.member())
    tasks = [
        ("last week", "2026-03-04T09:00:00Z", False, me),
        ("a second before today", "2026-03-10T18:29:59.999Z", False, me),
        ("first instant of today", START, False, me),
        ("today noon", "2026-03-11T06:30:00Z", False, me),
        ("last instant of today", "2026-03-11T18:29:59.999Z", False, me),
        ("first instant of tomorrow", END, False, me),
        ("no date", None, False, me),
        ("done yesterday", "2026-03-10T10:00:00Z", True, me),
        ("colleague today", "2026-03-11T08:00:00Z", False, colleague),
    ]
    for subject, due, done, assignee in tasks:
        body: dict[str, Any] = {"kind": "task", "subject": subject, "done": done, "assignee_id": assignee}
        if due:
            body["due_at"] = due
        await world.create("activities", body)
    await world.create(
        "activities", {"kind": "call", "subject": "a call today", "due_at": "2026-03-11T07:00:00Z"}
    )
    headers = world.auth()

    expected = {
        "overdue": ["last week", "a second before today"],
        "today": ["first instant of today", "today noon", "last instant of today"],
        "upcoming": ["first instant of tomorrow"],
        "none": ["no date"],
        "done": ["done yesterday"],
    }
    for name, subjects in expected.items():
        filter = section(name, me)
        assert (
            await _subjects(world, headers, filter, "due_at" if name != "none" else "-created_at") == subjects
        )
        assert await _count(world, headers, filter) == len(subjects)

    # Everyone's tasks: the colleague's shows up too, in due order.
    everyone_today = await _subjects(world, headers, section("today", None), "due_at")
    assert everyone_today == [
        "first instant of today",
        "today noon",
        "colleague today",
        "last instant of today",
    ]


async def test_everyone_means_everyone_the_role_can_see(world: World) -> None:
    colleague = await world.member()
    await world.create("activities", {"kind": "task", "subject": "mine", "due_at": "2026-03-11T06:00:00Z"})
    await world.create(
        "activities",
        {
            "kind": "task",
            "subject": "theirs",
            "due_at": "2026-03-11T07:00:00Z",
            "assignee_id": str(colleague),
        },
    )
    own = world.auth(Perms(scope="own"))
    assert await _subjects(world, own, section("today", None), "due_at") == ["mine"]
    assert await _count(world, own, section("today", None)) == 1
    stranger = world.auth(tenant=world.other_tenant)
    assert await _count(world, stranger, section("today", None)) == 0


async def test_a_bad_bound_is_a_clear_422(world: World) -> None:
    filter = {
        "and": [
            {"field": "kind", "op": "eq", "value": "task"},
            {"field": "due_at", "op": "lt", "value": "today"},
        ]
    }
    response = await world.client.get(
        "/api/v1/activities", params={"filter": json.dumps(filter)}, headers=world.auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "query.filter.and.1"
