"""Stints of a custom field that is renamed, archived and brought back: its history stays readable, its
stints stay what its history defines (the migration's backfill and the engine's rebuild give the same), and
its name is never given to another field — the metadata API archives fields but never deletes one, so no
new field can inherit an old field's history or stints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.kit.records.support import World
from tests.kit.records.test_as_of import T0, Clock, as_of, frozen, iso
from tests.kit.records.test_stints import rebuilt, rebuilt_by_engine, stored

__all__ = ["frozen"]  # the fixture, shared with test_as_of

FIELDS = "/api/v1/metadata/objects/deals/fields"
SEGMENT = {
    "api_name": "segment",
    "label": "Segment",
    "type": "select",
    "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
}


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


async def durations(world: World, deal_id: str) -> list[tuple[Any, ...]]:
    response = await world.client.get(
        f"/api/v1/deals/{deal_id}/durations", params={"field": "segment"}, headers=world.auth()
    )
    assert response.status_code == 200, response.text
    return [(i["value"], i["display"], i["entered_at"], i["left_at"]) for i in response.json()["items"]]


async def time_in_state(world: World) -> Any:
    return await world.client.get(
        "/api/v1/analytics/time-in-state",
        params={"object": "deals", "field": "segment", "from": at(-60), "to": at(24 * 60)},
        headers=world.auth(),
    )


async def test_an_archived_field_keeps_its_history_and_its_stints(world: World, frozen: Clock) -> None:
    admin = world.auth()
    assert (await world.client.post(FIELDS, json=SEGMENT, headers=admin)).status_code == 201
    frozen.at(minutes=0)
    deal = (await world.create("deals", {"name": "Arch", "segment": "a"}))["id"]
    url = f"/api/v1/deals/{deal}"
    frozen.at(minutes=10)
    assert (await world.client.patch(url, json={"segment": "b"}, headers=admin)).status_code == 200
    frozen.at(minutes=20)
    renamed = await world.client.patch(f"{FIELDS}/segment", json={"label": "Customer segment"}, headers=admin)
    assert renamed.status_code == 200
    assert (await world.client.post(f"{FIELDS}/segment/archive", headers=admin)).status_code == 200
    # Archived: the record can still be deleted and restored; the field's stints end and start again.
    frozen.at(minutes=30)
    assert (await world.client.delete(url, headers=admin)).status_code == 204
    frozen.at(minutes=40)
    assert (await world.client.post(f"{url}/restore", headers=admin)).status_code == 200
    frozen.at(minutes=50)

    assert await durations(world, deal) == [
        ("a", "A", at(0), at(10)),
        ("b", "B", at(10), at(30)),
        ("b", "B", at(40), None),
    ]
    history = await world.client.get(f"{url}/history", params={"field": "segment"}, headers=admin)
    assert [
        (i["op"], i["field_label"], i["old_display"], i["new_display"]) for i in history.json()["items"]
    ] == [("update", "Customer segment", "A", "B"), ("create", "Customer segment", None, "A")]
    assert (await as_of(world, "deals", deal, at(5))).json()["segment"] == "a"
    maintained = await stored(world, world.tenant)
    assert {(s[2], s[3]) for s in maintained if s[2] == "segment"} == {("segment", "a"), ("segment", "b")}
    assert maintained == await rebuilt(world, world.tenant) == await rebuilt_by_engine(world, world.tenant)

    # Reports treat an archived field like lists do: unknown. Brought back, its whole past counts again.
    hidden = await time_in_state(world)
    assert (hidden.status_code, hidden.json()["errors"][0]["type"]) == (422, "unknown_field")
    assert (await world.client.post(f"{FIELDS}/segment/unarchive", headers=admin)).status_code == 200
    report = await time_in_state(world)
    assert report.status_code == 200, report.text
    values = {v["value"]: v for v in report.json()["groups"][0]["values"]}
    assert (values["a"]["count"], values["a"]["mean_seconds"], values["b"]["count"]) == (1, 600.0, 2)

    # Erasing it (archived again) rewrites its history and its stints alike.
    assert (await world.client.post(f"{FIELDS}/segment/archive", headers=admin)).status_code == 200
    erased = await world.client.post(f"{url}/erase", json={"fields": ["segment"]}, headers=admin)
    assert erased.status_code == 200, erased.text
    assert {value for value, *_ in await durations(world, deal)} == {"[erased]"}
    maintained = await stored(world, world.tenant)
    assert maintained == await rebuilt(world, world.tenant) == await rebuilt_by_engine(world, world.tenant)


async def test_a_field_name_is_never_given_to_another_field(world: World) -> None:
    admin = world.auth()
    assert (await world.client.post(FIELDS, json=SEGMENT, headers=admin)).status_code == 201
    assert (await world.client.post(f"{FIELDS}/segment/archive", headers=admin)).status_code == 200
    # There is no deleting a field for good (its values and history stay, archived)...
    assert (await world.client.delete(f"{FIELDS}/segment", headers=admin)).status_code == 405
    # ...so its name stays taken, whatever the new field's type: its stints can never be read as another's.
    for body in (SEGMENT, {"api_name": "segment", "label": "Owner 2", "type": "user"}):
        response = await world.client.post(FIELDS, json=body, headers=admin)
        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["type"] == "duplicate_value"
