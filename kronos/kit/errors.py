"""One error family, rendered as RFC 9457 problem+json with a stable ``code``.

Services raise ``KronosError`` subclasses; routers list them in ``responses`` so OpenAPI shows them. Anything
else that escapes is a bug: it becomes a 500 that carries the request id and nothing of the internals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

from kronos.kit.context import current_request_id
from kronos.kit.logging import get_logger

_log = get_logger("kronos.errors")

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    path: str = Field(description="Where the bad value is, e.g. 'body.emails.0' or 'query.limit'.")
    message: str
    type: str = Field(description="A stable machine-readable reason, e.g. 'missing', 'string_too_long'.")


class Problem(BaseModel):
    """RFC 9457 problem details, with KronosCRM's extension members."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str = Field(description="Stable identifier of the error; safe to branch on.")
    request_id: str | None = None
    errors: list[FieldError] | None = None


class KronosError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors) if errors else None
        self.headers = headers
        self.extra = extra or {}


class BadRequest(KronosError):
    status_code = 400
    code = "bad_request"


class Unauthorized(KronosError):
    status_code = 401
    code = "unauthorized"


class Forbidden(KronosError):
    status_code = 403
    code = "forbidden"


class NotFound(KronosError):
    status_code = 404
    code = "not_found"


class Conflict(KronosError):
    status_code = 409
    code = "conflict"


class PreconditionFailed(KronosError):
    status_code = 412
    code = "precondition_failed"


class PayloadTooLarge(KronosError):
    status_code = 413
    code = "payload_too_large"


class ValidationFailed(KronosError):
    status_code = 422
    code = "validation_failed"


class TooManyRequests(KronosError):
    status_code = 429
    code = "too_many_requests"


class ServiceUnavailable(KronosError):
    status_code = 503
    code = "service_unavailable"


def problem_response(
    status: int,
    code: str,
    detail: str | None,
    *,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        code=code,
        request_id=current_request_id(),
        errors=list(errors) if errors else None,
    )
    body = problem.model_dump(exclude_none=True) | (extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def responses(*errors: type[KronosError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route: each status with its problem codes, e.g.
    ``@router.get(..., responses=responses(NotFound))``."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error.code)
    return {
        status: {
            "model": Problem,
            "description": f"{HTTPStatus(status).phrase} (code: {', '.join(sorted(codes))})",
            "content": {PROBLEM_JSON: {}},
        }
        for status, codes in by_status.items()
    }


_STARLETTE_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
_ALLOW_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
_CODES_IN_DESCRIPTION = re.compile(r"\(code: ([^)]*)\)$")


def document_problems(document: dict[str, Any]) -> None:
    """Make the OpenAPI document say what the edge answers, for every operation at once.

    Every error is ``application/problem+json`` with the ``Problem`` schema (FastAPI would list it as
    ``application/json``, and its own 422 as ``HTTPValidationError``, a shape this app never sends). And every
    operation gets the errors that come from the edge rather than from the route: 400 (a request the server
    cannot parse: ``kronos.kit.server``; a body FastAPI cannot read), 422 (text no database stores, anywhere
    in the request: ``kronos.kit.inputs``), 413 with a body (``max_body_bytes``), and 429 when signed in
    (the API rate limit, ``kronos.kit.auth``)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            answers: dict[str, dict[str, Any]] = operation.setdefault("responses", {})
            has_body = "requestBody" in operation
            _document(answers, 400, "malformed_request", *(["bad_request"] if has_body else []))
            _document(answers, 422, "validation_failed")
            if has_body:
                _document(answers, 413, "payload_too_large")
            if operation.get("security"):
                _document(answers, 429, "rate_limited")
            for status, answer in answers.items():
                if status.isdigit() and int(status) >= 400:
                    answer["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _document(answers: dict[str, dict[str, Any]], status: int, *codes: str) -> None:
    """Add ``codes`` to the response for ``status`` (made if missing), keeping its "(code: ...)" list."""
    answer = answers.setdefault(str(status), {})
    known = _CODES_IN_DESCRIPTION.search(answer.get("description", ""))
    listed = {c.strip() for c in known[1].split(",")} if known else set()
    answer["description"] = f"{HTTPStatus(status).phrase} (code: {', '.join(sorted(listed | set(codes)))})"


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, for a 405's ``Allow`` (RFC 9110). The router only gives
    the methods of the first route that matched the path, and a path is often served by several (GET and
    PATCH of one resource are two routes)."""
    allowed = []
    path, root_path = request.scope["path"], request.scope.get("root_path", "")
    for method in _ALLOW_ORDER:
        # A fresh scope: the request's own carries what routing it already did.
        probe = {"type": "http", "method": method, "path": path, "root_path": root_path}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    async def on_kronos_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KronosError)
        return problem_response(
            exc.status_code,
            exc.code,
            exc.message,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldError(path=_location(e.get("loc", ())), message=e.get("msg", "invalid"), type=e["type"])
            for e in exc.errors()
        ]
        return problem_response(
            422,
            "validation_failed",
            "The request is not valid: " + "; ".join(f"{e.path}: {e.message}" for e in errors[:5]),
            instance=request.url.path,
            errors=errors,
        )

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STARLETTE_CODES.get(exc.status_code, HTTPStatus(exc.status_code).name.lower())
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.method} {request.url.path}."
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(exc.status_code, code, detail, instance=request.url.path, headers=headers)

    async def on_redis_down(request: Request, exc: Exception) -> JSONResponse:
        # What Redis counts (sign-in lock-out, rate limits) cannot be checked: refuse what needs it, clearly,
        # rather than let guessing through. The rest of the API does not touch Redis and keeps answering.
        _log.warning("redis does not answer", path=request.url.path, error=str(exc))
        return problem_response(
            503,
            "service_unavailable",
            "A service this request needs (Redis) does not answer; try again shortly.",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )

    app.add_exception_handler(KronosError, on_kronos_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RedisError, on_redis_down)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(generate())  # FastAPI keeps what it made in app.openapi_schema
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
