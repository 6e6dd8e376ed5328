"""Migration bc0f0a000010 fills ``unique_values`` from the records that exist: company domains, contact
e-mails (unique from then on, so existing data may clash: the oldest record keeps the value) and custom
fields flagged unique, of standard and custom objects. Deleted records claim nothing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from kronos.kit import migrations
from kronos.kit.ids import uuid7
from kronos.kit.models import UTCDateTime
from tests.support import fresh_database

BEFORE, AFTER = "ab9e0a000009", "bc0f0a000010"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _table(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(column, type) for column, type in columns))


WHEN = UTCDateTime()
RECORD = (
    ("tenant_id", sa.Uuid()),
    ("id", sa.Uuid()),
    ("version", sa.Integer()),
    ("custom", sa.JSON()),
    ("created_at", WHEN),
    ("updated_at", WHEN),
    ("deleted_at", WHEN),
)
WORKSPACES = _table(
    "workspaces",
    ("id", sa.Uuid()),
    ("name", sa.String()),
    ("time_zone", sa.String()),
    ("default_currency", sa.String()),
    ("locale", sa.String()),
    ("fiscal_year_start_month", sa.Integer()),
    ("created_at", WHEN),
    ("updated_at", WHEN),
)
CONTACTS = _table("contacts", *RECORD, ("last_name", sa.String()), ("emails", sa.JSON()))
COMPANIES = _table("companies", *RECORD, ("name", sa.String()), ("domain", sa.String()))
CUSTOM_RECORDS = _table("custom_records", *RECORD, ("object", sa.String()), ("name", sa.String()))
CUSTOM_OBJECTS = _table(
    "custom_objects",
    ("tenant_id", sa.Uuid()),
    ("id", sa.Uuid()),
    ("api_name", sa.String()),
    ("singular", sa.String()),
    ("label", sa.String()),
    ("label_plural", sa.String()),
    ("created_at", WHEN),
    ("updated_at", WHEN),
)
FIELDS = _table(
    "field_definitions",
    ("tenant_id", sa.Uuid()),
    ("id", sa.Uuid()),
    ("object", sa.String()),
    ("api_name", sa.String()),
    ("label", sa.String()),
    ("type", sa.String()),
    ("options", sa.JSON()),
    ("settings", sa.JSON()),
    ("required", sa.Boolean()),
    ("unique", sa.Boolean()),
    ("position", sa.Integer()),
    ("created_at", WHEN),
    ("updated_at", WHEN),
    ("deleted_at", WHEN),
)
CLAIMS = _table(
    "unique_values",
    ("tenant_id", sa.Uuid()),
    ("object", sa.String()),
    ("field", sa.String()),
    ("value_key", sa.String()),
    ("record_id", sa.Uuid()),
)


def _record(tenant: uuid.UUID, minutes: int, deleted: bool = False, **values: Any) -> dict[str, Any]:
    at = T0 + timedelta(minutes=minutes)
    return {
        "tenant_id": tenant,
        "id": uuid7(),
        "version": 1,
        "custom": values.pop("custom", {}),
        "created_at": at,
        "updated_at": at,
        "deleted_at": at if deleted else None,
        **values,
    }


def _field(tenant: uuid.UUID, object_name: str, name: str, type: str, unique: bool) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "id": uuid7(),
        "object": object_name,
        "api_name": name,
        "label": name,
        "type": type,
        "options": [],
        "settings": {},
        "required": False,
        "unique": unique,
        "position": 1,
        "created_at": T0,
        "updated_at": T0,
        "deleted_at": None,
    }


async def _run(url: str, statements: list[tuple[sa.TableClause, list[dict[str, Any]]]]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for table, rows in statements:
                await connection.execute(sa.insert(table), rows)
    finally:
        await engine.dispose()


async def _claims(url: str) -> set[tuple[Any, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.select(CLAIMS))
            return {tuple(row) for row in rows}
    finally:
        await engine.dispose()


def test_the_backfill_claims_existing_values_oldest_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with fresh_database(tmp_path, "unique_backfill") as url:
        migrations.upgrade(url, BEFORE)
        one, two = uuid7(), uuid7()
        workspaces = [
            {
                "id": t,
                "name": str(t),
                "time_zone": "UTC",
                "default_currency": "USD",
                "locale": "en-US",
                "fiscal_year_start_month": 1,
                "created_at": T0,
                "updated_at": T0,
            }
            for t in (one, two)
        ]
        older = _record(one, 1, last_name="Older", emails=["Ann@X.io", "ann@home.io"], custom={"ext": "E-1"})
        newer = _record(one, 2, last_name="Newer", emails=["ann@x.io", "new@x.io"], custom={"ext": "E-1"})
        gone = _record(one, 0, deleted=True, last_name="Gone", emails=["new@x.io"])
        elsewhere = _record(two, 3, last_name="Elsewhere", emails=["ann@x.io"])
        company = _record(one, 1, name="Acme", domain="acme.com")
        project = _record(one, 1, object="projects", name="P", custom={"code": 42})
        plain = _record(one, 2, object="projects", name="Q", custom={"note": "not unique"})
        _insert = [
            (WORKSPACES, workspaces),
            (CONTACTS, [older, newer, gone, elsewhere]),
            (COMPANIES, [company]),
            (
                CUSTOM_OBJECTS,
                [
                    {
                        "tenant_id": one,
                        "id": uuid7(),
                        "api_name": "projects",
                        "singular": "project",
                        "label": "Project",
                        "label_plural": "Projects",
                        "created_at": T0,
                        "updated_at": T0,
                    }
                ],
            ),
            (
                FIELDS,
                [
                    _field(one, "contacts", "ext", "text", True),
                    _field(one, "projects", "code", "number", True),
                    _field(one, "projects", "note", "text", False),
                ],
            ),
            (CUSTOM_RECORDS, [project, plain]),
        ]
        asyncio.run(_run(url, _insert))
        with caplog.at_level(logging.WARNING, logger="kronos.migrations"):
            migrations.upgrade(url, AFTER)
        assert asyncio.run(_claims(url)) == {
            (one, "contacts", "emails", "ann@x.io", older["id"]),
            (one, "contacts", "emails", "ann@home.io", older["id"]),
            (one, "contacts", "emails", "new@x.io", newer["id"]),  # the deleted contact claims nothing
            (two, "contacts", "emails", "ann@x.io", elsewhere["id"]),
            (one, "contacts", "ext", "E-1", older["id"]),
            (one, "companies", "domain", "acme.com", company["id"]),
            (one, "projects", "code", "42", project["id"]),
        }
        # The newer contact lost two values: logged by record id, without the values themselves.
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "kronos.migrations")
        assert logged.count(str(newer["id"])) == 2
        assert "ann@x.io" not in logged
        migrations.downgrade(url, BEFORE)
        migrations.upgrade(url, AFTER)  # and again, from the same data
        assert len(asyncio.run(_claims(url))) == 7
