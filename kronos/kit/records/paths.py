"""The path segment that names an object in the engine's routes, and the segments that never do.

The app matches the engine's routes before every other ``/api/v1`` route (``kronos.app.create_app``): a
request for records, most of the API's traffic, is routed after a handful of patterns instead of after all
the others (a list request used to try some 80 routes first, about a sixth of its CPU time). For that order
to shadow nothing, ``{object:api_object}`` refuses the first segments the other routes use:
``/api/v1/roles`` still reaches the access module. Custom objects may not take these names either
(``custom_objects``), and a test checks that no other route can be reached by an engine pattern.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.convertors import Convertor, register_url_convertor

# First segments of the /api/v1 routes that are not objects: other modules' routes, the engine's own
# non-record routes, and names kept for the API's future use.
RESERVED_SEGMENTS: Final = frozenset(
    {
        # identity, access, events
        "auth",
        "admin",
        "api-keys",
        "audit-log",
        "invitations",
        "members",
        "roles",
        "teams",
        "workspace",
        # the engine's own non-record routes
        "analytics",
        "metadata",
        "openapi.json",
        "views",
        # kept
        "batch",
        "graphql",
        "me",
        "objects",
        "records",
        "search",
        "users",
    }
)


class ObjectSegment(Convertor[str]):
    """Any segment but a reserved one; the record service answers 404 for a name that is no object."""

    regex = rf"(?!(?:{'|'.join(re.escape(s) for s in sorted(RESERVED_SEGMENTS))})(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("api_object", ObjectSegment())
