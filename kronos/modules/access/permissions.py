"""Permissions: what a role lets its holder do, as a ``kronos.kit.auth.PermissionSet``.

A role grants, per object (the record engine's API names: ``companies``, ``contacts``, ``leads``, ``deals``,
``pipelines``, ``activities``, ``tickets``, ``campaigns``... or a custom object's name):

- actions among read / create / update / delete / export;
- record visibility: ``own`` (records the user owns), ``team`` (also those owned by members of teams the user
  manages) or ``all``: the records the user reads;
- edit visibility, the same three words: the records among those the user may update and delete (and
  restore, revert, erase). Unset, it is the record visibility; it is never wider. A record the user reads but
  may not edit answers a write with 403 ``record_read_only``, and the owners a user may give a record are
  those whose records they may edit;
- per field ``hidden``, ``read`` or ``write``. A field not named is ``write`` when the object is writable
  (create or update granted) and ``read`` when it is only readable; nothing is more than the object allows.
  A field an admin marked *sensitive* (``kronos.kit.records.sensitive``) shows its values only to admins and
  to roles that name it with ``read`` or ``write``; other roles that see it get ``"[masked]"``.

The entry ``*`` is the default for every object without an entry of its own, so objects created later
(custom objects) are covered. An object's own entry replaces ``*`` as a whole; it is not merged with it.

Built-in roles (keys are what ``Membership.role`` stores). R read, C create, U update, D delete, X export;
the words after the actions are the record visibility and, after a slash, the edit visibility where it is
narrower; "--" is no access; ``*`` is every other object:

| role          | admin | companies, contacts   | leads       | deals       | activities | pipelines | tickets    | campaigns  | ``*``      |
|---------------|-------|-----------------------|-------------|-------------|------------|-----------|------------|------------|------------|
| owner         | yes   | RCUDX all             | RCUDX all   | RCUDX all   | RCUDX all  | RCUDX all | RCUDX all  | RCUDX all  | RCUDX all  |
| admin         | yes   | RCUDX all             | RCUDX all   | RCUDX all   | RCUDX all  | RCUDX all | RCUDX all  | RCUDX all  | RCUDX all  |
| sales_manager | no    | RCUDX all/team        | RCUDX all/team | RCUDX all/team | RCUDX all/team | RCUDX all | R all | R all | R all |
| sales_rep     | no    | RCUD all/own ¹        | RCUD all/own ¹ | RCUD all/own ¹ | RCUD all/own ¹ | R all     | R all | R all | R all |
| support_agent | no    | R all                 | --          | --          | RCU all    | --        | RCUDX all  | --         | --         |
| marketing     | no    | RUX all ¹             | RCUDX all   | --          | RC all     | --        | --         | RCUDX all  | --         |
| read_only     | no    | R all                 | R all       | R all       | R all      | R all     | R all      | R all      | R all      |

¹ the ``owner_id`` field is read-only: these roles cannot hand records to someone else. Every other field
follows the object (write where C or U is granted, read otherwise).

A rep reads the whole workspace's sales records and changes their own, a manager changes their teams' too: what
HubSpot's and Twenty's sales seats do by default. Built-in roles live here, in code, so a change to them reaches
every workspace at once (no migration); custom roles stored before edit visibility existed have none, which is
their record visibility: they behave as they did.

Only the owner may delete the workspace or transfer ownership (``Permissions.is_owner``); owner and admin
manage members, roles, teams, everyone's API keys and read the audit log (``is_admin``).
"""  # noqa: E501 - the role table reads best unwrapped

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, get_args

from kronos.kit.auth import Action, FieldAccess, PermissionSet, Visibility

ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
FIELD_ACCESS: Final[tuple[FieldAccess, ...]] = get_args(FieldAccess)
VISIBILITIES: Final[tuple[Visibility, ...]] = get_args(Visibility)
WILDCARD: Final = "*"
OBJECT_NAME = re.compile(r"^(\*|[a-z][a-z0-9_]{0,62})$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_VISIBILITY_RANK: Final[dict[Visibility, int]] = {"own": 0, "team": 1, "all": 2}

OWNER_ROLE: Final = "owner"
ADMIN_ROLE: Final = "admin"


@dataclass(frozen=True, slots=True)
class ObjectGrant:
    actions: frozenset[Action] = frozenset()
    visibility: Visibility = "all"
    fields: Mapping[str, FieldAccess] = field(default_factory=lambda: MappingProxyType({}))
    # The records the holder may update and delete; None: the same as ``visibility``.
    edit_visibility: Visibility | None = None

    @property
    def writable(self) -> bool:
        return "create" in self.actions or "update" in self.actions


NO_GRANT: Final = ObjectGrant()


@dataclass(frozen=True, slots=True)
class Permissions:
    """A role's permissions; immutable, so one instance per built-in role serves every request."""

    objects: Mapping[str, ObjectGrant]
    is_admin: bool = False
    # Only the workspace owner may delete the workspace or hand ownership to someone else.
    is_owner: bool = False

    def grant(self, object_name: str) -> ObjectGrant:
        return self.objects.get(object_name) or self.objects.get(WILDCARD) or NO_GRANT

    def can(self, object_name: str, action: Action) -> bool:
        return action in self.grant(object_name).actions

    def field_access(self, object_name: str, field_name: str) -> FieldAccess:
        grant = self.grant(object_name)
        if "read" not in grant.actions:
            return "hidden"
        access = grant.fields.get(field_name, "write" if grant.writable else "read")
        return "read" if access == "write" and not grant.writable else access

    def field_grant(self, object_name: str, field_name: str) -> FieldAccess | None:
        """The access the role names for this field, or None when it names none (it follows the object).
        A sensitive field shows its values only to admins and to roles that name it with read or write."""
        grant = self.grant(object_name)
        return grant.fields.get(field_name) if "read" in grant.actions else None

    def visibility(self, object_name: str) -> Visibility:
        return self.grant(object_name).visibility

    def edit_visibility(self, object_name: str) -> Visibility:
        grant = self.grant(object_name)
        return narrower_visibility(grant.visibility, grant.edit_visibility or grant.visibility)


@dataclass(frozen=True, slots=True)
class ScopedPermissions:
    """What an API key may do: its scope intersected with its owner's *current* role.

    ``scope`` names actions per object (``*`` for the rest) and whether the key may act as an admin; it
    narrows, never widens. Visibility and field rules are the owner's, with writes dropped where the scope
    allows no create/update.
    """

    base: PermissionSet
    scope: Mapping[str, frozenset[Action]]
    admin: bool = False

    @property
    def is_admin(self) -> bool:
        return self.admin and self.base.is_admin

    def _scope_allows(self, object_name: str, action: Action) -> bool:
        actions = self.scope.get(object_name)
        if actions is None:
            actions = self.scope.get(WILDCARD, frozenset())
        return action in actions

    def can(self, object_name: str, action: Action) -> bool:
        return self._scope_allows(object_name, action) and self.base.can(object_name, action)

    def field_access(self, object_name: str, field_name: str) -> FieldAccess:
        if not self.can(object_name, "read"):
            return "hidden"
        access = self.base.field_access(object_name, field_name)
        writable = self.can(object_name, "create") or self.can(object_name, "update")
        return "read" if access == "write" and not writable else access

    def field_grant(self, object_name: str, field_name: str) -> FieldAccess | None:
        if not self.can(object_name, "read") or not isinstance(self.base, Permissions):
            return None
        return self.base.field_grant(object_name, field_name)

    def visibility(self, object_name: str) -> Visibility:
        return self.base.visibility(object_name)

    def edit_visibility(self, object_name: str) -> Visibility:
        return self.base.edit_visibility(object_name)


def narrower_visibility(a: Visibility, b: Visibility) -> Visibility:
    return a if _VISIBILITY_RANK[a] <= _VISIBILITY_RANK[b] else b


# -- JSON form (custom roles' ``permissions`` column and the API) -------------------------------------------


def permissions_from_json(data: Mapping[str, Any]) -> Permissions:
    """Build permissions from their stored JSON. Unknown values are dropped (fail closed), never raised."""
    objects: dict[str, ObjectGrant] = {}
    for name, raw in dict(data.get("objects") or {}).items():
        if not isinstance(raw, Mapping):
            continue
        actions = frozenset(a for a in raw.get("actions") or () if a in ACTIONS)
        visibility = raw.get("visibility", "all")
        edit_visibility = raw.get("edit_visibility")
        fields = {
            str(f): access for f, access in dict(raw.get("fields") or {}).items() if access in FIELD_ACCESS
        }
        objects[str(name)] = ObjectGrant(
            actions=actions,
            visibility=visibility if visibility in VISIBILITIES else "own",
            fields=MappingProxyType(fields),
            # Unknown: the narrowest (fail closed); absent: the record visibility (roles stored before it).
            edit_visibility=(
                None
                if edit_visibility is None
                else edit_visibility
                if edit_visibility in VISIBILITIES
                else "own"
            ),
        )
    return Permissions(objects=MappingProxyType(objects), is_admin=bool(data.get("is_admin", False)))


def permissions_to_json(permissions: Permissions) -> dict[str, Any]:
    return {
        "is_admin": permissions.is_admin,
        "objects": {
            name: {
                "actions": [a for a in ACTIONS if a in grant.actions],
                "visibility": grant.visibility,
                "edit_visibility": grant.edit_visibility,
                "fields": dict(grant.fields),
            }
            for name, grant in permissions.objects.items()
        },
    }


# -- Built-in roles -----------------------------------------------------------------------------------------

_CRUD: Final[frozenset[Action]] = frozenset({"read", "create", "update", "delete"})
_ALL: Final[frozenset[Action]] = frozenset(ACTIONS)
_READ: Final[frozenset[Action]] = frozenset({"read"})
SALES_OBJECTS: Final = ("companies", "contacts", "leads", "deals", "activities")


def _grant(
    actions: Iterable[Action],
    visibility: Visibility = "all",
    edit: Visibility | None = None,
    **fields: FieldAccess,
) -> ObjectGrant:
    return ObjectGrant(frozenset(actions), visibility, MappingProxyType(dict(fields)), edit)


def _role(objects: dict[str, ObjectGrant], *, is_admin: bool = False, is_owner: bool = False) -> Permissions:
    return Permissions(MappingProxyType(objects), is_admin=is_admin, is_owner=is_owner)


@dataclass(frozen=True, slots=True)
class BuiltInRole:
    key: str
    name: str
    description: str
    permissions: Permissions


BUILT_IN_ROLES: Final[Mapping[str, BuiltInRole]] = MappingProxyType(
    {
        role.key: role
        for role in (
            BuiltInRole(
                OWNER_ROLE,
                "Owner",
                "Everything an admin does, and deletes the workspace and transfers ownership.",
                _role({WILDCARD: _grant(_ALL)}, is_admin=True, is_owner=True),
            ),
            BuiltInRole(
                ADMIN_ROLE,
                "Admin",
                "Every record, and manages members, roles, teams, everyone's API keys and the audit log.",
                _role({WILDCARD: _grant(_ALL)}, is_admin=True),
            ),
            BuiltInRole(
                "sales_manager",
                "Sales Manager",
                "Reads every record and exports sales records. Creates sales records (companies, contacts, "
                "leads, deals, activities); changes and deletes their own and their teams' members'; manages "
                "pipelines.",
                _role(
                    {
                        WILDCARD: _grant(_READ),
                        "pipelines": _grant(_ALL),
                        **{name: _grant(_ALL, "all", "team") for name in SALES_OBJECTS},
                    }
                ),
            ),
            BuiltInRole(
                "sales_rep",
                "Sales Rep",
                "Reads every record. Creates sales records (companies, contacts, leads, deals, activities) "
                "and changes or deletes their own; cannot reassign records or export.",
                _role(
                    {
                        WILDCARD: _grant(_READ),
                        **{name: _grant(_CRUD, "all", "own", owner_id="read") for name in SALES_OBJECTS},
                    }
                ),
            ),
            BuiltInRole(
                "support_agent",
                "Support Agent",
                "Works tickets (all of them, with export); creates and changes activities; reads contacts "
                "and companies. Nothing else.",
                _role(
                    {
                        "tickets": _grant(_ALL),
                        "activities": _grant({"read", "create", "update"}),
                        "contacts": _grant(_READ),
                        "companies": _grant(_READ),
                    }
                ),
            ),
            BuiltInRole(
                "marketing",
                "Marketing",
                "Runs leads and campaigns (all of them); reads, changes and exports contacts and "
                "companies but cannot create, delete or reassign them; logs activities. Nothing else (no "
                "deals, tickets or pipelines).",
                _role(
                    {
                        "leads": _grant(_ALL),
                        "campaigns": _grant(_ALL),
                        "contacts": _grant({"read", "update", "export"}, owner_id="read"),
                        "companies": _grant({"read", "update", "export"}, owner_id="read"),
                        "activities": _grant({"read", "create"}),
                    }
                ),
            ),
            BuiltInRole(
                "read_only",
                "Read-only",
                "Reads every record; changes and exports nothing.",
                _role({WILDCARD: _grant(_READ)}),
            ),
        )
    }
)

NO_PERMISSIONS: Final = Permissions(objects=MappingProxyType({}))
