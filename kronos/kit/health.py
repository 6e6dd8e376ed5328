"""Liveness, readiness and metrics endpoints, for load balancers, orchestrators and Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kronos.kit.errors import problem_response
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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
