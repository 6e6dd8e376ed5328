"""Text that no database stores, refused at the edge of every request with a 422 that names where it is.

PostgreSQL's text types cannot hold the NUL character (U+0000): the driver raises and the request would end
in a 500, while SQLite stores it, so the two backends would not even agree. A lone UTF-16 surrogate
(U+D800-U+DFFF, which JSON's ``"\\ud800"`` escape produces and UTF-8 cannot encode) fails on both. Neither
has a use in a CRM's text, so neither is accepted anywhere, once, before any route runs: every JSON body
string (keys included), every query parameter (name and value), the path, and every header. Routes that
parse JSON out of a parameter themselves (``?filter=``, cursors) call ``check_text`` on what they decoded.

What it costs: a GET is a substring test on its query string and headers and a regular expression over its
path; a JSON body is read before the route reads it (it is replayed unchanged) and searched for the two
escapes; only a body that has one is parsed here, to name the field. About 2 us a GET and 5 us a small
JSON POST on the development machine, against milliseconds for the request.

``Instant`` is the other kind of input a database refuses: a date-time that is valid ISO 8601 but not an
instant the drivers can convert to UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from starlette.types import Message, Receive, Scope, Send

from kronos.kit.errors import FieldError, ValidationFailed, problem_response

# Python strings decoded from JSON or UTF-8 hold a surrogate only when it is unpaired: a valid pair is
# decoded to the one character it encodes.
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# The only ways a valid JSON document spells either: \u0000, or \uD800-\uDFFF (the escape, not the bytes:
# raw control characters and UTF-8-encoded surrogates make the document invalid, which FastAPI answers).
_BAD_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_REPORTED = 20

NUL_MESSAGE = "Text may not contain the NUL character (U+0000)."
SURROGATE_MESSAGE = "Text may not contain an unpaired UTF-16 surrogate (U+D800 to U+DFFF)."


def _error(path: str, value: str) -> FieldError:
    if "\x00" in value:
        return FieldError(path=path, message=NUL_MESSAGE, type="nul_character")
    return FieldError(path=path, message=SURROGATE_MESSAGE, type="unpaired_surrogate")


def _printable(name: str) -> str:
    """A name that may itself hold a bad character, made safe to show in a path (and short)."""
    return _BAD_CHARACTER.sub(lambda m: f"\\u{ord(m[0]):04x}", name[:64])


def text_errors(value: Any, path: str) -> list[FieldError]:
    """The places in a decoded JSON value (strings, lists, objects, their keys) that hold a bad character.

    Iterative, so that a document nested as deep as the JSON parser allows cannot exhaust the stack here."""
    errors: list[FieldError] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack and len(errors) < MAX_REPORTED:
        item, where = stack.pop()
        if isinstance(item, str):
            if _BAD_CHARACTER.search(item):
                errors.append(_error(where, item))
        elif isinstance(item, dict):
            for key, member in reversed(item.items()):
                name = f"{where}.{_printable(str(key))}"
                if isinstance(key, str) and _BAD_CHARACTER.search(key):
                    errors.append(_error(name, key))
                stack.append((member, name))
        elif isinstance(item, list):
            stack.extend((member, f"{where}.{index}") for index, member in reversed(list(enumerate(item))))
    return errors


def check_text(value: Any, path: str) -> None:
    """Raise the edge's 422 for a value a route decoded itself (a JSON filter, a cursor)."""
    errors = text_errors(value, path)
    if errors:
        raise invalid_text(errors)


def invalid_text(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(
        "The request is not valid: " + "; ".join(f"{e.path}: {e.message}" for e in errors[:5]),
        errors=errors,
    )


def _iso_8601(value: Any) -> Any:
    # Pydantic would also take a number, or a numeric string such as "-4.2e-130", as Unix seconds: the
    # documents say an ISO 8601 date-time, and that is what is accepted.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE_START.match(value)):
        return value
    raise ValueError("Expected an ISO 8601 date-time with an offset, e.g. 2026-03-01T09:30:00Z.")


def _representable_in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The instant falls outside years 1 to 9999 once converted to UTC.") from None


# An instant from a request (query parameter or body field): an ISO 8601 date-time with an offset, and one
# the database can hold. 0001-01-01T00:00:00+14:00 is valid ISO 8601 but lies before year 1 in UTC, where the
# drivers convert it: a 500 otherwise.
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_8601), AfterValidator(_representable_in_utc)]


def _url_and_header_errors(scope: Scope) -> Iterator[FieldError]:
    path = scope.get("path", "")
    if _BAD_CHARACTER.search(path):
        yield _error("path", path)
    query: bytes = scope.get("query_string", b"")
    # Only %00 (or a raw NUL, which a server would not pass on) decodes to NUL; invalid UTF-8 in a query
    # string is decoded to U+FFFD, never to a surrogate.
    if b"%00" in query or b"\x00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if _BAD_CHARACTER.search(key) or _BAD_CHARACTER.search(value):
                yield _error(f"query.{_printable(key)}", key + value)
    for name, raw in scope.get("headers", ()):
        if b"\x00" in raw:
            yield _error(f"header.{name.decode('latin-1')[:64]}", "\x00")


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI would read the body as JSON: no Content-Type, or application/json or */*+json."""
    media: bytes | None = None
    for name, raw in scope.get("headers", ()):
        if name == b"content-length" and raw.strip() == b"0":
            return False
        if name == b"content-type":
            media = raw.split(b";", 1)[0].strip().lower()
    if media is None:
        return True
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


async def screen(scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """Answer 422 if the request holds a bad character; otherwise return the ``receive`` to go on with."""
    errors = list(_url_and_header_errors(scope))
    if not errors and scope["method"] in _BODY_METHODS and _is_json(scope):
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if _BAD_ESCAPE.search(body):
            errors = _body_errors(body)

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        receive = replay
    if not errors:
        return receive
    problem = invalid_text(errors[:MAX_REPORTED])
    response = problem_response(
        422, problem.code, problem.message, instance=scope.get("path"), errors=problem.errors
    )
    await response(scope, receive, send)
    return None


def _body_errors(body: bytes) -> list[FieldError]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []  # not JSON after all: the route's own parsing answers for it
    return text_errors(document, "body")
