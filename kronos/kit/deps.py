"""Shared FastAPI dependencies as ``Annotated`` aliases.

Sessions are opened per request and committed once, at the edge, *before* the response is sent
(``scope="function"``): a client that got a 2xx for a write can rely on it being stored.

Once a request has a principal (``kronos.kit.auth.get_principal`` puts it on ``request.state``), every
transaction of its sessions is bound to the principal's tenant (``bind_tenant``), so PostgreSQL's row-level
security holds even where a query forgets its tenant filter. The tenant is looked up when a transaction
begins, so it does not matter in which order a route lists its dependencies.

The first session a request opens is also the one authentication reads with (``request_session``): a route
that lists its session before ``CurrentPrincipal`` (as the record engine's do) costs one pool checkout and one
transaction, the principal's statement binding that transaction to the tenant as it reads. A route that asks
for the principal first still works: authentication then opens a short session of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.config import Settings
from kronos.kit.db import Database, ReadSession, WriteSession, bind_tenant


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _request_tenant(request: Request) -> Callable[[], uuid.UUID | None]:
    def tenant() -> uuid.UUID | None:
        principal = getattr(request.state, "principal", None)
        tenant_id: uuid.UUID | None = getattr(principal, "tenant_id", None)
        return tenant_id

    return tenant


_REQUEST_SESSION = "kronos_db_session"


def request_session(request: Request) -> AsyncSession | None:
    """The session this request opened first, while it is open; None before (or without) one."""
    session: AsyncSession | None = getattr(request.state, _REQUEST_SESSION, None)
    return session


def _share(request: Request, session: AsyncSession) -> None:
    if getattr(request.state, _REQUEST_SESSION, None) is None:
        setattr(request.state, _REQUEST_SESSION, session)


def _unshare(request: Request, session: AsyncSession) -> None:
    if getattr(request.state, _REQUEST_SESSION, None) is session:
        setattr(request.state, _REQUEST_SESSION, None)


async def get_write_session(request: Request) -> AsyncIterator[WriteSession]:
    async with get_database(request).write_session() as session:
        await bind_tenant(session, _request_tenant(request))
        _share(request, session)
        try:
            yield session
        finally:
            _unshare(request, session)


@asynccontextmanager
async def request_read_session(request: Request) -> AsyncIterator[ReadSession]:
    """``ReadDbSession`` for a route that opens it itself (a hot route that skips dependency injection)."""
    async with get_database(request).read_sessionmaker() as session:
        await bind_tenant(session, _request_tenant(request))
        _share(request, session)
        try:
            yield session
        finally:
            _unshare(request, session)


async def get_read_session(request: Request) -> AsyncIterator[ReadSession]:
    async with request_read_session(request) as session:
        yield session


DbSession = Annotated[WriteSession, Depends(get_write_session, scope="function")]
ReadDbSession = Annotated[ReadSession, Depends(get_read_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
