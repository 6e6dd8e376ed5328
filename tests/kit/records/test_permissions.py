"""The caller's role applied everywhere: object actions, hidden and read-only fields, record visibility,
and workspaces that cannot see each other."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

from tests.kit.records.support import READ_ONLY, Perms, World

HIDDEN_DOMAIN = Perms(hidden=frozenset({("companies", "domain")}))
READ_ONLY_NAME = Perms(read_only=frozenset({("companies", "name")}))
OWN = Perms(scope="own")


async def test_object_actions(world: World) -> None:
    company = await world.create("companies", {"name": "Acme"})
    url = f"/api/v1/companies/{company['id']}"
    reader = world.auth(READ_ONLY)
    assert (await world.client.get(url, headers=reader)).status_code == 200
    assert (await world.client.get("/api/v1/companies", headers=reader)).status_code == 200
    for response in (
        await world.client.post("/api/v1/companies", json={"name": "B"}, headers=reader),
        await world.client.patch(url, json={"name": "B"}, headers=reader),
        await world.client.put(url, json={"name": "B"}, headers=reader),
        await world.client.delete(url, headers=reader),
        await world.client.post(f"{url}/restore", headers=reader),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    nothing = world.auth(Perms(actions=frozenset()))
    assert (await world.client.get("/api/v1/companies", headers=nothing)).status_code == 403
    assert (await world.client.get(url, headers=nothing)).status_code == 403
    described = await world.client.get("/api/v1/metadata/objects", headers=nothing)
    assert described.json() == []
    assert (await world.client.get(url, headers=world.auth())).json()["name"] == "Acme"


async def test_hidden_fields_are_invisible_and_unwritable(world: World) -> None:
    company = await world.create("companies", {"name": "Acme", "domain": "acme.com"})
    headers = world.auth(HIDDEN_DOMAIN)
    one = (await world.client.get(f"/api/v1/companies/{company['id']}", headers=headers)).json()
    assert "domain" not in one
    listed = (await world.client.get("/api/v1/companies", headers=headers)).json()
    assert "domain" not in listed["items"][0]
    is_null = {"field": "domain", "op": "is_null", "value": True}
    for query in (
        "domain[eq]=acme.com",
        "sort=domain",
        "fields=domain",
        "filter=" + quote(json.dumps(is_null)),
    ):
        response = await world.client.get(f"/api/v1/companies?{query}", headers=headers)
        assert response.status_code == 422, query
        assert "unknown" in response.text.lower()
    write = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"domain": "x.com"}, headers=headers
    )
    assert write.status_code == 422
    assert write.json()["errors"][0] == {
        "path": "body.domain",
        "message": "Unknown field 'domain'.",
        "type": "unknown_field",
    }
    # PUT leaves a field the caller cannot see alone.
    put = await world.client.put(
        f"/api/v1/companies/{company['id']}", json={"name": "Acme 2"}, headers=headers
    )
    assert put.status_code == 200
    assert (await world.client.get(f"/api/v1/companies/{company['id']}", headers=world.auth())).json()[
        "domain"
    ] == "acme.com"
    meta = (await world.client.get("/api/v1/metadata/objects/companies", headers=headers)).json()
    assert "domain" not in {f["name"] for f in meta["fields"]}


async def test_read_only_fields_are_refused_on_writes(world: World) -> None:
    company = await world.create("companies", {"name": "Acme"})
    headers = world.auth(READ_ONLY_NAME)
    refused = await world.client.patch(
        f"/api/v1/companies/{company['id']}", json={"name": "B", "size": "1-10"}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {"path": "body.name", "message": "Your role cannot change this field.", "type": "read_only"}
    ]
    assert (
        await world.client.patch(f"/api/v1/companies/{company['id']}", json={"size": "1-10"}, headers=headers)
    ).status_code == 200
    current = (await world.client.get(f"/api/v1/companies/{company['id']}", headers=headers)).json()
    assert (current["name"], current["size"], current["version"]) == ("Acme", "1-10", 2)
    meta = (await world.client.get("/api/v1/metadata/objects/companies", headers=headers)).json()
    assert {f["name"]: f["access"] for f in meta["fields"]}["name"] == "read"


async def test_own_and_team_visibility_in_lists_reads_writes_and_counts(world: World) -> None:
    me = world.user
    teammate, stranger = await world.member(user=uuid.UUID(int=1)), await world.member(user=uuid.UUID(int=2))
    admin = world.auth()
    mine = await world.create("companies", {"name": "Mine", "owner_id": str(me)})
    theirs = await world.create("companies", {"name": "Teammate's", "owner_id": str(teammate)})
    other = await world.create("companies", {"name": "Stranger's", "owner_id": str(stranger)})
    await world.create("companies", {"name": "Nobody's", "owner_id": None})

    own = world.auth(OWN)
    listed = (await world.client.get("/api/v1/companies?count=true", headers=own)).json()
    assert [i["name"] for i in listed["items"]] == ["Mine"]
    assert listed["total"] == 1
    team = world.auth(Perms(scope="team"), team=frozenset({teammate}))
    listed = (await world.client.get("/api/v1/companies?count=true&sort=name", headers=team)).json()
    assert [i["name"] for i in listed["items"]] == ["Mine", "Teammate's"]
    assert listed["total"] == 2
    assert (await world.client.get("/api/v1/companies?count=true", headers=admin)).json()["total"] == 4

    missing = (await world.client.get(f"/api/v1/companies/{world.tenant}", headers=own)).json()
    for record in (theirs, other):
        url = f"/api/v1/companies/{record['id']}"
        hidden = await world.client.get(url, headers=own)
        assert hidden.status_code == 404
        assert {k: v for k, v in hidden.json().items() if k not in ("detail", "instance", "request_id")} == {
            k: v for k, v in missing.items() if k not in ("detail", "instance", "request_id")
        }
        assert (await world.client.patch(url, json={"name": "X"}, headers=own)).status_code == 404
        assert (await world.client.delete(url, headers=own)).status_code == 404
    assert (await world.client.get(f"/api/v1/companies/{theirs['id']}", headers=team)).status_code == 200
    assert (await world.client.get(f"/api/v1/companies/{other['id']}", headers=team)).status_code == 404

    # New records default to the caller; handing one outside your visibility is refused.
    created = await world.client.post("/api/v1/companies", json={"name": "New"}, headers=own)
    assert created.json()["owner_id"] == str(me)
    give_away = await world.client.patch(
        f"/api/v1/companies/{mine['id']}", json={"owner_id": str(stranger)}, headers=own
    )
    assert give_away.status_code == 403
    to_team = await world.client.patch(
        f"/api/v1/companies/{mine['id']}", json={"owner_id": str(teammate)}, headers=team
    )
    assert to_team.status_code == 200


async def test_other_workspaces_records_look_like_missing_ones(world: World) -> None:
    theirs = await world.create("companies", {"name": "Theirs"}, world.auth(tenant=world.other_tenant))
    headers = world.auth()
    url = f"/api/v1/companies/{theirs['id']}"
    absent = f"/api/v1/companies/{world.other_tenant}"
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        kwargs = {"json": {"name": "X"}} if method in ("PATCH", "PUT") else {}
        found = await world.client.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
        nothing = await world.client.request(method, absent, headers=headers, **kwargs)  # type: ignore[arg-type]
        assert found.status_code == nothing.status_code == 404, method
        assert found.json()["code"] == nothing.json()["code"]
        assert found.json()["detail"].replace(theirs["id"], "?") == nothing.json()["detail"].replace(
            str(world.other_tenant), "?"
        )
    restore = await world.client.post(f"{url}/restore", headers=headers)
    assert restore.status_code == 404
    assert (await world.client.get("/api/v1/companies?count=true", headers=headers)).json() == {
        "items": [],
        "next_cursor": None,
        "total": 0,
    }
    linked = await world.client.post(
        "/api/v1/contacts", json={"last_name": "L", "company_id": theirs["id"]}, headers=headers
    )
    assert linked.status_code == 422
    assert (await world.client.get(url, headers=world.auth(tenant=world.other_tenant))).json()[
        "name"
    ] == "Theirs"
