"""``user`` fields hold members of the workspace: the write path refuses anyone else with a 422.

Kit code knows no users: the identity module registers how to tell which user ids are members of a workspace
(``register_member_lookup``), as it registers how user ids become names. Registration is process-wide (like
``write.SWITCHES``) because every write path shares it, whatever app or worker runs it; without a lookup
(the kit used alone) nothing is checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.records.fields import FieldType
from kronos.kit.records.objects import ObjectSchema

# (session, tenant, candidate user ids) -> those that are members of the tenant now.
MemberLookup = Callable[[AsyncSession, uuid.UUID, Collection[uuid.UUID]], Awaitable[Collection[uuid.UUID]]]
_KNOWN = "kronos.known_members"


class _Registry:
    lookup: MemberLookup | None = None


MEMBERS = _Registry()


def register_member_lookup(lookup: MemberLookup | None) -> None:
    MEMBERS.lookup = lookup


async def check_members(
    session: AsyncSession,
    schema: ObjectSchema,
    tenant_id: uuid.UUID,
    diffs: Iterable[tuple[str, Any, Any]],
    actor_user_id: uuid.UUID | None = None,
) -> None:
    """Every user a change sets (``diffs``: name, old, new) is a member of the workspace; 422 naming each
    field that holds someone else. Values a record already had are not asked about again: a record whose
    owner left the workspace can still be edited. The acting user needs no query (signing in to the
    workspace, this very request, required their membership): a record owned by its creator, the default,
    costs nothing. Members found once are remembered for the session (one request), so a batch of a
    thousand records owned by the same people asks once."""
    lookup = MEMBERS.lookup
    if lookup is None:
        return
    wanted: dict[str, set[uuid.UUID]] = {}
    for name, _, new in diffs:
        spec = schema.fields.get(name)
        if spec is None or spec.type != FieldType.USER or new is None:
            continue
        wanted[name] = {uuid.UUID(str(item)) for item in (new if isinstance(new, list) else [new])}
    if not wanted:
        return
    known: set[uuid.UUID] = session.info.setdefault(_KNOWN, {}).setdefault(tenant_id, set())
    if actor_user_id is not None:
        known.add(actor_user_id)
    unknown = set().union(*wanted.values()) - known
    if unknown:
        known.update(await lookup(session, tenant_id, unknown))
    errors = [
        FieldError(path=f"body.{name}", message="Not a member of this workspace.", type="not_a_member")
        for name, ids in wanted.items()
        if ids - known
    ]
    if errors:
        raise ValidationFailed(
            "Only members of this workspace can be set in a user field: "
            + ", ".join(error.path.removeprefix("body.") for error in errors)
            + ".",
            errors=errors,
        )
