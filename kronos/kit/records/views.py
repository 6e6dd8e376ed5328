"""Saved views: a named filter, sort and column set over one object's list, personal or shared.

Who may do what:

- Any member who can read an object creates *personal* views of it. A personal view is visible to, and
  changed or deleted by, its owner only; to anyone else it does not exist (404).
- *Shared* views are visible to every member who can read the object; only workspace admins create,
  change, share, un-share or delete them (403 for others). Un-sharing makes the view its owner's personal
  view again.
- Views of an object the caller cannot read are neither listed nor readable (404), and one workspace
  never sees another's views.
- Every member picks their own default view per object (their own or a shared one) without changing it.

A view's filter (the same JSON tree ``?filter=`` takes), sort and columns are checked against the object's
fields *as the caller sees them* when it is saved: an unknown or hidden field is a 422 naming its path, the
same answer a list gives. Fields can disappear later (archived, or hidden from a role); a view is then
returned without the parts that name them and with ``pruned: true``, so it never reveals a field the
caller cannot see and can always be applied as returned.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import Principal
from kronos.kit.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from kronos.kit.records.objects import ObjectRegistry, ObjectSchema
from kronos.kit.records.query import QueryCompiler, parse_filters
from kronos.kit.records.service import RecordService
from kronos.kit.records.views_models import SavedView, SavedViewDefault

MAX_COLUMNS = 200
MAX_VIEWS_PER_OBJECT = 200  # per owner (personal) or per workspace (shared), per object

ViewName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Position = Annotated[
    int, Field(ge=-1_000_000, le=1_000_000, description="Lists are ordered by it, then name.")
]
_FILTER_DOC = "A JSON filter tree as lists take it: {field, op, value} or {and|or: [...]}; null for none."
_SORT_DOC = "As lists take it: comma-separated fields, '-' for descending, e.g. '-created_at,name'."
_COLUMNS_DOC = "The fields shown, in order; null for the object's default columns."


class ViewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str = Field(min_length=1, max_length=64, description="The object's API name, e.g. contacts.")
    name: ViewName
    shared: bool = Field(default=False, description="Visible to every member who can read the object.")
    filter: dict[str, Any] | None = Field(default=None, description=_FILTER_DOC)
    sort: SortText | None = Field(default=None, description=_SORT_DOC)
    columns: list[str] | None = Field(default=None, max_length=MAX_COLUMNS, description=_COLUMNS_DOC)
    position: Position = 0
    is_default: bool = Field(default=False, description="Make it the caller's default view of the object.")


class ViewUpdate(BaseModel):
    """Only the keys sent change; null clears filter, sort or columns."""

    model_config = ConfigDict(extra="forbid")
    name: ViewName | None = None
    shared: bool | None = None
    filter: dict[str, Any] | None = Field(default=None, description=_FILTER_DOC)
    sort: SortText | None = Field(default=None, description=_SORT_DOC)
    columns: list[str] | None = Field(default=None, max_length=MAX_COLUMNS, description=_COLUMNS_DOC)
    position: Position | None = None


class View(BaseModel):
    id: uuid.UUID
    object: str
    name: str
    shared: bool
    owner_id: uuid.UUID = Field(description="The member who made the view.")
    filter: dict[str, Any] | None
    sort: str | None
    columns: list[str] | None
    position: int
    is_default: bool = Field(description="The caller's default view of this object.")
    pruned: bool = Field(
        description="Parts naming fields the caller cannot see (hidden or archived since) were left out."
    )
    created_at: datetime
    updated_at: datetime


class ViewList(BaseModel):
    items: list[View]


def _rebased(exc: ValidationFailed, old: str, new: str) -> ValidationFailed:
    """The compiler reports query-string paths (``query.filter...``); a view's parts are in the body."""
    errors = [
        FieldError(
            path=new + e.path[len(old) :] if e.path.startswith(old) else e.path,
            message=e.message,
            type=e.type,
        )
        for e in exc.errors or []
    ]
    return ValidationFailed(exc.message.replace(old, new), errors=errors)


def _invalid(path: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", errors=[FieldError(path=path, message=message, type=type)])


def _prune_filter(node: Any, readable: set[str]) -> tuple[Any, bool]:
    """``node`` without the conditions on fields outside ``readable`` (empty groups dropped)."""
    if not isinstance(node, dict):
        return None, True
    for kind in ("and", "or"):
        if set(node) == {kind} and isinstance(node[kind], list):
            kept, pruned = [], False
            for member in node[kind]:
                out, cut = _prune_filter(member, readable)
                pruned = pruned or cut
                if out is not None:
                    kept.append(out)
            return ({kind: kept} if kept else None), pruned
    if node.get("field") in readable:
        return node, False
    return None, True


class ViewService:
    def __init__(
        self, session: AsyncSession, registry: ObjectRegistry, principal: Principal, dialect: str
    ) -> None:
        self.session = session
        self.principal = principal
        self.tenant_id = principal.tenant_id
        self.user_id = principal.user_id
        self.records = RecordService(session, registry, principal, dialect)
        self.dialect = dialect
        self._schemas: dict[str, ObjectSchema | None] = {}

    # -- objects the caller can read --------------------------------------------------------------------
    async def _readable_schema(self, object_name: str) -> ObjectSchema | None:
        if object_name not in self._schemas:
            schema = None
            if self.principal.permissions.can(object_name, "read"):
                try:
                    schema = await self.records.schema(object_name)
                except NotFound:
                    schema = None
            self._schemas[object_name] = schema
        return self._schemas[object_name]

    async def _object_for_write(self, object_name: str) -> ObjectSchema:
        schema = await self._readable_schema(object_name)
        if schema is None:
            raise _invalid("body.object", f"There is no object named '{object_name[:64]}'.", "unknown_object")
        return schema

    # -- checking a view's parts ------------------------------------------------------------------------
    def _check_filter(self, schema: ObjectSchema, raw: dict[str, Any]) -> None:
        compiler = QueryCompiler(schema, self.records.readable(schema), self.dialect)
        try:
            compiler.where(parse_filters(json.dumps(raw), {}))
        except ValidationFailed as exc:
            raise _rebased(exc, "query.filter", "body.filter") from None

    def _check_sort(self, schema: ObjectSchema, raw: str) -> str:
        compiler = QueryCompiler(schema, self.records.readable(schema), self.dialect)
        try:
            keys = compiler.parse_sort(raw)
        except ValidationFailed as exc:
            raise _rebased(exc, "query.sort", "body.sort") from None
        if not keys and not any(part.strip().lstrip("-+") == "id" for part in raw.split(",")):
            raise _invalid("body.sort", "Name at least one field.", "invalid_sort")
        return ",".join(part.strip() for part in raw.split(",") if part.strip())

    def _check_columns(self, schema: ObjectSchema, columns: list[str]) -> None:
        readable = self.records.readable(schema)
        errors: list[FieldError] = []
        seen: set[str] = set()
        for index, name in enumerate(columns):
            path = f"body.columns.{index}"
            if name not in readable:
                errors.append(
                    FieldError(path=path, message=f"Unknown field '{name[:64]}'.", type="unknown_field")
                )
            elif name in seen:
                errors.append(
                    FieldError(path=path, message=f"'{name}' appears twice.", type="duplicate_column")
                )
            seen.add(name)
        if errors:
            raise ValidationFailed(
                "body.columns: " + "; ".join(f"{e.path}: {e.message}" for e in errors[:5]), errors=errors
            )

    # -- output -----------------------------------------------------------------------------------------
    def _out(self, view: SavedView, schema: ObjectSchema, default_id: uuid.UUID | None) -> View:
        readable = self.records.readable(schema)
        pruned = False
        filter_ = view.filter
        if filter_ is not None:
            filter_, pruned = _prune_filter(filter_, readable)
        sort = view.sort
        if sort:
            parts = [p.strip() for p in sort.split(",") if p.strip()]
            kept = [p for p in parts if p.lstrip("-+") in readable]
            pruned = pruned or len(kept) != len(parts)
            sort = ",".join(kept) or None
        columns = view.columns
        if columns is not None:
            kept_columns = [c for c in columns if c in readable]
            pruned = pruned or len(kept_columns) != len(columns)
            columns = kept_columns
        return View(
            id=view.id,
            object=view.object,
            name=view.name,
            shared=view.shared,
            owner_id=view.owner_id,
            filter=filter_,
            sort=sort,
            columns=columns,
            position=view.position,
            is_default=default_id == view.id,
            pruned=pruned,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )

    async def _defaults(self, object_name: str | None = None) -> dict[str, uuid.UUID]:
        query = select(SavedViewDefault).where(
            SavedViewDefault.tenant_id == self.tenant_id, SavedViewDefault.user_id == self.user_id
        )
        if object_name is not None:
            query = query.where(SavedViewDefault.object == object_name)
        return {row.object: row.view_id for row in (await self.session.scalars(query)).all()}

    async def _view_out(self, view: SavedView) -> View:
        schema = await self._readable_schema(view.object)
        assert schema is not None  # _load only returns views of readable objects
        return self._out(view, schema, (await self._defaults(view.object)).get(view.object))

    # -- reads ------------------------------------------------------------------------------------------
    def _visible(self) -> Select[SavedView]:
        return select(SavedView).where(
            SavedView.tenant_id == self.tenant_id,
            SavedView.deleted_at.is_(None),
            or_(SavedView.shared.is_(True), SavedView.owner_id == self.user_id),
        )

    async def list(self, object_name: str | None) -> list[View]:
        query = self._visible()
        if object_name is not None:
            if await self._readable_schema(object_name) is None:
                raise NotFound(f"There is no object named '{object_name[:64]}'.")
            query = query.where(SavedView.object == object_name)
        rows = (
            await self.session.scalars(
                query.order_by(SavedView.object, SavedView.position, SavedView.name, SavedView.id)
            )
        ).all()
        defaults = await self._defaults(object_name)
        out: list[View] = []
        for view in rows:
            schema = await self._readable_schema(view.object)
            if schema is not None:
                out.append(self._out(view, schema, defaults.get(view.object)))
        return out

    async def _load(self, view_id: str) -> SavedView:
        try:
            key = uuid.UUID(view_id)
        except ValueError:
            key = None
        view = None
        if key is not None:
            view = await self.session.scalar(self._visible().where(SavedView.id == key))
        if view is None or await self._readable_schema(view.object) is None:
            raise NotFound(f"No view with id '{view_id[:40]}'.")
        return view

    async def get(self, view_id: str) -> View:
        return await self._view_out(await self._load(view_id))

    # -- writes -----------------------------------------------------------------------------------------
    def _require_shared_admin(self, action: str) -> None:
        if not self.principal.permissions.is_admin:
            raise Forbidden(f"Only workspace admins can {action} shared views.")

    async def _check_room(self, object_name: str, shared: bool) -> None:
        query = self._visible().where(SavedView.object == object_name, SavedView.shared.is_(shared))
        if not shared:
            query = query.where(SavedView.owner_id == self.user_id)
        count = int(await self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        if count >= MAX_VIEWS_PER_OBJECT:
            kind = "shared views" if shared else "personal views per member"
            raise Conflict(f"An object has at most {MAX_VIEWS_PER_OBJECT} {kind}; delete one first.")

    async def create(self, body: ViewCreate) -> View:
        if body.shared:
            self._require_shared_admin("create")
        schema = await self._object_for_write(body.object)
        if body.filter is not None:
            self._check_filter(schema, body.filter)
        sort = self._check_sort(schema, body.sort) if body.sort is not None else None
        if body.columns is not None:
            self._check_columns(schema, body.columns)
        await self._check_room(body.object, body.shared)
        view = SavedView(
            tenant_id=self.tenant_id,
            object=body.object,
            name=body.name,
            shared=body.shared,
            owner_id=self.user_id,
            filter=body.filter,
            sort=sort,
            columns=body.columns,
            position=body.position,
        )
        self.session.add(view)
        await self.session.flush()
        if body.is_default:
            await self._set_default(view)
        return await self._view_out(view)

    async def update(self, view_id: str, body: ViewUpdate) -> View:
        view = await self._load(view_id)
        sent = body.model_fields_set
        if view.shared or body.shared:
            self._require_shared_admin("change" if view.shared else "share")
        schema = await self._object_for_write(view.object)
        for key in ("name", "shared", "position"):
            if key in sent and getattr(body, key) is None:
                raise _invalid(f"body.{key}", "May not be null.", "null_value")
        if "filter" in sent and body.filter is not None:
            self._check_filter(schema, body.filter)
        sort = self._check_sort(schema, body.sort) if body.sort is not None else None
        if "columns" in sent and body.columns is not None:
            self._check_columns(schema, body.columns)
        if body.shared is not None and body.shared != view.shared:
            await self._check_room(view.object, body.shared)
            if not body.shared:
                # Un-shared: it is its owner's again; nobody else may keep it as their default.
                await self.session.execute(
                    delete(SavedViewDefault).where(
                        SavedViewDefault.tenant_id == self.tenant_id,
                        SavedViewDefault.view_id == view.id,
                        SavedViewDefault.user_id != view.owner_id,
                    )
                )
            view.shared = body.shared
        if body.name is not None:
            view.name = body.name
        if body.position is not None:
            view.position = body.position
        if "filter" in sent:
            view.filter = body.filter
        if "sort" in sent:
            view.sort = sort
        if "columns" in sent:
            view.columns = body.columns
        await self.session.flush()
        return await self._view_out(view)

    async def delete(self, view_id: str) -> None:
        view = await self._load(view_id)
        if view.shared:
            self._require_shared_admin("delete")
        await self.session.execute(
            delete(SavedViewDefault).where(
                SavedViewDefault.tenant_id == self.tenant_id, SavedViewDefault.view_id == view.id
            )
        )
        await self.session.delete(view)
        await self.session.flush()

    # -- the caller's default view ----------------------------------------------------------------------
    async def _set_default(self, view: SavedView) -> None:
        row = await self.session.scalar(
            select(SavedViewDefault).where(
                SavedViewDefault.tenant_id == self.tenant_id,
                SavedViewDefault.user_id == self.user_id,
                SavedViewDefault.object == view.object,
            )
        )
        if row is not None:
            row.view_id = view.id
            await self.session.flush()
            return
        try:
            async with self.session.begin_nested():
                self.session.add(
                    SavedViewDefault(
                        tenant_id=self.tenant_id, user_id=self.user_id, object=view.object, view_id=view.id
                    )
                )
        except IntegrityError:
            # Another request of the same member set a default of this object at the same moment.
            raise Conflict("Your default view of this object changed meanwhile; try again.") from None

    async def set_default(self, view_id: str) -> View:
        """Any member may make a view they can see (their own or a shared one) their default."""
        view = await self._load(view_id)
        await self._set_default(view)
        return await self._view_out(view)

    async def clear_default(self, view_id: str) -> None:
        view = await self._load(view_id)
        await self.session.execute(
            delete(SavedViewDefault).where(
                SavedViewDefault.tenant_id == self.tenant_id,
                SavedViewDefault.user_id == self.user_id,
                SavedViewDefault.view_id == view.id,
            )
        )
