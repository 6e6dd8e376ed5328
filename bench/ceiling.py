"""The ceiling: a bare Starlette + asyncpg app running the same SQL as the KronosCRM scenarios.

Usage: .venv/bin/python bench/ceiling.py --port 8801 --tenant <workspace id> [--pool 10]

No ORM, no validation, no permission logic, no framework: what one uvicorn process and one asyncpg pool can
serve. Every KronosCRM figure is reported as a ratio to this app's figure for the same scenario, measured in
the same run. Two ceilings per scenario:

**Same statements** (``/same/...``): the statements KronosCRM sends to PostgreSQL for the request, in the
same order and transaction (read off ``log_statement = all`` for one request of each kind), with the same
SQL text where it matters: the sign-in statement is KronosCRM's own, compiled from
``kronos.modules.access.repository`` (it checks the session and binds the transaction to the workspace's
row-level-security role, so the page query runs under the same policies). What is left between the two apps
is Python: framework, ORM, validation, permissions, serialization.

- ``GET /same/contacts?...``: ``BEGIN``; the sign-in statement (session id, user and workspace read from the
  bearer token, whose signature is not checked: KronosCRM caches verified tokens, so neither pays for it per
  request); the keyset page; ``ROLLBACK`` (a read session ends so).
- ``POST /same/contacts``: ``BEGIN``; sign-in; the e-mail's claim in ``unique_values``; the company check;
  one ``field_history`` row per field set (one executemany); the row; the ``field_stints`` of the relation
  and user fields (company, owner); the outbox event; ``COMMIT``. The runner checks that one request of each
  app adds the same rows to every table. Not mirrored: the outbox relay, which publishes the event after the
  commit (in KronosCRM's process, so it counts against KronosCRM).

**Bare** (``/contacts``): the page query alone / one INSERT alone, no sign-in, no transaction, no RLS.

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
import jwt
import uvicorn
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kronos.kit.ids import uuid7
from kronos.modules.access.repository import _session_principal_statement

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


def _sign_in_statement() -> tuple[str, list[str], dict[str, Any]]:
    """KronosCRM's sign-in statement (session alive, member's role, binding to the tenant) as asyncpg runs
    it: the SQL text, the order of its parameters, and the constants among them."""
    compiled = _session_principal_statement("postgresql", True).compile(dialect=PGDialect_asyncpg())  # type: ignore[no-untyped-call]
    return str(compiled), list(compiled.positiontup or []), dict(compiled.params)


SIGN_IN, SIGN_IN_ORDER, SIGN_IN_CONSTANTS = _sign_in_statement()
CLAIM = (
    "INSERT INTO unique_values (tenant_id, object, field, value_key, record_id) "
    "VALUES ($1::UUID, $2::VARCHAR, $3::VARCHAR, $4::VARCHAR, $5::UUID) "
    "ON CONFLICT (tenant_id, object, field, value_key) DO NOTHING "
    "RETURNING unique_values.tenant_id, unique_values.object, unique_values.field, unique_values.value_key, "
    "unique_values.record_id"
)
COMPANY_EXISTS = (
    "SELECT count(*) AS count_1 FROM companies WHERE companies.tenant_id = $1::UUID "
    "AND companies.id IN ($2::UUID) AND companies.deleted_at IS NULL"
)
HISTORY = (
    "INSERT INTO field_history (tenant_id, id, object, record_id, field, op, old_value, new_value, "
    "changed_at, change_set_id, actor_user_id, actor_api_key_id, source) "
    "VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::UUID, $5::VARCHAR, $6::VARCHAR, $7::JSONB, $8::JSONB, "
    "$9::TIMESTAMP WITH TIME ZONE, $10::UUID, $11::UUID, "
    "$12::UUID, $13::VARCHAR)"
)
ROW = (
    "INSERT INTO contacts (tenant_id, id, first_name, last_name, emails, phones, job_title, company_id, "
    "owner_id, version, custom, created_at, updated_at, deleted_at) VALUES ($1::UUID, $2::UUID, $3::VARCHAR, "
    "$4::VARCHAR, $5::JSONB, $6::JSONB, $7::VARCHAR, $8::UUID, $9::UUID, $10::INTEGER, $11::JSONB, "
    "$12::TIMESTAMP WITH TIME ZONE, $13::TIMESTAMP WITH TIME ZONE, $14::TIMESTAMP WITH TIME ZONE)"
)
STINT = (
    "INSERT INTO field_stints (tenant_id, id, object, record_id, field, value, entered_at, left_at) "
    "VALUES ($1::UUID, $2::UUID, $3, $4::UUID, $5, $6, $7::TIMESTAMP WITH TIME ZONE, NULL)"
)
OUTBOX = (
    "INSERT INTO outbox_events (id, tenant_id, name, payload, created_at, published_at, attempts, "
    "last_error) "
    "VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::JSONB, $5::TIMESTAMP WITH TIME ZONE, "
    "$6::TIMESTAMP WITH TIME ZONE, $7::INTEGER, $8::VARCHAR)"
)
_CLAIMS: dict[str, tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = {}


def bearer_claims(request: Request) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(workspace, user, session) from the bearer token, decoded once per token as KronosCRM does."""
    token = request.headers["authorization"].removeprefix("Bearer ")
    found = _CLAIMS.get(token)
    if found is None:
        claims = jwt.decode(token, options={"verify_signature": False})
        found = (uuid.UUID(claims["ws"]), uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]))
        _CLAIMS[token] = found
    return found


async def sign_in(conn: asyncpg.Connection, request: Request) -> uuid.UUID:
    tenant, user, session = bearer_claims(request)
    values = SIGN_IN_CONSTANTS | {
        "tenant_id": tenant,
        "user_id": user,
        "session_id": session,
        "now": datetime.now(UTC),
    }
    row = await conn.fetchrow(SIGN_IN, *(values[name] for name in SIGN_IN_ORDER))
    if row is None or row["role"] is None:
        raise PermissionError("session ended")
    return user


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

    def page_query(request: Request) -> tuple[str, list[Any], int]:
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
        return sql, args, limit

    def page(rows: list[asyncpg.Record], limit: int) -> JSONResponse:
        items = [out(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(iso(last["created_at"]), last["id"])
        return JSONResponse({"items": items, "next_cursor": next_cursor})

    async def list_contacts(request: Request) -> JSONResponse:
        sql, args, limit = page_query(request)
        async with state["pool"].acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page(rows, limit)

    async def list_contacts_same(request: Request) -> JSONResponse:
        sql, args, limit = page_query(request)
        async with state["pool"].acquire() as conn:
            await conn.execute("BEGIN")
            try:
                await sign_in(conn, request)
                rows = await conn.fetch(sql, *args)
            finally:
                await conn.execute("ROLLBACK")
        return page(rows, limit)

    async def create_contact_same(request: Request) -> JSONResponse:
        body = await request.json()
        now = datetime.now(UTC)
        record_id, change_set = uuid7(), uuid7()
        company = uuid.UUID(body["company_id"]) if body.get("company_id") else None
        async with state["pool"].acquire() as conn:
            await conn.execute("BEGIN")
            try:
                user = await sign_in(conn, request)
                values = {
                    "first_name": body.get("first_name"),
                    "last_name": body["last_name"],
                    "emails": body.get("emails") or None,
                    "job_title": body.get("job_title"),
                    "company_id": str(company) if company else None,
                    "owner_id": str(user),
                }
                for email in values["emails"] or []:
                    claimed = await conn.fetchrow(
                        CLAIM, tenant, "contacts", "emails", email.lower(), record_id
                    )
                    if claimed is None:
                        return JSONResponse({"status": 409}, status_code=409)
                if company is not None and await conn.fetchval(COMPANY_EXISTS, tenant, company) != 1:
                    return JSONResponse({"status": 422}, status_code=422)
                set_fields = [(name, value) for name, value in values.items() if value is not None]
                await conn.executemany(
                    HISTORY,
                    [
                        (tenant, uuid7(), "contacts", record_id, name, "create", None, json.dumps(value), now,
                         change_set, user, None, "ui")
                        for name, value in set_fields
                    ],
                )  # fmt: skip
                row = (
                    tenant, record_id, values["first_name"], values["last_name"],
                    json.dumps(values["emails"]) if values["emails"] else None, None, values["job_title"],
                    company, user, 1, "{}", now, now, None,
                )  # fmt: skip
                await conn.execute(ROW, *row)
                await conn.executemany(
                    STINT,
                    [
                        (tenant, uuid7(), "contacts", record_id, name, value, now)
                        for name, value in set_fields
                        if name in ("company_id", "owner_id")
                    ],
                )
                payload = {
                    "id": str(record_id),
                    "fields": [name for name, _ in set_fields],
                    "object": "contacts",
                    "source": "ui",
                    "version": 1,
                    "actor_user_id": str(user),
                    "change_set_id": str(change_set),
                }
                await conn.execute(
                    OUTBOX, uuid7(), tenant, "contact.created", json.dumps(payload), now, None, 0, None
                )
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
        result = {
            "id": str(record_id),
            "version": 1,
            **values,
            "phones": [],
            "created_at": iso(now),
            "updated_at": iso(now),
        }
        return JSONResponse(result, status_code=201)

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
            Route("/same/contacts", list_contacts_same, methods=["GET"]),
            Route("/same/contacts", create_contact_same, methods=["POST"]),
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
