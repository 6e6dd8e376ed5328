"""A new workspace's default pipeline: created with the workspace (``create_default_pipeline``), and still
created lazily on the first deal of a workspace made before that."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.kit.events.models import OutboxEvent
from kronos.kit.records.models import FieldHistory
from kronos.modules.crm.models import Pipeline, Stage
from kronos.modules.crm.rules import DEFAULT_STAGES
from kronos.modules.crm.service import create_default_pipeline
from tests.kit.records.support import World
from tests.modules.identity.conftest import bearer, signup


async def _pipelines(db: Database, tenant: uuid.UUID) -> list[Pipeline]:
    async with db.read_session() as session:
        rows = await session.scalars(select(Pipeline).where(Pipeline.tenant_id == tenant))
        return list(rows.all())


async def _stages(db: Database, pipeline_id: uuid.UUID) -> list[tuple[str, float | None, str]]:
    async with db.read_session() as session:
        rows = await session.scalars(
            select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
        )
        return [(s.name, s.probability, s.type) for s in rows.all()]


async def test_a_new_workspace_gets_its_pipeline_with_history_and_events(world: World) -> None:
    db: Database = world.app.state.db
    async with db.write_session() as session:
        pipeline_id = await create_default_pipeline(session, world.tenant, owner_id=world.user)
        # Asked again (a retried provisioning): the same pipeline, nothing doubled.
        assert await create_default_pipeline(session, world.tenant, owner_id=world.user) == pipeline_id

    pipelines = await _pipelines(db, world.tenant)
    assert [(p.id, p.name, p.is_default) for p in pipelines] == [(pipeline_id, "Sales", True)]
    assert await _stages(db, pipeline_id) == [(n, p, t) for n, p, t in DEFAULT_STAGES]
    assert await _pipelines(db, world.other_tenant) == []  # the other workspace is untouched

    async with db.read_session() as session:
        history = list(
            (
                await session.scalars(
                    select(FieldHistory).where(
                        FieldHistory.tenant_id == world.tenant, FieldHistory.object == "pipelines"
                    )
                )
            ).all()
        )
        events = list(
            (
                await session.scalars(select(OutboxEvent.name).where(OutboxEvent.tenant_id == world.tenant))
            ).all()
        )
    assert {row.field for row in history} >= {"name", "is_default"}
    assert {(row.op, row.source, row.actor_user_id) for row in history} == {("create", "system", world.user)}
    assert sorted(events) == ["pipeline.created"] + ["stage.created"] * len(DEFAULT_STAGES)

    # The API serves it, and the first deal lands in its first stage: no second pipeline.
    listed = await world.client.get("/api/v1/pipelines", headers=world.auth())
    assert [p["id"] for p in listed.json()["items"]] == [str(pipeline_id)]
    deal = await world.create("deals", {"name": "First"})
    assert deal["pipeline_id"] == str(pipeline_id)
    assert len(await _pipelines(db, world.tenant)) == 1


async def test_a_workspace_without_one_still_gets_it_on_its_first_deal(world: World) -> None:
    db: Database = world.app.state.db
    assert await _pipelines(db, world.tenant) == []
    deal = await world.create("deals", {"name": "First"})
    pipelines = await _pipelines(db, world.tenant)
    assert [(str(p.id), p.is_default) for p in pipelines] == [(deal["pipeline_id"], True)]
    assert [name for name, _, _ in await _stages(db, pipelines[0].id)] == [n for n, _, _ in DEFAULT_STAGES]


async def test_signing_up_opens_a_workspace_with_its_pipeline(client: httpx.AsyncClient) -> None:
    """Through the API a newcomer uses: the new workspace's deals board has its columns at once."""
    tokens = await signup(client, "grace@example.com", "Compilers Ltd")
    pipelines = await client.get("/api/v1/pipelines", headers=bearer(tokens))
    assert pipelines.status_code == 200, pipelines.text
    [pipeline] = pipelines.json()["items"]
    assert (pipeline["name"], pipeline["is_default"]) == ("Sales", True)
    stages = await client.get(
        "/api/v1/stages",
        params={"pipeline_id[eq]": pipeline["id"], "sort": "position"},
        headers=bearer(tokens),
    )
    assert [s["name"] for s in stages.json()["items"]] == [n for n, _, _ in DEFAULT_STAGES]
    # A second workspace of the same person gets its own.
    other = await signup(client, "grace@example.com", "Second Ltd")
    theirs = await client.get("/api/v1/pipelines", headers=bearer(other))
    assert [p["id"] for p in theirs.json()["items"]] != [pipeline["id"]]
    assert len(theirs.json()["items"]) == 1
