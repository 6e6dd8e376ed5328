"""Every bad input is a 4xx problem+json that names what is wrong, and changes nothing: text no database
stores (NUL, lone surrogates) anywhere in a request, filters nested or sized past their caps, forged cursors,
and access tokens whose claims no datetime or UUID can hold."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from kronos.config import Settings
from tests.conftest import make_settings
from tests.modules.identity.conftest import bearer, problem, signup


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Every test signs an owner up from the same address: sign-up's rate limit is for other tests.
    return make_settings(database_url, tmp_path, signup_max_per_ip=0)


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signup(client, "owner@example.com", workspace="Acme"))


def field_errors(response: httpx.Response) -> list[tuple[str, str]]:
    body = problem(response, 422, "validation_failed")
    return [(error["path"], error["type"]) for error in body["errors"]]


def raw_json(text: str, headers: dict[str, str]) -> dict[str, Any]:
    """A JSON body sent byte for byte, so its escapes stay as written."""
    return {"content": text.encode(), "headers": {**headers, "content-type": "application/json"}}


# -- NUL and lone surrogates ------------------------------------------------------------------------------
async def test_nul_in_a_record_body_is_a_422_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    response = await client.post("/api/v1/companies", json={"name": "Acme\u0000Corp"}, headers=owner)
    assert field_errors(response) == [("body.name", "nul_character")]
    assert "body.name" in response.json()["detail"]
    listed = await client.get("/api/v1/companies", headers=owner)
    assert listed.json()["items"] == []


async def test_lone_surrogate_in_a_json_body_is_a_422_naming_the_field(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/contacts",
        **raw_json(
            '{"first_name": "Ada", "last_name": "x\\ud800", "emails": ["a@example.com", "\\uDFFF"]}', owner
        ),
    )
    assert field_errors(response) == [
        ("body.last_name", "unpaired_surrogate"),
        ("body.emails.1", "unpaired_surrogate"),
    ]
    assert (await client.get("/api/v1/contacts", headers=owner)).json()["items"] == []


async def test_a_surrogate_pair_is_text_like_any_other(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    # "\ud83d\ude00" is one character (U+1F600), written as JSON escapes: it must not be mistaken for two.
    response = await client.post(
        "/api/v1/companies", **raw_json('{"name": "Smile \\ud83d\\ude00 Ltd"}', owner)
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Smile \U0001f600 Ltd"


@pytest.mark.parametrize(
    ("method", "url", "body", "path"),
    [
        ("PATCH", "/api/v1/workspace", {"name": "Ac\u0000me"}, "body.name"),
        ("PATCH", "/api/v1/auth/me", {"full_name": "Ada\u0000"}, "body.full_name"),
        ("POST", "/api/v1/views", {"object": "companies", "name": "Mine\u0000"}, "body.name"),
        (
            "POST",
            "/api/v1/metadata/objects/companies/fields",
            {"api_name": "tier", "label": "Ti\u0000er", "type": "text"},
            "body.label",
        ),
        ("POST", "/api/v1/companies", {"name": "Acme", "\u0000": 1}, "body.\\u0000"),
        ("POST", "/api/v1/roles", {"name": "r", "permissions": {"objects": {"a\u0000": ["read"]}}}, None),
    ],
)
async def test_nul_anywhere_in_any_json_body_is_refused_before_the_route(
    client: httpx.AsyncClient, owner: dict[str, str], method: str, url: str, body: Any, path: str | None
) -> None:
    before = (await client.get("/api/v1/auth/me", headers=owner)).json()
    response = await client.request(method, url, json=body, headers=owner)
    errors = field_errors(response)
    assert len(errors) == 1
    assert errors[0][1] == "nul_character"
    if path is not None:
        assert errors[0][0] == path
    assert (await client.get("/api/v1/auth/me", headers=owner)).json() == before


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/companies?name[eq]=a%00b", "query.name[eq]"),
        ("/api/v1/companies?sort=name%00", "query.sort"),
        ("/api/v1/audit-log?event=a%00b", "query.event"),
        ("/api/v1/admin/dead-letters?consumer=a%00b", "query.consumer"),
        ("/api/v1/companies?na%00me=1", "query.na\\u0000me"),
        ("/api/v1/compa%00nies", "path"),
        ("/api/v1/companies/01a24000-0000-7000-8000-00000000%00", "path"),
    ],
)
async def test_nul_in_the_url_is_a_422_naming_where(
    client: httpx.AsyncClient, owner: dict[str, str], url: str, path: str
) -> None:
    response = await client.get(url, headers=owner)
    assert field_errors(response) == [(path, "nul_character")]


async def test_an_escaped_percent_is_not_a_nul(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    # %2500 decodes to the three characters "%00", which is ordinary text.
    response = await client.get("/api/v1/companies?name[eq]=a%2500b", headers=owner)
    assert response.status_code == 200, response.text


async def test_nul_in_a_header_is_a_422(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    # A real server refuses such a header itself (uvicorn answers 400); the app does not rely on it.
    request = client.build_request("GET", "/api/v1/auth/me", headers=owner)
    request.headers["user-agent"] = "evil\x00agent"
    response = await client.send(request)
    assert field_errors(response) == [("header.user-agent", "nul_character")]


@pytest.mark.parametrize(
    ("filter_text", "path"),
    [
        ('{"field": "name", "op": "eq", "value": "a\\u0000b"}', "query.filter.value"),
        ('{"or": [{"field": "name", "op": "eq", "value": "x"}, {"field": "name\\ud800", "op": "eq"}]}', None),
        ('{"field": "name", "op": "in", "value": ["a", "b\\u0000"]}', "query.filter.value.1"),
    ],
)
async def test_nul_or_surrogate_inside_a_json_filter_is_a_422(
    client: httpx.AsyncClient, owner: dict[str, str], filter_text: str, path: str | None
) -> None:
    response = await client.get("/api/v1/companies", params={"filter": filter_text}, headers=owner)
    errors = field_errors(response)
    assert len(errors) == 1
    assert errors[0][1] in {"nul_character", "unpaired_surrogate"}
    assert errors[0][0] == (path or "query.filter.or.1.field")


# -- filter caps -------------------------------------------------------------------------------------------
def nested(levels: int) -> str:
    leaf = '{"field": "name", "op": "eq", "value": "Acme"}'
    return '{"and": [' * levels + leaf + "]}" * levels


@pytest.mark.parametrize("levels", [6, 1000, 2000])
async def test_a_filter_nested_past_the_cap_is_a_422_that_says_the_cap(
    client: httpx.AsyncClient, owner: dict[str, str], levels: int
) -> None:
    response = await client.get("/api/v1/companies", params={"filter": nested(levels)}, headers=owner)
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["type"] == "filter_too_deep"
    assert "at most 5 levels" in body["detail"]


async def test_a_filter_at_the_cap_is_served(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    await client.post("/api/v1/companies", json={"name": "Acme"}, headers=owner)
    response = await client.get("/api/v1/companies", params={"filter": nested(5)}, headers=owner)
    assert response.status_code == 200, response.text
    assert [item["name"] for item in response.json()["items"]] == ["Acme"]


async def test_json_and_query_string_conditions_share_the_cap_of_50(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    condition = {"field": "name", "op": "neq", "value": "x"}
    fifty = json.dumps({"and": [condition] * 50})
    served = await client.get("/api/v1/companies", params={"filter": fifty}, headers=owner)
    assert served.status_code == 200, served.text
    one_more = await client.get(
        "/api/v1/companies", params={"filter": fifty, "domain[is_null]": "true"}, headers=owner
    )
    body = problem(one_more, 422, "validation_failed")
    assert body["errors"][0] == {
        "path": "query.domain[is_null]",
        "message": "At most 50 conditions in all.",
        "type": "too_many_conditions",
    }


# -- forged cursors ----------------------------------------------------------------------------------------
def cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("name", [12]),  # a number where the cursor of a text sort holds text
        ("name", [{"a": 1}]),
        ("name", ["a\u0000"]),
        ("created_at", ["not a time"]),
        ("created_at", [1]),
        ("size", [True]),
    ],
)
async def test_a_forged_cursor_is_a_422(
    client: httpx.AsyncClient, owner: dict[str, str], sort: str, values: list[Any]
) -> None:
    forged = cursor({"s": sort, "v": values, "id": str(uuid.uuid4())})
    response = await client.get("/api/v1/companies", params={"sort": sort, "after": forged}, headers=owner)
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["type"] == "invalid_cursor"


@pytest.mark.parametrize("data", ["[" * 5000 + "]" * 5000, '{"s": "", "v": [], "id": 5}'])
async def test_a_cursor_that_is_no_cursor_is_a_422(
    client: httpx.AsyncClient, owner: dict[str, str], data: str
) -> None:
    forged = base64.urlsafe_b64encode(data.encode()).decode()
    for url in ("/api/v1/companies", "/api/v1/audit-log"):
        response = await client.get(url, params={"after": forged}, headers=owner)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"


# -- access tokens -----------------------------------------------------------------------------------------
def signed(app: FastAPI, **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": str(uuid.uuid4()), "ws": str(uuid.uuid4()), "sid": str(uuid.uuid4()),
        "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    payload.update(claims)
    secret = app.state.settings.secret_key.get_secret_value()
    return jwt.encode(payload, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 1e20},
        {"exp": 10**30},
        {"exp": float("inf")},
        {"exp": -(10**20)},
        {"exp": "tomorrow"},
        {"exp": True},
        {"sub": ["not", "a", "uuid"]},
        {"ws": 12345},
    ],
)
async def test_a_well_signed_token_with_impossible_claims_is_a_401(
    client: httpx.AsyncClient, app: FastAPI, claims: dict[str, Any]
) -> None:
    response = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {signed(app, **claims)}"}
    )
    problem(response, 401, "invalid_token")


# -- numbers and instants the database cannot hold -----------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"amount[gte]": "99999999999999999999"},
        {"filter": '{"field": "amount", "op": "eq", "value": 12345678901234567890123}'},
    ],
)
async def test_an_amount_past_what_amounts_may_be_is_a_422(
    client: httpx.AsyncClient, owner: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get("/api/v1/deals", params=params, headers=owner)
    body = problem(response, 422, "validation_failed")
    assert "too large" in body["detail"]


async def test_an_instant_before_year_1_in_utc_is_a_422(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    # A valid ISO 8601 date-time that lies in year 0 once converted to UTC, where the drivers convert it.
    early = "0001-01-01T00:00:00+14:00"
    listed = await client.get("/api/v1/audit-log", params={"since": early}, headers=owner)
    assert [e["path"] for e in problem(listed, 422, "validation_failed")["errors"]] == ["query.since"]
    key = {"name": "early", "expires_at": early, "permissions": {"objects": {"companies": ["read"]}}}
    created = await client.post("/api/v1/api-keys", json=key, headers=owner)
    assert [e["path"] for e in problem(created, 422, "validation_failed")["errors"]] == ["body.expires_at"]
    assert (await client.get("/api/v1/api-keys", headers=owner)).json() == []


@pytest.mark.parametrize("since", ["1700000000", "-4.231473866067221e-130", "tomorrow"])
async def test_an_instant_is_an_iso_8601_date_time_not_a_number(
    client: httpx.AsyncClient, owner: dict[str, str], since: str
) -> None:
    # The document says date-time; Unix seconds would be read in a zone nobody chose.
    listed = await client.get("/api/v1/audit-log", params={"since": since}, headers=owner)
    assert [e["path"] for e in problem(listed, 422, "validation_failed")["errors"]] == ["query.since"]


async def test_an_api_key_expiry_is_a_date_time_not_a_number(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    key = {"name": "k", "expires_at": 4102444800, "permissions": {"objects": {"companies": ["read"]}}}
    created = await client.post("/api/v1/api-keys", json=key, headers=owner)
    assert [e["path"] for e in problem(created, 422, "validation_failed")["errors"]] == ["body.expires_at"]
    assert (await client.get("/api/v1/api-keys", headers=owner)).json() == []
