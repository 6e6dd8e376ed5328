"""The record engine: objects described by metadata, one API and one write path for all of them."""

# Registers the {object:api_object} path convertor before any of the engine's routers declares a route.
from kronos.kit.records import paths as paths
