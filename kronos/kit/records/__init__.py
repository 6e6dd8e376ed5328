"""The record engine: objects described by metadata, one API and one write path for all of them."""
