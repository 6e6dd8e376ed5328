"""Every failure a client can cause is an RFC 9457 problem with a stable code; a bug is a 500 that carries
the request id and nothing of the internals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from kronos.kit.errors import PROBLEM_JSON, Conflict


class _Item(BaseModel):
    name: str = Field(min_length=1)
    quantity: int = Field(ge=0)


@pytest.fixture
def probe_routes(app: FastAPI) -> FastAPI:
    """Routes that exercise the error machinery (the foundation has no domain routes of its own)."""

    @app.post("/_probe/items")
    async def create_item(item: _Item, limit: int = 10) -> dict[str, str]:
        return {"name": item.name}

    @app.get("/_probe/conflict")
    async def conflict() -> None:
        raise Conflict("That name is taken.", extra={"existing_id": "abc"})

    @app.get("/_probe/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT secret FROM passwords WHERE token='s3cr3t'")

    return app


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    # (Under /api/v1/ every single segment may name an object, so unknown objects are the record
    # engine's 404s, after authentication; see tests/kit/records.)
    body = assert_problem(await client.get("/api/nothing-here"), 404, "not_found")
    assert body["instance"] == "/api/nothing-here"


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_invalid_body_and_query_name_each_bad_field(
    client: httpx.AsyncClient, probe_routes: FastAPI
) -> None:
    response = await client.post("/_probe/items?limit=many", json={"name": "", "quantity": -1})
    body = assert_problem(response, 422, "validation_failed")
    paths = {error["path"] for error in body["errors"]}  # type: ignore[attr-defined]
    assert paths == {"body.name", "body.quantity", "query.limit"}


async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient, probe_routes: FastAPI) -> None:
    response = await client.post(
        "/_probe/items", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]


async def test_domain_error_keeps_its_code_and_extras(
    client: httpx.AsyncClient, probe_routes: FastAPI
) -> None:
    body = assert_problem(await client.get("/_probe/conflict"), 409, "conflict")
    assert body["detail"] == "That name is taken."
    assert body["existing_id"] == "abc"


async def test_unexpected_error_is_500_with_request_id_and_no_internals(
    client: httpx.AsyncClient, probe_routes: FastAPI
) -> None:
    response = await client.get("/_probe/boom", headers={"X-Request-ID": "trace-me-123"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "trace-me-123"
    for leaked in ("SELECT", "secret", "Traceback", "RuntimeError", "s3cr3t"):
        assert leaked not in response.text


async def test_oversized_body_is_413(client: httpx.AsyncClient, probe_routes: FastAPI) -> None:
    limit = probe_routes.state.settings.max_body_bytes
    response = await client.post(
        "/_probe/items", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient, probe_routes: FastAPI) -> None:
    limit = probe_routes.state.settings.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    response = await client.post(
        "/_probe/items", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_chunked_body_under_the_limit_still_arrives(
    client: httpx.AsyncClient, probe_routes: FastAPI
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "wid'
        yield b'get", "quantity": 2}'

    response = await client.post(
        "/_probe/items", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "widget"}
