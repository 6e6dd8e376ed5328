"""HTTP for the record engine: object metadata and one set of routes serving every object.

``/api/v1/{object:api_object}`` matches any first path segment but those other routes use
(``kronos.kit.records.paths``), so the app factory includes these routes first.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.responses import JSONResponse

from kronos.kit.auth import BEARER_SECURITY, CurrentPrincipal, Principal, authenticate
from kronos.kit.crypto import KEYS
from kronos.kit.deps import DbSession, ReadDbSession, request_read_session
from kronos.kit.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    responses,
)
from kronos.kit.records import idempotency
from kronos.kit.records.batch import BatchFailed, BatchRequest, BatchResult, BatchWriter, TooManyRecords
from kronos.kit.records.objects import ObjectDefinition, ObjectRegistry
from kronos.kit.records.query import MAX_CONDITIONS, MAX_DEPTH, reject_unknown_parameters
from kronos.kit.records.service import DEFAULT_LIMIT, MAX_LIMIT, ListParams, RecordService
from kronos.kit.records.write import DuplicateValue, StillReferenced, VersionMismatch, WriteResult

_BRACKET_KEY = re.compile(r"^[^\[\]]+\[[^\[\]]*\]$")
_FILTER_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}\[[a-z_]+\]$")
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


async def get_registry(request: Request) -> ObjectRegistry:
    registry: ObjectRegistry = request.app.state.objects
    return registry


Registry = Annotated[ObjectRegistry, Depends(get_registry)]


def _service(request: Request, session: Any, registry: ObjectRegistry, principal: Principal) -> RecordService:
    return RecordService(session, registry, principal, request.app.state.db.dialect)


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _IF_MATCH.match(if_match.strip())
    if not match:
        raise BadRequest(
            'If-Match must be the record\'s version as its ETag gives it, e.g. If-Match: "3".',
            errors=[FieldError(path="header.if-match", message="Not a version.", type="invalid_if_match")],
        )
    return int(match[1])


def _expand_with_as_of() -> ValidationFailed:
    # Related records would be today's, next to a record as it was: a mix that reads as a fact it is not.
    message = "expand cannot be combined with as_of; read the related records with the same as_of."
    return ValidationFailed(
        f"query.expand: {message}",
        errors=[FieldError(path="query.expand", message=message, type="invalid_expand")],
    )


async def _has_sensitive(service: RecordService, object: str, idempotency_key: str | None) -> bool:
    """Whether an idempotent write's stored request and response must be protected like sensitive values."""
    return idempotency_key is not None and bool((await service.schema(object)).sensitive)


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


class RecordList(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = Field(description="Pass as ?after= for the next page; null on the last page.")
    total: int | None = Field(default=None, description="Only with ?count=true: rows matching the filters.")


Record = dict[str, Any]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The record's version (its ETag); 412 if it moved on.")
]
_READ_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed)
IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", description=idempotency.HEADER_DESCRIPTION)
]
_WRITE_ERRORS = responses(
    Unauthorized, Forbidden, NotFound, ValidationFailed, DuplicateValue, VersionMismatch, BadRequest
)
_IDEMPOTENCY_ERRORS = (
    idempotency.IdempotencyKeyReused,
    idempotency.IdempotencyConflict,
    idempotency.InvalidIdempotencyKey,
)
_POST_ERRORS = responses(
    Unauthorized,
    Forbidden,
    NotFound,
    ValidationFailed,
    DuplicateValue,
    VersionMismatch,
    BadRequest,
    *_IDEMPOTENCY_ERRORS,
)
_BATCH_ERRORS = responses(
    Unauthorized, Forbidden, NotFound, ValidationFailed, BatchFailed, TooManyRecords, *_IDEMPOTENCY_ERRORS
)

records_router = APIRouter(prefix="/api/v1", tags=["records"])


class ListQuery(BaseModel):
    """The list route's query parameters, ``<field>[<op>]`` filters aside: validated in one pass."""

    filter: str | None = Field(
        default=None,
        description=f"JSON filter tree: {{field, op, value}} / {{and|or: [...]}}, nested at most {MAX_DEPTH} "
        f"levels deep, at most {MAX_CONDITIONS} conditions (the <field>[<op>] parameters included)",
    )
    sort: str | None = Field(default=None, description="Comma-separated fields, '-' for descending")
    after: str | None = Field(default=None, description="The next_cursor of the previous page")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Records per page")
    fields: str | None = Field(default=None, description="Comma-separated fields to return")
    count: bool = Field(default=False, description="Also return `total`, the rows matching the filters")
    expand: str | None = Field(
        default=None, description="Comma-separated relation fields whose records to include under `_expanded`"
    )
    as_of: str | None = Field(
        default=None, description="ISO 8601 instant: the list (values, filters, sort) as it was then"
    )


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI query parameters of ``model``'s fields, as FastAPI writes those it validates itself."""
    properties = model.model_json_schema()["properties"]
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": properties[name]["description"],
            "schema": properties[name],
        }
        for name in model.model_fields
    ]


def _list_query(request: Request) -> tuple[ListQuery, dict[str, str]]:
    """The validated parameters and the ``<field>[<op>]`` filters; 422 (as FastAPI gives) for bad ones."""
    query = request.query_params
    unknown = [k for k in query if k not in ListQuery.model_fields and not _BRACKET_KEY.match(k)]
    reject_unknown_parameters(unknown)
    conditions = {k: v for k, v in query.items() if _BRACKET_KEY.match(k)}
    for key in conditions:
        if not _FILTER_KEY.match(key):
            raise ValidationFailed(
                f"query.{key[:40]}: expected <field>[<operator>].",
                errors=[
                    FieldError(path=f"query.{key[:40]}", message="Bad filter key.", type="invalid_filter")
                ],
            )
    try:
        params = ListQuery.model_validate({k: v for k, v in query.items() if k in ListQuery.model_fields})
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None
    return params, conditions


@records_router.get(
    "/{object:api_object}",
    response_model=RecordList,
    response_model_exclude_unset=True,
    responses=_READ_ERRORS,
    openapi_extra={"parameters": _query_parameters(ListQuery), "security": BEARER_SECURITY},
)
async def list_records(object: str, request: Request) -> Response:
    """List records of an object. Besides ``filter``, any ``<field>[<op>]=<value>`` query parameter filters
    (e.g. ``?name[starts_with]=Ac&industry[in]=software,retail``); operators: eq, neq, lt, lte, gt, gte, in,
    not_in, contains, starts_with, is_null, between. Pages are keyset cursors: follow ``next_cursor``.
    With ``as_of``, the records that existed (not deleted) then, with the values they had then, filtered and
    sorted on those values; record visibility follows today's owner."""
    # The hottest route resolves its session, principal and parameters itself, in the order the dependencies
    # would (session, principal: 401 before any 422), without FastAPI's per-request dependency solving.
    async with request_read_session(request) as session:
        principal = await authenticate(request)
        query, conditions = _list_query(request)
        registry: ObjectRegistry = request.app.state.objects
        service = _service(request, session, registry, principal)
        await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
        params = ListParams(
            filter=query.filter,
            conditions=conditions,
            sort=query.sort,
            after=query.after,
            limit=query.limit,
            fields=query.fields,
            count=query.count,
            expand=query.expand,
        )
        if query.as_of is not None and query.expand:
            raise _expand_with_as_of()
        if query.as_of is not None:
            from kronos.kit.records.asof import list_as_of

            page = await list_as_of(service, object, params, query.as_of)
        else:
            page = await service.list(object, params)
    # Serialized once, straight from the page: a returned Response skips FastAPI's validation against
    # RecordList, which still documents the body in OpenAPI.
    return Response(page.to_json(with_total=query.count), media_type="application/json")


async def _serialize(service: RecordService, object: str, result: WriteResult, response: Response) -> Record:
    schema, shown = await service.shown_fields(object)
    _etag(response, result.record.version)
    return service.serialize(schema, result.record, shown)


@records_router.post(
    "/{object:api_object}", status_code=status.HTTP_201_CREATED, response_model=Record, responses=_POST_ERRORS
)
async def create_record(
    object: str,
    request: Request,
    response: Response,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    body: Annotated[dict[str, Any], Body(description="Field values by API name")],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Create a record. Missing fields take their defaults; the owner defaults to the caller. With an
    ``Idempotency-Key``, a retry returns the first response and creates nothing."""
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    claim = await idempotency.claim(
        session,
        principal,
        idempotency_key,
        f"POST {request.url.path}",
        body,
        location=f"/api/v1/{object}",
        private=await _has_sensitive(service, object, idempotency_key),
    )
    if not isinstance(claim, idempotency.Claim):
        return claim
    result = await service.create(object, body)
    response.headers["Location"] = f"/api/v1/{object}/{result.record.id}"
    out = await _serialize(service, object, result, response)
    await claim.store(status.HTTP_201_CREATED, out)
    return out


@records_router.post("/{object:api_object}/batch", response_model=BatchResult, responses=_BATCH_ERRORS)
async def batch_records(
    object: str,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    body: BatchRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Create, update, upsert or delete up to 1,000 records in one call, each through the same write path
    as a single write (validation, permissions, history, events; ``version`` per record acts as If-Match).

    ``all_or_nothing`` (default): any failing record answers 422 ``batch_failed`` listing every failing
    record (``records: [{index, status, code, errors}]``) and nothing is written. ``per_record``: each record
    succeeds or fails alone; 200 with ``results: [{index, status, id, record | error}]`` in input order.
    ``upsert`` matches on ``match_on``, a unique field (e.g. companies ``domain`` or a custom unique field):
    matching records are updated, the others created; a value repeated inside the batch is a 422 for the
    repeats."""
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    payload = body.model_dump(mode="json")
    private = await _has_sensitive(service, object, idempotency_key)
    claim = await idempotency.claim(
        session, principal, idempotency_key, f"POST {request.url.path}", payload, private=private
    )
    if not isinstance(claim, idempotency.Claim):
        return claim
    result = await BatchWriter(service, object, body).run()
    out = result.model_dump(mode="json", exclude_none=True)
    await claim.store(status.HTTP_200_OK, out)
    return JSONResponse(out)


@records_router.get("/{object:api_object}/{id}", responses=_READ_ERRORS)
async def get_record(
    object: str,
    id: str,
    request: Request,
    response: Response,
    session: ReadDbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    fields: Annotated[str | None, Query(description="Comma-separated fields to return")] = None,
    expand: Annotated[
        str | None,
        Query(description="Comma-separated relation fields whose records to include under `_expanded`"),
    ] = None,
    as_of: Annotated[
        str | None, Query(description="ISO 8601 instant: the record as it was then (404 if not alive then)")
    ] = None,
) -> Record:
    """One record; its ``ETag`` is its version, for ``If-Match`` on the next write. With ``as_of``, the record
    as it was at that instant, rebuilt from its history (no ETag: it is not a version you can write to)."""
    if set(request.query_params) - {"fields", "as_of", "expand"}:
        raise ValidationFailed("Unknown query parameter(s).")
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    if as_of is not None and expand:
        raise _expand_with_as_of()
    if as_of is not None:
        from kronos.kit.records.history import record_as_of

        return await record_as_of(service, object, id, as_of, fields)
    record = await service.get(object, id, fields, expand)
    _etag(response, int(record["version"]))
    return record


async def _update(
    object: str, id: str, request: Request, response: Response, session: Any, registry: ObjectRegistry,
    principal: Principal, body: dict[str, Any], if_match: str | None, replace: bool,
) -> Record:  # fmt: skip
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    expected = _expected_version(if_match)
    result = await service.update(object, id, body, replace=replace, expected=expected)
    return await _serialize(service, object, result, response)


@records_router.patch("/{object:api_object}/{id}", responses=_WRITE_ERRORS)
async def update_record(
    object: str,
    id: str,
    request: Request,
    response: Response,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    body: Annotated[dict[str, Any], Body(description="The fields to change")],
    if_match: IfMatch = None,
) -> Record:
    """Change some fields. Send ``If-Match: <version>`` to get a 412 instead of overwriting a newer change."""
    return await _update(object, id, request, response, session, registry, principal, body, if_match, False)


@records_router.put("/{object:api_object}/{id}", responses=_WRITE_ERRORS)
async def replace_record(
    object: str,
    id: str,
    request: Request,
    response: Response,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    body: Annotated[dict[str, Any], Body(description="Every writable field; missing ones become empty")],
    if_match: IfMatch = None,
) -> Record:
    """Replace all writable fields; fields left out are emptied."""
    return await _update(object, id, request, response, session, registry, principal, body, if_match, True)


@records_router.delete(
    "/{object:api_object}/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_WRITE_ERRORS
)
async def delete_record(
    object: str,
    id: str,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> Response:
    """Soft-delete a record: it leaves lists and reads, keeps its history, and can be restored."""
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    result = await service.delete(object, id, _expected_version(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"ETag": f'"{result.record.version}"'})


@records_router.post(
    "/{object:api_object}/{id}/purge",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(Unauthorized, Forbidden, NotFound, StillReferenced),
)
async def purge_record(
    object: str,
    id: str,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> Response:
    """Remove a deleted record for good (admins; delete it first). Its row goes; its history stays, ending
    with a ``purge`` entry, as the record of what existed — erase personal data first (``/erase``) if it must
    go too. 409 while other records still point at it."""
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    await service.purge(object, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@records_router.post("/{object:api_object}/{id}/restore", response_model=Record, responses=_POST_ERRORS)
async def restore_record(
    object: str,
    id: str,
    request: Request,
    response: Response,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Bring back a deleted record (409 if a unique value was taken meanwhile)."""
    service = _service(request, session, registry, principal)
    await registry.definition(session, principal.tenant_id, object, version=principal.schema_version)
    private = await _has_sensitive(service, object, idempotency_key)
    claim = await idempotency.claim(
        session, principal, idempotency_key, f"POST {request.url.path}", None, private=private
    )
    if not isinstance(claim, idempotency.Claim):
        return claim
    result = await service.restore(object, id)
    out = await _serialize(service, object, result, response)
    await claim.store(status.HTTP_200_OK, out)
    return out


def include_record_routes(app: FastAPI, definitions: list[ObjectDefinition]) -> None:
    """Serve ``definitions`` through the engine. The app includes these routes before its other ``/api/v1``
    routers, so requests for records are routed first; ``{object:api_object}`` leaves the other routers'
    first segments to them (``kronos.kit.records.paths``)."""
    from kronos.kit.records import (
        aggregate_router,
        analytics_router,
        history_router,
        metadata_router,
        openapi,
        since,
        views_router,
    )

    app.state.objects = ObjectRegistry(definitions)
    # Sensitive fields' keys: from this app's settings (the key file lives in its data directory).
    KEYS.configure(app.state.settings)
    # /{object}/since and /{object}/aggregate before records_router's /{object}/{id}, which would read them
    # as ids; the rest have paths records_router cannot match.
    app.include_router(since.router)
    app.include_router(aggregate_router.router)
    app.include_router(records_router)
    app.include_router(history_router.router)
    app.include_router(analytics_router.router)
    app.include_router(metadata_router.router)
    app.include_router(views_router.views_router)
    app.include_router(openapi.openapi_router)
