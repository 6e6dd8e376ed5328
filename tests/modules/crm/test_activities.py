"""Activities linked to records of any object, filtered by link; assignee-based visibility."""

from __future__ import annotations

from tests.kit.records.support import Perms, World


async def test_activities_link_to_many_records(world: World) -> None:
    client, headers = world.client, world.auth()
    company = await world.create("companies", {"name": "Acme"})
    contact = await world.create("contacts", {"last_name": "Doe"})
    deal = await world.create("deals", {"name": "D"})
    call = await world.create(
        "activities",
        {
            "kind": "call",
            "subject": "Intro call",
            "due_at": "2026-12-01T10:00:00+01:00",
            "links": [{"object": "contacts", "id": contact["id"]}, {"object": "deals", "id": deal["id"]}],
        },
    )
    assert call["done"] is False
    assert call["assignee_id"] == str(world.user)
    assert call["due_at"] == "2026-12-01T09:00:00.000000Z"
    note = await world.create(
        "activities",
        {"kind": "note", "body": "Met them", "links": [{"object": "companies", "id": company["id"]}]},
    )

    async def subjects(query: str) -> list[str]:
        response = await client.get(f"/api/v1/activities?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await subjects(f"links[contains]=deals:{deal['id']}") == [call["id"]]
    assert await subjects(f"links[contains]=companies:{company['id']}") == [note["id"]]
    assert await subjects(f"links[contains]=companies:{deal['id']}") == []
    assert await subjects("kind[eq]=call") == [call["id"]]

    done = await client.patch(f"/api/v1/activities/{call['id']}", json={"done": True}, headers=headers)
    assert done.json()["done"] is True
    missing = await client.post(
        "/api/v1/activities",
        json={"kind": "task", "links": [{"object": "deals", "id": company["id"]}]},
        headers=headers,
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["type"] == "relation_not_found"
    unknown = await client.post(
        "/api/v1/activities",
        json={"kind": "task", "links": [{"object": "widgets", "id": company["id"]}]},
        headers=headers,
    )
    assert unknown.status_code == 422
    shape = await client.post("/api/v1/activities", json={"kind": "task", "links": ["x"]}, headers=headers)
    assert shape.status_code == 422
    stranger = world.auth(tenant=world.other_tenant)
    assert (await client.get(f"/api/v1/activities/{call['id']}", headers=stranger)).status_code == 404


async def test_activity_visibility_follows_the_assignee(world: World) -> None:
    await world.create("activities", {"kind": "task", "subject": "mine"})
    someone = world.auth(Perms(scope="own"), user=world.other_tenant)
    listed = await world.client.get("/api/v1/activities", headers=someone)
    assert listed.json()["items"] == []
