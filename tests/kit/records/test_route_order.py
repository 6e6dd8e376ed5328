"""The engine's routes are matched before every other /api/v1 route (kronos.kit.records.paths): they must
never take a request meant for another route, and a name they leave alone must not become an object."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from kronos.app import create_app
from kronos.kit.records import aggregate_router, history_router, since
from kronos.kit.records.paths import RESERVED_SEGMENTS
from kronos.kit.records.router import records_router
from tests.conftest import make_settings

ENGINE_ROUTES = [
    route
    for router in (since.router, aggregate_router.router, records_router, history_router.router)
    for route in router.routes
    if isinstance(route, APIRoute)
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def _engine_match(method: str, path: str) -> str | None:
    for route in ENGINE_ROUTES:
        if method in (route.methods or ()) and route.path_regex.match(path):
            return route.path
    return None


@pytest.fixture
def bare_app(tmp_path: Path) -> FastAPI:
    return create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path}/kronos.db", tmp_path))


def test_no_engine_pattern_takes_another_routes_path(bare_app: FastAPI) -> None:
    app = bare_app
    engine_paths = {route.path_format for route in ENGINE_ROUTES}
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith("/api/v1/") or path in engine_paths:
            continue
        concrete = _concrete(path)
        for method in operations:
            taken = _engine_match(method.upper(), concrete)
            assert taken is None, f"{method.upper()} {path} would be served by the engine's {taken}"
            checked += 1
    assert checked > 40  # the identity, access, CRM, metadata, views and analytics routes


def test_every_other_first_segment_is_reserved_or_an_object(bare_app: FastAPI) -> None:
    app = bare_app
    objects = {definition.name for definition in app.state.objects.definitions()}
    firsts = {
        path.removeprefix("/api/v1/").split("/", 1)[0]
        for path in app.openapi()["paths"]
        if path.startswith("/api/v1/") and not path.startswith("/api/v1/{")
    }
    assert firsts - RESERVED_SEGMENTS <= objects  # /leads/{id}/status: an object's own extra routes


@pytest.mark.parametrize("segment", sorted(RESERVED_SEGMENTS))
def test_reserved_segments_never_reach_the_engine(segment: str) -> None:
    for suffix in ("", "/since", "/aggregate", "/batch", f"/{uuid.uuid4()}", f"/{uuid.uuid4()}/history"):
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            assert _engine_match(method, f"/api/v1/{segment}{suffix}") is None


def test_objects_still_reach_the_engine() -> None:
    record = uuid.uuid4()
    assert _engine_match("GET", "/api/v1/contacts") == "/api/v1/{object:api_object}"
    assert _engine_match("GET", "/api/v1/auth_logs") == "/api/v1/{object:api_object}"  # only whole segments
    assert _engine_match("GET", f"/api/v1/deals/{record}") == "/api/v1/{object:api_object}/{id}"
    assert _engine_match("GET", "/api/v1/deals/since") == "/api/v1/{object:api_object}/since"
    assert _engine_match("GET", f"/api/v1/projects/{record}/history") == (
        "/api/v1/{object:api_object}/{id}/history"
    )


async def test_reserved_and_engine_paths_answer_through_the_app(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        # A path no route serves is a 404 problem naming the route, not an object lookup.
        gone = await client.get("/api/v1/auth")
        assert gone.status_code == 404
        assert gone.json()["detail"] == "No route matches GET /api/v1/auth."
        # The engine's own routes still need a principal.
        assert (await client.get("/api/v1/contacts")).status_code == 401
        assert (await client.get("/api/v1/views")).status_code == 401
