"""Contact e-mails are unique in a workspace, and batch upserts match contacts on any of their e-mails."""

from __future__ import annotations

from typing import Any

from tests.kit.records.support import World


async def _upsert(world: World, records: list[dict[str, Any]], mode: str = "per_record") -> Any:
    response = await world.client.post(
        "/api/v1/contacts/batch",
        json={"operation": "upsert", "match_on": "emails", "mode": mode, "records": records},
        headers=world.auth(),
    )
    return response


async def test_an_address_belongs_to_one_live_contact(world: World) -> None:
    ada = await world.create(
        "contacts", {"last_name": "Lovelace", "emails": ["ada@engine.example", "a@x.io"]}
    )
    taken = await world.client.post(
        "/api/v1/contacts", json={"last_name": "Imposter", "emails": ["A@X.io"]}, headers=world.auth()
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["existing_id"] == ada["id"]
    assert taken.json()["errors"][0]["path"] == "body.emails"
    # Another workspace may hold the same address; a deleted contact frees it.
    await world.create(
        "contacts", {"last_name": "Other", "emails": ["a@x.io"]}, world.auth(tenant=world.other_tenant)
    )
    assert (
        await world.client.delete(f"/api/v1/contacts/{ada['id']}", headers=world.auth())
    ).status_code == 204
    await world.create("contacts", {"last_name": "Next", "emails": ["a@x.io"]})
    # ...and restoring the first one now collides.
    back = await world.client.post(f"/api/v1/contacts/{ada['id']}/restore", headers=world.auth())
    assert back.status_code == 409


async def test_upsert_matches_on_any_address(world: World) -> None:
    ada = await world.create(
        "contacts", {"last_name": "Lovelace", "emails": ["ada@engine.example", "a@x.io"]}
    )
    grace = await world.create("contacts", {"last_name": "Hopper", "emails": ["grace@navy.example"]})
    response = await _upsert(
        world,
        [
            {"last_name": "Lovelace", "job_title": "Analyst", "emails": ["A@X.IO"]},
            {"last_name": "Babbage", "emails": ["charles@engine.example"]},
            {"last_name": "Both", "emails": ["ada@engine.example", "grace@navy.example"]},
        ],
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 201, 409]
    assert results[0]["id"] == ada["id"]
    assert results[2]["error"]["errors"][0]["type"] == "ambiguous"
    updated = (await world.client.get(f"/api/v1/contacts/{ada['id']}", headers=world.auth())).json()
    assert updated["job_title"] == "Analyst"
    assert updated["emails"] == ["a@x.io"]  # the upsert's value replaced the list, as a PATCH would
    untouched = (await world.client.get(f"/api/v1/contacts/{grace['id']}", headers=world.auth())).json()
    assert untouched["version"] == grace["version"]


async def test_an_address_repeated_in_a_batch_is_refused(world: World) -> None:
    response = await _upsert(
        world,
        [
            {"last_name": "A", "emails": ["same@x.io"]},
            {"last_name": "B", "emails": ["other@x.io", "SAME@x.io"]},
        ],
        mode="all_or_nothing",
    )
    assert response.status_code == 422, response.text
    listed = (await world.client.get("/api/v1/contacts", headers=world.auth())).json()
    assert listed["items"] == []
