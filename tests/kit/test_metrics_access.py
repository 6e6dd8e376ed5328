"""/metrics is not public: a bearer token (KRONOS_METRICS_TOKEN), development only, or a port of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from kronos.app import create_app
from kronos.config import Settings
from kronos.kit.health import metrics_exposure

TOKEN = "metrics-token-0123456789abcdef"
SECRET_TOKEN = SecretStr(TOKEN)


@asynccontextmanager
async def running(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789abcdef", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
)
async def test_with_a_token_set_metrics_without_it_are_refused(
    settings: Settings, authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    async with running(settings, metrics_token=SECRET_TOKEN) as http:
        response = await http.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "metrics_token_required"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "kronos_http_requests_total" not in response.text


async def test_with_the_token_prometheus_gets_the_metrics(settings: Settings) -> None:
    async with running(settings, metrics_token=SECRET_TOKEN) as http:
        response = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "kronos_http_requests_total" in response.text


@pytest.mark.parametrize(
    ("env", "metrics_port", "status"),
    [
        ("test", None, 404),
        ("production", None, 404),
        ("development", 9100, 404),  # served on its own port instead (kronos serve)
        ("development", None, 200),  # `make run`: nothing to set, nothing exposed beyond this machine's user
    ],
)
async def test_without_a_token_metrics_are_served_in_development_only(
    settings: Settings, env: str, metrics_port: int | None, status: int
) -> None:
    async with running(settings, env=env, metrics_port=metrics_port) as http:
        response = await http.get("/metrics")
    assert response.status_code == status
    if status == 404:
        assert response.json()["code"] == "not_found"
        assert "kronos_http_requests_total" not in response.text


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValueError, match="KRONOS_METRICS_TOKEN"):
        Settings(_env_file=None, metrics_token="short")


def test_check_says_where_the_metrics_are(settings: Settings) -> None:
    assert "not served" in metrics_exposure(settings)
    assert "bearer token" in metrics_exposure(settings.model_copy(update={"metrics_token": SECRET_TOKEN}))
    assert "port 9100" in metrics_exposure(settings.model_copy(update={"metrics_port": 9100}))
