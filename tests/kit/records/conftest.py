from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.kit.records.support import World, make_world


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient) -> World:
    return await make_world(app, client)
