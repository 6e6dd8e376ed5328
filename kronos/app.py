"""The application factory: settings, logging, database, services, routers and the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import kronos
from kronos.config import Settings, get_settings
from kronos.kit import health
from kronos.kit.db import Database
from kronos.kit.errors import install_error_handlers
from kronos.kit.logging import configure_logging, get_logger
from kronos.kit.metrics import Metrics
from kronos.kit.middleware import EdgeMiddleware
from kronos.kit.services import connect_broker, create_redis

FRONTEND_DIST = Path(__file__).resolve().parent.parent / "frontend" / "dist"
_log = get_logger("kronos.app")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with AsyncExitStack() as stack:
        db = Database(settings)
        stack.push_async_callback(db.dispose)
        app.state.db = db
        app.state.metrics.watch_pool(db.pool_status)
        if settings.redis_url:
            app.state.redis = create_redis(settings.redis_url)
            stack.push_async_callback(app.state.redis.aclose)
        if settings.broker_url:
            app.state.broker = await connect_broker(settings.broker_url)
            stack.push_async_callback(app.state.broker.close)
        _log.info(
            "started",
            version=kronos.__version__,
            env=settings.env,
            database=db.dialect,
            redis=bool(settings.redis_url),
            broker=bool(settings.broker_url),
        )
        yield
        _log.info("shutting down")
    _log.info("stopped")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    app = FastAPI(
        title="KronosCRM",
        version=kronos.__version__,
        summary="An open-source CRM that keeps the full history of every field.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.redis = None
    app.state.broker = None
    install_error_handlers(app)
    app.add_middleware(EdgeMiddleware, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    _mount_web_app(app)
    return app


def _mount_web_app(app: FastAPI) -> None:
    if (FRONTEND_DIST / "index.html").is_file():
        app.mount("/", StaticFiles(directory=FRONTEND_DIST, html=True), name="web")
        return

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>KronosCRM</title><h1>KronosCRM</h1>"
            "<p>The API is running: see <a href='/docs'>/docs</a>. "
            "The web app has not been built (<code>frontend/dist</code> is missing).</p>"
        )
