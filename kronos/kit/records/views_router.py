"""HTTP for saved views (``/api/v1/views``). Included before the generic ``/api/v1/{object}`` routes, which
would otherwise answer for ``/api/v1/views``. Who may do what is described in ``kronos.kit.records.views``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.auth import CurrentPrincipal, Principal
from kronos.kit.deps import DbSession, ReadDbSession
from kronos.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed, responses
from kronos.kit.records.objects import ObjectRegistry
from kronos.kit.records.views import View, ViewCreate, ViewList, ViewService, ViewUpdate

views_router = APIRouter(prefix="/api/v1/views", tags=["views"], responses=responses(Unauthorized))


def _service(request: Request, session: AsyncSession, principal: Principal) -> ViewService:
    registry: ObjectRegistry = request.app.state.objects
    return ViewService(session, registry, principal, request.app.state.db.dialect)


@views_router.get("", responses=responses(NotFound, ValidationFailed))
async def list_views(
    request: Request,
    session: ReadDbSession,
    principal: CurrentPrincipal,
    object: Annotated[
        str | None, Query(max_length=64, description="Only this object's views (its API name).")
    ] = None,
) -> ViewList:
    """The caller's personal views and the workspace's shared views, of one object or of every object the
    caller can read, ordered by object, position and name. ``is_default`` marks the caller's default view
    of each object. 404 if ``object`` names an object the caller cannot read."""
    return ViewList(items=await _service(request, session, principal).list(object))


@views_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(Forbidden, ValidationFailed, Conflict),
)
async def create_view(
    body: ViewCreate, request: Request, response: Response, session: DbSession, principal: CurrentPrincipal
) -> View:
    """Save a view of an object. Any member who can read the object saves personal views (only they see
    them); ``shared: true`` (visible to every member who can read the object) is for workspace admins only
    (403). The filter, sort and columns must name fields the caller can see (422 naming the path).
    ``is_default: true`` also makes it the caller's default view of the object."""
    view = await _service(request, session, principal).create(body)
    response.headers["Location"] = f"/api/v1/views/{view.id}"
    return view


@views_router.get("/{id}", responses=responses(NotFound))
async def get_view(id: str, request: Request, session: ReadDbSession, principal: CurrentPrincipal) -> View:
    """One view: a shared one, or one of the caller's own (anyone else's is a 404)."""
    return await _service(request, session, principal).get(id)


@views_router.patch("/{id}", responses=responses(Forbidden, NotFound, ValidationFailed, Conflict))
async def update_view(
    id: str, body: ViewUpdate, request: Request, session: DbSession, principal: CurrentPrincipal
) -> View:
    """Change some of a view: only the keys sent change; null clears ``filter``, ``sort`` or ``columns``.
    Owners change their personal views; shared views, and sharing or un-sharing, are for admins (403).
    Un-sharing makes the view its owner's personal view again. The object cannot change."""
    return await _service(request, session, principal).update(id, body)


@views_router.delete(
    "/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(Forbidden, NotFound)
)
async def delete_view(id: str, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    """Delete a view: owners their personal views, admins shared ones (403 for other members)."""
    await _service(request, session, principal).delete(id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@views_router.put("/{id}/default", responses=responses(NotFound, Conflict))
async def set_default_view(
    id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> View:
    """Make this view (the caller's own or a shared one) the caller's default view of its object, in place
    of any other. It changes nothing for other members."""
    return await _service(request, session, principal).set_default(id)


@views_router.delete("/{id}/default", status_code=status.HTTP_204_NO_CONTENT, responses=responses(NotFound))
async def clear_default_view(
    id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Stop using this view as the caller's default (nothing happens if it was not)."""
    await _service(request, session, principal).clear_default(id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
