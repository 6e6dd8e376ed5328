"""field_stints: what the write path keeps equals what history defines (random writes, then the migration's
own frozen backfill SQL, and the engine's rebuild statement, rebuild them and the three are compared),
imports and erasures rebuild them, and the migration tracks the fields the code declares."""

from __future__ import annotations

import ast
import importlib.util
import random
import re
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text

from kronos.kit.db import Database
from kronos.kit.records import stints
from kronos.kit.records.models import FieldStint
from kronos.modules.crm.objects import STANDARD_OBJECTS
from tests.kit.records.support import World
from tests.kit.records.test_as_of import T0, Clock, frozen, iso

__all__ = ["frozen"]  # the fixture, shared with test_as_of

Stint = tuple[str, uuid.UUID, str, str, datetime, datetime | None]
MIGRATION = (
    Path(stints.__file__).resolve().parents[2]
    / "migrations"
    / "versions"
    / "2026_11_21_001100-cd1a0a000011_history_stints.py"
)


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("history_stints_migration", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(stint: FieldStint) -> Stint:
    return (stint.object, stint.record_id, stint.field, stint.value, stint.entered_at, stint.left_at)


async def stored(world: World, tenant: uuid.UUID) -> Counter[Stint]:
    db: Database = world.app.state.db
    async with db.read_session() as session:
        rows = await session.scalars(select(FieldStint).where(FieldStint.tenant_id == tenant))
        return Counter(_row(s) for s in rows)


async def rebuilt(world: World, tenant: uuid.UUID) -> Counter[Stint]:
    """The workspace's stints as the migration's frozen backfill SQL makes them from history (then rolled
    back: the maintained ones stay)."""
    db: Database = world.app.state.db
    async with db.write_sessionmaker() as session:
        await session.execute(delete(FieldStint))
        await session.execute(text(_migration()._BACKFILL[db.dialect]))
        result = Counter(
            _row(s) for s in await session.scalars(select(FieldStint).where(FieldStint.tenant_id == tenant))
        )
        await session.rollback()
    return result


async def rebuilt_by_engine(world: World, tenant: uuid.UUID) -> Counter[Stint]:
    """The same from the engine's own statement (``stints.rebuild_select``, what ``rebuild_record`` runs
    after imports and erasures), over the fields the migration tracked."""
    db: Database = world.app.state.db
    pairs = _migration()._STANDARD
    async with db.write_sessionmaker() as session:
        await session.execute(delete(FieldStint).where(FieldStint.tenant_id == tenant))
        rows = stints.history_rows(db.dialect, stints.tracked_everywhere(pairs))
        rows = rows.where(rows.selected_columns.tenant_id == tenant)
        await session.execute(stints.insert_statement(stints.rebuild_select(db.dialect, rows)))
        result = Counter(
            _row(s) for s in await session.scalars(select(FieldStint).where(FieldStint.tenant_id == tenant))
        )
        await session.rollback()
    return result


class Writer:
    """Random writes to a workspace's deals through the API, on a frozen clock that sometimes stays put."""

    def __init__(self, world: World, clock: Clock, rnd: random.Random) -> None:
        self.world, self.clock, self.rnd = world, clock, rnd
        self.minute = 0
        self.live: list[str] = []
        self.deleted: list[str] = []
        self.done: Counter[str] = Counter()

    async def setup(self) -> None:
        world = self.world
        response = await world.client.post(
            "/api/v1/metadata/objects/deals/fields",
            json={
                "api_name": "segment",
                "label": "Segment",
                "type": "select",
                "options": [{"value": v, "label": v.upper()} for v in ("a", "b", "c")],
            },
            headers=world.auth(),
        )
        assert response.status_code == 201, response.text
        self.owners = [str(world.user), str(await world.member()), str(await world.member())]
        self.companies = [(await world.create("companies", {"name": n}))["id"] for n in ("Acme", "Beta")]
        self.stages: list[str] = []  # known after the first deal creates the default pipeline

    def tick(self) -> None:
        if self.rnd.random() < 0.75:  # else: the same microsecond as the last write
            self.minute += self.rnd.randint(1, 90)
        self.clock.at(minutes=self.minute)

    def values(self) -> dict[str, Any]:
        rnd = self.rnd
        body: dict[str, Any] = {}
        if self.stages and rnd.random() < 0.6:
            body["stage_id"] = rnd.choice(self.stages)
        if rnd.random() < 0.4:
            body["owner_id"] = rnd.choice(self.owners)
        if rnd.random() < 0.4:
            body["segment"] = rnd.choice(["a", "b", "c", None])
        if rnd.random() < 0.3:
            body["company_id"] = rnd.choice([*self.companies, None])
        if rnd.random() < 0.2:
            body["name"] = f"Deal {rnd.randrange(1000)}"
        return body

    async def step(self) -> None:
        rnd, world = self.rnd, self.world
        self.tick()
        actions = ["create"] * 3 + ["update"] * 6 if self.live else ["create"]
        if self.live:
            actions += ["delete", "revert", "import", "erase"]
        if self.deleted:
            actions += ["restore"] * 2
        action = rnd.choice(actions)
        headers = world.auth()
        if action == "create":
            record = await world.create("deals", {"name": "Deal", **self.values()})
            self.live.append(record["id"])
            if not self.stages:
                listed = await world.client.get("/api/v1/stages?sort=position", headers=headers)
                self.stages = [s["id"] for s in listed.json()["items"]]
            self.done[action] += 1
            return
        target = rnd.choice(self.deleted if action == "restore" else self.live)
        url = f"/api/v1/deals/{target}"
        if action == "update":
            response = await world.client.patch(url, json=self.values(), headers=headers)
        elif action == "delete":
            response = await world.client.delete(url, headers=headers)
            self.live.remove(target)
            self.deleted.append(target)
        elif action == "restore":
            response = await world.client.post(f"{url}/restore", headers=headers)
            self.deleted.remove(target)
            self.live.append(target)
        elif action == "revert":
            moment = T0 + timedelta(minutes=rnd.randint(0, self.minute))
            response = await world.client.post(f"{url}/revert", json={"as_of": iso(moment)}, headers=headers)
            if response.status_code == 422:  # it did not exist then: nothing written, nothing to compare
                return
        elif action == "import":
            old, new = rnd.sample(self.stages, 2)
            change: dict[str, Any] = {
                "field": rnd.choice(["stage_id", "owner_id"]),
                "old_value": old,
                "new_value": new,
                "changed_at": iso(T0 - timedelta(minutes=rnd.randint(0, 5000))),
            }
            if change["field"] == "owner_id":
                change["old_value"], change["new_value"] = rnd.sample(self.owners, 2)
            if rnd.random() < 0.5:
                change["old_value"] = None
            response = await world.client.post(
                f"{url}/history/import", json={"changes": [change]}, headers=headers
            )
        else:
            response = await world.client.post(f"{url}/erase", json={"fields": ["segment"]}, headers=headers)
        assert response.is_success, (action, response.text)
        self.done[action] += 1


@pytest.mark.parametrize("seed", [7, 2026, 31337])
async def test_maintained_stints_equal_stints_rebuilt_from_history(
    world: World, frozen: Clock, seed: int
) -> None:
    frozen.at(minutes=0)
    writer = Writer(world, frozen, random.Random(seed))
    await writer.setup()
    for _ in range(70):
        await writer.step()
    assert set(writer.done) >= {"create", "update", "delete", "restore", "import"}, writer.done
    maintained = await stored(world, world.tenant)
    assert maintained == await rebuilt(world, world.tenant)
    assert maintained == await rebuilt_by_engine(world, world.tenant)  # the engine still agrees with it
    # What the comparison covers: values of every tracked kind, closed, open and zero-length stints.
    fields = {field for _, _, field, _, _, _ in maintained}
    assert {"stage_id", "owner_id", "pipeline_id", "segment"} <= fields
    assert any(left is None for *_, left in maintained)
    assert any(left is not None and left > entered for *_, entered, left in maintained)
    # At most one open stint per record and field, and none for a deleted record.
    open_ones = Counter((record, field) for _, record, field, _, _, left in maintained if left is None)
    assert max(open_ones.values()) == 1
    assert not {uuid.UUID(d) for d in writer.deleted} & {record for record, _ in open_ones}


async def test_stints_of_a_record_step_by_step(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    lead = (await world.create("leads", {"last_name": "Lee"}))["id"]  # status "new"
    url = f"/api/v1/leads/{lead}"
    frozen.at(minutes=10)
    assert (await world.client.patch(url, json={"last_name": "Li"}, headers=world.auth())).is_success
    frozen.at(minutes=20)
    assert (await world.client.patch(url, json={"status": "contacted"}, headers=world.auth())).is_success
    frozen.at(minutes=30)
    assert (await world.client.delete(url, headers=world.auth())).status_code == 204
    frozen.at(minutes=40)
    assert (await world.client.post(f"{url}/restore", headers=world.auth())).is_success

    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    key = uuid.UUID(lead)
    rows = sorted(s for s in await stored(world, world.tenant) if s[1] == key)
    owner = str(world.user)
    assert rows == sorted(
        [
            ("leads", key, "owner_id", owner, at(0), at(30)),
            ("leads", key, "owner_id", owner, at(40), None),
            ("leads", key, "status", "new", at(0), at(20)),  # a change of another field changes nothing
            ("leads", key, "status", "contacted", at(20), at(30)),
            ("leads", key, "status", "contacted", at(40), None),
        ]
    )


async def test_erasure_replaces_values_in_stints(world: World, frozen: Clock) -> None:
    response = await world.client.post(
        "/api/v1/metadata/objects/leads/fields",
        json={
            "api_name": "origin",
            "label": "Origin",
            "type": "select",
            "options": [{"value": v, "label": v} for v in ("fair", "referral")],
        },
        headers=world.auth(),
    )
    assert response.status_code == 201, response.text
    frozen.at(minutes=0)
    lead = (await world.create("leads", {"last_name": "Lee", "origin": "fair"}))["id"]
    frozen.at(minutes=10)
    await world.client.patch(f"/api/v1/leads/{lead}", json={"origin": "referral"}, headers=world.auth())
    frozen.at(minutes=20)
    erased = await world.client.post(
        f"/api/v1/leads/{lead}/erase", json={"fields": ["origin"]}, headers=world.auth()
    )
    assert erased.status_code == 200, erased.text
    values = {s[3] for s in await stored(world, world.tenant) if s[1] == uuid.UUID(lead) and s[2] == "origin"}
    # History now says "[erased]" at every step, so one erased value held since the record began.
    assert values == {"[erased]"}
    assert await stored(world, world.tenant) == await rebuilt(world, world.tenant)


async def test_imported_history_rebuilds_the_record_stints(world: World, frozen: Clock) -> None:
    frozen.at(minutes=0)
    lead = (await world.create("leads", {"last_name": "Lee", "status": "qualified"}))["id"]
    earlier = [
        # Another field's change is the record's earliest known moment ...
        {"field": "title", "old_value": None, "new_value": "CTO", "changed_at": iso(T0 - timedelta(hours=5))},
        # ... and status was "new" from then on: the first status change says what it changed from.
        {
            "field": "status",
            "old_value": "new",
            "new_value": "contacted",
            "changed_at": iso(T0 - timedelta(hours=2)),
        },
    ]
    response = await world.client.post(
        f"/api/v1/leads/{lead}/history/import", json={"changes": earlier}, headers=world.auth()
    )
    assert response.status_code == 201, response.text
    frozen.at(minutes=30)
    body = (
        await world.client.get(
            f"/api/v1/leads/{lead}/durations", params={"field": "status"}, headers=world.auth()
        )
    ).json()
    assert [(i["value"], i["duration_seconds"]) for i in body["items"]] == [
        ("new", 3 * 3600.0),
        ("contacted", 2 * 3600.0),
        ("qualified", 1800.0),
    ]
    assert await stored(world, world.tenant) == await rebuilt(world, world.tenant)


async def test_another_workspace_keeps_its_own_stints(world: World) -> None:
    mine = (await world.create("leads", {"last_name": "Mine"}))["id"]
    theirs_headers = world.auth(tenant=world.other_tenant)
    theirs = (await world.create("leads", {"last_name": "Theirs"}, headers=theirs_headers))["id"]
    assert {s[1] for s in await stored(world, world.tenant)} == {uuid.UUID(mine)}
    assert {s[1] for s in await stored(world, world.other_tenant)} == {uuid.UUID(theirs)}
    # Another workspace's record id gets a 404, not its durations.
    response = await world.client.get(
        f"/api/v1/leads/{theirs}/durations", params={"field": "status"}, headers=world.auth()
    )
    assert response.status_code == 404


def test_the_migration_tracks_what_the_code_declares() -> None:
    """A standard select/relation/user field added in code needs its stints backfilled by a migration."""
    assert sorted(_migration()._STANDARD) == stints.standard_pairs(STANDARD_OBJECTS)


def test_the_migration_is_frozen_sql() -> None:
    """The backfill does not come from the engine's code, which may change after the revision shipped: the
    module imports nothing of ``kronos.kit.records`` and its SQL names the standard fields it declares."""
    tree = ast.parse(MIGRATION.read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.startswith("kronos.kit.records")], imported
    migration = _migration()
    assert set(migration._BACKFILL) == {"sqlite", "postgresql"}
    for sql in migration._BACKFILL.values():
        pairs = re.findall(r"SELECT\s+'(\w+)'\s+AS\s+object,\s+'(\w+)'\s+AS\s+field", sql)
        assert pairs == list(migration._STANDARD)
