"""HTTP for object metadata: describing objects and fields; admins' custom fields and custom objects."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request

from kronos.kit.auth import CurrentPrincipal
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    responses,
)
from kronos.kit.records import custom_objects, metadata
from kronos.kit.records.objects import ObjectDefinition
from kronos.kit.records.router import Registry

router = APIRouter(prefix="/api/v1/metadata", tags=["metadata"])
_OBJECT_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed, Conflict, BadRequest)


def _route_names(app: FastAPI) -> set[str]:
    """First path segments the API already uses under /api/v1 (an object may not shadow them)."""
    names = set()
    for path in app.openapi().get("paths", {}):
        if path.startswith("/api/v1/"):
            first = path.removeprefix("/api/v1/").split("/", 1)[0]
            if first and not first.startswith("{"):
                names.add(first)
    return names


async def _describe(
    session: DbSession, registry: Registry, principal: CurrentPrincipal, definition: ObjectDefinition
) -> metadata.ObjectOut:
    schema = await registry.schema(session, principal.tenant_id, definition)
    return metadata.describe(schema, principal, include_archived=True)


@router.get("/objects", responses=responses(Unauthorized))
async def list_objects(
    session: ReadDbSession, registry: Registry, principal: CurrentPrincipal, include_archived: bool = False
) -> list[metadata.ObjectOut]:
    """Every object the caller may read, with the fields they can see (archived ones on request)."""
    out = []
    for definition in await registry.all_definitions(session, principal.tenant_id, archived=include_archived):
        if principal.permissions.can(definition.name, "read"):
            schema = await registry.schema(session, principal.tenant_id, definition)
            out.append(metadata.describe(schema, principal, include_archived=include_archived))
    return out


@router.get("/objects/{object}", responses=responses(Unauthorized, NotFound))
async def get_object(
    object: str,
    session: ReadDbSession,
    registry: Registry,
    principal: CurrentPrincipal,
    include_archived: bool = False,
) -> metadata.ObjectOut:
    """One object and its fields."""
    definition = await registry.definition(session, principal.tenant_id, object, archived=include_archived)
    if not principal.permissions.can(definition.name, "read"):
        raise NotFound(f"There is no object named '{object[:64]}'.")
    schema = await registry.schema(session, principal.tenant_id, definition)
    return metadata.describe(schema, principal, include_archived=include_archived)


_FIELD_ERRORS = responses(Unauthorized, Forbidden, NotFound, ValidationFailed, Conflict)


@router.post("/objects/{object}/fields", status_code=201, responses=_FIELD_ERRORS)
async def add_field(
    object: str,
    body: metadata.FieldCreate,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> metadata.FieldOut:
    """Add a custom field (admins). Its values are stored per record; existing records start empty."""
    spec = await metadata.add_field(session, registry, principal, object, body)
    return metadata.field_out(spec, "write")


@router.patch("/objects/{object}/fields/{name}", responses=_FIELD_ERRORS)
async def update_field(
    object: str,
    name: str,
    body: metadata.FieldUpdate,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> metadata.FieldOut:
    """Rename, reorder, change options, required, unique or default of a custom field (admins). Its type
    stays. Making it unique is refused with 409 ``duplicate_values`` while live records share a value."""
    spec = await metadata.update_field(session, registry, principal, object, name, body)
    return metadata.field_out(spec, "write")


@router.post("/objects/{object}/fields/{name}/archive", responses=_FIELD_ERRORS)
async def archive_field(
    object: str, name: str, session: DbSession, registry: Registry, principal: CurrentPrincipal
) -> metadata.FieldOut:
    """Archive a custom field: it leaves forms and the API; its values are kept and come back on unarchive."""
    spec = await metadata.set_archived(session, registry, principal, object, name, True)
    return metadata.field_out(spec, "write")


@router.post("/objects/{object}/fields/{name}/unarchive", responses=_FIELD_ERRORS)
async def unarchive_field(
    object: str, name: str, session: DbSession, registry: Registry, principal: CurrentPrincipal
) -> metadata.FieldOut:
    """Bring an archived custom field back, with the values it had."""
    spec = await metadata.set_archived(session, registry, principal, object, name, False)
    return metadata.field_out(spec, "write")


@router.put("/objects/{object}/field-order", responses=_FIELD_ERRORS)
async def reorder_fields(
    object: str,
    body: metadata.FieldOrder,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> metadata.ObjectOut:
    """Order the custom fields of an object (admins): name every active custom field once, in the order
    forms and lists should show them. They follow the standard fields, whose order is fixed."""
    await metadata.reorder_fields(session, registry, principal, object, body)
    definition = await registry.definition(session, principal.tenant_id, object)
    return await _describe(session, registry, principal, definition)


@router.post("/objects", status_code=201, responses=_OBJECT_ERRORS)
async def create_object(
    body: custom_objects.ObjectCreate,
    request: Request,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> metadata.ObjectOut:
    """Create a custom object (admins). It starts with a required ``name`` and an ``owner_id``; add fields
    with ``POST /api/v1/metadata/objects/{object}/fields``. Its records are served at ``/api/v1/<api_name>``
    with the same API, permissions (the roles' ``*`` entry until a role names it), history and events as
    every other object."""
    definition = await custom_objects.create_object(
        session, registry, principal, body, _route_names(request.app)
    )
    return await _describe(session, registry, principal, definition)


@router.patch("/objects/{object}", responses=_OBJECT_ERRORS)
async def update_object(
    object: str,
    body: custom_objects.ObjectUpdate,
    session: DbSession,
    registry: Registry,
    principal: CurrentPrincipal,
) -> metadata.ObjectOut:
    """Rename a custom object (its labels and description; the api name stays, so URLs keep working)."""
    definition = await custom_objects.update_object(session, principal, object, body)
    return await _describe(session, registry, principal, definition)


@router.post("/objects/{object}/archive", responses=_OBJECT_ERRORS)
async def archive_object(
    object: str, session: DbSession, registry: Registry, principal: CurrentPrincipal
) -> metadata.ObjectOut:
    """Archive a custom object: its API answers 404 and it leaves the metadata; its records and their
    history are kept and come back on unarchive."""
    definition = await custom_objects.set_archived(session, principal, object, True)
    return await _describe(session, registry, principal, definition)


@router.post("/objects/{object}/unarchive", responses=_OBJECT_ERRORS)
async def unarchive_object(
    object: str, session: DbSession, registry: Registry, principal: CurrentPrincipal
) -> metadata.ObjectOut:
    """Bring an archived custom object back, with its records."""
    definition = await custom_objects.set_archived(session, principal, object, False)
    return await _describe(session, registry, principal, definition)
