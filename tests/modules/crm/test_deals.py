"""Pipelines, stages and deals through the generic API, with the deal rules the CRM module adds."""

from __future__ import annotations

from typing import Any

from tests.kit.records.support import Perms, World


async def _stages(world: World, pipeline_id: str) -> dict[str, dict[str, Any]]:
    response = await world.client.get(
        f"/api/v1/stages?pipeline_id[eq]={pipeline_id}&sort=position", headers=world.auth()
    )
    assert response.status_code == 200, response.text
    return {stage["name"]: stage for stage in response.json()["items"]}


async def test_default_pipeline_and_stage_rules(world: World) -> None:
    client, headers = world.client, world.auth()
    deal = await world.create(
        "deals", {"name": "Big one", "amount": {"amount_minor": 125000, "currency": "eur"}}
    )
    assert deal["amount"] == {"amount_minor": 125000, "currency": "EUR"}
    pipelines = (await client.get("/api/v1/pipelines", headers=headers)).json()["items"]
    assert [(p["name"], p["is_default"]) for p in pipelines] == [("Sales", True)]
    stages = await _stages(world, pipelines[0]["id"])
    assert [(s["name"], s["probability"], s["type"]) for s in stages.values()] == [
        ("Qualification", 10, "open"),
        ("Proposal", 40, "open"),
        ("Negotiation", 70, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
    assert deal["pipeline_id"] == pipelines[0]["id"]
    assert deal["stage_id"] == stages["Qualification"]["id"]
    assert deal["closed_at"] is None
    assert deal["outcome"] is None

    # A second deal reuses the pipeline: no second default.
    await world.create("deals", {"name": "Small one"})
    assert len((await client.get("/api/v1/pipelines", headers=headers)).json()["items"]) == 1

    won = await client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage_id": stages["Won"]["id"]}, headers=headers
    )
    assert won.status_code == 200, won.text
    assert won.json()["outcome"] == "won"
    assert won.json()["closed_at"] is not None
    history = [row for row in await world.history(deal["id"]) if row.op == "update"]
    assert {row.field for row in history} == {"stage_id", "outcome", "closed_at"}
    assert len({row.change_set_id for row in history}) == 1
    assert {row.field: row.new_value for row in history}["outcome"] == "won"

    lost = await client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage_id": stages["Lost"]["id"]}, headers=headers
    )
    assert lost.json()["outcome"] == "lost"
    reopened = await client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage_id": stages["Proposal"]["id"]}, headers=headers
    )
    assert reopened.json()["outcome"] is None
    assert reopened.json()["closed_at"] is None
    # Closing fields belong to the rules, not to callers.
    direct = await client.patch(f"/api/v1/deals/{deal['id']}", json={"outcome": "won"}, headers=headers)
    assert direct.status_code == 422


async def test_stage_must_belong_to_the_pipeline(world: World) -> None:
    client, headers = world.client, world.auth()
    other = await world.create("pipelines", {"name": "Partners"})
    stage = await world.create(
        "stages", {"pipeline_id": other["id"], "name": "Intro", "position": 1, "probability": 20}
    )
    assert stage["type"] == "open"
    deal = await world.create("deals", {"name": "D"})  # creates the default pipeline
    wrong = await client.patch(f"/api/v1/deals/{deal['id']}", json={"stage_id": stage["id"]}, headers=headers)
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["type"] == "stage_not_in_pipeline"
    moved = await client.patch(
        f"/api/v1/deals/{deal['id']}",
        json={"pipeline_id": other["id"], "stage_id": stage["id"]},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    # A stage alone implies its pipeline.
    implied = await world.create("deals", {"name": "E", "stage_id": stage["id"]})
    assert implied["pipeline_id"] == other["id"]
    bad_probability = await client.post(
        "/api/v1/stages", json={"pipeline_id": other["id"], "name": "X", "probability": 120}, headers=headers
    )
    assert bad_probability.status_code == 422
    # Cross-workspace: the other workspace's stage and deal do not exist for it.
    stranger = world.auth(tenant=world.other_tenant)
    assert (await client.get(f"/api/v1/deals/{deal['id']}", headers=stranger)).status_code == 404
    foreign = await client.post(
        "/api/v1/deals", json={"name": "F", "stage_id": stage["id"]}, headers=stranger
    )
    assert foreign.status_code == 422


async def test_amount_filters_and_sorts(world: World) -> None:
    client, headers = world.client, world.auth()
    for name, amount, currency in (
        ("a", 500, "EUR"),
        ("b", 15000, "USD"),
        ("c", 2500, "EUR"),
        ("d", None, None),
    ):
        body: dict[str, Any] = {"name": name}
        if amount is not None:
            body["amount"] = {"amount_minor": amount, "currency": currency}
        await world.create("deals", body)

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/v1/deals?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names("sort=amount") == ["a", "c", "b", "d"]
    assert await names("sort=-amount") == ["b", "c", "a", "d"]
    assert await names("amount[gte]=2500&sort=amount") == ["c", "b"]
    assert await names("amount[gte]=1000 EUR&sort=amount") == ["c"]
    assert await names("amount[between]=400,3000&sort=amount") == ["a", "c"]
    assert await names("amount[is_null]=true") == ["d"]
    assert sorted(await names("amount[neq]=500")) == ["b", "c", "d"]
    # Keyset pagination over the amount.
    first = (await client.get("/api/v1/deals?sort=-amount&limit=2", headers=headers)).json()
    second = (
        await client.get(f"/api/v1/deals?sort=-amount&limit=2&after={first['next_cursor']}", headers=headers)
    ).json()
    assert [i["name"] for i in first["items"] + second["items"]] == ["b", "c", "a", "d"]
    bad = await client.get("/api/v1/deals?amount[gte]=lots", headers=headers)
    assert bad.status_code == 422
    bad_currency = await client.post(
        "/api/v1/deals",
        json={"name": "x", "amount": {"amount_minor": 1, "currency": "XXX1"}},
        headers=headers,
    )
    assert bad_currency.status_code == 422


async def test_deal_permissions_and_visibility(world: World) -> None:
    reader = world.auth(Perms(actions=frozenset({"read"})))
    denied = await world.client.post("/api/v1/deals", json={"name": "x"}, headers=reader)
    assert denied.status_code == 403
    assert (await world.client.get("/api/v1/deals", headers=reader)).status_code == 200


async def test_a_stage_or_pipeline_with_live_deals_cannot_be_deleted(world: World) -> None:
    client, headers = world.client, world.auth()
    deal = await world.create("deals", {"name": "Sitting in Qualification"})
    stages = await _stages(world, deal["pipeline_id"])
    qualification, proposal = stages["Qualification"], stages["Proposal"]

    refused = await client.delete(f"/api/v1/stages/{qualification['id']}", headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["code"], refused.json()["deals"]) == ("in_use", 1)
    refused = await client.delete(f"/api/v1/pipelines/{deal['pipeline_id']}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "in_use")
    # Nothing changed: the stage is still there.
    assert (await client.get(f"/api/v1/stages/{qualification['id']}", headers=headers)).status_code == 200

    # An empty stage goes; once the deal has moved on (or is deleted), so does the first one.
    assert (
        await client.delete(f"/api/v1/stages/{stages['Negotiation']['id']}", headers=headers)
    ).status_code == 204
    moved = await client.patch(
        f"/api/v1/deals/{deal['id']}", json={"stage_id": proposal["id"]}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert (await client.delete(f"/api/v1/stages/{qualification['id']}", headers=headers)).status_code == 204
    assert (await client.delete(f"/api/v1/deals/{deal['id']}", headers=headers)).status_code == 204
    assert (
        await client.delete(f"/api/v1/pipelines/{deal['pipeline_id']}", headers=headers)
    ).status_code == 204


async def test_a_rep_who_may_not_choose_owners_owns_what_they_create(world: World) -> None:
    """owner_id read-only for the role (the built-in sales rep): the record is still the creator's, so a rep
    who sees only their own records sees what they just created."""
    rep = await world.member()
    headers = world.auth(Perms(read_only=frozenset({("contacts", "owner_id")}), scope="own"), user=rep)
    created = await world.create("contacts", {"last_name": "Mine"}, headers=headers)
    assert created["owner_id"] == str(rep)
    listed = await world.client.get("/api/v1/contacts", headers=headers)
    assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
    # Choosing an owner stays refused.
    other = await world.member()
    refused = await world.client.post(
        "/api/v1/contacts", json={"last_name": "Theirs", "owner_id": str(other)}, headers=headers
    )
    assert refused.status_code == 403, refused.text
