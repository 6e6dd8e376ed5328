"""Serving the built web app: files, the fallback to index.html for client routes, caching, security
headers, and the API's own paths staying JSON problems."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import kronos.app
from kronos.app import create_app
from kronos.config import Settings
from kronos.kit.headers import API_CSP, PAGE_CSP

INDEX = "<!doctype html><html><head><title>KronosCRM</title></head><body><div id=root></div></body></html>"
SCRIPT = "console.log('kronos');\n" * 200  # big enough to be gzipped


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text(SCRIPT)
    (root / "assets" / "index-abc123.css").write_text("body{margin:0}")
    (root / "theme.js").write_text("document.documentElement.dataset.theme='light';")
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


@pytest.fixture
async def web(
    settings: Settings, dist: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(kronos.app, "FRONTEND_DIST", dist)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def assert_security_headers(response: httpx.Response) -> None:
    """A page gets the page policy (kronos.kit.headers); a file of the build, the one that allows nothing."""
    csp = response.headers["content-security-policy"]
    if response.headers["content-type"].startswith("text/html"):
        assert csp == PAGE_CSP
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
        assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
        assert "camera=()" in response.headers["permissions-policy"]
    else:
        assert csp == API_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_root_serves_index_uncached_with_security_headers(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)


@pytest.mark.parametrize(
    "path", ["/contacts", "/contacts/01a1fb82-fc57-7048-8462-58d8d19c7a39", "/signin", "/invitations/accept"]
)
async def test_client_routes_fall_back_to_index(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path, params={"token": "abc"})
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)


async def test_hashed_assets_are_cached_for_a_year_and_gzipped(web: httpx.AsyncClient) -> None:
    response = await web.get("/assets/index-abc123.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.text == SCRIPT  # httpx decoded it
    assert int(response.headers["content-length"]) == len(gzip.compress(SCRIPT.encode(), mtime=0))
    assert_security_headers(response)

    plain = await web.get("/assets/index-abc123.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == SCRIPT


async def test_other_files_are_revalidated(web: httpx.AsyncClient) -> None:
    response = await web.get("/theme.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert "theme" in response.text
    assert_security_headers(response)
    head = await web.head("/favicon.svg")
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("path", ["/assets/missing-123.js", "/robots.txt", "/assets/../../secret.txt"])
async def test_missing_files_are_404_not_the_app(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "outside the build" not in response.text


async def test_no_escape_from_the_build_directory(web: httpx.AsyncClient) -> None:
    response = await web.get("/%2e%2e/secret.txt")
    assert "outside the build" not in response.text


@pytest.mark.parametrize(
    "path", ["/api/v1/contacts/123/nothing/here", "/api/nothing", "/api", "/docs/nothing", "/healthz/x"]
)
async def test_unknown_server_paths_stay_json_problems(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404


async def test_wrong_method_on_an_api_route_is_405_not_the_app(web: httpx.AsyncClient) -> None:
    response = await web.put("/api/v1/auth/password/reset")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "POST" in response.headers["allow"]
    posted = await web.post("/contacts")
    assert posted.status_code == 405
    assert posted.headers["content-type"] == "application/problem+json"


async def test_api_and_server_routes_still_answer(web: httpx.AsyncClient) -> None:
    assert (await web.get("/healthz")).json() == {"status": "ok"}
    openapi = await web.get("/openapi.json")
    assert openapi.status_code == 200
    assert "/api/v1/auth/login" in openapi.json()["paths"]
    assert (await web.get("/docs")).status_code == 200
    assert (await web.get("/metrics")).status_code == 404  # not served outside development without a token
    unauthorised = await web.get("/api/v1/contacts")
    assert unauthorised.status_code == 401
    assert unauthorised.headers["content-type"] == "application/problem+json"
    unknown_object = await web.get("/api/v1/nope", headers={"authorization": "Bearer x"})
    assert unknown_object.headers["content-type"] == "application/problem+json"


async def test_without_a_build_root_points_at_the_docs(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings.model_copy(update={"web_dist": tmp_path / "no-build"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert "/docs" in response.text
    assert_security_headers(response)
