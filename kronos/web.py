"""Serving the built web app (``frontend/dist``) next to the API, on the same port.

One ASGI app set as the router's ``default``, so it only sees requests no route matched:

- ``/api/...`` and the other server paths (``/docs``, ``/openapi.json``, health, metrics) stay the API's: an
  unknown one is a JSON 404 problem (or 405 when another method would match), never the app's HTML.
- A file of the build is served as is: hashed ``/assets/*`` for a year (``immutable``), anything else
  revalidated (``no-cache``). Text files are gzipped once and kept in memory (they never change while the
  process runs: a new build means a new release).
- Any other ``GET``: ``index.html`` (``no-cache``), so deep links such as ``/contacts/<id>`` load the app,
  which then routes on the client. A missing ``/assets/...`` file stays a 404: answering HTML for a script
  would only hide the error behind a MIME-type one.

The security headers (a Content-Security-Policy that allows no inline script: the app has none, the theme
is set before first paint by ``/theme.js``, a file) are added to every response by
``kronos.kit.headers.SecurityHeadersMiddleware``, these included.
"""

from __future__ import annotations

import gzip
import mimetypes
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
# Paths that belong to the server, not to the web app: unknown ones answer like the API does.
SERVER_PREFIXES: Final = ("/api/", "/docs/", "/openapi.json/", "/healthz/", "/readyz/", "/metrics/")
SERVER_PATHS: Final = frozenset({"/api", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics"})
_COMPRESSIBLE: Final = frozenset(
    {".js", ".mjs", ".css", ".html", ".svg", ".json", ".map", ".txt", ".webmanifest"}
)
_TEXT: Final = frozenset({".html", ".js", ".mjs", ".css", ".svg", ".json", ".txt"})
_MIN_GZIP_BYTES: Final = 1024


def is_server_path(path: str) -> bool:
    return path in SERVER_PATHS or path.startswith(SERVER_PREFIXES)


class WebApp:
    """The built single-page app, with a fallback to ``index.html`` for client-side routes."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist.resolve()
        self.index = self.dist / "index.html"
        self._gzipped: dict[Path, tuple[float, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a websocket no route took: nothing of ours
            raise HTTPException(404)
        path: str = scope["path"]
        if is_server_path(path):
            # The router already answered 405 for a path some route takes with another method.
            raise HTTPException(404)
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        file = self._file(path)
        if file is None:
            if path.startswith("/assets/") or _looks_like_file(path):
                raise HTTPException(404)
            file = self.index
        response = self._respond(file, Headers(scope=scope))
        await response(scope, receive, send)

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative or "\x00" in relative:
            return None
        try:
            candidate = (self.dist / relative).resolve()
        except (OSError, ValueError):
            return None
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate

    def _respond(self, file: Path, request_headers: Headers) -> Response:
        cache = IMMUTABLE if file.parent == self.dist / "assets" else REVALIDATE
        headers = {"Cache-Control": cache}
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix in _TEXT:
            media_type += "; charset=utf-8"
        if file.suffix in _COMPRESSIBLE:
            headers["Vary"] = "Accept-Encoding"
            body = self._gzip(file) if "gzip" in request_headers.get("accept-encoding", "") else None
            if body is not None:
                headers["Content-Encoding"] = "gzip"
                return Response(body, media_type=media_type, headers=headers)
        return FileResponse(file, media_type=media_type, headers=headers)

    def _gzip(self, file: Path) -> bytes | None:
        stat = file.stat()
        if stat.st_size < _MIN_GZIP_BYTES:
            return None
        cached = self._gzipped.get(file)
        if cached is not None and cached[0] == stat.st_mtime:
            return cached[1]
        body = gzip.compress(file.read_bytes(), compresslevel=6, mtime=0)
        self._gzipped[file] = (stat.st_mtime, body)
        return body


def _looks_like_file(path: str) -> bool:
    """``/favicon.ico``, ``/robots.txt``: a name with an extension, which a client-side route never has
    (record ids are UUIDs, object names are lower_snake_case)."""
    name = path.rsplit("/", 1)[-1]
    stem, _, extension = name.rpartition(".")
    return bool(stem) and extension.isalnum() and len(extension) <= 12


def mount_web_app(app: FastAPI, dist: Path) -> None:
    """Serve the app built into ``dist`` for every request no route takes: it becomes the router's
    ``default`` (what answers when nothing matched), not a mount at ``/``, so routes added later — by a
    plugin, or a test — still come first. Without a build, ``/`` says where the API is and how to build it."""
    if (dist / "index.html").is_file():
        app.router.default = WebApp(dist)
        return

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>KronosCRM</title><h1>KronosCRM</h1>"
            "<p>The API is running: see <a href='/docs'>/docs</a>. "
            "The web app has not been built (<code>frontend/dist</code> is missing): "
            "<code>make run</code> builds it when Node.js is installed.</p>",
            headers={"Cache-Control": REVALIDATE},
        )
