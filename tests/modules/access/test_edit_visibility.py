"""Edit visibility: the records a role may change, narrower than the records it reads. A sales rep reads the
workspace's sales records and changes only their own; every write path refuses the rest with 403
``record_read_only`` and changes nothing."""

from __future__ import annotations

from typing import Any

from tests.modules.access.conftest import Access, Member


async def _contact(access: Access, owner: Member, who: Member, name: str) -> dict[str, Any]:
    made = await access.call(
        owner, "POST", "/api/v1/contacts", json={"last_name": name, "owner_id": str(who.user_id)}
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _code(response: Any) -> tuple[int, str | None]:
    body = response.json() if response.content else {}
    return response.status_code, body.get("code")


async def test_a_rep_reads_everyone_s_records_and_changes_only_their_own(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    other = await access.member(owner.tenant_id, "sales_rep")
    mine = await _contact(access, owner, rep, "Mine")
    theirs = await _contact(access, owner, other, "Theirs")
    listed = await access.call(rep, "GET", "/api/v1/contacts")
    assert sorted(item["last_name"] for item in listed.json()["items"]) == ["Mine", "Theirs"]
    got = await access.call(rep, "GET", f"/api/v1/contacts/{theirs['id']}")
    assert got.status_code == 200

    url = f"/api/v1/contacts/{theirs['id']}"
    refused = await access.call(rep, "PATCH", url, json={"first_name": "X"})
    assert _code(refused) == (403, "record_read_only")
    assert "your own contacts" in refused.json()["detail"]
    assert _code(await access.call(rep, "DELETE", url)) == (403, "record_read_only")
    batch = await access.call(
        rep,
        "POST",
        "/api/v1/contacts/batch",
        json={"operation": "update", "records": [{"id": theirs["id"], "first_name": "X"}]},
    )
    assert batch.status_code == 422, batch.text
    assert batch.json()["code"] == "batch_failed"
    assert "record_read_only" in batch.text
    deleted = await access.call(
        rep, "POST", "/api/v1/contacts/batch", json={"operation": "delete", "records": [{"id": theirs["id"]}]}
    )
    assert deleted.status_code == 422, deleted.text
    unchanged = (await access.call(owner, "GET", url)).json()
    assert (unchanged["first_name"], unchanged["version"]) == (theirs["first_name"], theirs["version"])

    # Their own record: every write works.
    own_url = f"/api/v1/contacts/{mine['id']}"
    assert (await access.call(rep, "PATCH", own_url, json={"first_name": "Me"})).status_code == 200
    assert (await access.call(rep, "DELETE", own_url)).status_code == 204
    assert (await access.call(rep, "POST", f"{own_url}/restore")).status_code == 200

    # The owner's deleted record stays theirs to restore.
    assert (await access.call(owner, "DELETE", url)).status_code == 204
    assert _code(await access.call(rep, "POST", f"{url}/restore")) == (403, "record_read_only")


async def test_the_caller_s_metadata_names_both_visibilities(access: Access) -> None:
    owner = await access.workspace()
    rep = await access.member(owner.tenant_id, "sales_rep")
    manager = await access.member(owner.tenant_id, "sales_manager")
    for who, expected in ((rep, ("all", "own")), (manager, ("all", "team")), (owner, ("all", "all"))):
        meta = (await access.call(who, "GET", "/api/v1/metadata/objects/contacts")).json()
        assert (meta["permissions"]["visibility"], meta["permissions"]["edit_visibility"]) == expected


async def test_a_custom_role_s_edit_visibility_is_stored_shown_and_enforced(access: Access) -> None:
    owner = await access.workspace()
    role = {
        "key": "closer",
        "name": "Closer",
        "permissions": {
            "objects": {
                "contacts": {
                    "actions": ["read", "create", "update"],
                    "visibility": "all",
                    "edit_visibility": "own",
                },
                # A wider edit visibility than the reads counts as the reads'.
                "deals": {"actions": ["read", "update"], "visibility": "own", "edit_visibility": "all"},
            }
        },
    }
    created = await access.call(owner, "POST", "/api/v1/roles", json=role)
    assert created.status_code == 201, created.text
    objects = created.json()["permissions"]["objects"]
    assert objects["contacts"]["edit_visibility"] == "own"
    closer = await access.member(owner.tenant_id, "closer")
    meta = (await access.call(closer, "GET", "/api/v1/metadata/objects/deals")).json()
    assert (meta["permissions"]["visibility"], meta["permissions"]["edit_visibility"]) == ("own", "own")

    theirs = await _contact(access, owner, owner, "Theirs")
    url = f"/api/v1/contacts/{theirs['id']}"
    assert (await access.call(closer, "GET", url)).status_code == 200
    assert _code(await access.call(closer, "PATCH", url, json={"first_name": "X"})) == (
        403,
        "record_read_only",
    )
    # Nor may they give a new record to someone whose records they cannot change.
    handed = await access.call(
        closer, "POST", "/api/v1/contacts", json={"last_name": "Y", "owner_id": str(owner.user_id)}
    )
    assert _code(handed) == (403, "forbidden")
    made = await access.call(closer, "POST", "/api/v1/contacts", json={"last_name": "Mine"})
    assert made.status_code == 201, made.text
    patched = await access.call(
        closer, "PATCH", f"/api/v1/contacts/{made.json()['id']}", json={"first_name": "Z"}
    )
    assert patched.status_code == 200

    # A role stored without edit visibility changes what it reads, as before.
    plain = await access.call(
        owner,
        "PATCH",
        "/api/v1/roles/closer",
        json={"permissions": {"objects": {"contacts": {"actions": ["read", "update"]}}}},
    )
    assert plain.json()["permissions"]["objects"]["contacts"]["edit_visibility"] is None
    assert (await access.call(closer, "PATCH", url, json={"first_name": "X"})).status_code == 200
