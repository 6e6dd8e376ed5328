"""Benchmarks of field history (issue 5): as_of reads, history pages, stage-duration reports, write overhead
and storage per change, on PostgreSQL at scale.

Usage:
  .venv/bin/python bench/history.py                       # generate, then measure (appends to RESULTS.md)
  .venv/bin/python bench/history.py --skip-generate       # measure again on the data already loaded
  .venv/bin/python bench/history.py --contacts 100000 --deals 20000 --history-rows 1000000   # a quick look

Uses its own database, ``BENCH_DB`` (default here ``kronos_bench_history``), **dropped and recreated** by the
generation step. Data: ``bench/generate.py`` loads the contacts and companies (and the create change sets of
10% of them); this script then replaces the generic deals with one pipeline of 5 stages and N deals whose
stage history is consistent with their current stage (Qualification -> Proposal -> Negotiation -> Won, or Lost
at any step; create, stage, closed_at and outcome rows as the engine writes them), gives one contact and one
deal 1,000 changes each (the records the single-record scenarios read), and pads ``field_history`` with
job-title changes of random contacts up to ``--history-rows`` rows. All by COPY, never through the API; the
history indexes are dropped during the load and rebuilt after it. Then ``field_stints`` is filled from the
loaded history by the engine's own set-based rebuild (the migration's backfill statement, one INSERT ...
SELECT), its indexes built after it.

Scenarios (p50/p99 from wrk, 1 thread, --connections (default 1), or an httpx sampler for PATCH):
  asof_record     GET /api/v1/contacts/{hot}?as_of=<middle of its changes>  (history helper's)
  history_page    GET /api/v1/contacts/{hot}/history?limit=50               (history helper's)
  asof_list       GET /api/v1/deals?as_of=<ts>&stage_id[eq]=<Negotiation>&limit=50
  time_in_state   GET /api/v1/analytics/time-in-state?object=deals&field=stage_id&filter=<pipeline>&from&to
  funnel          GET /api/v1/analytics/funnel?object=deals&field=stage_id&filter=<pipeline>&from&to
  patch           PATCH /api/v1/contacts/{id} {"job_title": ...}: one server with history and one with
                  KRONOS_BENCH_DISABLE_HISTORY=true (no history rows, no stints) run side by side, one client
                  alternating between them for 2x --duration, so each request runs alone and both servers
                  see the same load from the rest of the machine; overhead = p50 and p99 difference
  patch_stage     PATCH /api/v1/deals/{id} {"stage_id": <next open stage>}: the same, for a write that also
                  closes a stint and opens one
  ab              the write path in-process (RecordService.update, no HTTP), history switched on and off
                  between rounds: median wall and CPU per write, for both PATCH scenarios
  sql             EXPLAIN ANALYZE of the SQL behind asof_record and history_page, and of what history adds
                  to a write (a history row; closing and opening a stint), bound to the tenant like a
                  request, rolled back: p50/p99 of planning + execution, to tell SQL from per-request
                  overhead
  storage         pg_total_relation_size('field_history') / rows, and with field_stints added
A scenario whose endpoint answers 404/422 (not built yet) is reported as "not available" and can be re-run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

os.environ.setdefault("BENCH_DB", "kronos_bench_history")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
import run
from common import DB_NAME, OWNER_EMAIL, dsn, free_port, machine, sqlalchemy_url
from generate import (
    HISTORY_COLUMNS,
    NOW,
    SPAN_MS,
    START,
    WORDS,
    _progress,
    at,
    console,
    copy_rows,
    detach_indexes,
    iso,
    uuid7_at,
)
from generate import generate as generate_base
from sqlalchemy.dialects.postgresql.base import PGDialect

from kronos.kit.db import TENANT_DB_ROLE, TENANT_SETTING

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
STAGES = (
    ("Qualification", 10, "open"),
    ("Proposal", 40, "open"),
    ("Negotiation", 70, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
)
HOT_CHANGES = 1_000
TITLES = (
    "VP Sales",
    "Head of Marketing",
    "Account Executive",
    "Sales Manager",
    "Product Manager",
    "Procurement Lead",
    "Operations Manager",
    "Office Manager",
    "HR Manager",
    "CTO",
    "CFO",
)
DAY_MS = 86_400_000


# -- generation -------------------------------------------------------------------------------------------
def history_row(
    tenant: uuid.UUID,
    obj: str,
    record: uuid.UUID,
    field: str,
    op: str,
    old: Any,
    new: Any,
    ms: int,
    change_set: uuid.UUID,
    actor: uuid.UUID,
    rnd: random.Random,
) -> tuple[Any, ...]:
    return (
        tenant,
        uuid7_at(ms, rnd),
        obj,
        record,
        field,
        op,
        None if old is None else json.dumps(old),
        None if new is None else json.dumps(new),
        at(ms),
        change_set,
        actor,
        None,
        "ui",
    )


class Deals:
    """Deals of one pipeline and their history: each starts in the first stage, moves on or is lost."""

    def __init__(self, tenant: uuid.UUID, users: list[uuid.UUID], rnd: random.Random) -> None:
        self.tenant, self.users, self.rnd = tenant, users, rnd
        self.pipeline = uuid7_at(0, rnd)
        self.stages = [uuid7_at(1 + i, rnd) for i in range(len(STAGES))]
        self.history: list[tuple[Any, ...]] = []

    def rows(self, count: int) -> Iterator[tuple[Any, ...]]:
        rnd, tenant = self.rnd, self.tenant
        step = SPAN_MS / max(count, 1)
        for i in range(count):
            ms = int(i * step + rnd.random() * step)
            deal = uuid7_at(ms, rnd)
            owner = rnd.choice(self.users)
            name = f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS)} deal {i}"
            amount = rnd.randrange(1_000, 10_000_000)
            close = (at(ms) + timedelta(days=rnd.randrange(10, 120))).date()
            created = {
                "name": name,
                "amount": {"amount_minor": amount, "currency": "EUR"},
                "close_date": close.isoformat(),
                "pipeline_id": str(self.pipeline),
                "stage_id": str(self.stages[0]),
                "owner_id": str(owner),
            }
            cs = uuid7_at(ms, rnd)
            for field, value in created.items():
                self.history.append(
                    history_row(tenant, "deals", deal, field, "create", None, value, ms, cs, owner, rnd)
                )
            stage, t, version = 0, ms, 1
            closed_at, outcome = None, None
            while stage < 3:
                t += int(rnd.expovariate(1 / (12 * DAY_MS)))
                if t >= SPAN_MS:
                    break
                target = stage + 1 if rnd.random() < 0.65 else 4
                cs = uuid7_at(t, rnd)
                self.history.append(
                    history_row(
                        tenant,
                        "deals",
                        deal,
                        "stage_id",
                        "update",
                        str(self.stages[stage]),
                        str(self.stages[target]),
                        t,
                        cs,
                        owner,
                        rnd,
                    )
                )
                version += 1
                stage = target
                if stage >= 3:
                    closed_at, outcome = iso(at(t)), ("won" if stage == 3 else "lost")
                    self.history.append(
                        history_row(
                            tenant, "deals", deal, "closed_at", "update", None, closed_at, t, cs, owner, rnd
                        )
                    )
                    self.history.append(
                        history_row(
                            tenant, "deals", deal, "outcome", "update", None, outcome, t, cs, owner, rnd
                        )
                    )
            yield (
                tenant,
                deal,
                name,
                amount,
                "EUR",
                close,
                self.pipeline,
                self.stages[stage],
                None,
                None,
                owner,
                None if closed_at is None else at(t),
                outcome,
                version,
                "{}",
                at(ms),
                at(max(ms, t)),
                None,
            )


DEAL_COLUMNS = [
    "tenant_id",
    "id",
    "name",
    "amount_minor",
    "currency",
    "close_date",
    "pipeline_id",
    "stage_id",
    "company_id",
    "contact_ids",
    "owner_id",
    "closed_at",
    "outcome",
    "version",
    "custom",
    "created_at",
    "updated_at",
    "deleted_at",
]


def hot_changes(
    tenant: uuid.UUID,
    obj: str,
    record: uuid.UUID,
    field: str,
    created_ms: int,
    actor: uuid.UUID,
    rnd: random.Random,
    values: list[Any],
) -> list[tuple[Any, ...]]:
    """``HOT_CHANGES`` updates of one field, evenly over the record's life."""
    # Its create change set first, as the write path writes it: reads "as of" need the record to exist.
    rows = [
        history_row(
            tenant,
            obj,
            record,
            field,
            "create",
            None,
            None,
            created_ms,
            uuid7_at(created_ms, rnd),
            actor,
            rnd,
        )
    ]
    span = max(SPAN_MS - created_ms - 1, HOT_CHANGES)
    old = None
    for n in range(HOT_CHANGES):
        ms = created_ms + 1 + n * span // HOT_CHANGES
        new = values[n % len(values)] if not isinstance(values[0], int) else n
        rows.append(
            history_row(tenant, obj, record, field, "update", old, new, ms, uuid7_at(ms, rnd), actor, rnd)
        )
        old = new
    return rows


async def generate(contacts: int, deals: int, history_rows: int, seed: int) -> None:
    started = time.perf_counter()
    base = await generate_base(contacts, "rebuild", 0.1, seed)
    tenant = uuid.UUID(base["tenant_id"])
    users = [uuid.UUID(u) for u in base["users"]]
    rnd = random.Random(seed + 1)
    conn = await asyncpg.connect(dsn())
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        # generate.py's deals are generic (random stages); ours follow one pipeline's stages.
        await conn.execute("TRUNCATE deals, stages, pipelines CASCADE")
        model = Deals(tenant, users, rnd)
        await conn.execute(
            "INSERT INTO pipelines (tenant_id, id, name, is_default, position, version, custom, created_at, "
            "updated_at) VALUES ($1, $2, 'Sales', true, 0, 1, '{}', $3, $3)",
            tenant,
            model.pipeline,
            START,
        )
        for position, ((name, probability, type), stage) in enumerate(zip(STAGES, model.stages, strict=True)):
            await conn.execute(
                "INSERT INTO stages (tenant_id, id, pipeline_id, name, position, probability, type, version, "
                "custom, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, '{}', $8, $8)",
                tenant,
                stage,
                model.pipeline,
                name,
                position,
                probability,
                type,
                START,
            )
        existing = int(await conn.fetchval("SELECT count(*) FROM field_history"))
        recreate = await detach_indexes(conn, "deals") + await detach_indexes(conn, "field_history")
        progress = _progress()
        with progress:
            await copy_rows(conn, "deals", DEAL_COLUMNS, model.rows(deals), deals, progress)
            hot_contact = await conn.fetchrow(
                "SELECT id, created_at, owner_id FROM contacts WHERE tenant_id = $1 ORDER BY id LIMIT 1",
                tenant,
            )
            hot_deal = await conn.fetchrow(
                "SELECT id, created_at, owner_id FROM deals WHERE tenant_id = $1 ORDER BY id LIMIT 1", tenant
            )
            extra = hot_changes(
                tenant,
                "contacts",
                hot_contact["id"],
                "job_title",
                _ms(hot_contact["created_at"]),
                hot_contact["owner_id"],
                rnd,
                list(TITLES),
            )
            extra += hot_changes(
                tenant,
                "deals",
                hot_deal["id"],
                "amount",
                _ms(hot_deal["created_at"]),
                hot_deal["owner_id"],
                rnd,
                [{"amount_minor": 1, "currency": "EUR"}],
            )
            rows = model.history + extra
            await copy_rows(conn, "field_history", HISTORY_COLUMNS, iter(rows), len(rows), progress)
            padding = max(history_rows - existing - len(rows), 0)
            sample = await conn.fetch(
                "SELECT id, created_at, owner_id FROM contacts WHERE tenant_id = $1 "
                "ORDER BY random() LIMIT $2",
                tenant,
                min(contacts, 250_000),
            )
            await copy_rows(
                conn,
                "field_history",
                HISTORY_COLUMNS,
                _padding(tenant, sample, padding, rnd),
                padding,
                progress,
            )
        with console.status(f"Recreating {len(recreate)} indexes and foreign keys"):
            t0 = time.perf_counter()
            for statement in recreate:
                await conn.execute(statement)
        console.print(f"Indexes recreated in {time.perf_counter() - t0:.1f} s")
        with console.status("VACUUM ANALYZE"):
            for table in ("deals", "stages", "pipelines", "field_history"):
                await conn.execute(f"VACUUM ANALYZE {table}")
        await fill_stints(conn)
        total = int(await conn.fetchval("SELECT count(*) FROM field_history"))
    finally:
        await conn.close()
    console.print(
        f"[green]Generated in {time.perf_counter() - started:.0f} s[/]: {contacts:,} contacts, "
        f"{deals:,} deals, {total:,} field_history rows"
    )


def stints_sql() -> str:
    """The engine's own set-based rebuild of ``field_stints`` from ``field_history`` (the migration's
    backfill), for every tracked field of every workspace, as PostgreSQL SQL."""
    from kronos.kit.records import stints
    from kronos.modules.crm.objects import STANDARD_OBJECTS

    rows = stints.history_rows(
        "postgresql", stints.tracked_everywhere(stints.standard_pairs(STANDARD_OBJECTS))
    )
    statement = stints.insert_statement(stints.rebuild_select("postgresql", rows))
    dialect = PGDialect()  # type: ignore[no-untyped-call]
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def fill_stints(conn: asyncpg.Connection) -> None:
    """Stints the loaded history implies, in one INSERT ... SELECT (indexes dropped meanwhile)."""
    await conn.execute("TRUNCATE field_stints")
    recreate = await detach_indexes(conn, "field_stints")
    with console.status("Filling field_stints from field_history (set-based)"):
        t0 = time.perf_counter()
        await conn.execute("SET work_mem = '256MB'")
        await conn.execute(stints_sql())
        filled = time.perf_counter() - t0
        for statement in recreate:
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE field_stints")
    count = await conn.fetchval("SELECT count(*) FROM field_stints")
    indexed = time.perf_counter() - t0 - filled
    console.print(f"field_stints: {count:,} stints in {filled:.1f} s, indexed in {indexed:.1f} s")


def _ms(value: datetime) -> int:
    return int((value - START).total_seconds() * 1000)


def _padding(
    tenant: uuid.UUID, contacts: list[asyncpg.Record], count: int, rnd: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Job-title changes of random contacts, after their creation: the bulk of a busy workspace's history."""
    for _ in range(count):
        contact = contacts[rnd.randrange(len(contacts))]
        created = _ms(contact["created_at"])
        ms = created + 1 + rnd.randrange(max(SPAN_MS - created - 1, 1))
        yield history_row(
            tenant,
            "contacts",
            contact["id"],
            "job_title",
            "update",
            rnd.choice(TITLES),
            rnd.choice(TITLES),
            ms,
            uuid7_at(ms, rnd),
            contact["owner_id"],
            rnd,
        )


# -- measurement ------------------------------------------------------------------------------------------
def start_kronos(port: int, data_dir: Path, *, history: bool) -> subprocess.Popen[bytes]:
    """``run.start_kronos``, or a server that writes no history rows (the bench-only switch)."""
    if history:
        return run.start_kronos(port, data_dir)
    return run.start_kronos(
        port,
        data_dir,
        extra_env={"KRONOS_BENCH_DISABLE_HISTORY": "true"},
        log_name="kronos-nohistory.log",
    )


async def facts() -> dict[str, Any]:
    conn = await asyncpg.connect(dsn())
    try:
        tenant = await conn.fetchval("SELECT id FROM workspaces WHERE name = $1", "Bench workspace")
        owner = await conn.fetchval("SELECT id FROM users WHERE email = $1", OWNER_EMAIL)
        hot_contact = await conn.fetchval(
            "SELECT id FROM contacts WHERE tenant_id = $1 ORDER BY id LIMIT 1", tenant
        )
        pipeline = await conn.fetchval("SELECT id FROM pipelines WHERE tenant_id = $1 LIMIT 1", tenant)
        negotiation = await conn.fetchval(
            "SELECT id FROM stages WHERE tenant_id = $1 AND name = 'Negotiation'", tenant
        )
        hot_times = await conn.fetch(
            "SELECT changed_at FROM field_history WHERE tenant_id = $1 AND object = 'contacts' "
            "AND record_id = $2 ORDER BY changed_at",
            tenant,
            hot_contact,
        )
        patch_ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM contacts WHERE tenant_id = $1 ORDER BY id DESC LIMIT 2000", tenant
            )
        ]
        open_stages = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM stages WHERE tenant_id = $1 AND type = 'open' ORDER BY position", tenant
            )
        ]
        open_deals = {
            r["id"]: r["stage_id"]
            for r in await conn.fetch(
                "SELECT id, stage_id FROM deals WHERE tenant_id = $1 AND stage_id = ANY($2) "
                "ORDER BY id DESC LIMIT 2000",
                tenant,
                open_stages,
            )
        }
        counts = {
            "contacts": await conn.fetchval("SELECT count(*) FROM contacts"),
            "deals": await conn.fetchval("SELECT count(*) FROM deals"),
            "deals_in_pipeline": await conn.fetchval(
                "SELECT count(*) FROM deals WHERE pipeline_id = $1", pipeline
            ),
            "field_history": await conn.fetchval("SELECT count(*) FROM field_history"),
            "field_stints": await conn.fetchval("SELECT count(*) FROM field_stints"),
            "hot_changes": len(hot_times),
        }
        size = await conn.fetchval("SELECT pg_total_relation_size('field_history')")
        heap = await conn.fetchval("SELECT pg_relation_size('field_history')")
        stints_size = await conn.fetchval("SELECT pg_total_relation_size('field_stints')")
    finally:
        await conn.close()
    return {
        "tenant": tenant,
        "owner": owner,
        "hot_contact": hot_contact,
        "pipeline": pipeline,
        "negotiation": negotiation,
        "hot_mid": hot_times[len(hot_times) // 2]["changed_at"] if hot_times else NOW,
        "patch_ids": patch_ids,
        "open_stages": open_stages,
        "open_deals": open_deals,
        "counts": counts,
        "size": size,
        "heap": heap,
        "stints_size": stints_size,
    }


def probe(base: str, path: str, token: str) -> tuple[int, str]:
    response = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    return response.status_code, response.text[:300]


Patch = Callable[[int], tuple[str, dict[str, Any]]]


def contact_titles(ids: list[uuid.UUID]) -> Patch:
    """A new job title for one of ``ids`` each time: a field without stints (history rows only)."""
    tag = secrets.token_hex(3)
    return lambda n: (f"/api/v1/contacts/{ids[n % len(ids)]}", {"job_title": f"Title {tag} {n}"})


def next_stage(
    deals: dict[uuid.UUID, uuid.UUID], stages: list[uuid.UUID], n: int
) -> tuple[uuid.UUID, uuid.UUID]:
    """One of ``deals`` (id: its current stage, kept up to date) and the next open stage after its own: a
    real change every time, which closes one stint and opens the next."""
    ids = list(deals)
    deal = ids[n % len(ids)]
    stage = stages[(stages.index(deals[deal]) + 1) % len(stages)]
    deals[deal] = stage
    return deal, stage


def deal_stages(deals: dict[uuid.UUID, uuid.UUID], stages: list[uuid.UUID]) -> Patch:
    def patch(n: int) -> tuple[str, dict[str, Any]]:
        deal, stage = next_stage(deals, stages, n)
        return f"/api/v1/deals/{deal}", {"stage_id": str(stage)}

    return patch


async def patch_pair(
    on: tuple[str, str, Patch], off: tuple[str, str, Patch], seconds: float, connections: int
) -> tuple[dict[str, float], dict[str, float]]:
    """PATCHes from ``connections`` concurrent clients, each alternating between the server with history
    (``on``: base URL, token, requests) and the one without (``off``), so that both see the same load from
    everything else on the machine: the latency of each request, per server."""
    latencies: dict[str, list[float]] = {"on": [], "off": []}
    errors = {"on": 0, "off": 0}
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker(clients: dict[str, tuple[httpx.AsyncClient, Patch]]) -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            side = "on" if n % 2 == 0 else "off"
            client, patch = clients[side]
            path, body = patch(n // 2)
            t0 = time.perf_counter()
            response = await client.patch(path, json=body)
            latencies[side].append((time.perf_counter() - t0) * 1000)
            errors[side] += response.status_code != 200

    async with (
        httpx.AsyncClient(base_url=on[0], headers={"Authorization": f"Bearer {on[1]}"}, timeout=30) as a,
        httpx.AsyncClient(base_url=off[0], headers={"Authorization": f"Bearer {off[1]}"}, timeout=30) as b,
    ):
        clients = {"on": (a, on[2]), "off": (b, off[2])}
        await asyncio.gather(*(worker(clients) for _ in range(connections)))

    def figures(side: str) -> dict[str, float]:
        values = sorted(latencies[side])
        return {
            "rps": len(values) / seconds,
            "p50_ms": statistics.median(values),
            "p99_ms": values[int(len(values) * 0.99) - 1],
            "requests": len(values),
            "errors": errors[side],
        }

    return figures("on"), figures("off")


Statements = Callable[[int], list[tuple[str, tuple[Any, ...]]]]


def sql_scenarios(info: dict[str, Any]) -> dict[str, Statements]:
    """The SQL behind the as_of read and the history page, and what history adds to a write (the history
    row; for a stage change also closing one stint and opening one), per repetition ``i``."""
    tenant, contact, mid = info["tenant"], info["hot_contact"], info["hot_mid"]
    deals, stages = list(info["open_deals"]), info["open_stages"]
    find = ("SELECT * FROM contacts WHERE tenant_id = $1 AND id = $2", (tenant, contact))
    history_row = (
        "INSERT INTO field_history (tenant_id, id, object, record_id, field, op, old_value, new_value, "
        "changed_at, change_set_id, actor_user_id, actor_api_key_id, source) VALUES ($1, gen_random_uuid(), "
        "'deals', $2, 'stage_id', 'update', to_jsonb($3::text), to_jsonb($4::text), now(), "
        "gen_random_uuid(), NULL, NULL, 'api')"
    )
    close = (
        "UPDATE field_stints SET left_at = now() WHERE tenant_id = $1 AND object = 'deals' "
        "AND record_id = $2 AND field IN ('stage_id') AND left_at IS NULL"
    )
    open_ = (
        "INSERT INTO field_stints (tenant_id, id, object, record_id, field, value, entered_at, left_at) "
        "VALUES ($1, gen_random_uuid(), 'deals', $2, 'stage_id', $3, now(), NULL)"
    )

    def deal(i: int) -> tuple[Any, str, str]:
        return deals[i % len(deals)], str(stages[i % len(stages)]), str(stages[(i + 1) % len(stages)])

    return {
        "asof_record": lambda i: [
            find,
            (
                "SELECT field, op, new_value, changed_at, change_set_id FROM field_history "
                "WHERE tenant_id = $1 AND object = 'contacts' AND record_id = $2 AND changed_at <= $3 "
                "ORDER BY changed_at, id",
                (tenant, contact, mid),
            ),
        ],
        "history_page": lambda i: [
            find,
            (
                "SELECT * FROM field_history WHERE tenant_id = $1 AND object = 'contacts' AND record_id = $2 "
                "ORDER BY changed_at DESC, id DESC LIMIT 51",
                (tenant, contact),
            ),
        ],
        "history_row_write": lambda i: [(history_row, (tenant, deal(i)[0], deal(i)[1], deal(i)[2]))],
        "stint_write": lambda i: [(close, (tenant, deal(i)[0])), (open_, (tenant, deal(i)[0], deal(i)[2]))],
    }


SQL_TITLES = {
    "asof_record": "as_of read: its SQL alone",
    "history_page": "history page: its SQL alone",
    "history_row_write": "write: one history row INSERT alone",
    "stint_write": "write: closing one stint and opening one (a stage change), alone",
}


async def sql_alone(info: dict[str, Any], repeats: int) -> dict[str, tuple[float, float]]:
    """p50/p99 (ms) of planning + execution, from EXPLAIN ANALYZE, of each ``sql_scenarios`` entry, bound
    to the tenant like a request (its role, so row-level security applies), each repetition in a
    transaction rolled back. Set against an endpoint's latency, the rest is per-request overhead (auth,
    session, serialization, HTTP) and queueing for the CPU."""
    conn = await asyncpg.connect(dsn())
    out: dict[str, tuple[float, float]] = {}
    try:
        for key, statements in sql_scenarios(info).items():
            samples = []
            for i in range(repeats):
                total = 0.0
                transaction = conn.transaction()
                await transaction.start()
                try:
                    await conn.execute(
                        f"SELECT set_config('role', '{TENANT_DB_ROLE}', true), "
                        f"set_config('{TENANT_SETTING}', $1, true)",
                        str(info["tenant"]),
                    )
                    for sql, params in statements(i):
                        plan = json.loads(
                            await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *params)
                        )
                        total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
                finally:
                    await transaction.rollback()
                samples.append(total)
            samples.sort()
            out[key] = (statistics.median(samples), samples[max(int(len(samples) * 0.99) - 1, 0)])
    finally:
        await conn.close()
    return out


class _Everything:
    """A permission set allowing everything: the in-process A/B measures the write path, not access."""

    is_admin = True

    def can(self, object_name: str, action: str) -> bool:
        return True

    def field_access(self, object_name: str, field_name: str) -> Literal["write"]:
        return "write"

    def visibility(self, object_name: str) -> Literal["all"]:
        return "all"


async def inprocess_ab(info: dict[str, Any], rounds: int, per_round: int) -> dict[str, dict[str, float]]:
    """The write path in one process, history switched on and off between rounds (ABAB...), each write
    its own committed, tenant-bound transaction through ``RecordService.update``: median wall and CPU ms
    per write, per scenario and side. No HTTP, no other server: the least noisy A/B a shared machine
    allows."""
    from kronos.app import create_app
    from kronos.config import Settings
    from kronos.kit.auth import Principal
    from kronos.kit.db import bind_tenant
    from kronos.kit.records import write
    from kronos.kit.records.service import RecordService

    settings = Settings(
        _env_file=None,
        env="production",
        database_url=sqlalchemy_url(),
        secret_key=secrets.token_urlsafe(48),
        data_dir=Path(tempfile.mkdtemp(prefix="kronos-bench-ab-")),
        log_level="warning",
    )
    app = create_app(settings)
    tenant = info["tenant"]
    principal = Principal(user_id=info["owner"], tenant_id=tenant, via="session", permissions=_Everything())
    deals, tag = dict(info["open_deals"]), secrets.token_hex(3)  # every write a real change
    jobs: dict[str, Callable[[int], tuple[str, str, dict[str, Any]]]] = {
        "patch": lambda n: ("contacts", str(info["patch_ids"][n % 2000]), {"job_title": f"AB {tag} {n}"}),
        "patch_stage": lambda n: (
            "deals",
            str((moved := next_stage(deals, info["open_stages"], n))[0]),
            {"stage_id": str(moved[1])},
        ),
    }
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {k: {"on": [], "off": []} for k in jobs}
    counter = 0
    async with app.router.lifespan_context(app):
        db, registry = app.state.db, app.state.objects
        for round_ in range(2 * rounds):
            side = "on" if round_ % 2 == 0 else "off"
            write.SWITCHES.history = side == "on"
            for key, job in jobs.items():
                for _ in range(per_round):
                    counter += 1
                    object_name, record_id, body = job(counter)
                    wall, cpu = time.perf_counter(), time.process_time()
                    async with db.write_session() as session:
                        await bind_tenant(session, tenant)
                        service = RecordService(session, registry, principal, db.dialect)
                        await service.update(object_name, record_id, body, replace=False, expected=None)
                    samples[key][side].append(
                        ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
                    )
        write.SWITCHES.history = True
    return {
        f"{key}/{side}": {
            "wall_ms": statistics.median(w for w, _ in values),
            "cpu_ms": statistics.median(c for _, c in values),
            "n": len(values),
        }
        for key, sides in samples.items()
        for side, values in sides.items()
    }


def measure(args: argparse.Namespace) -> None:
    args.load = [os.getloadavg()[0]]
    info = asyncio.run(facts())
    counts = info["counts"]
    console.print(f"Data: {counts}")
    tenant = info["tenant"]
    del tenant
    frm, to = "2026-01-01T00:00:00Z", "2026-11-20T00:00:00Z"
    pipeline_filter = quote(json.dumps({"field": "pipeline_id", "op": "eq", "value": str(info["pipeline"])}))
    mid = info["hot_mid"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    scenarios = [
        (
            "asof_record",
            "as_of read of a contact with 1,000 changes",
            f"/api/v1/contacts/{info['hot_contact']}?as_of={mid}",
            20.0,
        ),
        (
            "history_page",
            "history page (50) of a contact with 1,000 changes",
            f"/api/v1/contacts/{info['hot_contact']}/history?limit=50",
            20.0,
        ),
        (
            "asof_list",
            "as_of list: deals in Negotiation on 2026-03-01, 50 per page",
            f"/api/v1/deals?as_of=2026-03-01T00:00:00Z&stage_id[eq]={info['negotiation']}&limit=50",
            None,
        ),
        (
            "time_in_state",
            f"time-in-state, deals.stage_id, pipeline of {counts['deals_in_pipeline']:,} deals",
            f"/api/v1/analytics/time-in-state?object=deals&field=stage_id&from={frm}&to={to}"
            f"&filter={pipeline_filter}",
            1000.0,
        ),
        (
            "time_in_state_owner",
            "the same, grouped by owner",
            f"/api/v1/analytics/time-in-state?object=deals&field=stage_id&from={frm}&to={to}"
            f"&filter={pipeline_filter}&group_by=owner_id",
            1000.0,
        ),
        (
            "funnel",
            f"funnel, deals.stage_id, pipeline of {counts['deals_in_pipeline']:,} deals",
            f"/api/v1/analytics/funnel?object=deals&field=stage_id&from={frm}&to={to}&filter={pipeline_filter}",
            1000.0,
        ),
    ]
    if args.only:
        scenarios = [s for s in scenarios if s[0] in args.only.split(",")]
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="kronos-bench-history-") as tmp:
        tmpdir = Path(tmp)
        port = free_port()
        server = start_kronos(port, tmpdir, history=True)
        base = f"http://127.0.0.1:{port}"
        try:
            run.wait_ready(f"{base}/readyz", server)
            token = run.login(base)
            for key, title, path, target in scenarios:
                status, body = probe(base, path, token)
                if status != 200:
                    console.print(f"[yellow]{key}: {status} {body}[/]")
                    rows.append((title, f"not available ({status}: endpoint missing or refused)", ""))
                    continue
                slow = key.startswith(("time_in_state", "funnel"))
                figures = run.wrk(
                    base + path,
                    duration=args.duration,
                    connections=1 if slow else args.connections,
                    threads=1,
                    headers={"Authorization": f"Bearer {token}"},
                    script=None,
                )
                goal = f"< {target:g} ms" if target else ""
                rows.append(
                    (
                        title,
                        f"{figures.rps:,.1f} req/s, p50 {figures.p50_ms:.1f} ms, "
                        f"p99 {figures.p99_ms:.1f} ms, errors {figures.errors}",
                        goal,
                    )
                )
                console.print(f"{key}: {rows[-1][1]}")
        finally:
            run.stop(server)
        writes = patches(info)
        if args.only:
            writes = {k: v for k, v in writes.items() if k in args.only.split(",")}
        if writes:
            port_off = free_port()
            base_off = f"http://127.0.0.1:{port_off}"
            (tmpdir / "off").mkdir()
            server = start_kronos(port, tmpdir, history=True)
            server_off = start_kronos(port_off, tmpdir / "off", history=False)
            try:
                run.wait_ready(f"{base}/readyz", server)
                run.wait_ready(f"{base_off}/readyz", server_off)
                token, token_off = run.login(base), run.login(base_off)
                for key, (patch_on, patch_off) in writes.items():
                    on, off = asyncio.run(
                        patch_pair(
                            (base, token, patch_on), (base_off, token_off, patch_off), args.duration, 10
                        )
                    )
                    rows.extend(patch_rows(PATCH_TITLES[key], on, off))
                    console.print(rows[-3:])
            finally:
                run.stop(server)
                run.stop(server_off)
    if not args.only or "ab" in args.only:
        # The PATCH scenarios moved deals: read their stages again, so every write is a real change.
        ab = asyncio.run(inprocess_ab(asyncio.run(facts()), 4, 40))
        for key, title in PATCH_TITLES.items():
            on, off = ab[f"{key}/on"], ab[f"{key}/off"]
            rows.append(
                (
                    f"in-process A/B (no HTTP), {title}: history on / off, medians of {on['n']} writes each",
                    f"wall {on['wall_ms']:.2f} / {off['wall_ms']:.2f} ms "
                    f"({on['wall_ms'] / off['wall_ms'] - 1:+.0%}), CPU {on['cpu_ms']:.2f} / "
                    f"{off['cpu_ms']:.2f} ms ({on['cpu_ms'] / off['cpu_ms'] - 1:+.0%})",
                    "< 30%",
                )
            )
    if not args.only or "sql" in args.only:
        alone = asyncio.run(sql_alone(info, 200))
        for key, (p50, p99) in alone.items():
            rows.append(
                (
                    f"{SQL_TITLES[key]} (EXPLAIN ANALYZE: planning + execution, tenant-bound)",
                    f"p50 {p50:.2f} ms, p99 {p99:.2f} ms",
                    "",
                )
            )
    rows.extend(storage_rows(info))
    for title, figure, goal in rows:
        console.print(f"{title}: {figure} {goal}")
    args.load.append(os.getloadavg()[0])
    if not args.no_write:
        write_results(rows, counts, args)


PATCH_TITLES = {
    "patch": "PATCH one contact field (job title: history rows, no stint)",
    "patch_stage": "PATCH one deal's stage (history rows + closing one stint and opening one)",
}


def patches(info: dict[str, Any]) -> dict[str, tuple[Patch, Patch]]:
    """Per write scenario: the requests for the server with history and for the one without (other
    records, so both change something)."""
    contacts, deals, stages = info["patch_ids"], list(info["open_deals"].items()), info["open_stages"]
    return {
        "patch": (contact_titles(contacts[:1000]), contact_titles(contacts[1000:])),
        "patch_stage": (deal_stages(dict(deals[:1000]), stages), deal_stages(dict(deals[1000:]), stages)),
    }


def patch_rows(title: str, on: dict[str, float], off: dict[str, float]) -> list[tuple[str, str, str]]:
    rows = [
        (
            f"{title}, {label}",
            f"{fig['rps']:,.1f} req/s, p50 {fig['p50_ms']:.1f} ms, p99 {fig['p99_ms']:.1f} ms, "
            f"errors {fig['errors']}",
            "",
        )
        for label, fig in (("with history", on), ("history disabled", off))
    ]
    # One client alternating between the servers: each request runs alone (no queueing), and both servers
    # answer the same number of requests, so latency is the measure (not throughput).
    p50, p99 = on["p50_ms"] / off["p50_ms"] - 1, on["p99_ms"] / off["p99_ms"] - 1
    rows.append((f"history write overhead: {title}", f"p50 {p50:+.0%}, p99 {p99:+.0%}", "< 30%"))
    return rows


def storage_rows(info: dict[str, Any]) -> list[tuple[str, str, str]]:
    counts = info["counts"]
    changes, stints = max(counts["field_history"], 1), max(counts["field_stints"], 1)
    both = info["size"] + info["stints_size"]
    return [
        (
            "storage per change (field_history incl. indexes / rows)",
            f"{info['size'] / changes:.0f} bytes ({info['size'] / 2**30:.2f} GiB / {changes:,} rows; "
            f"heap alone {info['heap'] / changes:.0f} bytes)",
            "",
        ),
        (
            "storage per change incl. stints ((field_history + field_stints) / history rows)",
            f"{both / changes:.0f} bytes (field_stints {info['stints_size'] / 2**30:.2f} GiB, "
            f"{stints:,} stints, {info['stints_size'] / stints:.0f} bytes each)",
            "",
        ),
    ]


def write_results(rows: list[tuple[str, str, str]], counts: dict[str, Any], args: argparse.Namespace) -> None:
    m = machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        f"## Field history (issue 5), {when} ({counts['contacts']:,} contacts, {counts['deals']:,} deals, "
        f"{counts['field_history']:,} field_history rows, {counts.get('field_stints', 0):,} field_stints)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; {m['os']}; PostgreSQL {m['postgresql']}; "
        f"Python {m['python']}. **Shared load**: the 2 cores were shared with other people's work "
        "(tests, other benchmarks) while this ran, so figures vary run to run "
        f"(1-minute load average {args.load[0]:.1f} at the start, {args.load[-1]:.1f} at the end).",
        f"Command: `BENCH_DB={DB_NAME} .venv/bin/python bench/history.py {' '.join(sys.argv[1:])}`. "
        f"GET scenarios: wrk, 1 thread, {args.connections} connection(s) (1 for reports), {args.duration} s; "
        "PATCH: an httpx client alternating between a server with history and one without (side by side), "
        f"one request at a time, {2 * args.duration} s.",
        "",
        "| Scenario | Figure | Target |",
        "|---|---|---|",
        *(f"| {title} | {figure} | {goal} |" for title, figure, goal in rows),
        "",
    ]
    with RESULTS.open("a") as out:
        out.write("\n".join(lines) + "\n")
    console.print(f"Appended to {RESULTS}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--history-rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--connections",
        type=int,
        default=1,
        help="wrk connections for the reads (default 1: latency, no queue)",
    )
    parser.add_argument("--only", default=None, help="Comma-separated scenario keys (see the docstring).")
    parser.add_argument("--no-write", action="store_true", help="Print the figures; leave RESULTS.md alone.")
    args = parser.parse_args()
    if not args.skip_generate:
        asyncio.run(generate(args.contacts, args.deals, args.history_rows, args.seed))
    if not args.generate_only:
        measure(args)


if __name__ == "__main__":
    main()
