"""The edge of every HTTP request, as one pure ASGI middleware (no BaseHTTPMiddleware: it buffers
responses and breaks streaming).

It gives the request an id (a valid incoming ``X-Request-ID`` is kept and echoed), refuses bodies over the
limit with 413 and text no database stores with 422 (``kronos.kit.inputs``), logs one line per request,
records metrics by route template, and turns an exception that nothing handled into a 500 problem that
carries the request id and nothing of the internals.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kronos.kit import inputs
from kronos.kit.context import reset_request_id, set_request_id
from kronos.kit.errors import problem_response
from kronos.kit.ids import uuid7
from kronos.kit.logging import get_logger
from kronos.kit.metrics import Metrics
from kronos.kit.ratelimit import rate_limit_headers

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = get_logger("kronos.http")
_std_log = logging.getLogger("kronos.http")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid7().hex
        token = set_request_id(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                limit_headers = rate_limit_headers(scope)
                if limit_headers and not any(name == b"ratelimit-limit" for name, _ in headers):
                    headers += limit_headers
                message["headers"] = headers
            await send(message)

        self.metrics.in_progress.inc()
        try:
            limited = await self._limit_body(scope, receive, send_with_id)
            # Text no database stores (NUL, lone surrogates) is a 422 here, before any route sees it.
            screened = None if limited is None else await inputs.screen(scope, limited, send_with_id)
            if screened is not None:
                await self.app(scope, screened, send_with_id)
        except Exception:
            _log.exception("unhandled error", method=scope["method"], path=scope["path"])
            if not state["started"]:
                response = problem_response(
                    500,
                    "internal_error",
                    "Something went wrong on our side. Quote the request id when reporting it.",
                )
                await response(scope, receive, send_with_id)
            else:
                raise
        finally:
            self.metrics.in_progress.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            method = scope["method"]
            self.metrics.observe(method, template, state["status"], elapsed)
            # structlog runs its processors (time stamp, context...) before the standard library drops a
            # line below the level: ask first, the line is skipped on every request in production.
            if _std_log.isEnabledFor(logging.INFO):
                _log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    route=template,
                    status=state["status"],
                    duration_ms=round(elapsed * 1000, 2),
                    client=(scope.get("client") or ("", 0))[0],
                )
            structlog.contextvars.unbind_contextvars("request_id")
            reset_request_id(token)

    async def _limit_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer 413 for a body over the limit; return the ``receive`` to use, or None if answered."""
        declared = _header(scope, b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) <= self.max_body_bytes:
                return receive
            if declared.isdigit():
                await self._too_large(scope, receive, send)
                return None
            return receive  # the server rejects a malformed Content-Length itself
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return receive
        # Chunked upload with no declared size: read it up to the limit, then replay what was read.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return None
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            f"The request body is larger than the limit of {self.max_body_bytes} bytes.",
            instance=scope["path"],
            headers={"connection": "close"},
        )
        await response(scope, receive, send)
