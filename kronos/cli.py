"""The ``kronos`` command: serve, worker, migrate, create-admin, check."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

import kronos
from kronos.config import Settings, SettingsError, load_settings, served_url

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

app = typer.Typer(name="kronos", help="KronosCRM: the CRM that remembers every field.", no_args_is_help=True)
migrate_app = typer.Typer(help="Apply, undo and inspect database migrations.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
keys_app = typer.Typer(
    help="Encryption keys of sensitive fields: generate, rotate, re-encrypt.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)
out = Console()


def _settings() -> Settings:
    from kronos.kit.logging import configure_logging

    try:
        settings = load_settings()
    except (SettingsError, ValidationError) as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc
    configure_logging(settings)
    return settings


def _migrate(settings: Settings, revision: str = "head") -> None:
    from kronos.kit import migrations

    with console.status(f"Migrating the database to [bold]{revision}[/]..."):
        started = time.perf_counter()
        migrations.upgrade(settings.effective_database_url, revision)
    console.print(f"[green]✓[/] Database at {revision} ({time.perf_counter() - started:.1f}s)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default KRONOS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KRONOS_PORT).")] = None,
    migrate: Annotated[
        bool, typer.Option(help="Apply migrations before serving; turn off when a release job does it.")
    ] = True,
) -> None:
    """Serve the API and the web app. Embedded by default: SQLite, in-process events, no other service."""
    import uvicorn

    from kronos.app import create_app
    from kronos.bootstrap import ensure_first_workspace, with_secret_key

    settings = _settings()
    try:
        settings = with_secret_key(settings)
    except SettingsError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc
    if migrate:
        _migrate(settings)
    first = asyncio.run(ensure_first_workspace(settings))
    if first is not None:
        lines = [f"Workspace: [bold]{first.workspace_name}[/]", f"Owner:     [bold]{first.email}[/]"]
        if first.generated_password:
            lines.append(f"Password:  [bold yellow]{first.generated_password}[/]")
            lines.append("[dim]Shown once. Set KRONOS_ADMIN_PASSWORD to choose it yourself.[/]")
        console.print(Panel("\n".join(lines), title="First start: your owner account", expand=False))
    bind_host, bind_port = host or settings.host, port or settings.port
    if settings.public_url == served_url(settings.host, settings.port):  # KRONOS_PUBLIC_URL unset
        settings = settings.model_copy(update={"public_url": served_url(bind_host, bind_port)})
    console.print(f"[green]✓[/] KronosCRM {kronos.__version__} on [bold]http://{bind_host}:{bind_port}[/]")
    web = create_app(settings)
    web.state.freeze_heap = True
    config = server_config(web, settings, bind_host, bind_port)
    metrics_server = None
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        # A thread of prometheus_client's own: the metrics answer even while the event loop is busy.
        metrics_server, _ = start_http_server(
            settings.metrics_port, addr=bind_host, registry=web.state.metrics.registry
        )
        console.print(f"[green]✓[/] Metrics on [bold]http://{bind_host}:{settings.metrics_port}/metrics[/]")
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler that was in
    # place before it started. Make that a no-op, so a clean stop exits 0 instead of dying by the signal.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    try:
        uvicorn.Server(config).run()
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()


def server_config(web: ASGIApp, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """How `kronos serve` runs uvicorn. X-Forwarded-For and X-Forwarded-Proto (the client's address, and
    whether it came over HTTPS, which decides HSTS) are believed only from KRONOS_TRUSTED_PROXIES."""
    import uvicorn

    from kronos.kit.server import http_protocol

    trusted = [address.strip() for address in settings.trusted_proxies.split(",") if address.strip()]
    return uvicorn.Config(
        web,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        timeout_graceful_shutdown=int(settings.shutdown_timeout),
        server_header=False,
        http=http_protocol(),  # a request it cannot parse gets a problem+json 400 (kronos.kit.server)
    )


@app.command()
def worker() -> None:
    """Relay outbox events and run the event consumers until SIGINT/SIGTERM (needs KRONOS_BROKER_URL)."""
    from kronos.kit.events.runtime import run_worker
    from kronos.kit.logging import configure_logging

    settings = _settings()
    if not settings.broker_url:
        console.print(
            "[bold yellow]No KRONOS_BROKER_URL set:[/] without a broker, [bold]kronos serve[/] already "
            "relays events and runs every consumer in process, so there is nothing for a worker to do. "
            "Set KRONOS_BROKER_URL (RabbitMQ) to run consumers in separate worker processes."
        )
        raise typer.Exit(2)
    configure_logging(settings)
    console.print(f"[green]✓[/] KronosCRM {kronos.__version__} worker (namespace {settings.namespace})")
    asyncio.run(run_worker(settings))


@migrate_app.command("upgrade")
def migrate_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _migrate(_settings(), revision)


@migrate_app.command("downgrade")
def migrate_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
) -> None:
    """Undo migrations down to REVISION."""
    from kronos.kit import migrations

    settings = _settings()
    with console.status(f"Downgrading the database to [bold]{revision}[/]..."):
        migrations.downgrade(settings.effective_database_url, revision)
    console.print(f"[green]✓[/] Database at {revision}")


@migrate_app.command("current")
def migrate_current(verbose: bool = False) -> None:
    """Show the revision the database is at."""
    from kronos.kit import migrations

    migrations.current(_settings().effective_database_url, verbose)


@migrate_app.command("history")
def migrate_history(verbose: bool = False) -> None:
    """List all migrations, marking the current one."""
    from kronos.kit import migrations

    migrations.history(_settings().effective_database_url, verbose)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="The owner's e-mail (sign-in name).")],
    workspace: Annotated[str, typer.Option(prompt="Workspace name", help="Name of the new workspace.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="The password.")
    ],
) -> None:
    """Create a workspace and its owner account (an existing account must give its own password)."""
    from kronos.kit.db import Database
    from kronos.kit.errors import KronosError
    from kronos.modules.identity.service import create_workspace_with_owner

    settings = _settings()

    async def run() -> str:
        db = Database(settings)
        try:
            async with db.write_session() as session:
                created = await create_workspace_with_owner(
                    session, email=email, password=password, workspace_name=workspace
                )
                return str(created.workspace.id)
        finally:
            await db.dispose()

    try:
        workspace_id = asyncio.run(run())
    except KronosError as exc:
        console.print(f"[bold red]Not created:[/] {exc.message}")
        raise typer.Exit(1) from exc
    console.print(f"[green]✓[/] Workspace [bold]{workspace}[/] ({workspace_id}) owned by [bold]{email}[/]")


@app.command()
def check() -> None:
    """Print the settings in effect (secrets masked) and whether each configured service answers."""
    from kronos.kit.db import Database
    from kronos.kit.services import check_components

    settings = _settings()
    table = Table(title="Settings in effect", show_header=True, header_style="bold")
    table.add_column("setting")
    table.add_column("value")
    for name, value in settings.masked().items():
        table.add_row(f"KRONOS_{name.upper()}", "" if value is None else str(value))
    out.print(table)
    from kronos.kit.health import metrics_exposure

    out.print(f"Metrics: {metrics_exposure(settings)}")

    # A service that does not answer is reported in the table below; its client's own error log is noise.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)

    async def probe() -> list[tuple[str, bool, str]]:
        db = Database(settings)
        try:
            results = await check_components(settings, db)
        finally:
            await db.dispose()
        return [
            (r.name, r.ok, f"{r.target} ({r.latency_ms} ms)" if r.ok else f"{r.target}: {r.error}")
            for r in results
        ]

    results = asyncio.run(probe())
    services = Table(title="Services", show_header=True, header_style="bold")
    services.add_column("component")
    services.add_column("status")
    services.add_column("detail")
    for name, ok, detail in results:
        services.add_row(name, "[green]ok[/]" if ok else "[red]unavailable[/]", detail)
    out.print(services)
    if not all(ok for _, ok, _ in results):
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(kronos.__version__)


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new key as ``id:base64key``, for KRONOS_ENCRYPTION_KEYS (put it first to encrypt with it)."""
    from kronos.kit.crypto import format_key, new_key

    out.print(format_key(*new_key()), soft_wrap=True)


def _reencrypt(settings: Settings, batch_size: int) -> None:
    from kronos.kit.crypto import KEYS
    from kronos.kit.db import Database
    from kronos.kit.records.objects import ObjectRegistry
    from kronos.kit.records.sensitive_values import Progress, reencrypt
    from kronos.modules.crm.objects import STANDARD_OBJECTS

    KEYS.configure(settings)

    def report(label: str, progress: Progress) -> None:
        state = "done" if progress.done else "..."
        console.print(
            f"{label}: {progress.records_seen:,} records, {progress.history_seen:,} history rows read; "
            f"{progress.records_changed:,} + {progress.history_changed:,} rewritten {state}"
        )

    async def run() -> list[tuple[str, Progress]]:
        db = Database(settings)
        try:
            return await reencrypt(db, ObjectRegistry(STANDARD_OBJECTS), batch=batch_size, report=report)
        finally:
            await db.dispose()

    done = asyncio.run(run())
    ring = KEYS.for_writing()
    unsettled = sum(progress.unsettled for _, progress in done)
    if unsettled:
        console.print(
            f"[bold yellow]{unsettled:,} records changed while being converted:[/] run the command again."
        )
        raise typer.Exit(1)
    console.print(
        f"[green]✓[/] {len(done)} sensitive field(s): every value is sealed under [bold]{ring.current}[/]."
    )
    if len(ring.ids) > 1:
        console.print(f"Keys no longer needed to read them: {', '.join(ring.ids[1:])}.")


@keys_app.command("reencrypt")
def keys_reencrypt(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = 500,
) -> None:
    """Re-encrypt every sensitive value (records and their history) under the current key: run it after
    putting a new key first. Resumable: after an interruption, run it again."""
    _reencrypt(_settings(), batch_size)


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = 500,
) -> None:
    """Embedded setups (keys in the data directory): add a new key first in the key file, then re-encrypt
    every sensitive value under it. With KRONOS_ENCRYPTION_KEYS, put a new key first in the setting, restart
    every process, then run `kronos keys reencrypt`."""
    from kronos.kit.crypto import KEYS, KeyringError

    settings = _settings()
    KEYS.configure(settings)
    try:
        key_id = KEYS.rotate_file()
    except KeyringError as exc:
        console.print(f"[bold red]Not rotated:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"[green]✓[/] New key [bold]{key_id}[/] first in {KEYS.file}")
    _reencrypt(settings, batch_size)
