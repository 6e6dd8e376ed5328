"""The permission matrix: every built-in role against every action on representative objects, as the
module's documented table says; plus field access, visibility, custom roles and API-key scoping."""

from __future__ import annotations

import pytest

from kronos.kit.auth import Action
from kronos.modules.access.permissions import (
    ACTIONS,
    BUILT_IN_ROLES,
    NO_PERMISSIONS,
    ScopedPermissions,
    permissions_from_json,
)

ALL = "RCUDX"
# role -> object -> (actions, visibility); "" = no access. "custom_thing" stands for any object the table
# does not name (custom objects), i.e. the role's "*" entry.
MATRIX: dict[str, dict[str, tuple[str, str]]] = {
    "owner": {
        o: (ALL, "all") for o in ("contacts", "deals", "leads", "tickets", "campaigns", "custom_thing")
    },
    "admin": {
        o: (ALL, "all") for o in ("contacts", "deals", "leads", "tickets", "campaigns", "custom_thing")
    },
    "sales_manager": {
        "contacts": (ALL, "all/team"),
        "companies": (ALL, "all/team"),
        "deals": (ALL, "all/team"),
        "leads": (ALL, "all/team"),
        "activities": (ALL, "all/team"),
        "pipelines": (ALL, "all"),
        "tickets": ("R", "all"),
        "campaigns": ("R", "all"),
        "custom_thing": ("R", "all"),
    },
    "sales_rep": {
        "contacts": ("RCUD", "all/own"),
        "companies": ("RCUD", "all/own"),
        "deals": ("RCUD", "all/own"),
        "leads": ("RCUD", "all/own"),
        "activities": ("RCUD", "all/own"),
        "pipelines": ("R", "all"),
        "tickets": ("R", "all"),
        "custom_thing": ("R", "all"),
    },
    "support_agent": {
        "tickets": (ALL, "all"),
        "contacts": ("R", "all"),
        "companies": ("R", "all"),
        "activities": ("RCU", "all"),
        "deals": ("", "all"),
        "leads": ("", "all"),
        "custom_thing": ("", "all"),
    },
    "marketing": {
        "leads": (ALL, "all"),
        "campaigns": (ALL, "all"),
        "contacts": ("RUX", "all"),
        "companies": ("RUX", "all"),
        "activities": ("RC", "all"),
        "deals": ("", "all"),
        "tickets": ("", "all"),
        "custom_thing": ("", "all"),
    },
    "read_only": {
        o: ("R", "all") for o in ("contacts", "deals", "leads", "tickets", "campaigns", "custom_thing")
    },
}
LETTER: dict[Action, str] = {"read": "R", "create": "C", "update": "U", "delete": "D", "export": "X"}


def test_the_matrix_names_every_built_in_role() -> None:
    assert set(MATRIX) == set(BUILT_IN_ROLES)


@pytest.mark.parametrize(
    ("role", "object_name", "action"),
    [(r, o, a) for r, objects in MATRIX.items() for o in objects for a in ACTIONS],
)
def test_built_in_role_actions(role: str, object_name: str, action: Action) -> None:
    expected = LETTER[action] in MATRIX[role][object_name][0]
    assert BUILT_IN_ROLES[role].permissions.can(object_name, action) is expected


@pytest.mark.parametrize(("role", "object_name"), [(r, o) for r, objects in MATRIX.items() for o in objects])
def test_built_in_role_visibility(role: str, object_name: str) -> None:
    """'read/edit' visibilities: a rep reads the workspace's sales records and changes their own."""
    actions, visibility = MATRIX[role][object_name]
    reads, _, edits = visibility.partition("/")
    if actions:
        assert BUILT_IN_ROLES[role].permissions.visibility(object_name) == reads
        assert BUILT_IN_ROLES[role].permissions.edit_visibility(object_name) == (edits or reads)


def test_only_owner_and_admin_are_admins_and_only_owner_owns() -> None:
    assert {k for k, r in BUILT_IN_ROLES.items() if r.permissions.is_admin} == {"owner", "admin"}
    assert {k for k, r in BUILT_IN_ROLES.items() if r.permissions.is_owner} == {"owner"}


def test_field_access_follows_the_object_and_the_role() -> None:
    rep = BUILT_IN_ROLES["sales_rep"].permissions
    assert rep.field_access("deals", "amount") == "write"
    assert rep.field_access("deals", "owner_id") == "read"  # cannot hand a deal to someone else
    assert rep.field_access("tickets", "subject") == "read"  # read-only object
    support = BUILT_IN_ROLES["support_agent"].permissions
    assert support.field_access("deals", "amount") == "hidden"  # no read on the object
    assert support.field_access("contacts", "email") == "read"
    assert BUILT_IN_ROLES["read_only"].permissions.field_access("contacts", "email") == "read"
    assert BUILT_IN_ROLES["owner"].permissions.field_access("anything", "owner_id") == "write"
    assert NO_PERMISSIONS.field_access("contacts", "email") == "hidden"
    assert not NO_PERMISSIONS.can("contacts", "read")


def test_custom_role_fields_and_wildcard() -> None:
    role = permissions_from_json(
        {
            "objects": {
                "*": {"actions": ["read"], "visibility": "own"},
                "deals": {
                    "actions": ["read", "update"],
                    "visibility": "team",
                    "fields": {"amount": "read", "margin": "hidden"},
                },
                "contacts": {"actions": ["read"], "fields": {"email": "write"}},
                "weird": {"actions": ["read", "fly"], "visibility": "galaxy"},
            }
        }
    )
    assert role.can("deals", "update")
    assert not role.can("deals", "delete")
    assert role.field_access("deals", "amount") == "read"
    assert role.field_access("deals", "margin") == "hidden"
    assert role.field_access("deals", "stage") == "write"
    assert role.visibility("deals") == "team"
    # A field cannot be writable where the object is not.
    assert role.field_access("contacts", "email") == "read"
    # Unknown objects (custom ones) fall back to "*"; an object's own entry replaces "*" entirely.
    assert role.can("boats", "read")
    assert role.visibility("boats") == "own"
    assert role.visibility("contacts") == "all"
    # Unknown values fail closed.
    assert role.can("weird", "read")
    assert role.visibility("weird") == "own"
    assert not role.is_admin


def test_api_key_scope_intersects_with_the_owner_role() -> None:
    rep = BUILT_IN_ROLES["sales_rep"].permissions
    key = ScopedPermissions(
        rep,
        {"deals": frozenset({"read", "delete", "export"}), "*": frozenset({"read"})},
        admin=True,
    )
    assert key.can("deals", "read")
    assert key.can("deals", "delete")
    assert not key.can("deals", "export")  # the scope asks for it, the role does not give it
    assert not key.can("deals", "update")  # the role gives it, the scope does not
    assert key.can("tickets", "read")
    assert not key.can("tickets", "create")
    assert key.field_access("deals", "amount") == "read"  # no create/update in the scope
    assert key.visibility("deals") == "all"
    assert key.edit_visibility("deals") == "own"
    assert not key.is_admin  # the owner is not an admin
    owner_key = ScopedPermissions(BUILT_IN_ROLES["owner"].permissions, {"contacts": frozenset({"read"})})
    assert owner_key.field_access("contacts", "email") == "read"
    assert owner_key.field_access("deals", "amount") == "hidden"
    assert not owner_key.is_admin  # not asked for
