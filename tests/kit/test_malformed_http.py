"""A request uvicorn cannot parse gets a problem+json 400 (kronos.kit.server), through a real server and
socket: neither the app nor the test client can produce these requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from kronos.cli import server_config
from kronos.config import Settings
from kronos.kit.server import ProblemH11Protocol, http_protocol


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"5")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"hello"})


@asynccontextmanager
async def serving(protocol: type[asyncio.Protocol]) -> AsyncIterator[int]:
    config = uvicorn.Config(hello, host="127.0.0.1", port=0, http=protocol, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@pytest.fixture(params=["httptools", "h11"])
async def port(request: pytest.FixtureRequest) -> AsyncIterator[int]:
    """A server with the protocol `kronos serve` uses (httptools), and with the h11 fallback."""
    protocol = http_protocol() if request.param == "httptools" else ProblemH11Protocol
    async with serving(protocol) as bound:
        yield bound


async def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    try:
        data = await reader.read()
    except ConnectionResetError:  # the server closed with part of a huge request unread: nothing came back
        data = b""
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: b\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello on the plain port
    ],
    ids=["nul-in-header", "space-in-header-name", "bad-content-length", "tls"],
)
async def test_a_request_the_server_cannot_parse_is_a_problem(port: int, raw: bytes) -> None:
    assert_problem(*await exchange(port, raw))


async def test_a_request_line_over_64kb_is_a_problem() -> None:
    # httptools' limit; h11 has none of its own for a line that arrives whole.
    protocol = http_protocol()
    assert protocol is not ProblemH11Protocol, "uvicorn[standard] installs httptools"
    async with serving(protocol) as port:
        assert_problem(*await exchange(port, b"GET /?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"))


def assert_problem(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == 400
    assert problem["code"] == "malformed_request"
    assert problem["title"] == "Bad Request"


async def test_a_valid_request_still_reaches_the_app(port: int) -> None:
    status, _, body = await exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (status, body) == (200, b"hello")


def test_kronos_serve_runs_uvicorn_with_it(settings: Settings) -> None:
    config = server_config(hello, settings, "127.0.0.1", 8000)
    assert config.http is http_protocol()
