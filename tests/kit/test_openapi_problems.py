"""The OpenAPI documents say what the edge answers: every error is application/problem+json with the
Problem schema, every operation lists the 400 and 422 any request can get (413 with a body, 429 when
signed in), and a 405 names in ``Allow`` every method the path is served with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from kronos.config import Settings
from tests.conftest import make_settings
from tests.modules.identity.conftest import bearer, signup

METHODS = ("get", "put", "post", "patch", "delete")
SOME_ID = "01a24000-0000-7000-8000-000000000000"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Every test signs an owner up from the same address: sign-up's rate limit is for other tests.
    return make_settings(database_url, tmp_path, signup_max_per_ip=0)


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signup(client, "owner@example.com", workspace="Acme"))


async def documents(client: httpx.AsyncClient, owner: dict[str, str]) -> list[dict[str, Any]]:
    public = await client.get("/openapi.json")
    workspace = await client.get("/api/v1/openapi.json", headers=owner)
    assert workspace.status_code == 200, workspace.text
    return [public.json(), workspace.json()]


async def test_every_error_of_every_operation_is_a_documented_problem(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    for document in await documents(client, owner):
        assert "HTTPValidationError" not in document["components"]["schemas"]
        assert "Problem" in document["components"]["schemas"]
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method not in METHODS:
                    continue
                where = f"{method.upper()} {path}"
                answers = operation["responses"]
                expected = {"400", "422"}
                if "requestBody" in operation:
                    expected.add("413")
                if operation.get("security"):
                    expected.add("429")
                assert expected <= set(answers), (where, sorted(answers))
                for status, answer in answers.items():
                    if int(status) >= 400:
                        assert answer["content"] == {
                            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                        }, (where, status)
                assert "malformed_request" in answers["400"]["description"]
                assert "validation_failed" in answers["422"]["description"]


async def test_a_405_allows_every_method_the_path_is_served_with(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    view = await client.put(f"/api/v1/views/{SOME_ID}", headers=owner)
    assert view.status_code == 405
    assert view.headers["content-type"] == "application/problem+json"
    assert view.json()["code"] == "method_not_allowed"
    assert view.headers["allow"] == "GET, PATCH, DELETE"
    me = await client.put("/api/v1/auth/me", headers=owner)
    assert (me.status_code, me.headers["allow"]) == (405, "GET, PATCH")


async def test_every_405_allows_at_least_what_the_document_lists(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    document = (await client.get("/openapi.json")).json()
    refused = 0
    for path, item in document["paths"].items():
        documented = {method.upper() for method in item if method in METHODS}
        url = path.replace("{object}", "companies")
        for name in ("id", "role", "team_id", "member_id", "key_id", "session_id", "invitation_id", "name"):
            url = url.replace(f"{{{name}}}", SOME_ID)
        for method in METHODS:
            if method.upper() in documented:
                continue
            response = await client.request(method.upper(), url, headers=owner)
            if response.status_code != 405:
                continue  # another route serves this method at this path (PUT /companies/since: a record)
            refused += 1
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert documented <= allowed, (method, url, allowed)
            assert method.upper() not in allowed, (method, url, allowed)
    assert refused > 100
