"""The whole API under a property-based fuzzer: schemathesis draws requests from the app's own OpenAPI
documents, the public ``/openapi.json`` and a signed-in owner's ``/api/v1/openapi.json`` (which has every
object, custom ones and custom fields included, as concrete paths), both valid ones and ones that break
the document on purpose, and checks every answer against the document: no 5xx, only documented statuses,
content types, headers and bodies, and schema-breaking input refused with a 4xx.

The run is bounded and repeatable, as CI runs it twice (SQLite, then PostgreSQL): a fixed number of
examples per operation and generation mode, derandomized (the same requests every run), no shrinking, no
example database. ``KRONOS_FUZZ_EXAMPLES`` raises the count for a deeper run by hand.

Requests go through the ``client`` fixture's in-process ASGI transport, in the test's event loop;
Hypothesis drives them from a worker thread (it runs synchronous tests), handing each request to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kronos.config import Settings
from tests.conftest import make_settings
from tests.modules.identity.conftest import bearer, signup

EXAMPLES = int(os.environ.get("KRONOS_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Run last: it ends the session the other operations are called with.
LAST = {("POST", "/api/v1/auth/logout")}
BASE_URL = "http://testserver"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Limits off: the fuzzer is about what every input gets, not about how many a client may send (the
    # limits' 429s are documented, and tested where they are made).
    return make_settings(
        database_url,
        tmp_path,
        login_failure_delay=0,
        api_rate_limit=0,
        signup_max_per_ip=0,
        password_reset_max_per_ip=0,
        public_auth_max_per_ip=0,
    )


async def owner_with_custom_schema(client: httpx.AsyncClient) -> dict[str, str]:
    """A signed-in owner whose workspace has a custom object and custom fields of every kind."""
    headers = bearer(await signup(client, "fuzz-owner@example.com", workspace="Fuzz"))
    created = await client.post(
        "/api/v1/metadata/objects",
        json={"api_name": "projects", "label": "Project", "label_plural": "Projects"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    fields: list[dict[str, Any]] = [
        {"type": "text"},
        {"type": "long_text"},
        {"type": "number", "settings": {"min": 0, "max": 1000}},
        {"type": "decimal", "settings": {"scale": 2}},
        {"type": "currency", "settings": {"currency": "EUR"}},
        {"type": "percent"},
        {"type": "date"},
        {"type": "datetime"},
        {"type": "boolean"},
        {"type": "select", "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"type": "multi_select", "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]},
        {"type": "email"},
        {"type": "phone"},
        {"type": "url"},
        {"type": "user"},
        {"type": "relation", "settings": {"target": "companies"}},
        {"type": "rating", "settings": {"max": 5}},
    ]
    for object_name in ("projects", "contacts"):
        for field in fields:
            body = {"api_name": f"c_{field['type']}", "label": f"Custom {field['type']}", **field}
            made = await client.post(
                f"/api/v1/metadata/objects/{object_name}/fields", json=body, headers=headers
            )
            assert made.status_code == 201, (object_name, made.text)
    return headers


def operations(document: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(document)
    found = [
        schema[path][method.upper()]
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    ]
    return sorted(found, key=lambda op: (op.method.upper(), op.path) in LAST)


def fuzz(
    operation: Any,
    mode: GenerationMode,
    auth: dict[str, str],
    send: Callable[[dict[str, Any]], httpx.Response],
) -> list[str]:
    """Run the operation's examples in one generation mode; every failed check, as schemathesis words it."""
    failures: list[str] = []

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    # The owner's Authorization header is fixed: never generated, never broken on purpose.
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, headers=auth))
    def run(case: schemathesis.Case[Any]) -> None:
        request = case.as_transport_kwargs(base_url=BASE_URL)
        response = send(request)
        try:
            case.validate_response(response, checks=CHECKS, headers=request["headers"])
        except BaseExceptionGroup as exc:  # schemathesis' FailureGroup: kept, so every operation has its turn
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}):\n{exc}")

    # Unsatisfiable: nothing to break, an operation without parameters or body has no negative case.
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()
    return failures


async def fuzz_document(
    client: httpx.AsyncClient, document: dict[str, Any], auth: dict[str, str]
) -> list[str]:
    loop = asyncio.get_running_loop()

    def send(request: dict[str, Any]) -> httpx.Response:
        content = request.get("data")
        if isinstance(content, str):
            content = content.encode()
        call = client.request(
            request["method"],
            request["url"],
            params=request.get("params"),
            headers=request.get("headers"),
            cookies=request.get("cookies") or None,
            json=request.get("json"),
            content=content,
        )
        return asyncio.run_coroutine_threadsafe(call, loop).result(timeout=120)

    def run_all() -> list[str]:
        failures: list[str] = []
        for operation in operations(document):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures.extend(fuzz(operation, mode, auth, send))
        return failures

    return await asyncio.to_thread(run_all)


def report(failures: list[str]) -> str:
    shown = "\n\n".join(failure[:3000] for failure in failures[:25])
    return f"{len(failures)} failed check(s); the first {min(len(failures), 25)}:\n\n{shown}"


async def test_the_public_document_holds_for_every_operation(client: httpx.AsyncClient) -> None:
    auth = await owner_with_custom_schema(client)
    document = (await client.get("/openapi.json")).json()
    failures = await fuzz_document(client, document, auth)
    assert not failures, report(failures)


async def test_the_workspace_document_holds_for_every_operation(client: httpx.AsyncClient) -> None:
    auth = await owner_with_custom_schema(client)
    response = await client.get("/api/v1/openapi.json", headers=auth)
    assert response.status_code == 200, response.text
    document = response.json()
    assert "/api/v1/projects" in document["paths"]
    failures = await fuzz_document(client, document, auth)
    assert not failures, report(failures)
