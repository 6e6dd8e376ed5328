"""Instructions per request of one URL through the whole app, in-process, counted by callgrind.

Timings on a shared VM swing by a third between identical runs; instruction counts do not. This runs the
app in-process (no HTTP server, no load tool) on the bench database, signs in as the bench owner, warms up,
then counts the instructions of N requests with valgrind's callgrind, instrumentation switched on only
around them. Use it to compare two versions of the code path; req/s and CPU per request under load come from
``run.py``, which instructions understate (a bigger code path also misses caches more).

Usage (after ``generate.py`` filled kronos_bench; ``apt-get install -y valgrind`` once):

    .venv/bin/python bench/instructions.py                          # the owner-filtered list page
    .venv/bin/python bench/instructions.py --url '/api/v1/contacts?sort=-created_at&limit=50'
    .venv/bin/python bench/instructions.py --ceiling               # the same-statements ceiling's page
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OWNER_EMAIL, OWNER_PASSWORD, dsn, sqlalchemy_url
from run import workspace

WARMUP = 200


# One request straight into the ASGI app, by hand rather than through httpx's ASGITransport: the counted
# instructions should be the app's, not a client's.
async def _call(
    app: Any, method: str, url: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    path, _, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "state": {},
    }
    out: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


async def _inner(url: str, requests: int, ceiling: bool) -> None:
    import json

    from kronos.app import create_app
    from kronos.config import Settings

    with tempfile.TemporaryDirectory(prefix="kronos-instr-") as tmp:
        settings = Settings(
            env="production",
            secret_key=secrets.token_urlsafe(48),
            database_url=sqlalchemy_url(),
            log_level="warning",
            data_dir=Path(tmp),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            credentials = json.dumps({"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).encode()
            status, body = await _call(
                app, "POST", "/api/v1/auth/login", {"content-type": "application/json"}, credentials
            )
            if status != 200:
                sys.exit(f"login answered {status}: {body[:200]!r}")
            headers = {"host": "bench", "authorization": f"Bearer {json.loads(body)['access_token']}"}
            if ceiling:
                import ceiling as ceiling_app

                tenant, _users, _contacts, _company = await workspace()
                target = ceiling_app.build(dsn(), tenant, 10)
                async with target.router.lifespan_context(target):
                    await _measure(target, url, headers, requests)
            else:
                await _measure(app, url, headers, requests)


async def _measure(app: Any, url: str, headers: dict[str, str], requests: int) -> None:
    import gc

    for _ in range(WARMUP):
        status, body = await _call(app, "GET", url, headers)
        if status != 200:
            sys.exit(f"GET {url} answered {status}: {body[:300]!r}")
    gc.collect()
    gc.freeze()
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    statuses = set()
    for _ in range(requests):
        statuses.add((await _call(app, "GET", url, headers))[0])
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    if statuses != {200}:
        sys.exit(f"answers other than 200: {sorted(statuses)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=None, help="Default: the owner-filtered first page of contacts.")
    parser.add_argument("--requests", type=int, default=100, help="Requests counted (default 100).")
    parser.add_argument(
        "--ceiling", action="store_true", help="Count bench/ceiling.py's same-statements page."
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        import uvloop  # the loop `kronos serve` runs on (uvicorn's default when installed)

        uvloop.run(_inner(args.url, args.requests, args.ceiling))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found: apt-get install -y valgrind")
    if args.url is None:
        _tenant, users, _contacts, _company = asyncio.run(workspace())
        owner = users[1]  # a member's records, as run.py's list scenarios
        args.url = (
            f"/same/contacts?owner_id={owner}&limit=50"
            if args.ceiling
            else f"/api/v1/contacts?owner_id[eq]={owner}&sort=-created_at&limit=50"
        )
    with tempfile.TemporaryDirectory(prefix="kronos-callgrind-") as tmp:
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/out",
            sys.executable, __file__, "--inner", "--url", args.url, "--requests", str(args.requests),
            *(["--ceiling"] if args.ceiling else []),
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, env=os.environ | {"PYTHONHASHSEED": "0"}
        )
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or collected is None:
        sys.exit(f"the measured run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    print(f"GET {args.url}")
    print(
        f"{int(collected[1]) / args.requests / 1e6:.2f} M instructions per request ({args.requests} requests)"
    )


if __name__ == "__main__":
    main()
