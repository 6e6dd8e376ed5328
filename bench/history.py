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
history indexes are dropped during the load and rebuilt after it.

Scenarios (p50/p99 from wrk, 1 thread, --connections (default 1), or an httpx sampler for PATCH):
  asof_record     GET /api/v1/contacts/{hot}?as_of=<middle of its changes>  (history helper's)
  history_page    GET /api/v1/contacts/{hot}/history?limit=50               (history helper's)
  asof_list       GET /api/v1/deals?as_of=<ts>&stage_id[eq]=<Negotiation>&limit=50
  time_in_state   GET /api/v1/analytics/time-in-state?object=deals&field=stage_id&filter=<pipeline>&from&to
  funnel          GET /api/v1/analytics/funnel?object=deals&field=stage_id&filter=<pipeline>&from&to
  patch           PATCH /api/v1/contacts/{id} {"job_title": ...}: one server with history, one with
                  KRONOS_BENCH_DISABLE_HISTORY=true; overhead = p50 and throughput difference
  storage         pg_total_relation_size('field_history') / rows
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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

os.environ.setdefault("BENCH_DB", "kronos_bench_history")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
import run
from common import DB_NAME, dsn, free_port, machine
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
        total = int(await conn.fetchval("SELECT count(*) FROM field_history"))
    finally:
        await conn.close()
    console.print(
        f"[green]Generated in {time.perf_counter() - started:.0f} s[/]: {contacts:,} contacts, "
        f"{deals:,} deals, {total:,} field_history rows"
    )


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
        counts = {
            "contacts": await conn.fetchval("SELECT count(*) FROM contacts"),
            "deals": await conn.fetchval("SELECT count(*) FROM deals"),
            "deals_in_pipeline": await conn.fetchval(
                "SELECT count(*) FROM deals WHERE pipeline_id = $1", pipeline
            ),
            "field_history": await conn.fetchval("SELECT count(*) FROM field_history"),
            "hot_changes": len(hot_times),
        }
        size = await conn.fetchval("SELECT pg_total_relation_size('field_history')")
        heap = await conn.fetchval("SELECT pg_relation_size('field_history')")
    finally:
        await conn.close()
    return {
        "tenant": tenant,
        "hot_contact": hot_contact,
        "pipeline": pipeline,
        "negotiation": negotiation,
        "hot_mid": hot_times[len(hot_times) // 2]["changed_at"] if hot_times else NOW,
        "patch_ids": patch_ids,
        "counts": counts,
        "size": size,
        "heap": heap,
    }


def probe(base: str, path: str, token: str) -> tuple[int, str]:
    response = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    return response.status_code, response.text[:300]


async def patch_sampler(
    base: str, token: str, ids: list[uuid.UUID], seconds: float, connections: int
) -> dict[str, float]:
    """PATCH job_title of many contacts from ``connections`` concurrent clients; latency of each request."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))
    run_tag = secrets.token_hex(3)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            n = next(counter)
            record = ids[n % len(ids)]
            t0 = time.perf_counter()
            response = await client.patch(
                f"/api/v1/contacts/{record}", json={"job_title": f"Title {run_tag} {n}"}
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                errors += 1

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "requests": len(latencies),
        "errors": errors,
    }


def measure(args: argparse.Namespace) -> None:
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
            patch_on = None
            if not args.only or "patch" in args.only:
                patch_on = asyncio.run(
                    patch_sampler(base, token, info["patch_ids"][:1000], args.duration, 10)
                )
        finally:
            run.stop(server)
        if patch_on is not None:
            server = start_kronos(port, tmpdir, history=False)
            try:
                run.wait_ready(f"{base}/readyz", server)
                token = run.login(base)
                patch_off = asyncio.run(
                    patch_sampler(base, token, info["patch_ids"][1000:], args.duration, 10)
                )
            finally:
                run.stop(server)
            for label, fig in (("with history", patch_on), ("history disabled", patch_off)):
                rows.append(
                    (
                        f"PATCH one contact field, {label}",
                        f"{fig['rps']:,.1f} req/s, p50 "
                        f"{fig['p50_ms']:.1f} ms, p99 {fig['p99_ms']:.1f} ms, errors {fig['errors']}",
                        "",
                    )
                )
            overhead = patch_on["p50_ms"] / patch_off["p50_ms"] - 1
            tput = 1 - patch_on["rps"] / patch_off["rps"]
            rows.append(
                ("history write overhead on PATCH", f"p50 +{overhead:.0%}, throughput -{tput:.0%}", "< 30%")
            )
            console.print(rows[-3:])
    per_row = info["size"] / max(counts["field_history"], 1)
    rows.append(
        (
            "storage per change (field_history incl. indexes / rows)",
            f"{per_row:.0f} bytes ({info['size'] / 2**30:.2f} GiB / {counts['field_history']:,} rows; "
            f"heap alone {info['heap'] / max(counts['field_history'], 1):.0f} bytes)",
            "",
        )
    )
    for title, figure, goal in rows:
        console.print(f"{title}: {figure} {goal}")
    if not args.no_write:
        write_results(rows, counts, args)


def write_results(rows: list[tuple[str, str, str]], counts: dict[str, Any], args: argparse.Namespace) -> None:
    m = machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        f"## Field history (issue 5), {when} ({counts['contacts']:,} contacts, {counts['deals']:,} deals, "
        f"{counts['field_history']:,} field_history rows)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; {m['os']}; PostgreSQL {m['postgresql']}; "
        f"Python {m['python']}. **Shared load**: the 2 cores were shared with other people's work "
        "(tests, other benchmarks) while this ran, so figures vary run to run.",
        f"Command: `BENCH_DB={DB_NAME} .venv/bin/python bench/history.py {' '.join(sys.argv[1:])}`. "
        f"GET scenarios: wrk, 1 thread, {args.connections} connection(s) (1 for reports), {args.duration} s; "
        "PATCH: an httpx sampler, 10 concurrent clients, in a separate process from the server.",
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
