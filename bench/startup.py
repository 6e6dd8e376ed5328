"""Cold start and idle memory of `kronos serve` (issue 2's figures).

Usage: .venv/bin/python bench/startup.py [--runs 5]

Starts `make run`'s server command on an already-installed checkout with an existing data directory, and
measures the wall time from launch until /readyz answers 200, then the server's resident memory after it
has been idle for a few seconds. The first launch (which migrates and creates the first workspace) is
reported separately from the warm restarts.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def launch(data_dir: Path, port: int) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRONOS_")}
    env |= {"KRONOS_DATA_DIR": str(data_dir), "KRONOS_PORT": str(port), "KRONOS_LOG_LEVEL": "warning"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/kronos"), "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.02)
        ready = time.perf_counter() - started
        time.sleep(3)
        memory = rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return ready, memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        first_ready, first_rss = launch(data_dir, free_port())
        warm = [launch(data_dir, free_port()) for _ in range(args.runs)]
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"first start (migrate + first workspace): {first_ready:.2f} s to ready, idle RSS {first_rss:.0f} MiB"
    )
    times = [t for t, _ in warm]
    print(
        f"restart, {args.runs} runs: median {statistics.median(times):.2f} s to ready "
        f"(min {min(times):.2f}, max {max(times):.2f}); idle RSS median "
        f"{statistics.median(m for _, m in warm):.0f} MiB"
    )


if __name__ == "__main__":
    main()
