"""The workspace's own OpenAPI document: ``GET /api/v1/openapi.json``, generated per request for the caller.

The app's ``/openapi.json`` describes objects generically (``/api/v1/{object}`` with free-form bodies). This
one is what a client generator wants for one workspace: every object the caller can read — standard and
custom — gets its own concrete paths and a component schema typed from its fields, custom fields
included. Fields hidden from the caller are absent; fields they cannot change (and system fields) are
``readOnly``; write operations the caller's role does not allow are left out. The app's other routes
(auth, metadata, views...) are copied from ``app.openapi()``; the generic ``/api/v1/{object}...``
templates are replaced by their per-object instances (so a generic route added later, such as a record's
history, appears for every object without changes here).
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any, cast

from fastapi import APIRouter, Request
from sqlalchemy import BigInteger, Integer, SmallInteger
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Action, CurrentPrincipal, Principal
from kronos.kit.deps import ReadDbSession
from kronos.kit.errors import Unauthorized, responses
from kronos.kit.records import sensitive
from kronos.kit.records.fields import LONG_TEXT_MAX, TEXT_MAX, FieldSpec, FieldType
from kronos.kit.records.objects import ObjectDefinition, ObjectRegistry, ObjectSchema

openapi_router = APIRouter(prefix="/api/v1", tags=["metadata"])

TEMPLATE = "/api/v1/{object}"
_REF = "#/components/schemas/"
# (path suffix, method) of a generic route -> the object action it needs and how it is typed.
# Generic routes not listed here (added by other modules) are instantiated for every readable object as
# they are, needing only read.
_TYPED: dict[tuple[str, str], tuple[str, str | None, str | None]] = {
    # (suffix, method): (action, request schema kind, response schema kind)
    ("", "get"): ("read", None, "list"),
    ("", "post"): ("create", "record", "record"),
    ("/{id}", "get"): ("read", None, "record"),
    ("/{id}", "patch"): ("update", "patch", "record"),
    ("/{id}", "put"): ("update", "record", "record"),
    ("/{id}", "delete"): ("delete", None, None),
    ("/{id}/restore", "post"): ("delete", None, "record"),
    ("/batch", "post"): ("batch", None, None),
}
_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
_INTEGER_COLUMNS = (Integer, BigInteger, SmallInteger)


# -- field types -> JSON Schema -----------------------------------------------------------------------------
def _uuid() -> dict[str, Any]:
    return {"type": "string", "format": "uuid"}


def _is_integer_column(schema: ObjectSchema, spec: FieldSpec) -> bool:
    if spec.column is None:
        return False
    attribute = getattr(schema.model, spec.column, None)
    column_type = getattr(getattr(attribute, "expression", None), "type", None)
    return isinstance(column_type, _INTEGER_COLUMNS)


def _value_schema(schema: ObjectSchema, spec: FieldSpec, *, for_input: bool) -> dict[str, Any]:
    """The JSON Schema of one (non-empty) value of ``spec``."""
    kind = spec.type
    settings = spec.settings
    out: dict[str, Any]
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        limit = TEXT_MAX if kind == FieldType.TEXT else LONG_TEXT_MAX
        out = {"type": "string", "maxLength": int(settings.get("max_length", limit))}
    elif kind == FieldType.PHONE:
        out = {"type": "string", "maxLength": 40}
    elif kind == FieldType.EMAIL:
        out = {"type": "string", "format": "email", "maxLength": 320}
    elif kind == FieldType.URL:
        out = {"type": "string", "format": "uri", "maxLength": 2048}
    elif kind in (FieldType.NUMBER, FieldType.PERCENT):
        out = {"type": "integer" if _is_integer_column(schema, spec) else "number"}
        if "min" in settings:
            out["minimum"] = settings["min"]
        if "max" in settings:
            out["maximum"] = settings["max"]
    elif kind == FieldType.DECIMAL:
        # Returned as a number; accepted as a number or a numeric string ("12.50") that keeps its scale.
        out = {"type": ["number", "string"] if for_input else "number"}
    elif kind == FieldType.RATING:
        out = {"type": "integer", "minimum": 1, "maximum": int(settings.get("max", 5))}
    elif kind == FieldType.CURRENCY:
        out = {
            "type": "object",
            "properties": {
                "amount_minor": {"type": "integer", "description": "The amount in minor units (cents)."},
                "currency": {"type": "string", "minLength": 3, "maxLength": 3, "description": "ISO 4217"},
            },
            "required": ["amount_minor", "currency"],
            "additionalProperties": False,
        }
    elif kind == FieldType.DATE:
        out = {"type": "string", "format": "date"}
    elif kind == FieldType.DATETIME:
        out = {"type": "string", "format": "date-time"}
    elif kind == FieldType.BOOLEAN:
        out = {"type": "boolean"}
    elif kind in (FieldType.SELECT, FieldType.MULTI_SELECT):
        out = {"type": "string"}
        if spec.options:
            out["enum"] = [option.value for option in spec.options]
    elif kind in (FieldType.ID, FieldType.USER):
        out = _uuid()
    elif kind == FieldType.RELATION:
        out = _uuid()
        if settings.get("target"):
            out["x-kronos-target"] = settings["target"]
    elif kind == FieldType.RECORD_LINK:
        out = {
            "type": "object",
            "properties": {"object": {"type": "string"}, "id": _uuid()},
            "required": ["object", "id"],
            "additionalProperties": False,
        }
    else:  # a type added to the engine later: still described, untyped
        out = {}
    return out


def field_schema(
    schema: ObjectSchema, spec: FieldSpec, *, read_only: bool, for_input: bool
) -> dict[str, Any]:
    """A property of an object's schema. Lists come back as ``[]`` when empty, other values as ``null``."""
    value = _value_schema(schema, spec, for_input=for_input)
    out: dict[str, Any]
    if spec.is_list:
        out = {"type": "array", "items": value, "uniqueItems": True}
        if for_input:
            out["type"] = ["array", "null"]
    elif spec.system and spec.name in ("id", "version", "created_at", "updated_at"):
        out = value  # always set
    elif "enum" in value:
        out = {**value, "type": [value["type"], "null"], "enum": [*value["enum"], None]}
    elif "type" in value:
        types = value["type"] if isinstance(value["type"], list) else [value["type"]]
        out = {**value, "type": [*types, "null"]}
    else:
        out = value
    out = {"title": spec.label, **out, "x-kronos-field-type": spec.type.value}
    if spec.help_text:
        out["description"] = spec.help_text
    if spec.default is not None and not read_only:
        out["default"] = spec.default
    if read_only:
        out["readOnly"] = True
    return out


def _component_base(definition: ObjectDefinition, taken: set[str]) -> str:
    words = re.split(r"[^A-Za-z0-9]+", definition.singular or definition.name)
    base = "".join(word[:1].upper() + word[1:] for word in words if word) or "Object"
    name, counter = base, 2
    while {f"{name}Record", f"{name}RecordPatch", f"{name}RecordList"} & taken:
        name, counter = f"{base}{counter}", counter + 1
    taken.update({f"{name}Record", f"{name}RecordPatch", f"{name}RecordList"})
    return name


def object_components(schema: ObjectSchema, principal: Principal) -> dict[str, dict[str, Any]]:
    """``Record`` (a record, and the body of create and replace), ``RecordPatch`` (a partial update) and
    ``RecordList`` (a page), keyed by kind; properties are the fields the caller can see."""
    access = principal.permissions.field_access
    properties: dict[str, Any] = {}
    patch_properties: dict[str, Any] = {}
    required = ["id", "version"]
    writes = any(principal.permissions.can(schema.name, action) for action in ("create", "update"))
    masked = sensitive.masked_fields(principal.permissions, schema)
    for spec in schema.ordered():
        level = "read" if spec.system else access(schema.name, spec.name)
        if level == "hidden":
            continue
        read_only = level != "write" or not writes
        properties[spec.name] = field_schema(schema, spec, read_only=read_only, for_input=False)
        if spec.sensitive:
            properties[spec.name]["x-kronos-sensitive"] = True
        if spec.name in masked:  # values reach this caller as the mask, which no format describes
            shown = properties[spec.name]
            shown.pop("format", None)
            shown.pop("maxLength", None)
            shown["description"] = f"Sensitive: your role gets {sensitive.MASK!r} instead of the value."
        if not read_only:
            patch_properties[spec.name] = field_schema(schema, spec, read_only=False, for_input=True)
            # Required on create, unless the engine fills it: a default, or the owner (the caller).
            if spec.required and spec.default is None and spec.name != schema.definition.owner_field:
                required.append(spec.name)
    label = schema.definition.label
    record = {
        "type": "object",
        "title": label,
        "description": f"A {label.lower()} record. readOnly fields are set by the server or by your role.",
        "properties": properties,
        "required": required,
    }
    patch = {
        "type": "object",
        "title": f"{label} (partial update)",
        "description": "Only the fields sent change.",
        "properties": patch_properties,
        "additionalProperties": False,
    }
    page = {
        "type": "object",
        "title": f"{schema.definition.label_plural} (page)",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "<record>"}},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as ?after= for the next page."},
            "total": {"type": "integer", "description": "Only with ?count=true."},
        },
        "required": ["items", "next_cursor"],
    }
    return {"record": record, "patch": patch, "list": page}


# -- paths ------------------------------------------------------------------------------------------------
def _json_body(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": ref}}}


def _instantiate(
    operation: dict[str, Any],
    definition: ObjectDefinition,
    refs: dict[str, str],
    typed: tuple[Any, ...] | None,
) -> dict[str, Any]:
    op = copy.deepcopy(operation)
    op["parameters"] = [
        p for p in op.get("parameters", []) if not (p.get("in") == "path" and p.get("name") == "object")
    ]
    if not op["parameters"]:
        del op["parameters"]
    if "operationId" in op:
        op["operationId"] = f"{op['operationId']}__{definition.name}"
    op["tags"] = [definition.label_plural]
    if typed is not None:
        _, request_kind, response_kind = typed
        if request_kind is not None and "requestBody" in op:
            op["requestBody"]["content"] = _json_body(refs[request_kind])
        if response_kind is not None:
            for code, response in op.get("responses", {}).items():
                if str(code).startswith("2") and "content" in response:
                    response["content"] = _json_body(refs[response_kind])
    return op


def _allowed(principal: Principal, object_name: str, action: str) -> bool:
    can = principal.permissions.can
    if action == "batch":
        return any(can(object_name, a) for a in ("create", "update", "delete"))
    return bool(can(object_name, cast(Action, action)))


async def readable_schemas(
    session: AsyncSession, registry: ObjectRegistry, principal: Principal
) -> list[ObjectSchema]:
    """Every object (standard and the workspace's custom ones) the caller can read, resolved."""
    lister = getattr(registry, "all_definitions", None) or getattr(registry, "definitions_for", None)
    if lister is not None:
        found = lister(session, principal.tenant_id)
        definitions = await found if inspect.isawaitable(found) else found
    else:
        definitions = registry.definitions()
    out = []
    for definition in definitions:
        if principal.permissions.can(definition.name, "read"):
            out.append(await registry.schema(session, principal.tenant_id, definition))
    return out


def build_document(base: dict[str, Any], schemas: list[ObjectSchema], principal: Principal) -> dict[str, Any]:
    """``base`` (the app's document, left untouched) with its generic object routes made concrete."""
    doc = copy.deepcopy(base)
    templates = {path: item for path, item in doc["paths"].items() if path.startswith(TEMPLATE)}
    paths = {path: item for path, item in doc["paths"].items() if path not in templates}
    components: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    taken = set(components)
    tags: list[dict[str, str]] = []
    for schema in schemas:
        definition = schema.definition
        base_name = _component_base(definition, taken)
        refs = {
            "record": f"{_REF}{base_name}Record",
            "patch": f"{_REF}{base_name}RecordPatch",
            "list": f"{_REF}{base_name}RecordList",
        }
        parts = object_components(schema, principal)
        parts["list"]["properties"]["items"]["items"]["$ref"] = refs["record"]
        for kind, ref in refs.items():
            components[ref.removeprefix(_REF)] = parts[kind]
        for template, item in templates.items():
            suffix = template.removeprefix(TEMPLATE)
            concrete: dict[str, Any] = {}
            for method, operation in item.items():
                if method not in _METHODS:
                    continue
                typed = _TYPED.get((suffix, method))
                if not _allowed(principal, definition.name, typed[0] if typed else "read"):
                    continue
                concrete[method] = _instantiate(operation, definition, refs, typed)
            if concrete:
                paths[f"/api/v1/{definition.name}{suffix}"] = concrete
        kind = "A custom object" if getattr(definition, "custom", False) else "A standard object"
        tags.append({"name": definition.label_plural, "description": f"{kind}: {definition.name}."})
    doc["paths"] = paths
    names = {tag["name"] for tag in tags}
    doc["tags"] = [*tags, *(tag for tag in doc.get("tags", []) if tag.get("name") not in names)]
    info = doc.setdefault("info", {})
    info["description"] = (
        "The API of one workspace as the caller sees it: its objects (custom objects and fields included), "
        "the fields the caller may read (readOnly: those they cannot change) and the operations their role "
        "allows. Generated for each request from the workspace's metadata."
    )
    doc["x-kronos-tenant-id"] = str(principal.tenant_id)
    return doc


@openapi_router.get("/openapi.json", responses=responses(Unauthorized))
async def workspace_openapi(
    request: Request, session: ReadDbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    """This workspace's OpenAPI 3.1 document for the caller: every object they can read, standard and
    custom, at its own paths with a schema typed from its fields (custom fields included, hidden fields
    absent, read-only fields ``readOnly``), plus the rest of the API. Feed it to a client generator to get
    typed models of your workspace's records."""
    registry: ObjectRegistry = request.app.state.objects
    schemas = await readable_schemas(session, registry, principal)
    return build_document(request.app.openapi(), schemas, principal)
