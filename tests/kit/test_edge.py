"""Request ids, metrics, health and readiness."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kronos.app import create_app
from tests.conftest import make_settings


async def test_request_id_is_echoed_when_valid_and_made_up_otherwise(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces\n"})
    assert made.headers["x-request-id"] != "bad id with spaces\n"
    assert len(made.headers["x-request-id"]) == 32
    other = await client.get("/healthz")
    assert other.headers["x-request-id"] != made.headers["x-request-id"]


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_names_every_configured_component(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    components = response.json()["components"]
    expected = {"database"}
    if app.state.settings.redis_url:
        expected.add("redis")
    if app.state.settings.broker_url:
        expected.add("broker")
    assert set(components) == expected
    assert all(c["status"] == "ok" for c in components.values())


async def test_readyz_is_503_naming_the_component_that_is_down(database_url: str, tmp_path: Path) -> None:
    # Nothing listens on port 9; the app starts (Redis connects lazily) and reports Redis down.
    settings = make_settings(database_url, tmp_path, redis_url="redis://127.0.0.1:9/0", broker_url=None)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    assert "redis" in body["detail"]
    assert body["components"]["redis"]["status"] == "unavailable"
    assert body["components"]["database"]["status"] == "ok"


async def test_metrics_count_requests_by_route_template(database_url: str, tmp_path: Path) -> None:
    token = "metrics-token-0123456789abcdef"
    app = create_app(make_settings(database_url, tmp_path, metrics_token=token))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/healthz")
            await client.get("/healthz")
            await client.get("/api/v1/no/such/route/123/x")
            text = (await client.get("/metrics", headers={"authorization": f"Bearer {token}"})).text
    assert 'kronos_http_requests_total{method="GET",route="/healthz",status="200"} 2.0' in text
    # Unmatched paths share one label, so a scanner cannot blow up the series count.
    assert 'route="<unmatched>",status="404"' in text
    assert "/api/v1/no/such/route/123/x" not in text
    assert "kronos_http_request_duration_seconds_bucket" in text
    assert 'kronos_db_pool_connections{state="checked_out"}' in text


async def test_database_restart_does_not_need_an_app_restart(client: httpx.AsyncClient, app: FastAPI) -> None:
    """Connections the server dropped (a PostgreSQL restart) are replaced at checkout, not handed out."""
    db = app.state.db
    if db.dialect != "postgresql":
        pytest.skip("kills server-side connections; PostgreSQL only")
    # Fill the pool with idle connections, so the next requests would be handed these very ones.
    held = [await db.write_engine.connect() for _ in range(3)]
    for connection in held:
        await connection.execute(text("SELECT 1"))
    pids = {int((await c.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()) for c in held}
    for connection in held:
        await connection.close()
    killer = await asyncpg.connect(
        db.write_engine.url.render_as_string(hide_password=False).replace("+asyncpg", "")
    )
    try:
        await killer.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(pids))
    finally:
        await killer.close()
    await asyncio.sleep(0.2)  # the server's FIN reaches our sockets
    checked_in = db.write_engine.pool.checkedin()
    assert checked_in >= 3
    for _ in range(4):
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
