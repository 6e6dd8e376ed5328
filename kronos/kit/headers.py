"""Security headers on every response, API included, as one pure ASGI middleware (like ``middleware.py``:
no BaseHTTPMiddleware, which buffers responses and breaks streaming).

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``, ``X-Frame-Options: DENY``,
``Cross-Origin-Resource-Policy: same-origin`` and a Content-Security-Policy chosen by what it is:

- a page (``text/html``: the web app of ``kronos/web.py``, or its placeholder): ``PAGE_CSP``, scripts from
  this origin only (the built app has no inline script; inline *styles* stay allowed, see below), no
  framing, plus ``Permissions-Policy`` and ``Cross-Origin-Opener-Policy``;
- the API docs (``/docs``: FastAPI's Swagger UI page, whose script and stylesheet come from jsDelivr and
  which starts itself with one inline script): those CDN files, and that inline script by its hash;
- anything else (JSON, problem+json, metrics, the app's scripts and styles as files):
  ``default-src 'none'; frame-ancestors 'none'``: nothing in such a response may run, load or be framed.

``Strict-Transport-Security`` only on requests that came over HTTPS: ``scope["scheme"]``, which uvicorn
sets from ``X-Forwarded-Proto`` only when the connection comes from a trusted proxy
(``KRONOS_TRUSTED_PROXIES``, see ``kronos serve``), never from the header alone. Over plain HTTP the header
would be ignored by browsers anyway, and sending it because a client *said* "https" would let anyone pin a
development host to HTTPS.

A header the response already carries is left as it is: a route that needs another policy sets its own.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Inline styles stay allowed: React and the grid/board libraries position elements with style attributes,
# which cannot run code. Scripts, objects, frames and form targets are locked to this origin (or nothing).
PAGE_CSP: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Not a page: nothing in it may run or load anything, and nobody may frame it.
API_CSP: Final = "default-src 'none'; frame-ancestors 'none'"
# FastAPI's Swagger UI page (fastapi.openapi.docs.get_swagger_ui_html): the bundle and stylesheet from
# jsDelivr (only swagger-ui-dist 5), its favicon, the OpenAPI document and "try it out" calls to this origin.
SWAGGER_UI_CDN: Final = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
SWAGGER_UI_FAVICON: Final = "https://fastapi.tiangolo.com/img/favicon.png"
_DOCS_CSP_PARTS: Final = (
    "default-src 'none'",
    "script-src " + SWAGGER_UI_CDN + "{hashes}",
    "style-src " + SWAGGER_UI_CDN + " 'unsafe-inline'",
    "img-src 'self' data: " + SWAGGER_UI_FAVICON,
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
EVERY_RESPONSE: Final[Mapping[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PAGE_ONLY: Final[Mapping[str, str]] = {
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def docs_csp(page: bytes) -> str:
    """The docs page's policy: the CDN files, and each inline script of ``page`` by its SHA-256.

    Hashing what the server itself rendered is sound here because the page reflects nothing of the request
    (FastAPI fills in only the app's title and document URL): what the policy then stops is script injected
    later, into the page's DOM, by way of the OpenAPI document Swagger UI renders."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return "; ".join(_DOCS_CSP_PARTS).replace("{hashes}", hashes)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}" if hsts_max_age > 0 else None
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        docs = path in self.docs_paths
        held: list[Message] = []  # a docs page's start and body, until the body is complete

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                page = headers.get("content-type", "").startswith("text/html")
                if docs and page:
                    held.append(message)
                    return
                self._add(headers, page=page, https=https, csp=PAGE_CSP if page else API_CSP)
            elif held:
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *parts = held
                held.clear()
                body = b"".join(part.get("body", b"") for part in parts)
                self._add(MutableHeaders(scope=start), page=True, https=https, csp=docs_csp(body))
                await send(start)
                message = {"type": "http.response.body", "body": body, "more_body": False}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, headers: MutableHeaders, *, page: bool, https: bool, csp: str) -> None:
        wanted = dict(EVERY_RESPONSE)
        wanted["Content-Security-Policy"] = csp
        if page:
            wanted.update(PAGE_ONLY)
        if https and self.hsts is not None:
            wanted["Strict-Transport-Security"] = self.hsts
        for name, value in wanted.items():
            if name not in headers:
                headers[name] = value
