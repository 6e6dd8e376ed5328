"""Security headers on every response: the API's JSON, its errors, 404s, the web app's pages, the API docs;
HSTS only over HTTPS, and HTTPS believed from X-Forwarded-Proto only when a trusted proxy says so."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp

from kronos.app import create_app
from kronos.cli import server_config
from kronos.config import Settings
from kronos.kit.headers import API_CSP, PAGE_CSP, SWAGGER_UI_CDN
from tests.conftest import empty_all_tables

INDEX = "<!doctype html><html><head><title>KronosCRM</title></head><body><div id=root></div></body></html>"
ONE_YEAR = "max-age=31536000"

Client = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('kronos');")
    return root


@pytest.fixture
def serve(settings: Settings, dist: Path) -> Client:
    """An app on the suite's database serving ``dist``; ``wrap`` puts something around it (a server's
    proxy handling), ``base_url``/``client`` are what the server saw of the connection."""

    @asynccontextmanager
    async def running(
        wrap: Callable[[FastAPI], ASGIApp] | None = None,
        base_url: str = "http://testserver",
        client: tuple[str, int] = ("127.0.0.1", 50000),
        **overrides: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update={"web_dist": dist, **overrides}))

        @app.get("/test/boom", include_in_schema=False)
        async def boom() -> None:
            raise RuntimeError("an unexpected error")

        @app.get("/test/own-policy", include_in_schema=False)
        async def own_policy() -> Response:
            return Response("x", headers={"Content-Security-Policy": "sandbox"})

        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(
                    app=wrap(app) if wrap else app, raise_app_exceptions=False, client=client
                )
                async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
                    yield http
        finally:
            await empty_all_tables(settings)

    return running


def assert_every_response_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def assert_api_headers(response: httpx.Response) -> None:
    assert_every_response_headers(response)
    assert response.headers["content-security-policy"] == API_CSP
    assert "strict-transport-security" not in response.headers  # plain HTTP


def directives(csp: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


async def test_api_responses_carry_the_headers_and_a_policy_that_allows_nothing(serve: Client) -> None:
    async with serve() as http:
        ok = await http.get("/healthz")
        assert ok.status_code == 200
        assert_api_headers(ok)
        document = await http.get("/openapi.json")
        assert document.status_code == 200
        assert_api_headers(document)


async def test_errors_and_404s_carry_the_headers(serve: Client, settings: Settings) -> None:
    async with serve() as http:
        unauthorised = await http.get("/api/v1/contacts")
        assert unauthorised.status_code == 401
        assert_api_headers(unauthorised)
        for path in ("/api/v1/no/such/route", "/assets/missing-123.js", "/robots.txt"):
            missing = await http.get(path)
            assert missing.status_code == 404, path
            assert missing.headers["content-type"] == "application/problem+json"
            assert_api_headers(missing)
        crashed = await http.get("/test/boom")
        assert crashed.status_code == 500
        assert crashed.json()["code"] == "internal_error"
        assert_api_headers(crashed)
        # Answered by the edge middleware itself, before any route.
        body = b"x" * (settings.max_body_bytes + 1)
        too_large = await http.post("/api/v1/auth/login", content=body, headers={"content-type": "a/b"})
        assert too_large.status_code == 413
        assert_api_headers(too_large)


@pytest.mark.parametrize("path", ["/", "/contacts/01a1fb82-fc57-7048-8462-58d8d19c7a39"])
async def test_pages_get_a_policy_with_scripts_from_this_origin_only_and_no_framing(
    serve: Client, path: str
) -> None:
    async with serve() as http:
        page = await http.get(path)
    assert page.status_code == 200
    assert page.text == INDEX
    assert_every_response_headers(page)
    assert page.headers["content-security-policy"] == PAGE_CSP
    policy = directives(PAGE_CSP)
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert page.headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in page.headers["permissions-policy"]


async def test_the_app_s_scripts_as_files_get_the_policy_that_allows_nothing(serve: Client) -> None:
    async with serve() as http:
        script = await http.get("/assets/index-abc123.js")
    assert script.status_code == 200
    assert_api_headers(script)


async def test_the_api_docs_may_load_swagger_ui_and_run_their_own_inline_script_only(serve: Client) -> None:
    async with serve() as http:
        docs = await http.get("/docs")
    assert docs.status_code == 200
    assert_every_response_headers(docs)
    policy = directives(docs.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    html = docs.text
    external_scripts = re.findall(r'<script src="([^"]+)"', html)
    stylesheets = re.findall(r'<link type="text/css" rel="stylesheet" href="([^"]+)"', html)
    assert external_scripts
    assert stylesheets
    assert SWAGGER_UI_CDN in policy["script-src"]
    assert SWAGGER_UI_CDN in policy["style-src"]
    for url in external_scripts + stylesheets:
        assert url.startswith(SWAGGER_UI_CDN), url  # what the page loads is what the policy allows
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["script-src"]
    assert int(docs.headers["content-length"]) == len(docs.content)


async def test_a_route_that_sets_its_own_policy_keeps_it(serve: Client) -> None:
    async with serve() as http:
        response = await http.get("/test/own-policy")
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_hsts_only_over_https(serve: Client) -> None:
    async with serve(base_url="https://crm.example") as https:
        for path in ("/healthz", "/", "/api/v1/nothing"):
            assert (await https.get(path)).headers["strict-transport-security"] == ONE_YEAR, path
    async with serve(base_url="https://crm.example", hsts_max_age=0) as switched_off:
        assert "strict-transport-security" not in (await switched_off.get("/healthz")).headers
    async with serve(base_url="http://crm.example") as plain:
        for path in ("/healthz", "/"):
            assert "strict-transport-security" not in (await plain.get(path)).headers, path


def behind_server(settings: Settings) -> Callable[[FastAPI], ASGIApp]:
    """The app as `kronos serve` runs it: inside uvicorn's handling of X-Forwarded-* headers."""

    def wrap(app: FastAPI) -> ASGIApp:
        config = server_config(app, settings, "127.0.0.1", 8000)
        config.load()
        loaded: ASGIApp = config.loaded_app
        return loaded

    return wrap


@pytest.mark.parametrize(
    ("trusted", "peer", "hsts"),
    [
        ("127.0.0.1,::1", "127.0.0.1", True),  # the default: a proxy on this machine
        ("127.0.0.1,::1", "203.0.113.7", False),  # anyone else only claims to be on HTTPS
        ("10.0.0.0/8", "10.1.2.3", True),
        ("", "127.0.0.1", False),  # trust nobody
    ],
)
async def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(
    serve: Client, settings: Settings, trusted: str, peer: str, hsts: bool
) -> None:
    configured = settings.model_copy(update={"trusted_proxies": trusted})
    async with serve(wrap=behind_server(configured), client=(peer, 40000)) as http:
        response = await http.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert ("strict-transport-security" in response.headers) is hsts
