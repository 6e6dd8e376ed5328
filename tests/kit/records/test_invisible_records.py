"""A record the caller may not see (record visibility own/team, an object their role cannot read) is, in
every answer of a write, exactly like one that does not exist: a relation to it is the 422 a random id gets,
and a unique value it holds is a 409 that says "taken" without its id. Hidden fields are not named."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from kronos.kit.auth import Action
from tests.kit.records.support import Perms, World

OWN = Perms(scope="own")
EVER = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"


@dataclass(frozen=True)
class NoCompanies(Perms):
    """Everything on every object but companies, which this role cannot even read."""

    def can(self, object_name: str, action: Action) -> bool:
        return object_name != "companies"


def _problem(response: Any, *ids: str) -> dict[str, Any]:
    """The problem body as a caller compares it: the ids in it (the one they sent) blanked out."""
    text = response.text
    for record_id in ids:
        text = text.replace(record_id, "<id>")
    body: dict[str, Any] = json.loads(text)
    return {k: v for k, v in body.items() if k not in ("instance", "request_id")}


async def _stranger_world(world: World) -> dict[str, Any]:
    stranger = await world.member(user=uuid.UUID(int=7))
    company = await world.create(
        "companies", {"name": "Hidden Co", "domain": "hidden.io", "owner_id": str(stranger)}
    )
    contact = await world.create(
        "contacts", {"last_name": "Hidden", "emails": ["who@hidden.io"], "owner_id": str(stranger)}
    )
    return {"stranger": stranger, "company": company, "contact": contact}


async def test_a_relation_to_an_invisible_record_is_a_422_like_a_random_id(world: World) -> None:
    hidden = await _stranger_world(world)
    company_id, contact_id = hidden["company"]["id"], hidden["contact"]["id"]
    random_id = str(uuid.uuid4())
    rep = world.auth(OWN)
    await world.member()

    async def both(method: str, url: str, body: dict[str, Any], invisible: Any, missing: Any) -> None:
        seen = await world.client.request(method, url, json=body | invisible, headers=rep)
        unknown = await world.client.request(method, url, json=body | missing, headers=rep)
        assert seen.status_code == unknown.status_code == 422, seen.text
        assert _problem(seen, company_id, contact_id) == _problem(unknown, random_id)

    await both(
        "POST", "/api/v1/contacts", {"last_name": "L"}, {"company_id": company_id}, {"company_id": random_id}
    )
    await both("POST", "/api/v1/deals", {"name": "D"}, {"company_id": company_id}, {"company_id": random_id})
    await both(
        "POST", "/api/v1/deals", {"name": "D"}, {"contact_ids": [contact_id]}, {"contact_ids": [random_id]}
    )
    mine = await world.create("contacts", {"last_name": "Mine"}, rep)
    await both(
        "PATCH", f"/api/v1/contacts/{mine['id']}", {}, {"company_id": company_id}, {"company_id": random_id}
    )
    link = {"object": "contacts", "id": contact_id}
    await both(
        "POST",
        "/api/v1/activities",
        {"kind": "note"},
        {"links": [link]},
        {"links": [{"object": "contacts", "id": random_id}]},
    )
    await both(
        "POST",
        "/api/v1/contacts/batch",
        {"operation": "create"},
        {"records": [{"last_name": "L", "company_id": company_id}]},
        {"records": [{"last_name": "L", "company_id": random_id}]},
    )
    per_record = await world.client.post(
        "/api/v1/contacts/batch",
        json={
            "operation": "create",
            "mode": "per_record",
            "records": [{"last_name": "L", "company_id": company_id}],
        },
        headers=rep,
    )
    assert per_record.json()["results"][0]["status"] == 422
    assert per_record.json()["results"][0]["error"]["errors"][0]["type"] == "relation_not_found"
    listed = await world.client.get("/api/v1/contacts?count=true", headers=world.auth())
    assert listed.json()["total"] == 2  # the stranger's contact and the rep's own: nothing was linked

    # A role that cannot read companies at all: every company is invisible to it.
    blind = world.auth(NoCompanies())
    visible = await world.create("companies", {"name": "Visible to admins"})
    refused = await world.client.post(
        "/api/v1/contacts", json={"last_name": "L", "company_id": visible["id"]}, headers=blind
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "relation_not_found"


async def test_a_link_kept_as_it_was_is_not_asked_about(world: World) -> None:
    """A record already linked (by someone who could) to one its owner cannot see stays editable, PUT
    included; only the links a write adds are checked."""
    hidden = await _stranger_world(world)
    rep = world.auth(OWN)
    await world.member()
    mine = await world.create("contacts", {"last_name": "Mine"}, rep)
    url = f"/api/v1/contacts/{mine['id']}"
    linked = await world.client.patch(url, json={"company_id": hidden["company"]["id"]}, headers=world.auth())
    assert linked.status_code == 200, linked.text
    assert (await world.client.patch(url, json={"job_title": "CTO"}, headers=rep)).status_code == 200
    current = (await world.client.get(url, headers=rep)).json()
    body = {k: current[k] for k in ("first_name", "last_name", "emails", "phones", "job_title", "company_id")}
    replaced = await world.client.put(url, json=body | {"owner_id": str(world.user)}, headers=rep)
    assert replaced.status_code == 200, replaced.text
    # Adding a contact to a deal whose contacts include one the rep cannot see.
    deal = await world.create("deals", {"name": "D", "contact_ids": [hidden["contact"]["id"]]})
    await world.client.patch(
        f"/api/v1/deals/{deal['id']}", json={"owner_id": str(world.user)}, headers=world.auth()
    )
    added = await world.client.patch(
        f"/api/v1/deals/{deal['id']}",
        json={"contact_ids": [hidden["contact"]["id"], mine["id"]]},
        headers=rep,
    )
    assert added.status_code == 200, added.text


async def test_a_unique_value_an_invisible_record_holds_is_taken_without_its_id(world: World) -> None:
    hidden = await _stranger_world(world)
    company_id, contact_id = hidden["company"]["id"], hidden["contact"]["id"]
    rep = world.auth(OWN)
    await world.member()

    def taken(response: Any, field: str) -> None:
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["code"] == "duplicate_value"
        assert "existing_id" not in body
        assert body["field"] == field
        assert company_id not in response.text
        assert contact_id not in response.text

    taken(
        await world.client.post("/api/v1/companies", json={"name": "X", "domain": "HIDDEN.io"}, headers=rep),
        "domain",
    )
    taken(
        await world.client.post(
            "/api/v1/contacts", json={"last_name": "X", "emails": ["who@hidden.io"]}, headers=rep
        ),
        "emails",
    )
    mine = await world.create("companies", {"name": "Mine"}, rep)
    taken(
        await world.client.patch(
            f"/api/v1/companies/{mine['id']}", json={"domain": "hidden.io"}, headers=rep
        ),
        "domain",
    )
    # Whoever can see the holder is told which record it is.
    admin = await world.client.post(
        "/api/v1/companies", json={"name": "X", "domain": "hidden.io"}, headers=world.auth()
    )
    assert admin.status_code == 409
    assert admin.json()["existing_id"] == company_id
    team = world.auth(Perms(scope="team"), team=frozenset({hidden["stranger"]}))
    assert (
        await world.client.post("/api/v1/companies", json={"name": "X", "domain": "hidden.io"}, headers=team)
    ).json()["existing_id"] == company_id

    # A batch: a create or an upsert that would match the invisible record neither updates nor names it.
    for body in (
        {"operation": "create", "records": [{"name": "X", "domain": "hidden.io"}]},
        {
            "operation": "upsert",
            "match_on": "domain",
            "records": [{"name": "Taken over", "domain": "hidden.io"}],
        },
    ):
        failed = await world.client.post("/api/v1/companies/batch", json=body, headers=rep)
        assert failed.status_code == 422, failed.text
        assert failed.json()["records"][0]["code"] == "duplicate_value"
        assert company_id not in failed.text
        assert "existing_id" not in failed.text
        single = await world.client.post(
            "/api/v1/companies/batch", json=body | {"mode": "per_record"}, headers=rep
        )
        assert single.status_code == 200
        result = single.json()["results"][0]
        assert (result["status"], result["error"]["code"]) == (409, "duplicate_value")
        assert company_id not in single.text
        assert "existing_id" not in single.text
    held = (await world.client.get(f"/api/v1/companies/{company_id}", headers=world.auth())).json()
    assert (held["name"], held["version"]) == ("Hidden Co", 1)
    # Two records of the caller's own batch that share a value: the second is told the first's id.
    own = await world.client.post(
        "/api/v1/companies/batch",
        json={
            "operation": "create",
            "records": [{"name": "A", "domain": "a.io"}, {"name": "B", "domain": "a.io"}],
        },
        headers=rep,
    )
    assert own.json()["records"][0]["code"] == "duplicate_value"
    assert "existing_id" in own.json()["records"][0]


async def test_a_restore_that_clashes_names_neither_the_holder_nor_a_hidden_field(world: World) -> None:
    rep_perms = Perms(scope="own", hidden=frozenset({("companies", "domain")}))
    rep = world.auth(OWN)
    await world.member()
    stranger = await world.member(user=uuid.UUID(int=7))
    mine = await world.create("companies", {"name": "Mine", "domain": "mine.io"}, rep)
    assert (await world.client.delete(f"/api/v1/companies/{mine['id']}", headers=rep)).status_code == 204
    holder = await world.create(
        "companies", {"name": "Theirs", "domain": "mine.io", "owner_id": str(stranger)}
    )
    restored = await world.client.post(f"/api/v1/companies/{mine['id']}/restore", headers=rep)
    assert restored.status_code == 409
    assert "existing_id" not in restored.json()
    assert holder["id"] not in restored.text
    blind = await world.client.post(f"/api/v1/companies/{mine['id']}/restore", headers=world.auth(rep_perms))
    assert blind.status_code == 409
    assert blind.json()["code"] == "duplicate_value"
    assert "domain" not in blind.text.lower()
    assert "mine.io" not in blind.text
    assert holder["id"] not in blind.text


async def test_lead_conversion_neither_links_nor_names_invisible_records(world: World) -> None:
    hidden = await _stranger_world(world)
    rep = world.auth(OWN)
    await world.member()
    # The lead's e-mail is an invisible contact's: converting would create a second holder of it.
    lead = await world.create("leads", {"last_name": "Who", "email": "who@hidden.io"}, rep)
    refused = await world.client.post(f"/api/v1/leads/{lead['id']}/convert", json={}, headers=rep)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "duplicate_value"
    for record in (hidden["company"], hidden["contact"]):
        assert record["id"] not in refused.text
    assert (await world.client.get(f"/api/v1/leads/{lead['id']}", headers=rep)).json()["status"] == "new"
    # The e-mail's domain is an invisible company's: the lead converts, to a company of its own.
    other = await world.create(
        "leads", {"last_name": "New", "email": "new@hidden.io", "company_name": "Mine"}, rep
    )
    converted = await world.client.post(f"/api/v1/leads/{other['id']}/convert", json={}, headers=rep)
    assert converted.status_code == 200, converted.text
    company = converted.json()["company"]
    assert company["id"] != hidden["company"]["id"]
    assert (company["name"], company["domain"]) == ("Mine", None)
    assert converted.json()["contact"]["company_id"] == company["id"]


async def test_reports_show_invisible_related_records_by_id_only(world: World) -> None:
    hidden = await _stranger_world(world)
    rep = world.auth(OWN)
    await world.member()
    mine = await world.create("contacts", {"last_name": "Mine"}, rep)
    linked = await world.client.patch(
        f"/api/v1/contacts/{mine['id']}", json={"company_id": hidden["company"]["id"]}, headers=world.auth()
    )
    assert linked.status_code == 200
    query = f"object=contacts&field=company_id&{EVER}"
    for headers, display in ((rep, None), (world.auth(), "Hidden Co")):
        response = await world.client.get(f"/api/v1/analytics/time-in-state?{query}", headers=headers)
        assert response.status_code == 200, response.text
        values = [v for group in response.json()["groups"] for v in group["values"]]
        assert [(v["value"], v["display"]) for v in values] == [(hidden["company"]["id"], display)]
