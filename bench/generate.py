"""Fill a fresh PostgreSQL database with one large workspace, by bulk COPY (never through the API).

Usage: .venv/bin/python bench/generate.py [--contacts 1000000] [--indexes rebuild|keep]

Drops and recreates the database ``kronos_bench`` (BENCH_DB), runs the migrations, creates the workspace,
its owner and 19 more members, then loads N/10 companies and N contacts (varied names, unique e-mails,
owners spread over the 20 users, timestamps over three years, ids that are UUIDv7 of their creation time as
the engine makes them) and field history for a share of the records (their full 'create' change set,
consistent with the record). Deals and activities are loaded only if the migrated schema has those tables.
Every company domain and contact e-mail also gets its claim in ``unique_values`` (COPY, batch by batch), as
the write path would have made it: upserts and uniqueness checks find them there.

``--indexes rebuild`` (default) drops the loaded tables' secondary indexes and foreign keys, loads, and
recreates them; ``keep`` loads with them in place. Both end with VACUUM ANALYZE.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    DB_NAME,
    OWNER_EMAIL,
    OWNER_PASSWORD,
    USERS,
    WORKSPACE_NAME,
    dsn,
    sqlalchemy_url,
)

console = Console()
BATCH = 25_000
NOW = datetime(2026, 11, 20, tzinfo=UTC)
START = NOW - timedelta(days=3 * 365)
SPAN_MS = int((NOW - START).total_seconds() * 1000)

FIRST = [
    "Ada",
    "Alan",
    "Alice",
    "Amara",
    "Amir",
    "Ana",
    "Andrea",
    "Anna",
    "Arjun",
    "Ben",
    "Bianca",
    "Carla",
    "Carlos",
    "Chen",
    "Chloe",
    "Daniel",
    "David",
    "Diego",
    "Elena",
    "Emma",
    "Eric",
    "Eva",
    "Fatima",
    "Felix",
    "Finn",
    "Grace",
    "Hana",
    "Hugo",
    "Ibrahim",
    "Ines",
    "Isaac",
    "Ivan",
    "Jana",
    "Javier",
    "Jin",
    "Jonas",
    "Julia",
    "Kai",
    "Karim",
    "Kate",
    "Lars",
    "Laura",
    "Leila",
    "Leo",
    "Lina",
    "Luca",
    "Lucia",
    "Maria",
    "Marco",
    "Marta",
    "Maya",
    "Mei",
    "Mohammed",
    "Nadia",
    "Nina",
    "Noah",
    "Olga",
    "Omar",
    "Oscar",
    "Paula",
    "Pedro",
    "Priya",
    "Rafael",
    "Rania",
    "Ravi",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Tom",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Abbott",
    "Adeyemi",
    "Akhtar",
    "Almeida",
    "Andersen",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Carvalho",
    "Chen",
    "Costa",
    "Da",
    "Silva",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Gonzalez",
    "Gupta",
    "Haddad",
    "Hansen",
    "Hoffmann",
    "Ivanov",
    "Jansen",
    "Jensen",
    "Johnson",
    "Kaur",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Muller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Perez",
    "Petrov",
    "Popescu",
    "Rossi",
    "Sato",
    "Schmidt",
    "Schneider",
    "Silva",
    "Singh",
    "Smith",
    "Sousa",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thomas",
    "Wagner",
    "Wang",
    "Weber",
    "Williams",
    "Wilson",
    "Wong",
    "Yamamoto",
    "Yilmaz",
    "Zhang",
]
TITLES = (
    "CEO",
    "CTO",
    "CFO",
    "VP Sales",
    "Head of Marketing",
    "Account Executive",
    "Sales Manager",
    "Engineer",
    "Product Manager",
    "Procurement Lead",
    "Operations Manager",
    "Office Manager",
    "Consultant",
    "Designer",
    "HR Manager",
    None,
)
WORDS = [
    "acme",
    "apex",
    "atlas",
    "beacon",
    "blue",
    "bright",
    "cedar",
    "cloud",
    "coastal",
    "crest",
    "delta",
    "ember",
    "evergreen",
    "falcon",
    "fern",
    "first",
    "global",
    "granite",
    "green",
    "harbor",
    "horizon",
    "iron",
    "jade",
    "keystone",
    "lumen",
    "maple",
    "meridian",
    "metro",
    "nimbus",
    "north",
    "nova",
    "oak",
    "orbit",
    "peak",
    "pine",
    "pioneer",
    "polar",
    "prime",
    "quantum",
    "river",
    "rock",
    "sage",
    "silver",
    "solar",
    "spark",
    "summit",
    "sun",
    "terra",
    "tidal",
    "true",
    "union",
    "vertex",
    "vista",
    "wave",
    "west",
    "willow",
    "zen",
]
SUFFIX = (
    "Labs",
    "Systems",
    "Group",
    "Partners",
    "Logistics",
    "Health",
    "Software",
    "Retail",
    "Capital",
    "Foods",
)
INDUSTRIES = [
    "software",
    "financial_services",
    "healthcare",
    "manufacturing",
    "retail",
    "education",
    "media",
    "real_estate",
    "consulting",
    "nonprofit",
    "government",
    "other",
]
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+")
CITIES = (
    ("Berlin", "Germany"),
    ("Paris", "France"),
    ("Lisbon", "Portugal"),
    ("Austin", "United States"),
    ("Toronto", "Canada"),
    ("Lagos", "Nigeria"),
    ("Tokyo", "Japan"),
    ("Sao Paulo", "Brazil"),
    ("Mumbai", "India"),
    ("Sydney", "Australia"),
    ("London", "United Kingdom"),
    ("Madrid", "Spain"),
)


def uuid7_at(ms: int, rnd: random.Random) -> uuid.UUID:
    """A UUIDv7 for the instant ``ms`` (Unix milliseconds), as ``kronos.kit.ids.uuid7`` would have made it."""
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | rnd.getrandbits(12) << 64 | 0b10 << 62
    return uuid.UUID(int=value | rnd.getrandbits(62))


def at(ms: int) -> datetime:
    return START + timedelta(milliseconds=ms)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def creation_times(count: int, rnd: random.Random) -> Iterator[int]:
    """Increasing creation instants (ms since START) spread over three years: rows arrive over time."""
    step = SPAN_MS / max(count, 1)
    for i in range(count):
        yield int(i * step + rnd.random() * step)


class History:
    """Collects the 'create' change set of some records: one row per non-empty field, as the engine writes."""

    def __init__(self, tenant_id: uuid.UUID, fraction: float, rnd: random.Random) -> None:
        self.tenant_id = tenant_id
        self.fraction = fraction
        self.rnd = rnd
        self.rows: list[tuple[Any, ...]] = []

    def add(self, obj: str, record_id: uuid.UUID, ms: int, actor: uuid.UUID, values: dict[str, Any]) -> None:
        if self.rnd.random() >= self.fraction:
            return
        when = at(ms)
        change_set = uuid7_at(ms + 1, self.rnd)
        for name, value in values.items():
            if value is None:
                continue
            self.rows.append(
                (
                    self.tenant_id,
                    uuid7_at(ms, self.rnd),
                    obj,
                    record_id,
                    name,
                    "create",
                    None,
                    json.dumps(value),
                    when,
                    change_set,
                    actor,
                    None,
                    "import",
                )
            )


HISTORY_COLUMNS = [
    "tenant_id",
    "id",
    "object",
    "record_id",
    "field",
    "op",
    "old_value",
    "new_value",
    "changed_at",
    "change_set_id",
    "actor_user_id",
    "actor_api_key_id",
    "source",
]
COMPANY_COLUMNS = [
    "tenant_id",
    "id",
    "name",
    "domain",
    "industry",
    "size",
    "address_street",
    "address_city",
    "address_region",
    "address_postal_code",
    "address_country",
    "owner_id",
    "version",
    "custom",
    "created_at",
    "updated_at",
    "deleted_at",
]
CONTACT_COLUMNS = [
    "tenant_id",
    "id",
    "first_name",
    "last_name",
    "emails",
    "phones",
    "job_title",
    "company_id",
    "owner_id",
    "version",
    "custom",
    "created_at",
    "updated_at",
    "deleted_at",
]


def company_rows(
    count: int, tenant: uuid.UUID, users: Sequence[uuid.UUID], rnd: random.Random, history: History
) -> Iterator[tuple[Any, ...]]:
    for i, ms in enumerate(creation_times(count, rnd)):
        a, b = rnd.choice(WORDS), rnd.choice(WORDS)
        name = f"{a.title()} {b.title()} {rnd.choice(SUFFIX)}"
        domain = f"{a}{b}{i}.example.com"
        city, country = rnd.choice(CITIES)
        owner = rnd.choice(users)
        record_id = uuid7_at(ms, rnd)
        updated = min(ms + rnd.randrange(0, 90 * 86_400_000), SPAN_MS)
        row = {
            "name": name,
            "domain": domain,
            "industry": rnd.choice(INDUSTRIES),
            "size": rnd.choice(SIZES),
            "address_street": f"{rnd.randrange(1, 400)} {rnd.choice(WORDS).title()} Street",
            "address_city": city,
            "address_region": None,
            "address_postal_code": f"{rnd.randrange(10000, 99999)}",
            "address_country": country,
            "owner_id": owner,
        }
        history.add("companies", record_id, ms, owner, {k: _jsonable(v) for k, v in row.items()})
        yield (tenant, record_id, *row.values(), 1, "{}", at(ms), at(updated), None)


def contact_rows(
    count: int,
    tenant: uuid.UUID,
    users: Sequence[uuid.UUID],
    companies: Sequence[tuple[uuid.UUID, str]],
    rnd: random.Random,
    history: History,
) -> Iterator[tuple[Any, ...]]:
    for i, ms in enumerate(creation_times(count, rnd)):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        company_id, domain = rnd.choice(companies) if companies and rnd.random() < 0.8 else (None, None)
        mail_domain = domain or rnd.choice(("gmail.example", "outlook.example", "proton.example"))
        # The running number makes every e-mail unique in the workspace.
        local = f"{first}.{last}".lower().replace(" ", "")
        emails = [f"{local}.{i}@{mail_domain}"]
        if rnd.random() < 0.1:
            emails.append(f"{local[0]}{i}@home.example")
        phones = [f"+1555{rnd.randrange(1_000_000, 9_999_999)}"] if rnd.random() < 0.6 else None
        owner = rnd.choice(users)
        record_id = uuid7_at(ms, rnd)
        updated = min(ms + rnd.randrange(0, 90 * 86_400_000), SPAN_MS)
        title = rnd.choice(TITLES)
        history.add(
            "contacts",
            record_id,
            ms,
            owner,
            {
                "first_name": first,
                "last_name": last,
                "emails": emails,
                "phones": phones,
                "job_title": title,
                "company_id": str(company_id) if company_id else None,
                "owner_id": str(owner),
            },
        )
        yield (
            tenant,
            record_id,
            first,
            last,
            json.dumps(emails),
            json.dumps(phones) if phones else None,
            title,
            company_id,
            owner,
            1,
            "{}",
            at(ms),
            at(updated),
            None,
        )


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def copy_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]],
    total: int,
    progress: Progress,
    after_batch: Callable[[list[tuple[Any, ...]]], Awaitable[None] | None] | None = None,
) -> float:
    """COPY ``rows`` in batches, showing rows/s. Returns the seconds it took. ``after_batch`` may be async
    (it may COPY rows of its own, e.g. the batch's claims in unique_values)."""
    task = progress.add_task(table, total=total)
    started = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    done = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            await conn.copy_records_to_table(table, records=batch, columns=list(columns))
            if after_batch:
                done_with = after_batch(batch)
                if inspect.isawaitable(done_with):
                    await done_with
            done += len(batch)
            progress.update(task, completed=done)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=list(columns))
        if after_batch:
            done_with = after_batch(batch)
            if inspect.isawaitable(done_with):
                await done_with
        progress.update(task, completed=done + len(batch))
    return time.perf_counter() - started


UNIQUE_COLUMNS = ["tenant_id", "object", "field", "value_key", "record_id"]


def claimer(conn: asyncpg.Connection, object_name: str) -> Callable[[list[tuple[Any, ...]]], Awaitable[None]]:
    """An ``after_batch`` that COPYs the batch's claims into unique_values: companies' domains (column 3)
    or contacts' e-mails (column 4, a JSON list), normalized by the engine's own function."""
    from kronos.kit.records.fields import FieldType
    from kronos.kit.records.unique import normalize

    async def claim(batch: list[tuple[Any, ...]]) -> None:
        claims: list[tuple[Any, ...]] = []
        for row in batch:
            if object_name == "companies":
                if row[3] is not None:
                    claims.append(
                        (row[0], "companies", "domain", normalize(FieldType.TEXT, True, row[3]), row[1])
                    )
            else:
                for email in dict.fromkeys(json.loads(row[4]) if row[4] else []):
                    claims.append(
                        (row[0], "contacts", "emails", normalize(FieldType.EMAIL, True, email), row[1])
                    )
        await conn.copy_records_to_table("unique_values", records=claims, columns=UNIQUE_COLUMNS)

    return claim


async def detach_indexes(conn: asyncpg.Connection, table: str) -> list[str]:
    """Drop ``table``'s secondary indexes and foreign keys; return the DDL that recreates them."""
    ddl: list[str] = []
    for row in await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype = 'f'",
        table,
    ):
        ddl.append(f'ALTER TABLE {table} ADD CONSTRAINT "{row["conname"]}" {row["def"]}')
        await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')
    for row in await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = $1 "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        table,
    ):
        ddl.insert(0, row["indexdef"])
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    return ddl


async def prepare_database(contacts: int) -> None:
    admin = await asyncpg.connect(dsn("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()


async def create_workspace() -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The workspace, its owner (through the identity service) and 19 members; returns tenant and users."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    import kronos.models  # noqa: F401 - registers every table
    from kronos.kit.security import hash_password
    from kronos.modules.identity.models import Membership, User
    from kronos.modules.identity.service import create_workspace_with_owner

    engine = create_async_engine(sqlalchemy_url())
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            created = await create_workspace_with_owner(
                session,
                email=OWNER_EMAIL,
                password=OWNER_PASSWORD,
                workspace_name=WORKSPACE_NAME,
                full_name="Bench Owner",
            )
            tenant = created.workspace.id
            users = [created.owner.id]
            hashed: Any = hash_password(OWNER_PASSWORD)
            # The identity module may hash in a worker thread (async) or inline (sync): accept both.
            password_hash: str = await hashed if inspect.isawaitable(hashed) else hashed
            for n in range(1, USERS):
                user = User(
                    email=f"bench-user-{n}@example.com",
                    password_hash=password_hash,
                    full_name=f"{FIRST[n]} {LAST[n]}",
                )
                session.add(user)
                await session.flush()
                session.add(Membership(tenant_id=tenant, user_id=user.id, role="member"))
                users.append(user.id)
            await session.commit()
    finally:
        await engine.dispose()
    return tenant, users


async def existing_tables(conn: asyncpg.Connection, names: Sequence[str]) -> list[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_name = ANY($1::text[])",
        list(names),
    )
    found = {r["table_name"] for r in rows}
    return [n for n in names if n in found]


async def load_generic(
    conn: asyncpg.Connection,
    table: str,
    count: int,
    tenant: uuid.UUID,
    users: Sequence[uuid.UUID],
    rnd: random.Random,
    progress: Progress,
) -> float:
    """Best-effort rows for a table this generator does not know column by column (deals, activities...
    added by other modules): every column filled from its name and type, foreign keys from loaded rows."""
    columns = await conn.fetch(
        "SELECT column_name, data_type, is_nullable = 'YES' AS nullable, character_maximum_length AS width "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 "
        "ORDER BY ordinal_position",
        table,
    )
    references: dict[str, list[Any]] = {}
    for fk in await conn.fetch(
        "SELECT c.confrelid::regclass::text AS target, a.attname AS col, fa.attname AS target_col "
        "FROM pg_constraint c, unnest(c.conkey, c.confkey) AS k(col, fcol) "
        "JOIN pg_attribute a ON a.attnum = k.col "
        "JOIN pg_attribute fa ON fa.attnum = k.fcol "
        "WHERE c.contype = 'f' AND c.conrelid = $1::regclass AND a.attrelid = c.conrelid "
        "AND fa.attrelid = c.confrelid",
        table,
    ):
        if fk["col"] == "tenant_id":
            continue
        ids = await conn.fetch(f'SELECT "{fk["target_col"]}" AS v FROM {fk["target"]} LIMIT 20000')
        references[fk["col"]] = [r["v"] for r in ids]
        if not references[fk["col"]]:
            raise RuntimeError(f"{table}.{fk['col']} refers to {fk['target']}, which has no rows")
    choices = {
        "type": ("note", "call", "meeting", "email", "task"),
        "kind": ("note", "call", "meeting", "email", "task"),
        "currency": ("USD", "EUR", "GBP"),
        "status": ("open",),
        "stage_type": ("open",),
    }

    def value(col: asyncpg.Record, ms: int) -> Any:
        name, kind, nullable = col["column_name"], col["data_type"], col["nullable"]
        if name == "tenant_id":
            return tenant
        if name in references:
            return rnd.choice(references[name])
        if name in ("created_at", "updated_at"):
            return at(ms)
        if name == "version":
            return 1
        if name == "custom":
            return "{}"
        if kind == "uuid":
            if name.endswith(("owner_id", "user_id", "assignee_id", "by_id")):
                return rnd.choice(users)
            return None if nullable else uuid.uuid4()
        if nullable and rnd.random() < 0.5 and name not in ("amount", "name", "subject"):
            return None
        if kind.startswith("timestamp"):
            return at(min(ms + rnd.randrange(0, 60 * 86_400_000), SPAN_MS))
        if kind == "date":
            return (at(ms) + timedelta(days=rnd.randrange(0, 120))).date()
        if kind in ("integer", "bigint", "smallint"):
            return rnd.randrange(100, 10_000_000) if "amount" in name else rnd.randrange(0, 100)
        if kind in ("numeric", "double precision", "real"):
            return float(rnd.randrange(0, 100))
        if kind == "boolean":
            return rnd.random() < 0.3
        if kind in ("json", "jsonb"):
            return "[]" if name.endswith("s") else "{}"
        if name in choices:
            return rnd.choice(choices[name])
        text = f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS)} {rnd.randrange(1, 10_000)}"
        return text[: col["width"]] if col["width"] else text

    names = [c["column_name"] for c in columns]

    def rows() -> Iterator[tuple[Any, ...]]:
        for ms in creation_times(count, rnd):
            row = [value(c, ms) for c in columns]
            row[names.index("id")] = uuid7_at(ms, rnd)
            yield tuple(row)

    return await copy_rows(conn, table, names, rows(), count, progress)


async def generate(contacts: int, indexes: str, history_fraction: float, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    rnd = random.Random(seed)
    console.print(f"[bold]Database[/] {DB_NAME}: recreating and migrating")
    await prepare_database(contacts)
    from kronos.kit.migrations import upgrade

    await asyncio.to_thread(upgrade, sqlalchemy_url())
    tenant, users = await create_workspace()
    console.print(f"Workspace {tenant}, {len(users)} users")
    conn = await asyncpg.connect(dsn())
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        loaded = ["companies", "contacts", "field_history"]
        claims = await existing_tables(conn, ["unique_values"])  # the table of a later migration
        optional = await existing_tables(
            conn, ["pipelines", "pipeline_stages", "stages", "deals", "activities"]
        )
        recreate: list[str] = []
        if indexes == "rebuild":
            for table in loaded + claims + [t for t in optional if t in ("deals", "activities")]:
                recreate += await detach_indexes(conn, table)
        history = History(tenant, history_fraction, rnd)
        company_count = max(contacts // 10, 1)
        progress = _progress()
        with progress:
            companies: list[tuple[uuid.UUID, str]] = []

            claim_companies = claimer(conn, "companies") if claims else None

            async def keep(batch: list[tuple[Any, ...]]) -> None:
                companies.extend((row[1], row[3]) for row in batch)
                if claim_companies is not None:
                    await claim_companies(batch)

            timings["companies"] = await copy_rows(
                conn,
                "companies",
                COMPANY_COLUMNS,
                company_rows(company_count, tenant, users, rnd, history),
                company_count,
                progress,
                keep,
            )
            counts["companies"] = company_count
            timings["contacts"] = await copy_rows(
                conn,
                "contacts",
                CONTACT_COLUMNS,
                contact_rows(contacts, tenant, users, companies, rnd, history),
                contacts,
                progress,
                claimer(conn, "contacts") if claims else None,
            )
            counts["contacts"] = contacts
            sizes = {
                "pipelines": 3,
                "pipeline_stages": 18,
                "stages": 18,
                "deals": 200_000,
                "activities": 200_000,
            }
            for table in optional:
                try:
                    timings[table] = await load_generic(
                        conn, table, sizes[table], tenant, users, rnd, progress
                    )
                    counts[table] = sizes[table]
                except (asyncpg.PostgresError, RuntimeError, ValueError) as exc:
                    console.print(f"[yellow]{table}: skipped ({exc})[/]")
            rows = history.rows
            timings["field_history"] = await copy_rows(
                conn, "field_history", HISTORY_COLUMNS, iter(rows), len(rows), progress
            )
            counts["field_history"] = len(rows)
        missing = [t for t in ("deals", "activities") if t not in optional]
        if missing:
            console.print(f"[yellow]Not in the migrated schema yet, not loaded: {', '.join(missing)}[/]")
        if recreate:
            t0 = time.perf_counter()
            with console.status(f"Recreating {len(recreate)} indexes and foreign keys"):
                for statement in recreate:
                    await conn.execute(statement)
            timings["indexes"] = time.perf_counter() - t0
            console.print(f"Indexes and foreign keys recreated in {timings['indexes']:.1f} s")
        t0 = time.perf_counter()
        with console.status("VACUUM ANALYZE"):
            for table in (*loaded, *claims, *optional):
                await conn.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum_analyze"] = time.perf_counter() - t0
    finally:
        await conn.close()
    total = time.perf_counter() - started
    for table, n in counts.items():
        console.print(
            f"  {table:>14}: {n:>10,} rows in {timings[table]:6.1f} s ({n / timings[table]:,.0f} rows/s)"
        )
    console.print(f"[green]Done in {total:.1f} s[/] (indexes: {indexes})")
    return {"tenant_id": str(tenant), "users": [str(u) for u in users], "counts": counts, "seconds": total}


class RateColumn(ProgressColumn):
    """Rows per second since the task started."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0
        rate = task.completed / elapsed if elapsed > 0 else 0
        return Text(f"{rate:>10,.0f} rows/s", style="cyan")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:>14}"),
        BarColumn(),
        TextColumn("{task.completed:>10,}/{task.total:,}"),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--indexes", choices=("rebuild", "keep"), default="rebuild")
    parser.add_argument(
        "--history-fraction",
        type=float,
        default=0.1,
        help="Share of records that get their 'create' change set in field_history (default 0.1).",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if not 1 <= args.contacts <= 20_000_000:
        parser.error("--contacts must be between 1 and 20,000,000")
    return asyncio.run(generate(args.contacts, args.indexes, args.history_fraction, args.seed))


if __name__ == "__main__":
    main()
