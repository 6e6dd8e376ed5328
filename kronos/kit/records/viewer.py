"""Whom the write path answers: what the caller may see of other records, so that no answer tells them more.

A write reveals other records in two ways: a unique value another record holds (409) and a related record
it points at (found or not). The rule is the reads' (``RecordService``): a record the caller may not see
(outside their record visibility, own or team; of an object they may not read; in another workspace) is
exactly like one that does not exist. A relation to it is a 422 ``relation_not_found``, as for a random id;
a unique value it holds is a 409 ``duplicate_value`` that says the value is taken, without the holder's id
(the one thing uniqueness cannot hide without giving up uniqueness); a hidden field is never named.

``write_record`` without a viewer (rules writing the records they own, system writes) sees everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy import ColumnElement

if TYPE_CHECKING:
    from kronos.kit.records.objects import ObjectDefinition, ObjectSchema


class Viewer(Protocol):
    def sees(self, definition: ObjectDefinition) -> ColumnElement[bool]:
        """The live records of ``definition`` the caller may see, as a condition on its table (false when
        they may not read the object at all)."""
        ...

    def shows(self, schema: ObjectSchema, field: str) -> bool:
        """Whether the caller may see ``field`` of ``schema`` (not a field their role hides)."""
        ...
