"""A lead is converted by the convert flow only: creating one as converted is refused and stores nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from kronos.kit.db import Database
from kronos.modules.crm.models import Lead
from tests.kit.records.support import World


async def test_creating_a_converted_lead_is_refused(world: World) -> None:
    response = await world.client.post(
        "/api/v1/leads", json={"last_name": "Doe", "status": "converted"}, headers=world.auth()
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["type"] == "use_lead_conversion"
    db: Database = world.app.state.db
    async with db.read_session() as session:
        assert int(await session.scalar(select(func.count()).select_from(Lead)) or 0) == 0


async def test_lead_status_metadata_marks_converted_as_set_by_the_flow(world: World) -> None:
    response = await world.client.get("/api/v1/metadata/objects/leads", headers=world.auth())
    assert response.status_code == 200, response.text
    status = next(f for f in response.json()["fields"] if f["name"] == "status")
    assert status["settings"]["flow_only_options"] == ["converted"]
