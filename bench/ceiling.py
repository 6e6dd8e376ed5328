"""The ceiling: a bare Starlette + asyncpg app running the same SQL as the KronosCRM scenarios.

Usage: .venv/bin/python bench/ceiling.py --port 8801 --tenant <workspace id> [--pool 10]

No ORM, no validation, no permissions, no history, no outbox, no row-level security: what one uvicorn
process and one asyncpg pool can serve for the same queries. Every KronosCRM figure is reported as a ratio to
this app's figure for the same scenario, measured in the same run.

- ``GET /contacts?owner_id=<uuid>&after=<cursor>&limit=50``: the keyset page the engine runs for
  ``?owner_id[eq]=...&sort=-created_at`` (``owner_id`` optional), with the engine's cursor format, so the
  same cursor walks both apps.
- ``POST /contacts``: one INSERT of the JSON body's contact, 201 with the row.
"""

from __future__ import annotations

import argparse
import base64
import json
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kronos.kit.ids import uuid7

COLUMNS = (
    "tenant_id, id, first_name, last_name, emails, phones, job_title, company_id, owner_id, version, custom, "
    "created_at, updated_at, deleted_at"
)
# The columns the engine selects for a list: those its fields are read from (kronos.kit.records.rows), so not
# tenant_id, deleted_at, nor custom while contacts have no custom field (the bench workspace has none).
LIST_COLUMNS = (
    "id, first_name, last_name, emails, phones, job_title, company_id, owner_id, version, "
    "created_at, updated_at"
)
# The statements the engine sends for the list scenario (one page, limit + 1 rows to know if there is more).
PAGE_FIRST = (
    f"SELECT {LIST_COLUMNS} FROM contacts WHERE tenant_id = $1 AND deleted_at IS NULL {{owner}}"
    "ORDER BY created_at DESC, id DESC LIMIT $2"
)
PAGE_AFTER = (
    f"SELECT {LIST_COLUMNS} FROM contacts WHERE tenant_id = $1 AND deleted_at IS NULL {{owner}}"
    "AND (created_at, id) < ($3, $4) ORDER BY created_at DESC, id DESC LIMIT $2"
)
INSERT = (
    "INSERT INTO contacts (tenant_id, id, first_name, last_name, emails, phones, job_title, company_id, "
    "owner_id, version, custom, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, '{}', $10, $10) "
    f"RETURNING {COLUMNS}"
)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def out(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "emails": json.loads(row["emails"]) if row["emails"] else [],
        "phones": json.loads(row["phones"]) if row["phones"] else [],
        "job_title": row["job_title"],
        "company_id": str(row["company_id"]) if row["company_id"] else None,
        "owner_id": str(row["owner_id"]) if row["owner_id"] else None,
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def encode_cursor(created_at: str, last_id: uuid.UUID) -> str:
    raw = json.dumps({"s": "-created_at", "v": [created_at], "id": str(last_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return datetime.fromisoformat(data["v"][0].replace("Z", "+00:00")), uuid.UUID(data["id"])


def build(database_dsn: str, tenant: uuid.UUID, pool_size: int) -> Starlette:
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        state["pool"] = await asyncpg.create_pool(database_dsn, min_size=pool_size, max_size=pool_size)
        try:
            yield
        finally:
            await state["pool"].close()

    async def list_contacts(request: Request) -> JSONResponse:
        params = request.query_params
        limit = min(int(params.get("limit", "50")), 200)
        owner = params.get("owner_id")
        args: list[Any] = [tenant, limit + 1]
        if "after" in params:
            created_at, last_id = decode_cursor(params["after"])
            args += [created_at, last_id]
            sql = PAGE_AFTER
        else:
            sql = PAGE_FIRST
        if owner:
            args.append(uuid.UUID(owner))
            sql = sql.format(owner=f"AND owner_id = ${len(args)} ")
        else:
            sql = sql.format(owner="")
        async with state["pool"].acquire() as conn:
            rows = await conn.fetch(sql, *args)
        items = [out(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(iso(last["created_at"]), last["id"])
        return JSONResponse({"items": items, "next_cursor": next_cursor})

    async def create_contact(request: Request) -> JSONResponse:
        body = await request.json()
        now = datetime.now(UTC)
        phones = body.get("phones")
        async with state["pool"].acquire() as conn:
            row = await conn.fetchrow(
                INSERT,
                tenant,
                uuid7(),
                body.get("first_name"),
                body["last_name"],
                json.dumps(body.get("emails") or None) if body.get("emails") else None,
                json.dumps(phones) if phones else None,
                body.get("job_title"),
                uuid.UUID(body["company_id"]) if body.get("company_id") else None,
                uuid.UUID(body["owner_id"]) if body.get("owner_id") else None,
                now,
            )
        assert row is not None
        return JSONResponse(out(row), status_code=201)

    return Starlette(
        routes=[
            Route("/contacts", list_contacts, methods=["GET"]),
            Route("/contacts", create_contact, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--tenant", type=uuid.UUID, required=True)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--dsn", default=None)
    args = parser.parse_args()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import dsn

    app = build(args.dsn or dsn(), args.tenant, args.pool)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
