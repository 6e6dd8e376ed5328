"""Liveness, readiness and metrics endpoints, for load balancers, orchestrators and Prometheus.

``/metrics`` tells whoever reads it the routes, traffic and error rates of the installation, so it is not
public: with ``KRONOS_METRICS_TOKEN`` set it asks for that bearer token; without one it answers only in
development (where ``make run`` should need no setting) and is a 404 everywhere else, as if it were not
there, because nothing was configured that could let a scraper in. ``KRONOS_METRICS_PORT`` serves the same
metrics on a port of their own instead (``kronos serve``), for a network only Prometheus reaches.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kronos.config import Settings
from kronos.kit.errors import KronosError, NotFound, problem_response, responses
from kronos.kit.services import check_components

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    """Answers 200 while the process runs; it checks nothing else, so a slow database never restarts it."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: every configured component answers",
    responses={503: {"description": "A component does not answer; the body names it."}},
)
async def readyz(request: Request) -> Any:
    """Checks the database, and Redis and RabbitMQ when they are configured. 503 names what failed."""
    state = request.app.state
    results = await check_components(
        state.settings, state.db, getattr(state, "redis", None), getattr(state, "broker", None)
    )
    components = {r.name: r.as_dict() for r in results}
    failing = [r.name for r in results if not r.ok]
    if failing:
        return problem_response(
            503,
            "not_ready",
            "Not ready: " + ", ".join(f"{name} does not answer" for name in failing) + ".",
            instance="/readyz",
            extra={"components": components},
        )
    return JSONResponse({"status": "ok", "components": components})


class MetricsTokenRequired(KronosError):
    status_code = 401
    code = "metrics_token_required"


def metrics_exposure(settings: Settings) -> str:
    """Where and to whom the metrics are served, in words (``kronos check`` prints it)."""
    port = f" and without a token on port {settings.metrics_port}" if settings.metrics_port else ""
    if settings.metrics_token is not None:
        return f"/metrics with the bearer token KRONOS_METRICS_TOKEN{port}"
    if settings.metrics_port is not None:
        return f"on port {settings.metrics_port} only, without a token (/metrics is 404)"
    if settings.env == "development":
        return "/metrics, to anyone (development; set KRONOS_METRICS_TOKEN or KRONOS_METRICS_PORT)"
    return "not served (/metrics is 404): set KRONOS_METRICS_TOKEN or KRONOS_METRICS_PORT"


def _bearer_matches(authorization: str | None, token: str) -> bool:
    scheme, _, presented = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses=responses(MetricsTokenRequired, NotFound),
)
async def metrics(request: Request) -> Response:
    """Prometheus text format. With `KRONOS_METRICS_TOKEN` set, send `Authorization: Bearer <token>`
    (401 otherwise). Without it, served in development only (404 elsewhere, and when
    `KRONOS_METRICS_PORT` serves the metrics on a port of their own)."""
    settings: Settings = request.app.state.settings
    token = settings.metrics_token
    if token is not None:
        if not _bearer_matches(request.headers.get("authorization"), token.get_secret_value()):
            raise MetricsTokenRequired(
                "The metrics need the bearer token set in KRONOS_METRICS_TOKEN.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    elif settings.metrics_port is not None or settings.env != "development":
        raise NotFound(f"No route matches {request.method} {request.url.path}.")
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
