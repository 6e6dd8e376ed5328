"""`kronos serve` as a real process: first start, restart, readiness, clean stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import fresh_database

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kronos", "serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not become ready")

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=30)
        return self.process.returncode, output


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_database(tmp_path, "serve") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRONOS_")}
        env |= {
            "KRONOS_DATA_DIR": str(tmp_path / "data"),
            "KRONOS_DATABASE_URL": url,
            "KRONOS_PORT": str(_free_port()),
            "KRONOS_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
        yield env


def test_first_start_then_restart_reuses_everything(server_env: dict[str, str], tmp_path: Path) -> None:
    port = int(server_env["KRONOS_PORT"])
    first = Server(server_env, port)
    try:
        first.wait_ready()
        assert httpx.get(f"{first.base}/healthz").json() == {"status": "ok"}
        assert "KronosCRM" in httpx.get(f"{first.base}/").text
    finally:
        code, output = first.stop()
    assert code == 0, output
    assert "First start: your owner account" in output
    assert "admin@example.com" in output
    assert '"event": "stopped"' in output
    # No KRONOS_SECRET_KEY: a random key was generated into the data directory, readable by its owner only.
    key_file = tmp_path / "data" / "secret_key"
    key = key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key.strip() not in output

    second = Server(server_env, port)
    try:
        second.wait_ready()
    finally:
        code, output = second.stop()
    assert code == 0, output
    assert "First start" not in output
    assert key_file.read_text() == key  # reused, so sessions survive a restart


def test_metrics_on_a_port_of_their_own(server_env: dict[str, str]) -> None:
    metrics_port = _free_port()
    server = Server(server_env | {"KRONOS_METRICS_PORT": str(metrics_port)}, int(server_env["KRONOS_PORT"]))
    try:
        server.wait_ready()
        on_main_port = httpx.get(f"{server.base}/metrics")
        on_metrics_port = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
    finally:
        code, output = server.stop()
    assert code == 0, output
    assert on_main_port.status_code == 404
    assert on_metrics_port.status_code == 200
    assert 'kronos_http_requests_total{method="GET",route="/readyz",status="200"}' in on_metrics_port.text


def test_shutdown_lets_the_request_in_flight_finish(server_env: dict[str, str]) -> None:
    """SIGTERM while a request's body is still arriving: the request completes, then the server exits 0."""
    server = Server(server_env, int(server_env["KRONOS_PORT"]))
    try:
        server.wait_ready()
        body = b'{"email": "nobody@example.com", "password": "not-the-password"}'
        with socket.create_connection(("127.0.0.1", int(server_env["KRONOS_PORT"])), timeout=30) as sock:
            sock.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
            )
            time.sleep(0.5)  # the request is now being served, waiting for the rest of its body
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            sock.sendall(body[10:])
            response = b""
            while chunk := sock.recv(65536):
                response += chunk
        assert response.startswith(b"HTTP/1.1 401 "), response[:200]
        assert b'"code":"invalid_credentials"' in response.replace(b" ", b"")
        assert server.process.wait(timeout=30) == 0
    finally:
        if server.process.poll() is None:
            server.stop()
