"""uvicorn's answer to a request it cannot parse, as problem+json like every other error.

A request line past the parser's limit (about 64 KB with httptools), a header with a control character or
a malformed name, a bad Content-Length, bytes that are not HTTP at all: uvicorn refuses these itself, before
any ASGI app runs, with a plain-text ``400 Invalid HTTP request received.`` from its protocol class's
``send_400_response``. Neither the app nor a middleware ever sees them, so the only place to change that
answer is the protocol: uvicorn takes a protocol class as ``Config(http=...)``, and the classes below are
uvicorn's own with that one method replaced. The method is not a documented extension point, so
``tests/kit/test_malformed_http.py`` runs a real server to notice if a uvicorn release changes it.

The problem carries no request id (there is no request to give one to) and closes the connection, as
uvicorn's own answer does: after a parse error the byte stream cannot be trusted to hold another request.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from kronos.kit.errors import PROBLEM_JSON

CODE = "malformed_request"
DETAIL = (
    "The request is not valid HTTP/1.1: a request line or header the server cannot parse, a character a "
    "header may not hold, or a request line over the size limit."
)
_BODY = json.dumps(
    {
        "type": "about:blank",
        "title": HTTPStatus.BAD_REQUEST.phrase,
        "status": 400,
        "detail": DETAIL,
        "code": CODE,
    },
    separators=(",", ":"),
).encode()
_HEADERS = [
    (b"content-type", PROBLEM_JSON.encode()),
    (b"content-length", str(len(_BODY)).encode()),
    (b"connection", b"close"),
]


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        output = self.conn.send(h11.Response(status_code=400, headers=_HEADERS, reason=b"Bad Request"))
        output += self.conn.send(h11.Data(data=_BODY)) or b""
        output += self.conn.send(h11.EndOfMessage()) or b""
        self.transport.write(output or b"")
        self.transport.close()


@cache
def http_protocol() -> type[asyncio.Protocol]:
    """The protocol class ``kronos serve`` gives uvicorn: httptools' when it is installed (uvicorn's own
    choice for ``http="auto"``), h11's otherwise, answering a malformed request with a problem."""
    try:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
    except ImportError:  # uvicorn without its [standard] extra
        return ProblemH11Protocol

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            content = [STATUS_LINE[400]]
            for name, value in [*self.server_state.default_headers, *_HEADERS]:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"\r\n", _BODY])
            self.transport.write(b"".join(content))
            self.transport.close()

    return ProblemHttpToolsProtocol
