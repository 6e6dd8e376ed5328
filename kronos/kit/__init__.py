"""Shared machinery with no domain words in it: database, errors, tenancy, events, logging, metrics."""
