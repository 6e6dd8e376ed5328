"""Companies and contacts through the generic API: create, read, update, replace, delete, restore."""

from __future__ import annotations

from tests.kit.records.support import World


async def test_company_crud(world: World) -> None:
    client, headers = world.client, world.auth()
    created = await world.create(
        "companies",
        {"name": " Acme ", "domain": "Acme.COM", "industry": "software", "address_city": "Lyon"},
    )
    assert created["name"] == "Acme"
    assert created["domain"] == "acme.com"
    assert created["version"] == 1
    assert created["owner_id"] == str(world.user)
    company_id = created["id"]

    got = await client.get(f"/api/v1/companies/{company_id}", headers=headers)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.json() == created

    patched = await client.patch(
        f"/api/v1/companies/{company_id}", json={"size": "11-50"}, headers={**headers, "If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["size"] == "11-50"
    assert patched.json()["industry"] == "software"
    assert patched.json()["version"] == 2
    assert patched.headers["etag"] == '"2"'

    replaced = await client.put(f"/api/v1/companies/{company_id}", json={"name": "Acme SA"}, headers=headers)
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["name"] == "Acme SA"
    assert body["domain"] is None
    assert body["industry"] is None
    assert body["version"] == 3

    deleted = await client.delete(f"/api/v1/companies/{company_id}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/companies/{company_id}", headers=headers)).status_code == 404
    listed = await client.get("/api/v1/companies", headers=headers)
    assert listed.json() == {"items": [], "next_cursor": None}

    restored = await client.post(f"/api/v1/companies/{company_id}/restore", headers=headers)
    assert restored.status_code == 200
    assert restored.json()["name"] == "Acme SA"
    assert (await client.get(f"/api/v1/companies/{company_id}", headers=headers)).status_code == 200
    again = await client.post(f"/api/v1/companies/{company_id}/restore", headers=headers)
    assert again.status_code == 404


async def test_contact_crud_with_relation(world: World) -> None:
    client, headers = world.client, world.auth()
    company = await world.create("companies", {"name": "Acme"})
    contact = await world.create(
        "contacts",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "emails": ["Ada@Example.com", "ada@example.com", "ada@work.org"],
            "phones": ["+44 (20) 7946-0958"],
            "company_id": company["id"],
        },
    )
    assert contact["emails"] == ["ada@example.com", "ada@work.org"]
    assert contact["phones"] == ["+442079460958"]
    assert contact["company_id"] == company["id"]

    cleared = await client.patch(f"/api/v1/contacts/{contact['id']}", json={"phones": []}, headers=headers)
    assert cleared.json()["phones"] == []
    missing = await client.post("/api/v1/contacts", json={"first_name": "X"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["path"] == "body.last_name"
    assert missing.json()["errors"][0]["type"] == "missing"

    nowhere = await client.post(
        "/api/v1/contacts", json={"last_name": "X", "company_id": str(world.tenant)}, headers=headers
    )
    assert nowhere.status_code == 422
    assert nowhere.json()["errors"][0]["type"] == "relation_not_found"


async def test_unknown_object_and_bad_ids_are_404(world: World) -> None:
    headers = world.auth()
    assert (await world.client.get("/api/v1/widgets", headers=headers)).status_code == 404
    assert (await world.client.get("/api/v1/companies/not-a-uuid", headers=headers)).status_code == 404
    assert (await world.client.get("/api/v1/companies", headers={})).status_code == 401


async def test_openapi_lists_the_record_routes(world: World) -> None:
    response = await world.client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/{object}/{id}/restore" in paths
    assert "/api/v1/metadata/objects/{object}/fields" in paths
    assert "412" in paths["/api/v1/{object}/{id}"]["patch"]["responses"]
    # The generic routes come after every other router: they shadow none of them.
    others = [
        path
        for path, operations in paths.items()
        if path.startswith("/api/v1/")
        and "{" not in path
        and "get" in operations
        and "/metadata/" not in path
    ]
    for path in others:
        answer = await world.client.get(path, headers=world.auth())
        assert "There is no object named" not in answer.text, path
