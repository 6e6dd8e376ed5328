"""Sensitive fields: values stored encrypted (AES-256-GCM, ``kronos.kit.crypto``) and shown masked to roles
without the right to read them.

**What may be sensitive.** A custom field of a text-like type: text, long text, e-mail, phone, URL. Standard
fields keep typed, indexed columns that lists sort, filter and search on, so they cannot be; a workspace that
needs a protected phone number adds a custom phone field and marks it sensitive.

**Where the value is encrypted.** Everywhere it is stored: the record's ``custom`` JSON and the ``old_value``
/ ``new_value`` of its ``field_history`` rows hold an envelope ``{"kid": <key id>, "enc": <base64url of nonce
+ ciphertext + tag>}`` instead of the value; the outbox event of a write names changed fields, never values.
The ciphertext is bound to the field and the record (``associated``): copied to another field or record, it
does not decrypt. Values are sealed on the way into the database and opened on the way out, so the rest of
the engine (validation, diffs, as_of, revert, erasure) keeps working with plain canonical values.

**What a sensitive field gives up.** Each value is encrypted with a fresh random nonce, so the database
holds no two equal ciphertexts and cannot compare, order or index what they hide. Lists therefore refuse
filters on it other than ``is_null`` (which needs no value), sorting by it, grouping by it in aggregates, and
it cannot be unique (uniqueness is a comparison) nor have a default (the default would be stored in clear in
the field's definition). The same refusals hold for ``?as_of=`` lists. Deterministic encryption would keep
equality at the price of showing which records share a value; we chose not to.

**Who sees the value.** A role sees the plain value of a sensitive field when it is a workspace admin or when
it names the field explicitly with ``read`` or ``write`` (``field_grant``); any other role that can see the
field gets ``"[masked]"`` instead of a value (an empty value stays ``null``), in reads, lists, as_of, history
(values and displays), batch results and related records. Sending ``"[masked]"`` back in a write leaves the
value as it is, so a form that round-trips a masked record does not overwrite it. Hidden stays hidden.

Plain values found where an envelope is expected (a field whose values are still being encrypted after it
was marked sensitive, or the ``"[erased]"`` marker of a GDPR erasure) are read as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from kronos.kit.auth import FieldAccess, PermissionSet
from kronos.kit.crypto import KEYS
from kronos.kit.errors import FieldError, ValidationFailed
from kronos.kit.records.fields import FieldSpec, FieldType
from kronos.kit.records.objects import ObjectSchema

SENSITIVE_TYPES = frozenset(
    {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
)
MASK = "[masked]"
NONE: frozenset[str] = frozenset()


@runtime_checkable
class FieldGrants(Protocol):
    """A permission set that can say which fields a role names explicitly (the access module's roles)."""

    def field_grant(self, object_name: str, field_name: str) -> FieldAccess | None: ...


def reveals(permissions: PermissionSet, object_name: str, field_name: str) -> bool:
    """Whether this role sees the plain value of a sensitive field (see the module docstring)."""
    if permissions.is_admin:
        return True
    if not isinstance(permissions, FieldGrants):
        return False
    return permissions.field_grant(object_name, field_name) in ("read", "write")


def masked_fields(permissions: PermissionSet, schema: ObjectSchema) -> frozenset[str]:
    """The sensitive fields of ``schema`` this role gets masked (empty, at no cost, when there are none)."""
    if not schema.sensitive:
        return NONE
    return frozenset(name for name in schema.sensitive if not reveals(permissions, schema.name, name))


# -- sealing and opening ------------------------------------------------------------------------------------
def associated(field: str, record_id: uuid.UUID | str) -> bytes:
    """What a value is authenticated with: its field and its record (ids are unique across workspaces)."""
    return f"kronos.field/v1/{field}/{record_id}".encode()


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("enc"), str) and isinstance(value.get("kid"), str)


def key_of(value: Any) -> str | None:
    """The id of the key ``value`` is sealed under, or None for a plain value."""
    return str(value["kid"]) if is_sealed(value) else None


def seal(field: str, record_id: uuid.UUID | str, value: Any) -> Any:
    """The envelope stored for ``value`` (a canonical JSON value); None stays None."""
    if value is None or is_sealed(value):
        return value
    return KEYS.for_writing().seal(value, associated(field, record_id))


def reveal(field: str, record_id: uuid.UUID | str, stored: Any) -> Any:
    """The value an envelope holds; anything else (empty, a value not encrypted yet, a marker) as it is."""
    if not is_sealed(stored):
        return stored
    return KEYS.for_reading().open(stored, associated(field, record_id))


def mask(stored: Any) -> Any:
    """What a role without the right to read the field gets: never the value, only whether there is one."""
    return None if stored is None else MASK


def shown(field: str, record_id: uuid.UUID | str, stored: Any, masked: bool) -> Any:
    return mask(stored) if masked else reveal(field, record_id, stored)


def sealed_diffs(
    schema: ObjectSchema, record_id: uuid.UUID, diffs: Iterable[tuple[str, Any, Any]]
) -> list[tuple[str, Any, Any]]:
    """The write path's (field, old, new) with sensitive values sealed, as history rows store them."""
    return [
        (name, seal(name, record_id, old), seal(name, record_id, new))
        if name in schema.sensitive
        else (name, old, new)
        for name, old, new in diffs
    ]


# -- what a sensitive field gives up -------------------------------------------------------------------------
def refused(spec: FieldSpec, path: str, operation: str) -> ValidationFailed:
    """422 naming the field, for an operation the database cannot do on encrypted values."""
    message = (
        f"'{spec.name}' is a sensitive field: its values are stored encrypted, so they cannot be {operation} "
        "(only is_null filters apply)."
    )
    return ValidationFailed(
        f"{path}: {message}", errors=[FieldError(path=path, message=message, type="sensitive_field")]
    )


def definition_errors(spec: FieldSpec) -> list[FieldError]:
    """Why ``spec`` cannot be sensitive, if it cannot (empty otherwise, or when it is not sensitive)."""
    if not spec.sensitive:
        return []
    errors = []
    if spec.type not in SENSITIVE_TYPES:
        kinds = ", ".join(sorted(kind.value for kind in SENSITIVE_TYPES))
        errors.append(
            FieldError(
                path="body.sensitive",
                message=f"Only {kinds} fields can be sensitive; this one is {spec.type.value}.",
                type="sensitive_field",
            )
        )
    if spec.unique:
        errors.append(
            FieldError(
                path="body.unique",
                message="A sensitive field cannot be unique: its encrypted values cannot be compared.",
                type="sensitive_field",
            )
        )
    if spec.default is not None:
        errors.append(
            FieldError(
                path="body.default",
                message="A sensitive field cannot have a default: it would be stored unencrypted.",
                type="sensitive_field",
            )
        )
    return errors
