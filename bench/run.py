"""Run the record-engine benchmarks: generate (or reuse) the data, start KronosCRM and the ceiling app, load
both over HTTP with wrk, and append the figures to bench/RESULTS.md.

Usage: .venv/bin/python bench/run.py [--contacts 1000000] [--skip-generate] [--duration 15] [--connections 10]
       [--only create,batch_upsert] [--batch-calls 20]

Needs PostgreSQL (BENCH_PG_HOST/PORT/USER, default postgres@127.0.0.1:5432, trust auth) and wrk
(``apt-get install -y wrk``). Everything listens on and sends to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    DB_NAME,
    OWNER_EMAIL,
    OWNER_PASSWORD,
    ROOT,
    WORKSPACE_NAME,
    dsn,
    free_port,
    machine,
    sqlalchemy_url,
)

from kronos.kit.records.fields import format_datetime
from kronos.kit.records.query import encode_cursor

console = Console(width=170)
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PAGE = 50
DEEP_PAGE = 10_000

CREATE_LUA = """
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local counter = 0
-- E-mails are unique: the warm-up and the measured run (two wrk processes, seconds apart) must not repeat.
local started = os.time()
request = function()
  counter = counter + 1
  local body = string.format(
    '{"first_name":"Bench","last_name":"Load %d","emails":["load.%s.%d.%d.%d@bench.example"],'
    .. '"job_title":"Load tester","company_id":"%s"}', counter, "RUN", started, tid, counter, "COMPANY")
  -- Passing a header table replaces wrk.headers (the -H ones, Authorization): extend those instead.
  local headers = wrk.headers
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, body)
end
local shown = 0
response = function(status, headers, body)
  if status ~= 201 and shown < 3 then
    shown = shown + 1
    print("FAILED " .. status .. " " .. string.sub(body, 1, 300))
  end
end
"""


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_ms: float = 0.0  # the server process's CPU per request (user + system), filled in by the caller


@dataclass
class Scenario:
    key: str
    title: str
    kronos_path: str
    ceiling_path: str  # the bare ceiling's; the same-statements ceiling's is "/same" + this
    method: str = "GET"


def wait_ready(url: str, process: subprocess.Popen[bytes], headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2, headers=headers).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNIT[match[2]]


def parse_wrk(output: str) -> Figures:
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (p50 and p99 and rps and total):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        errors += int(non2xx[1])
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return Figures(float(rps[1]), _ms(p50[1]), _ms(p99[1]), int(total[1]), errors)


def wrk(
    url: str, *, duration: int, connections: int, threads: int, headers: dict[str, str], script: Path | None
) -> Figures:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    for line in result.stdout.splitlines():
        if line.startswith("FAILED "):
            console.print(f"[red]{line}[/]")
    return parse_wrk(result.stdout)


async def workspace() -> tuple[uuid.UUID, list[uuid.UUID], int, uuid.UUID]:
    conn = await asyncpg.connect(dsn())
    try:
        tenant = await conn.fetchval("SELECT id FROM workspaces WHERE name = $1", WORKSPACE_NAME)
        if tenant is None:
            raise RuntimeError("no bench workspace: run without --skip-generate first")
        users = [
            r["user_id"]
            for r in await conn.fetch(
                "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE m.tenant_id = $1 ORDER BY u.email",
                tenant,
            )
        ]
        contacts = await conn.fetchval("SELECT count(*) FROM contacts WHERE tenant_id = $1", tenant)
        company = await conn.fetchval("SELECT id FROM companies WHERE tenant_id = $1 LIMIT 1", tenant)
        return tenant, users, int(contacts), company
    finally:
        await conn.close()


async def owner_count(tenant: uuid.UUID, owner: uuid.UUID) -> int:
    conn = await asyncpg.connect(dsn())
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM contacts WHERE tenant_id = $1 AND owner_id = $2 AND deleted_at IS NULL",
            tenant,
            owner,
        )
        return int(count)
    finally:
        await conn.close()


async def cursor_for_page(tenant: uuid.UUID, owner: uuid.UUID | None, page: int) -> str | None:
    """The engine's cursor that opens page ``page`` (1-based) of contacts sorted by -created_at: the sort
    values and id of the last row of the page before, encoded exactly as the engine encodes them."""
    if page <= 1:
        return None
    conn = await asyncpg.connect(dsn())
    try:
        clause, args = ("AND owner_id = $3", [owner]) if owner else ("", [])
        row = await conn.fetchrow(
            "SELECT created_at, id FROM contacts WHERE tenant_id = $1 AND deleted_at IS NULL "
            f"{clause} ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
            tenant,
            (page - 1) * PAGE - 1,
            *args,
        )
    finally:
        await conn.close()
    if row is None:
        return None
    return encode_cursor("-created_at", [format_datetime(row["created_at"])], row["id"])


def start_kronos(
    port: int, data_dir: Path, *, extra_env: dict[str, str] | None = None, log_name: str = "kronos.log"
) -> subprocess.Popen[bytes]:
    """``kronos serve`` on the bench database, with none of the caller's KRONOS_* variables but
    ``extra_env`` (e.g. the bench-only history switch)."""
    from kronos.config import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("KRONOS_")}
    env |= {
        "KRONOS_ENV": "production",
        "KRONOS_SECRET_KEY": secrets.token_urlsafe(48),
        "KRONOS_DATABASE_URL": sqlalchemy_url(),
        "KRONOS_LOG_LEVEL": "warning",
        "KRONOS_DATA_DIR": str(data_dir),
        "KRONOS_HOST": "127.0.0.1",
        "KRONOS_PORT": str(port),
        "KRONOS_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    if "access_token_ttl" in Settings.model_fields:
        env["KRONOS_ACCESS_TOKEN_TTL"] = str(24 * 3600)
    if "api_rate_limit" in Settings.model_fields:
        # One bench user sends far more than a person would: the limit is still counted on every request
        # (its cost is in the figures), but never reached.
        env["KRONOS_API_RATE_LIMIT"] = str(10**9)
    env |= extra_env or {}
    log = (data_dir / log_name).open("wb")
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/kronos"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir,
    )


def start_ceiling(port: int, tenant: uuid.UUID, pool: int, data_dir: Path) -> subprocess.Popen[bytes]:
    log = (data_dir / "ceiling.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parent / "ceiling.py"), "--port", str(port),
         "--tenant", str(tenant), "--pool", str(pool)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )  # fmt: skip


def login(base: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}, timeout=30
    )
    if response.status_code != 200:
        raise RuntimeError(f"login answered {response.status_code}: {response.text[:300]}")
    return str(response.json()["access_token"])


def check_cursor_encoding(base: str, token: str, owner: uuid.UUID, tenant: uuid.UUID) -> None:
    """Walk the first pages over HTTP and check the constructed cursor of page 3 is the engine's own."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/contacts?owner_id[eq]={owner}&sort=-created_at&limit={PAGE}"
    cursor = None
    for _ in range(2):
        response = httpx.get(url + (f"&after={cursor}" if cursor else ""), headers=headers, timeout=30)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
    built = asyncio.run(cursor_for_page(tenant, owner, 3))
    if built != cursor:
        raise RuntimeError(f"constructed cursor differs from the engine's: {built} != {cursor}")


def same_page(kronos: str, ceiling: str, token: str) -> None:
    """Both apps must return the same rows for a scenario's URL, or the comparison means nothing."""
    a = httpx.get(kronos, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    b = httpx.get(ceiling, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    a.raise_for_status()
    b.raise_for_status()
    ids_a = [item["id"] for item in a.json()["items"]]
    ids_b = [item["id"] for item in b.json()["items"]]
    if ids_a != ids_b or len(ids_a) != PAGE:
        raise RuntimeError(f"the apps disagree on {kronos}: {len(ids_a)} vs {len(ids_b)} rows")


_WRITTEN = {
    "contacts": "SELECT count(*) FROM contacts WHERE id = $1",
    "field_history": "SELECT count(*) FROM field_history WHERE record_id = $1",
    "field_stints": "SELECT count(*) FROM field_stints WHERE record_id = $1",
    "unique_values": "SELECT count(*) FROM unique_values WHERE record_id = $1",
    "outbox_events": "SELECT count(*) FROM outbox_events WHERE payload->>'id' = $1::uuid::text",
}


async def rows_written(record_id: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn())
    try:
        return {table: int(await conn.fetchval(sql, uuid.UUID(record_id))) for table, sql in _WRITTEN.items()}
    finally:
        await conn.close()


def same_writes(kronos: str, ceiling: str, token: str, company: uuid.UUID) -> dict[str, int]:
    """One create through each app must add the same rows to every table the write path writes (the row,
    its history, stints, unique claim and outbox event), or the same-statements ceiling does other work."""
    written = []
    for url in (kronos, ceiling):
        body = {
            "first_name": "Check",
            "last_name": "Same work",
            "emails": [f"same.{secrets.token_hex(6)}@bench.example"],
            "job_title": "Checker",
            "company_id": str(company),
        }
        response = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if response.status_code != 201:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
        written.append(asyncio.run(rows_written(response.json()["id"])))
    if written[0] != written[1]:
        raise RuntimeError(f"the create scenarios write different rows: {written[0]} vs {written[1]}")
    return written[0]


def batch_endpoint(base: str, token: str) -> str | None:
    spec = httpx.get(f"{base}/openapi.json", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    for path in spec.get("paths", {}):
        if "batch" in path or "bulk" in path:
            return str(path)
    return None


BATCH_SIZE = 1000


@dataclass
class BatchFigures:
    calls: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    records_per_s: float
    cpu_ms: float  # the server process's CPU per call (median): a figure the machine's load inflates less


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def upsert_samples(tenant: uuid.UUID, calls: int) -> list[list[list[str]]]:
    """Per call, the e-mail lists of BATCH_SIZE/2 random live contacts (no contact in two calls)."""
    half = BATCH_SIZE // 2
    conn = await asyncpg.connect(dsn())
    try:
        # Contacts the engine (or the generator) wrote, whose e-mails it claimed: not the rows the ceiling's
        # bare INSERTs add to the table during the create scenario.
        rows = await conn.fetch(
            "SELECT c.emails::text AS emails FROM contacts c "
            "WHERE c.tenant_id = $1 AND c.deleted_at IS NULL AND c.emails IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM unique_values u WHERE u.tenant_id = c.tenant_id "
            "AND u.object = 'contacts' AND u.field = 'emails' AND u.record_id = c.id) "
            "ORDER BY random() LIMIT $2",
            tenant,
            half * calls,
        )
    finally:
        await conn.close()
    lists = [json.loads(row["emails"]) for row in rows]
    if len(lists) < half * calls:
        raise RuntimeError(f"the workspace has {len(lists)} contacts with e-mails; {half * calls} needed")
    return [lists[i * half : (i + 1) * half] for i in range(calls)]


def upsert_body(existing: list[list[str]], run: str, call: int) -> dict[str, object]:
    """Half existing contacts (all their e-mails, a new job title: one changed field each), half new."""
    records: list[dict[str, object]] = [
        {"last_name": "Existing", "job_title": f"Upserted {run} {call}", "emails": emails}
        for emails in existing
    ]
    records += [
        {"first_name": "Batch", "last_name": f"New {i}", "emails": [f"upsert.{run}.{call}.{i}@bench.example"],
         "job_title": "Imported"}
        for i in range(BATCH_SIZE - len(records))
    ]  # fmt: skip
    return {"operation": "upsert", "match_on": "emails", "mode": "all_or_nothing", "records": records}


def batch_upsert(base: str, token: str, tenant: uuid.UUID, calls: int, server_pid: int) -> BatchFigures:
    """``calls`` sequential POST /api/v1/contacts/batch upserts of 1,000 contacts (after one unmeasured
    call), each checked: 500 updated (matched by e-mail through unique_values), 500 created."""
    samples = asyncio.run(upsert_samples(tenant, calls + 1))
    run = secrets.token_hex(4)
    headers = {"Authorization": f"Bearer {token}"}
    durations: list[float] = []
    cpu: list[float] = []
    with httpx.Client(timeout=120) as client:
        for call, existing in enumerate(samples):
            body = upsert_body(existing, run, call)
            started, cpu_before = time.perf_counter(), process_cpu_seconds(server_pid)
            response = client.post(f"{base}/api/v1/contacts/batch", json=body, headers=headers)
            elapsed = time.perf_counter() - started
            cpu_used = process_cpu_seconds(server_pid) - cpu_before
            if response.status_code != 200:
                raise RuntimeError(f"batch upsert answered {response.status_code}: {response.text[:500]}")
            statuses = [item["status"] for item in response.json()["results"]]
            half = BATCH_SIZE // 2
            if statuses != [200] * half + [201] * (BATCH_SIZE - half):
                raise RuntimeError(
                    f"batch upsert results: {statuses.count(200)} updated, {statuses.count(201)} created"
                )
            if call:  # the first call warms the process up
                durations.append(elapsed * 1000)
                cpu.append(cpu_used * 1000)
    ordered = sorted(durations)
    p99_index = max(0, math.ceil(0.99 * len(ordered)) - 1)  # nearest rank: the max below 100 calls
    return BatchFigures(
        calls=len(ordered),
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[p99_index],
        max_ms=ordered[-1],
        records_per_s=BATCH_SIZE * len(ordered) / (sum(ordered) / 1000),
        cpu_ms=statistics.median(cpu),
    )


def create_script(tmpdir: Path, company: uuid.UUID) -> Path:
    """The create scenario's wrk script with a run token of its own: contact e-mails are unique in a
    workspace, so each wrk run (warm-up, measured, each app) must send addresses no run sent before."""
    script = tmpdir / f"create-{secrets.token_hex(4)}.lua"
    lua = CREATE_LUA.replace('"RUN"', f'"{secrets.token_hex(4)}"')
    script.write_text(lua.replace('"COMPANY"', f'"{company}"'))
    return script


COLUMNS = (
    "Scenario",
    "Kronos req/s",
    "p50 ms",
    "p99 ms",
    "CPU ms/req",
    "Same-statements ceiling req/s",
    "CPU ms/req",
    "Ratio",
    "Bare ceiling req/s",
    "CPU ms/req",
    "Ratio",
    "Errors (K/S/B)",
)


def ratio(a: Figures, b: Figures | None) -> str:
    return f"{a.rps / b.rps:.2f}x" if b and b.rps else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument(
        "--skip-generate", action="store_true", help="Reuse the data already in kronos_bench."
    )
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measured wrk run (default 15).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of unmeasured load before each run.")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: 2 cores in all).")
    parser.add_argument("--only", default=None, help="Comma-separated scenario keys to run (default: all).")
    parser.add_argument("--no-write", action="store_true", help="Print the table; leave RESULTS.md alone.")
    parser.add_argument(
        "--batch-calls", type=int, default=20, help="Measured batch upserts of 1,000 contacts (default 20)."
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install -y wrk")
    if not 1 <= args.duration <= 600 or not 1 <= args.connections <= 256:
        sys.exit("--duration must be 1..600 s and --connections 1..256")
    generated = None
    if not args.skip_generate:
        import generate

        started = time.perf_counter()
        generate.main(["--contacts", str(args.contacts)])
        generated = time.perf_counter() - started
    tenant, users, contacts, company = asyncio.run(workspace())
    console.print(f"Workspace {tenant}: {contacts:,} contacts, {len(users)} users")
    owner = users[1]  # a member's records: the filter matters (the owner's role sees everyone's)

    with tempfile.TemporaryDirectory(prefix="kronos-bench-") as tmp:
        tmpdir = Path(tmp)
        kronos_port, ceiling_port = free_port(), free_port()
        kronos = start_kronos(kronos_port, tmpdir)
        ceiling = start_ceiling(ceiling_port, tenant, 10, tmpdir)
        base, cbase = f"http://127.0.0.1:{kronos_port}", f"http://127.0.0.1:{ceiling_port}"
        try:
            wait_ready(f"{base}/readyz", kronos)
            wait_ready(f"{cbase}/contacts?limit=1", ceiling)
            token = login(base)
            check_cursor_encoding(base, token, owner, tenant)
            per_owner = asyncio.run(owner_count(tenant, owner))
            owner_deep = min(DEEP_PAGE, max(per_owner // PAGE - 1, 2))
            all_deep = min(DEEP_PAGE, max(contacts // PAGE - 1, 2))
            c_owner = asyncio.run(cursor_for_page(tenant, owner, owner_deep))
            c_all = asyncio.run(cursor_for_page(tenant, None, all_deep))
            q_owner = f"owner_id[eq]={owner}&sort=-created_at&limit={PAGE}"
            q_all = f"sort=-created_at&limit={PAGE}"
            scenarios = [
                Scenario("list_owner_p1", "List, owner filter, sort -created_at, page 1",
                         f"/api/v1/contacts?{q_owner}", f"/contacts?owner_id={owner}&limit={PAGE}"),
                Scenario("list_owner_deep", f"List, owner filter, sort -created_at, page {owner_deep:,}",
                         f"/api/v1/contacts?{q_owner}&after={c_owner}",
                         f"/contacts?owner_id={owner}&limit={PAGE}&after={c_owner}"),
                Scenario("list_all_p1", "List, no filter, sort -created_at, page 1",
                         f"/api/v1/contacts?{q_all}", f"/contacts?limit={PAGE}"),
                Scenario("list_all_deep", f"List, no filter, sort -created_at, page {all_deep:,}",
                         f"/api/v1/contacts?{q_all}&after={c_all}", f"/contacts?limit={PAGE}&after={c_all}"),
                Scenario("create", "Create one contact (history + outbox) vs bare INSERT",
                         "/api/v1/contacts", "/contacts", "POST"),
            ]  # fmt: skip
            wanted = set(args.only.split(",")) if args.only else None
            if wanted is not None:
                scenarios = [s for s in scenarios if s.key in wanted]
            for s in scenarios:
                if s.method == "GET":
                    same_page(base + s.kronos_path, cbase + s.ceiling_path, token)
                    same_page(base + s.kronos_path, cbase + "/same" + s.ceiling_path, token)
                else:
                    written = same_writes(
                        base + s.kronos_path, cbase + "/same" + s.ceiling_path, token, company
                    )
                    console.print(f"One create writes the same rows through both apps: {written}")
            results: dict[str, tuple[Figures, Figures, Figures]] = {}
            auth = {"Authorization": f"Bearer {token}"}
            for s in scenarios:
                figures = []
                for name, url, headers, pid in (
                    ("kronos", base + s.kronos_path, auth, kronos.pid),
                    ("ceiling, same statements", cbase + "/same" + s.ceiling_path, auth, ceiling.pid),
                    ("ceiling, bare", cbase + s.ceiling_path, {}, ceiling.pid),
                ):
                    console.print(
                        f"[bold]{s.key}[/] {name}: {args.warmup} s warm-up, {args.duration} s measured"
                    )
                    common = {"connections": args.connections, "threads": args.threads, "headers": headers}
                    if args.warmup:
                        script = create_script(tmpdir, company) if s.method == "POST" else None
                        wrk(url, duration=args.warmup, script=script, **common)  # type: ignore[arg-type]
                    script = create_script(tmpdir, company) if s.method == "POST" else None
                    cpu_before = process_cpu_seconds(pid)
                    measured = wrk(url, duration=args.duration, script=script, **common)  # type: ignore[arg-type]
                    measured.cpu_ms = (
                        (process_cpu_seconds(pid) - cpu_before) * 1000 / max(measured.requests, 1)
                    )
                    figures.append(measured)
                results[s.key] = (figures[0], figures[1], figures[2])
            batch = batch_endpoint(base, token)
            upserts = None
            if batch and (wanted is None or "batch_upsert" in wanted):
                console.print(f"[bold]batch_upsert[/] kronos: 1 warm-up call, {args.batch_calls} measured")
                upserts = batch_upsert(base, token, tenant, args.batch_calls, kronos.pid)
        except Exception:
            for name in ("kronos.log", "ceiling.log"):
                console.print(
                    f"[red]{name} ends with:[/]\n" + (tmpdir / name).read_text(errors="replace")[-3000:]
                )
            raise
        finally:
            stop(kronos)
            stop(ceiling)
            kronos_log = (tmpdir / "kronos.log").read_text(errors="replace")[-3000:]
    if any(f.errors for trio in results.values() for f in trio):
        console.print(f"[red]Some requests failed; the server's log ends with:[/]\n{kronos_log}")

    table = Table(title=f"KronosCRM record engine, {contacts:,} contacts, {args.connections} connections")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column == "Scenario" else "right")
    rows = []
    for s in scenarios:
        k, same, bare = results[s.key]
        row = [s.title, f"{k.rps:,.0f}", f"{k.p50_ms:.1f}", f"{k.p99_ms:.1f}", f"{k.cpu_ms:.2f}",
               f"{same.rps:,.0f}", f"{same.cpu_ms:.2f}", ratio(k, same),
               f"{bare.rps:,.0f}", f"{bare.cpu_ms:.2f}", ratio(k, bare),
               f"{k.errors}/{same.errors}/{bare.errors}"]  # fmt: skip
        rows.append(row)
        table.add_row(*row)
    if upserts is not None:
        batch_text = (
            f"{upserts.calls} calls of 1,000 (500 matched by e-mail, 500 new), one at a time: "
            f"p50 {upserts.p50_ms:,.0f} ms, p99 {upserts.p99_ms:,.0f} ms (max {upserts.max_ms:,.0f} ms), "
            f"{upserts.records_per_s:,.0f} records/s; the server process used {upserts.cpu_ms:,.0f} ms "
            "of CPU per call (median; its outbox relay included)"
        )
        title = "Batch upsert of 1,000 contacts (500 by e-mail, 500 new)"
        figures = [f"{1000 / upserts.p50_ms:.2f}", f"{upserts.p50_ms:,.0f}", f"{upserts.p99_ms:,.0f}"]
        batch_row = [title, *figures, f"{upserts.cpu_ms:,.0f}", "-", "-", "-", "-", "-", "-", "0/-/-"]
    else:
        batch_text = "not run" if batch else "not available yet (no batch endpoint in the API)"
        batch_row = ["Batch upsert of 1,000 contacts", *["-"] * (len(COLUMNS) - 1)]
    table.add_row(*batch_row)
    console.print(table)
    console.print(f"Batch upsert: {batch_text}")
    if not args.no_write:
        write_results(args, contacts, generated, rows, batch_row, batch_text, results, scenarios)
        console.print(f"Appended to {RESULTS.relative_to(ROOT)}")


def write_results(
    args: argparse.Namespace,
    contacts: int,
    generated: float | None,
    rows: list[list[str]],
    batch_row: list[str],
    batch_text: str,
    results: dict[str, tuple[Figures, Figures, Figures]],
    scenarios: list[Scenario],
) -> None:
    facts = machine()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split(
        "\n"
    )[0]
    lines = [
        "",
        f"## Record engine scenarios, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({contacts:,} contacts)",
        "",
        f"Machine: {facts['cpu']}, {facts['cores']} cores, {facts['ram']} RAM; {facts['os']}; "
        f"PostgreSQL {facts['postgresql']}; Python {facts['python']}.",
        f"Load: `{wrk_version.strip()}`, {args.threads} thread, {args.connections} connections, "
        f"{args.warmup} s warm-up then {args.duration} s per run; KronosCRM = one `kronos serve` process "
        "(KRONOS_ENV=production, log level warning); ceilings = `bench/ceiling.py` (Starlette + asyncpg, "
        "pool of 10): *same statements* sends what KronosCRM sends (BEGIN, its sign-in statement, the query "
        "or the write's statements, ROLLBACK/COMMIT), *bare* the page query or one INSERT alone. CPU ms/req: "
        "the server process's user + system CPU per answered request. Load tool, both servers and "
        "PostgreSQL share the same 2 cores.",
        f"Command: `{'' if DB_NAME == 'kronos_bench' else f'BENCH_DB={DB_NAME} '}"
        f".venv/bin/python bench/run.py --contacts {args.contacts}"
        f"{' --skip-generate' if args.skip_generate else ''}{' --only ' + args.only if args.only else ''}"
        f" --batch-calls {args.batch_calls}`"
        + (f"; data generated in {generated:.0f} s" if generated else "; data reused")
        + ".",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---" + "|---:" * (len(COLUMNS) - 1) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["| " + " | ".join(batch_row) + " |", "", f"Batch upsert: {batch_text}.", ""]
    RESULTS.parent.mkdir(exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n")
    with RESULTS.open("a") as handle:
        handle.write("\n".join(lines) + "\n")
    raw = {
        s.key: dict(zip(("kronos", "ceiling_same", "ceiling_bare"), map(vars, results[s.key]), strict=True))
        for s in scenarios
    }
    (RESULTS.parent / "last_run.json").write_text(json.dumps(raw, indent=2) + "\n")


if __name__ == "__main__":
    main()
