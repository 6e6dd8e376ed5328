"""Cross-workspace isolation: another workspace's id answers exactly as an id that does not exist, and
changes nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.modules.access.conftest import Access, Member


def _shape(response: httpx.Response, ids: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
    body = {k: v for k, v in response.json().items() if k not in ("request_id", "instance")}
    text = json.dumps(body, sort_keys=True)
    for value in ids:
        text = text.replace(value, "<id>")
    return response.status_code, json.loads(text)


async def _snapshot(access: Access, who: Member) -> list[Any]:
    return [
        (await access.call(who, "GET", url)).json()
        for url in ("/api/v1/roles", "/api/v1/teams", "/api/v1/api-keys?all=true", "/api/v1/audit-log")
    ]


async def test_other_workspace_ids_answer_as_missing_ones(access: Access) -> None:
    a = await access.workspace("A")
    b = await access.workspace("B")
    b_rep = await access.member(b.tenant_id, "sales_rep")
    role = (
        await access.call(
            b, "POST", "/api/v1/roles", json={"key": "b_only", "name": "B", "permissions": {"objects": {}}}
        )
    ).json()
    team = (
        await access.call(
            b, "POST", "/api/v1/teams", json={"name": "B team", "members": [{"user_id": str(b_rep.user_id)}]}
        )
    ).json()
    key = (
        await access.call(b, "POST", "/api/v1/api-keys", json={"name": "b", "permissions": {"objects": {}}})
    ).json()
    a_team = (await access.call(a, "POST", "/api/v1/teams", json={"name": "A team"})).json()
    before = await _snapshot(access, b)

    missing = str(uuid.uuid4())
    requests: list[tuple[str, str, str, Any]] = [
        ("GET", "/api/v1/roles/{}", role["id"], None),
        ("GET", "/api/v1/roles/{}", role["key"], None),
        ("PATCH", "/api/v1/roles/{}", role["id"], {"name": "hijacked"}),
        ("DELETE", "/api/v1/roles/{}", role["id"], None),
        ("DELETE", "/api/v1/roles/{}", role["key"], None),
        ("GET", "/api/v1/teams/{}", team["id"], None),
        ("PATCH", "/api/v1/teams/{}", team["id"], {"name": "hijacked"}),
        ("DELETE", "/api/v1/teams/{}", team["id"], None),
        ("PUT", "/api/v1/teams/{}/members/" + str(a.user_id), team["id"], {"is_manager": True}),
        ("DELETE", "/api/v1/teams/{}/members/" + str(b_rep.user_id), team["id"], None),
        # B's member into A's team: as unknown as a user that does not exist.
        ("PUT", "/api/v1/teams/" + a_team["id"] + "/members/{}", str(b_rep.user_id), None),
        ("DELETE", "/api/v1/teams/" + a_team["id"] + "/members/{}", str(b_rep.user_id), None),
        ("DELETE", "/api/v1/api-keys/{}", key["id"], None),
    ]
    for method, template, foreign, body in requests:
        absent = "no_such_role" if not foreign.count("-") else missing
        theirs = await access.call(a, method, template.format(foreign), json=body)
        nothing = await access.call(a, method, template.format(absent), json=body)
        assert theirs.status_code >= 400, (method, template, theirs.text)
        assert _shape(theirs, (foreign,)) == _shape(nothing, (absent,)), (method, template)

    # The audit-log actor filter and a key's owner cannot see across either.
    log = await access.call(a, "GET", "/api/v1/audit-log", params={"actor": str(b.user_id)})
    assert log.json()["items"] == []
    assert await _snapshot(access, b) == before
    # B's key authenticates into B only.
    principal_teams = await access.client.get(
        "/api/v1/teams", headers={"Authorization": f"Bearer {key['key']}"}
    )
    assert [t["name"] for t in principal_teams.json()] == ["B team"]
