"""The application factory: settings, logging, database, services, routers and the web app."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import kronos
from kronos.config import Settings, get_settings
from kronos.kit import health
from kronos.kit.db import Database
from kronos.kit.errors import install_error_handlers
from kronos.kit.events import default_registry
from kronos.kit.events.registry import discover as discover_consumers
from kronos.kit.events.router import router as dead_letters_router
from kronos.kit.events.runtime import EventRuntime
from kronos.kit.headers import SecurityHeadersMiddleware
from kronos.kit.logging import configure_logging, get_logger
from kronos.kit.mail import create_mailer
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
        # Events: embedded, the relay and every consumer run here; with a broker, only the relay does (and
        # `kronos worker` consumes). Stopped before the broker and the database close (the stack is LIFO).
        registry = app.state.event_registry
        if registry is default_registry:
            discover_consumers()
        app.state.events = EventRuntime(settings, db, registry=registry, connection=app.state.broker)
        await app.state.events.start()
        stack.push_async_callback(app.state.events.stop)
        if app.state.freeze_heap:
            freeze_heap()
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


def freeze_heap() -> None:
    """Move what start-up allocated (modules, routes, mappers, pools: some 150,000 objects) out of the cyclic
    garbage collector's reach, for good. Otherwise each full collection walks all of them, 60-170 ms on this
    machine during which the process answers nothing: that was the p99 of reads that take 3-5 ms. Objects
    made later are collected as usual. `kronos serve` does it once the app has started; tests, which
    build many apps in one process, do not (what a frozen app holds is never freed)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    from kronos.bootstrap import with_secret_key

    settings = with_secret_key(settings or get_settings())
    configure_logging(settings)
    if settings.bench_disable_history:
        from kronos.kit.records.write import SWITCHES

        SWITCHES.history = False
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
    app.state.events = None
    app.state.event_registry = default_registry  # tests may swap in their own before the lifespan starts
    app.state.freeze_heap = False  # `kronos serve` sets it: see freeze_heap
    install_error_handlers(app)
    app.add_middleware(EdgeMiddleware, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    # First among the API routers: most requests are for records (see kronos.kit.records.paths).
    include_record_engine(app)
    _install_identity(app)
    app.include_router(dead_letters_router)
    include_access(app)
    include_crm(app)
    _mount_web_app(app)
    # Added last, so it is the outermost middleware: every response, those of other middlewares included
    # (413, 429, the 500 of an unhandled error), carries the security headers.
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts_max_age=settings.hsts_max_age,
        docs_paths=[path for path in (app.docs_url, app.swagger_ui_oauth2_redirect_url) if path],
    )
    return app


def include_access(app: FastAPI) -> None:
    """Roles, teams, API keys and the audit log; API keys as a way to authenticate."""
    from kronos.kit.auth import register_authenticator
    from kronos.modules.access.apikeys import authenticate_api_key
    from kronos.modules.access.router import router as access_router

    app.include_router(access_router)
    register_authenticator(app.state, authenticate_api_key)
    from kronos.kit.records.history import register_audit
    from kronos.modules.access.audit import record_action

    register_audit(app.state, record_action)  # GDPR erasures reach the audit log


def include_crm(app: FastAPI) -> None:
    """CRM routes beyond the generic object routes: lead status and conversion."""
    from kronos.modules.crm.router import router as crm_router

    app.include_router(crm_router)


def include_record_engine(app: FastAPI) -> None:
    """The record engine's metadata routes and the generic /api/v1/{object} routes, for every object."""
    from kronos.kit.records.router import include_record_routes
    from kronos.modules.crm.objects import STANDARD_OBJECTS

    include_record_routes(app, STANDARD_OBJECTS)


def _install_identity(app: FastAPI) -> None:
    from kronos.kit.auth import register_authenticator
    from kronos.modules.identity import router as identity_router
    from kronos.modules.identity import workspace_router
    from kronos.modules.identity.authenticator import authenticate_access_token

    app.state.mailer = create_mailer(app.state.settings)
    register_authenticator(app.state, authenticate_access_token)
    from kronos.kit.records.history import register_user_names
    from kronos.modules.identity.repository import member_names

    register_user_names(app.state, member_names)  # names in record history
    from kronos.kit.records.members import register_member_lookup
    from kronos.modules.identity.repository import member_ids

    register_member_lookup(member_ids)  # user fields hold members of the workspace
    app.include_router(identity_router.router)
    app.include_router(workspace_router.router)


def _mount_web_app(app: FastAPI) -> None:
    """The web app at / with a fallback to index.html for its routes (kronos/web.py). Mounted last."""
    from kronos.web import mount_web_app

    mount_web_app(app, app.state.settings.web_dist or FRONTEND_DIST)
