"""Engines and sessions: async SQLAlchemy on aiosqlite (embedded) or asyncpg (PostgreSQL).

Reads and writes use separate session types so reads can move to a replica later. On SQLite the split also
fixes locking: write transactions start with ``BEGIN IMMEDIATE`` and so queue for the single writer up front,
instead of failing with "database is locked" when a read transaction tries to upgrade midway.

One session per request, committed once at the edge (see ``kronos.kit.deps``); services only flush.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from pydantic_core import from_json
from sqlalchemy import ColumnElement, Text, cast, event, func, literal, text, true
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from kronos.config import Settings


class ReadSession(AsyncSession):
    """A session for requests that only read. Flushing one is a bug."""

    async def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("a ReadSession cannot write; use a write session")
        await super().flush(objects)


class _WriteSyncSession(Session):
    pass


class WriteSession(AsyncSession):
    """A session that may write. Callbacks registered with ``after_commit`` run once it commits."""

    sync_session_class = _WriteSyncSession


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed (never if it rolls back)."""
    session.info.setdefault("after_commit", []).append(callback)


def _run_after_commit(session: Any) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


def _drop_after_commit(session: Any, *_: Any) -> None:
    session.info.pop("after_commit", None)


event.listen(_WriteSyncSession, "after_commit", _run_after_commit)
event.listen(_WriteSyncSession, "after_soft_rollback", _drop_after_commit)


# Row-level security (PostgreSQL). A transaction that serves one tenant switches to this role, which the
# tenant tables' policies restrict to rows whose tenant_id equals the setting below. Connections that are
# not bound (sign-in, workers, migrations) keep the connecting role and are trusted.
TENANT_DB_ROLE: Final = "kronos_app"
TENANT_SETTING: Final = "app.tenant_id"
_TENANT_KEY: Final = "kronos.tenant"
TenantSource = uuid.UUID | Callable[[], uuid.UUID | None]
_APPLY_TENANT = text(
    f"SELECT set_config('role', '{TENANT_DB_ROLE}', true), set_config('{TENANT_SETTING}', :tenant, true)"
)


def tenant_binding_columns(tenant: ColumnElement[Any]) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """What ``_APPLY_TENANT`` runs, as two columns another SELECT can carry (PostgreSQL only).

    Authentication reads the principal in the request's own transaction; adding these columns to that one
    statement binds the transaction to the tenant without a round trip of its own. They take effect for the
    statements that follow, so the caller must evaluate them after every other part of its statement (in an
    outer query over a subquery that cannot be flattened into it) and only for a principal it accepts.
    """
    return (
        func.set_config("role", literal(TENANT_DB_ROLE), true()),
        func.set_config(TENANT_SETTING, cast(tenant, Text), true()),
    )


def _bound_tenant(session: Session) -> uuid.UUID | None:
    source: TenantSource | None = session.info.get(_TENANT_KEY)
    return source() if callable(source) else source


async def bind_tenant(session: AsyncSession, tenant: TenantSource | None) -> None:
    """Scope every transaction of ``session`` to one tenant at the database: on PostgreSQL each transaction
    runs ``SET LOCAL ROLE`` + ``set_config(app.tenant_id)``, now if one is open and on every later begin.

    ``tenant`` may be a callable, asked at each begin, for a tenant known only later (the request's
    principal); None unbinds from the next transaction on. No-op on SQLite, which has no row-level
    security: the repositories' filters are all there is.
    """
    if tenant is None:
        session.sync_session.info.pop(_TENANT_KEY, None)
        return
    session.sync_session.info[_TENANT_KEY] = tenant
    tenant_id = _bound_tenant(session.sync_session)
    dialect = session.sync_session.get_bind().dialect.name
    if session.in_transaction() and tenant_id is not None and dialect == "postgresql":
        await session.execute(_APPLY_TENANT, {"tenant": str(tenant_id)})


def _apply_tenant(session: Session, _transaction: Any, connection: Any) -> None:
    tenant_id = _bound_tenant(session) if _TENANT_KEY in session.info else None
    if tenant_id is not None and connection.dialect.name == "postgresql":
        connection.execute(_APPLY_TENANT, {"tenant": str(tenant_id)})


event.listen(Session, "after_begin", _apply_tenant)


def configure_sqlite(engine: AsyncEngine, *, begin: str = "BEGIN", foreign_keys: bool = True) -> None:
    """Make aiosqlite transactional (the driver's own BEGIN handling skips DDL and savepoints) and tune it."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN, SAVEPOINT and COMMIT mean what they say.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        # FULL: a commit that was acknowledged survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def create_engine(settings: Settings, *, for_writes: bool) -> AsyncEngine:
    url = make_url(settings.effective_database_url)
    # JSON columns are decoded by pydantic-core's parser: same values as the standard library's, about four
    # times faster, which a list page of 50 records with two JSON columns each notices.
    kwargs: dict[str, Any] = {"echo": settings.db_echo, "json_deserializer": from_json}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        engine = create_async_engine(url, **kwargs)
        configure_sqlite(engine, begin="BEGIN IMMEDIATE" if for_writes else "BEGIN")
        return engine
    kwargs |= {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        "connect_args": {
            "server_settings": {"application_name": "kronos", "timezone": "UTC"},
        },
    }
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling without a round trip per checkout.

    SQLAlchemy's ``pool_pre_ping`` costs three round trips on asyncpg (BEGIN, a ping, ROLLBACK) every time a
    connection leaves the pool, twice per request. A connection the server closed (a restart, an idle
    timeout, ``pg_terminate_backend``) is already marked closed by asyncpg, which read the socket's EOF on the
    event loop; refusing it here makes the pool drop it and hand out another (SQLAlchemy retries the
    checkout), so the request never sees the dead connection.
    """
    connection = getattr(dbapi_connection, "_connection", None)
    if connection is not None and connection.is_closed():
        raise DisconnectionError("the server closed this connection")


class Database:
    """The app's engines and session factories; created in the lifespan, disposed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.write_engine = create_engine(settings, for_writes=True)
        # PostgreSQL: one engine until a replica is configured; SQLite needs its own for the BEGIN mode.
        self.read_engine = (
            create_engine(settings, for_writes=False) if settings.is_sqlite else self.write_engine
        )
        self.write_sessionmaker = async_sessionmaker(
            self.write_engine, class_=WriteSession, expire_on_commit=False, autoflush=False
        )
        self.read_sessionmaker = async_sessionmaker(
            self.read_engine, class_=ReadSession, expire_on_commit=False, autoflush=False
        )

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[WriteSession]:
        """A unit of work outside a request (CLI, workers): committed on success, rolled back on error."""
        async with self.write_sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[ReadSession]:
        async with self.read_sessionmaker() as session:
            yield session

    async def ping(self) -> None:
        async with self.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def pool_status(self) -> dict[str, int]:
        pool: Any = self.write_engine.pool
        if not hasattr(pool, "size"):
            return {"size": 0, "checked_out": 0, "overflow": 0}
        return {"size": pool.size(), "checked_out": pool.checkedout(), "overflow": pool.overflow()}

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
