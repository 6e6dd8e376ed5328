"""Shared FastAPI dependencies as ``Annotated`` aliases.

Sessions are opened per request and committed once, at the edge, *before* the response is sent
(``scope="function"``): a client that got a 2xx for a write can rely on it being stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from kronos.config import Settings
from kronos.kit.db import Database, ReadSession, WriteSession


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_write_session(request: Request) -> AsyncIterator[WriteSession]:
    async with get_database(request).write_sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def get_read_session(request: Request) -> AsyncIterator[ReadSession]:
    async with get_database(request).read_sessionmaker() as session:
        yield session


DbSession = Annotated[WriteSession, Depends(get_write_session, scope="function")]
ReadDbSession = Annotated[ReadSession, Depends(get_read_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
