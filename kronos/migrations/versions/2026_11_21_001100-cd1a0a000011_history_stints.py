"""history stints: field_stints, kept by the write path, backfilled from field_history

Revision ID: cd1a0a000011
Revises: bc0f0a000010
Create Date: 2026-11-21

Creates ``field_stints`` (see ``kronos.kit.records.models.FieldStint`` and ``kronos.kit.records.stints``) and
fills it from ``field_history`` in one set-based ``INSERT ... SELECT``.

The statement is **frozen here as SQL text** (``_BACKFILL``, one per dialect): what
``stints.insert_statement(stints.rebuild_select(dialect, stints.history_rows(dialect,
stints.tracked_everywhere(_STANDARD))))`` compiled to when this revision was written, literals inlined and
only the line breaks changed. A migration must do forever what it did when it shipped; importing the engine's
statement would let a later change to ``stints.py`` silently change this revision. Tests run it against the
engine's rebuild of the same history (equal today) and against stints the write path kept. The tracked
standard fields are the ones declared in code as of this revision (``_STANDARD``, written into the SQL; a test
compares both with the code); custom select/relation/user fields and custom objects' owners are read from the
workspace's metadata.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import kronos.kit.models
from kronos.kit.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "cd1a0a000011"
down_revision: str | None = "bc0f0a000010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (object, field): the single-valued select, relation and user fields standard objects declared at this
# revision, as written into ``_BACKFILL`` (kept as data for the tests that compare it with both).
_STANDARD = (
    ("activities", "assignee_id"),
    ("activities", "kind"),
    ("companies", "industry"),
    ("companies", "owner_id"),
    ("companies", "size"),
    ("contacts", "company_id"),
    ("contacts", "owner_id"),
    ("deals", "company_id"),
    ("deals", "outcome"),
    ("deals", "owner_id"),
    ("deals", "pipeline_id"),
    ("deals", "stage_id"),
    ("leads", "converted_company_id"),
    ("leads", "converted_contact_id"),
    ("leads", "converted_deal_id"),
    ("leads", "owner_id"),
    ("leads", "status"),
    ("stages", "pipeline_id"),
    ("stages", "type"),
)


# The backfill as it was compiled for each dialect on this revision's day (see the module docstring). Stints a
# value row started take that row's id; those a restore or an imported first value started get a fresh one.
_BACKFILL = {
    "sqlite": """
    WITH stint_rows AS
    (SELECT field_history.tenant_id AS tenant_id, field_history.object AS object,
    field_history.record_id AS record_id, field_history.field AS field, field_history.id AS hid,
    field_history.changed_at AS at, field_history.op AS op, json_extract(field_history.new_value, '$')
    AS val, json_extract(field_history.old_value, '$') AS old
    FROM field_history JOIN (SELECT workspaces.id AS tenant_id, standard.object AS object,
    standard.field AS field
    FROM workspaces JOIN (SELECT 'activities' AS object, 'assignee_id' AS field UNION ALL SELECT
    'activities' AS object, 'kind' AS field UNION ALL SELECT 'companies' AS object, 'industry' AS field
    UNION ALL SELECT 'companies' AS object, 'owner_id' AS field UNION ALL SELECT 'companies' AS object,
    'size' AS field UNION ALL SELECT 'contacts' AS object, 'company_id' AS field UNION ALL SELECT
    'contacts' AS object, 'owner_id' AS field UNION ALL SELECT 'deals' AS object, 'company_id' AS field
    UNION ALL SELECT 'deals' AS object, 'outcome' AS field UNION ALL SELECT 'deals' AS object,
    'owner_id' AS field UNION ALL SELECT 'deals' AS object, 'pipeline_id' AS field UNION ALL SELECT
    'deals' AS object, 'stage_id' AS field UNION ALL SELECT 'leads' AS object, 'converted_company_id' AS
    field UNION ALL SELECT 'leads' AS object, 'converted_contact_id' AS field UNION ALL SELECT 'leads'
    AS object, 'converted_deal_id' AS field UNION ALL SELECT 'leads' AS object, 'owner_id' AS field
    UNION ALL SELECT 'leads' AS object, 'status' AS field UNION ALL SELECT 'stages' AS object,
    'pipeline_id' AS field UNION ALL SELECT 'stages' AS object, 'type' AS field) AS standard ON 1 = 1
    UNION SELECT field_definitions.tenant_id AS tenant_id, field_definitions.object AS object,
    field_definitions.api_name AS api_name
    FROM field_definitions
    WHERE field_definitions.type IN ('relation', 'select', 'user') AND field_definitions.deleted_at IS
    NULL UNION SELECT custom_objects.tenant_id AS tenant_id, custom_objects.api_name AS api_name,
    'owner_id' AS anon_1
    FROM custom_objects) AS tracked ON field_history.tenant_id = tracked.tenant_id AND
    field_history.object = tracked.object AND field_history.field = tracked.field),
    stint_firsts AS
    (SELECT stint_rows.tenant_id AS tenant_id, stint_rows.object AS object, stint_rows.record_id AS
    record_id, stint_rows.field AS field, stint_rows.at AS at, stint_rows.op AS op, stint_rows.old AS
    old, row_number() OVER (PARTITION BY stint_rows.tenant_id, stint_rows.object, stint_rows.record_id,
    stint_rows.field ORDER BY stint_rows.at, stint_rows.hid) AS n
    FROM stint_rows),
    stint_seeds AS
    (SELECT stint_firsts.tenant_id AS tenant_id, stint_firsts.object AS object, stint_firsts.record_id
    AS record_id, stint_firsts.field AS field, (SELECT min(stint_every.changed_at) AS min_1
    FROM field_history AS stint_every
    WHERE stint_every.tenant_id = stint_firsts.tenant_id AND stint_every.object = stint_firsts.object
    AND stint_every.record_id = stint_firsts.record_id) AS started, stint_firsts.at AS first_at,
    stint_firsts.old AS old
    FROM stint_firsts
    WHERE stint_firsts.n = 1 AND stint_firsts.op = 'import' AND stint_firsts.old IS NOT NULL),
    stint_pairs AS
    (SELECT DISTINCT stint_rows.tenant_id AS tenant_id, stint_rows.object AS object,
    stint_rows.record_id AS record_id, stint_rows.field AS field
    FROM stint_rows),
    stint_events AS
    (SELECT stint_seeds.tenant_id AS tenant_id, stint_seeds.object AS object, stint_seeds.record_id AS
    record_id, stint_seeds.field AS field, stint_seeds.started AS at, CAST(NULL AS CHAR(32)) AS hid, 0
    AS kind, stint_seeds.old AS val, CAST(NULL AS TEXT) AS dop
    FROM stint_seeds
    WHERE stint_seeds.first_at > stint_seeds.started UNION ALL SELECT stint_rows.tenant_id AS tenant_id,
    stint_rows.object AS object, stint_rows.record_id AS record_id, stint_rows.field AS field,
    stint_rows.at AS at, stint_rows.hid AS hid, 1 AS anon_2, stint_rows.val AS val, CAST(NULL AS TEXT)
    AS anon_3
    FROM stint_rows UNION ALL SELECT stint_pairs.tenant_id AS tenant_id, stint_pairs.object AS object,
    stint_pairs.record_id AS record_id, stint_pairs.field AS field, stint_deletes.changed_at AS
    changed_at, stint_deletes.id AS id, 2 AS anon_4, CAST(NULL AS TEXT) AS anon_3, CAST(stint_deletes.op
    AS TEXT) AS op
    FROM field_history AS stint_deletes JOIN stint_pairs ON stint_deletes.tenant_id =
    stint_pairs.tenant_id AND stint_deletes.object = stint_pairs.object AND stint_deletes.record_id =
    stint_pairs.record_id
    WHERE stint_deletes.field = 'deleted_at' AND stint_deletes.op IN ('delete', 'restore')),
    stint_running AS
    (SELECT stint_events.tenant_id AS tenant_id, stint_events.object AS object, stint_events.record_id
    AS record_id, stint_events.field AS field, stint_events.at AS at, stint_events.hid AS hid,
    stint_events.kind AS kind, stint_events.val AS val, stint_events.dop AS dop, sum(CASE WHEN
    (stint_events.kind < 2) THEN 1 ELSE 0 END) OVER (PARTITION BY stint_events.tenant_id,
    stint_events.object, stint_events.record_id, stint_events.field ORDER BY stint_events.at, CASE WHEN
    (stint_events.kind = 0) THEN 0 ELSE 1 END, stint_events.hid ROWS BETWEEN UNBOUNDED PRECEDING AND
    CURRENT ROW) AS vgrp, sum(CASE WHEN (stint_events.kind = 2) THEN 1 ELSE 0 END) OVER (PARTITION BY
    stint_events.tenant_id, stint_events.object, stint_events.record_id, stint_events.field ORDER BY
    stint_events.at, CASE WHEN (stint_events.kind = 0) THEN 0 ELSE 1 END, stint_events.hid ROWS BETWEEN
    UNBOUNDED PRECEDING AND CURRENT ROW) AS dgrp
    FROM stint_events),
    stint_states AS
    (SELECT stint_running.tenant_id AS tenant_id, stint_running.object AS object,
    stint_running.record_id AS record_id, stint_running.field AS field, stint_running.at AS at,
    stint_running.hid AS hid, stint_running.kind AS kind, first_value(stint_running.val) OVER (PARTITION
    BY stint_running.tenant_id, stint_running.object, stint_running.record_id, stint_running.field,
    stint_running.vgrp ORDER BY stint_running.at, CASE WHEN (stint_running.kind = 0) THEN 0 ELSE 1 END,
    stint_running.hid) AS cur, CASE WHEN (first_value(stint_running.dop) OVER (PARTITION BY
    stint_running.tenant_id, stint_running.object, stint_running.record_id, stint_running.field,
    stint_running.dgrp ORDER BY stint_running.at, CASE WHEN (stint_running.kind = 0) THEN 0 ELSE 1 END,
    stint_running.hid) = 'delete') THEN 0 ELSE 1 END AS alive
    FROM stint_running),
    stint_flagged AS
    (SELECT stint_states.tenant_id AS tenant_id, stint_states.object AS object, stint_states.record_id
    AS record_id, stint_states.field AS field, stint_states.at AS at, stint_states.hid AS hid,
    stint_states.kind AS kind, stint_states.cur AS cur, stint_states.alive AS alive,
    lag(stint_states.alive, 1, 1) OVER (PARTITION BY stint_states.tenant_id, stint_states.object,
    stint_states.record_id, stint_states.field ORDER BY stint_states.at, CASE WHEN (stint_states.kind =
    0) THEN 0 ELSE 1 END, stint_states.hid) AS prev_alive, lag(stint_states.cur) OVER (PARTITION BY
    stint_states.tenant_id, stint_states.object, stint_states.record_id, stint_states.field ORDER BY
    stint_states.at, CASE WHEN (stint_states.kind = 0) THEN 0 ELSE 1 END, stint_states.hid) AS prev_cur
    FROM stint_states),
    stint_bounds AS
    (SELECT stint_flagged.tenant_id AS tenant_id, stint_flagged.object AS object,
    stint_flagged.record_id AS record_id, stint_flagged.field AS field, stint_flagged.at AS at,
    stint_flagged.hid AS hid, stint_flagged.kind AS kind, stint_flagged.cur AS cur, stint_flagged.alive
    AS alive, lead(stint_flagged.at) OVER (PARTITION BY stint_flagged.tenant_id, stint_flagged.object,
    stint_flagged.record_id, stint_flagged.field ORDER BY stint_flagged.at, CASE WHEN
    (stint_flagged.kind = 0) THEN 0 ELSE 1 END, stint_flagged.hid) AS left_at
    FROM stint_flagged
    WHERE stint_flagged.alive != stint_flagged.prev_alive OR stint_flagged.cur IS NOT
    stint_flagged.prev_cur)
    INSERT INTO field_stints (tenant_id, id, object, record_id, field, value, entered_at, left_at)
    SELECT stint_bounds.tenant_id, CASE WHEN (stint_bounds.kind = 1) THEN stint_bounds.hid ELSE
    lower(hex(randomblob(16))) END AS id, stint_bounds.object, stint_bounds.record_id,
    stint_bounds.field, stint_bounds.cur AS value, stint_bounds.at AS entered_at, stint_bounds.left_at
    FROM stint_bounds
    WHERE stint_bounds.alive = 1 AND stint_bounds.cur IS NOT NULL
""",
    "postgresql": """
    WITH stint_rows AS
    (SELECT field_history.tenant_id AS tenant_id, field_history.object AS object,
    field_history.record_id AS record_id, field_history.field AS field, field_history.id AS hid,
    field_history.changed_at AS at, field_history.op AS op, field_history.new_value #>> '{}' AS val,
    field_history.old_value #>> '{}' AS "old"
    FROM field_history JOIN (SELECT workspaces.id AS tenant_id, standard.object AS object,
    standard.field AS field
    FROM workspaces JOIN (SELECT 'activities' AS object, 'assignee_id' AS field UNION ALL SELECT
    'activities' AS object, 'kind' AS field UNION ALL SELECT 'companies' AS object, 'industry' AS field
    UNION ALL SELECT 'companies' AS object, 'owner_id' AS field UNION ALL SELECT 'companies' AS object,
    'size' AS field UNION ALL SELECT 'contacts' AS object, 'company_id' AS field UNION ALL SELECT
    'contacts' AS object, 'owner_id' AS field UNION ALL SELECT 'deals' AS object, 'company_id' AS field
    UNION ALL SELECT 'deals' AS object, 'outcome' AS field UNION ALL SELECT 'deals' AS object,
    'owner_id' AS field UNION ALL SELECT 'deals' AS object, 'pipeline_id' AS field UNION ALL SELECT
    'deals' AS object, 'stage_id' AS field UNION ALL SELECT 'leads' AS object, 'converted_company_id' AS
    field UNION ALL SELECT 'leads' AS object, 'converted_contact_id' AS field UNION ALL SELECT 'leads'
    AS object, 'converted_deal_id' AS field UNION ALL SELECT 'leads' AS object, 'owner_id' AS field
    UNION ALL SELECT 'leads' AS object, 'status' AS field UNION ALL SELECT 'stages' AS object,
    'pipeline_id' AS field UNION ALL SELECT 'stages' AS object, 'type' AS field) AS standard ON true
    UNION SELECT field_definitions.tenant_id AS tenant_id, field_definitions.object AS object,
    field_definitions.api_name AS api_name
    FROM field_definitions
    WHERE field_definitions.type IN ('relation', 'select', 'user') AND field_definitions.deleted_at IS
    NULL UNION SELECT custom_objects.tenant_id AS tenant_id, custom_objects.api_name AS api_name,
    'owner_id' AS anon_1
    FROM custom_objects) AS tracked ON field_history.tenant_id = tracked.tenant_id AND
    field_history.object = tracked.object AND field_history.field = tracked.field),
    stint_firsts AS
    (SELECT stint_rows.tenant_id AS tenant_id, stint_rows.object AS object, stint_rows.record_id AS
    record_id, stint_rows.field AS field, stint_rows.at AS at, stint_rows.op AS op, stint_rows."old" AS
    "old", row_number() OVER (PARTITION BY stint_rows.tenant_id, stint_rows.object,
    stint_rows.record_id, stint_rows.field ORDER BY stint_rows.at, stint_rows.hid) AS n
    FROM stint_rows),
    stint_seeds AS
    (SELECT stint_firsts.tenant_id AS tenant_id, stint_firsts.object AS object, stint_firsts.record_id
    AS record_id, stint_firsts.field AS field, (SELECT min(stint_every.changed_at) AS min_1
    FROM field_history AS stint_every
    WHERE stint_every.tenant_id = stint_firsts.tenant_id AND stint_every.object = stint_firsts.object
    AND stint_every.record_id = stint_firsts.record_id) AS started, stint_firsts.at AS first_at,
    stint_firsts."old" AS "old"
    FROM stint_firsts
    WHERE stint_firsts.n = 1 AND stint_firsts.op = 'import' AND stint_firsts."old" IS NOT NULL),
    stint_pairs AS
    (SELECT DISTINCT stint_rows.tenant_id AS tenant_id, stint_rows.object AS object,
    stint_rows.record_id AS record_id, stint_rows.field AS field
    FROM stint_rows),
    stint_events AS
    (SELECT stint_seeds.tenant_id AS tenant_id, stint_seeds.object AS object, stint_seeds.record_id AS
    record_id, stint_seeds.field AS field, stint_seeds.started AS at, CAST(NULL AS UUID) AS hid, 0 AS
    kind, stint_seeds."old" AS val, CAST(NULL AS TEXT) AS dop
    FROM stint_seeds
    WHERE stint_seeds.first_at > stint_seeds.started UNION ALL SELECT stint_rows.tenant_id AS tenant_id,
    stint_rows.object AS object, stint_rows.record_id AS record_id, stint_rows.field AS field,
    stint_rows.at AS at, stint_rows.hid AS hid, 1 AS anon_2, stint_rows.val AS val, CAST(NULL AS TEXT)
    AS anon_3
    FROM stint_rows UNION ALL SELECT stint_pairs.tenant_id AS tenant_id, stint_pairs.object AS object,
    stint_pairs.record_id AS record_id, stint_pairs.field AS field, stint_deletes.changed_at AS
    changed_at, stint_deletes.id AS id, 2 AS anon_4, CAST(NULL AS TEXT) AS anon_3, CAST(stint_deletes.op
    AS TEXT) AS op
    FROM field_history AS stint_deletes JOIN stint_pairs ON stint_deletes.tenant_id =
    stint_pairs.tenant_id AND stint_deletes.object = stint_pairs.object AND stint_deletes.record_id =
    stint_pairs.record_id
    WHERE stint_deletes.field = 'deleted_at' AND stint_deletes.op IN ('delete', 'restore')),
    stint_running AS
    (SELECT stint_events.tenant_id AS tenant_id, stint_events.object AS object, stint_events.record_id
    AS record_id, stint_events.field AS field, stint_events.at AS at, stint_events.hid AS hid,
    stint_events.kind AS kind, stint_events.val AS val, stint_events.dop AS dop, sum(CASE WHEN
    (stint_events.kind < 2) THEN 1 ELSE 0 END) OVER (PARTITION BY stint_events.tenant_id,
    stint_events.object, stint_events.record_id, stint_events.field ORDER BY stint_events.at, CASE WHEN
    (stint_events.kind = 0) THEN 0 ELSE 1 END, stint_events.hid ROWS BETWEEN UNBOUNDED PRECEDING AND
    CURRENT ROW) AS vgrp, sum(CASE WHEN (stint_events.kind = 2) THEN 1 ELSE 0 END) OVER (PARTITION BY
    stint_events.tenant_id, stint_events.object, stint_events.record_id, stint_events.field ORDER BY
    stint_events.at, CASE WHEN (stint_events.kind = 0) THEN 0 ELSE 1 END, stint_events.hid ROWS BETWEEN
    UNBOUNDED PRECEDING AND CURRENT ROW) AS dgrp
    FROM stint_events),
    stint_states AS
    (SELECT stint_running.tenant_id AS tenant_id, stint_running.object AS object,
    stint_running.record_id AS record_id, stint_running.field AS field, stint_running.at AS at,
    stint_running.hid AS hid, stint_running.kind AS kind, first_value(stint_running.val) OVER (PARTITION
    BY stint_running.tenant_id, stint_running.object, stint_running.record_id, stint_running.field,
    stint_running.vgrp ORDER BY stint_running.at, CASE WHEN (stint_running.kind = 0) THEN 0 ELSE 1 END,
    stint_running.hid) AS cur, CASE WHEN (first_value(stint_running.dop) OVER (PARTITION BY
    stint_running.tenant_id, stint_running.object, stint_running.record_id, stint_running.field,
    stint_running.dgrp ORDER BY stint_running.at, CASE WHEN (stint_running.kind = 0) THEN 0 ELSE 1 END,
    stint_running.hid) = 'delete') THEN 0 ELSE 1 END AS alive
    FROM stint_running),
    stint_flagged AS
    (SELECT stint_states.tenant_id AS tenant_id, stint_states.object AS object, stint_states.record_id
    AS record_id, stint_states.field AS field, stint_states.at AS at, stint_states.hid AS hid,
    stint_states.kind AS kind, stint_states.cur AS cur, stint_states.alive AS alive,
    lag(stint_states.alive, 1, 1) OVER (PARTITION BY stint_states.tenant_id, stint_states.object,
    stint_states.record_id, stint_states.field ORDER BY stint_states.at, CASE WHEN (stint_states.kind =
    0) THEN 0 ELSE 1 END, stint_states.hid) AS prev_alive, lag(stint_states.cur) OVER (PARTITION BY
    stint_states.tenant_id, stint_states.object, stint_states.record_id, stint_states.field ORDER BY
    stint_states.at, CASE WHEN (stint_states.kind = 0) THEN 0 ELSE 1 END, stint_states.hid) AS prev_cur
    FROM stint_states),
    stint_bounds AS
    (SELECT stint_flagged.tenant_id AS tenant_id, stint_flagged.object AS object,
    stint_flagged.record_id AS record_id, stint_flagged.field AS field, stint_flagged.at AS at,
    stint_flagged.hid AS hid, stint_flagged.kind AS kind, stint_flagged.cur AS cur, stint_flagged.alive
    AS alive, lead(stint_flagged.at) OVER (PARTITION BY stint_flagged.tenant_id, stint_flagged.object,
    stint_flagged.record_id, stint_flagged.field ORDER BY stint_flagged.at, CASE WHEN
    (stint_flagged.kind = 0) THEN 0 ELSE 1 END, stint_flagged.hid) AS left_at
    FROM stint_flagged
    WHERE stint_flagged.alive != stint_flagged.prev_alive OR stint_flagged.cur IS DISTINCT FROM
    stint_flagged.prev_cur)
    INSERT INTO field_stints (tenant_id, id, object, record_id, field, value, entered_at, left_at)
    SELECT stint_bounds.tenant_id, CASE WHEN (stint_bounds.kind = 1) THEN stint_bounds.hid ELSE
    gen_random_uuid() END AS id, stint_bounds.object, stint_bounds.record_id, stint_bounds.field,
    stint_bounds.cur AS value, stint_bounds.at AS entered_at, stint_bounds.left_at
    FROM stint_bounds
    WHERE stint_bounds.alive = 1 AND stint_bounds.cur IS NOT NULL
""",
}


def _when() -> sa.types.TypeEngine[Any]:
    return kronos.kit.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "field_stints",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("entered_at", _when(), nullable=False),
        sa.Column("left_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["workspaces.id"], name="fk_field_stints_tenant_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_field_stints"),
    )
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute("SET LOCAL work_mem = '256MB'")
    bind.execute(sa.text(_BACKFILL[dialect]))
    # Indexes after the bulk insert: one sort each instead of a row-by-row index build.
    op.create_index(
        "ix_field_stints_field",
        "field_stints",
        ["tenant_id", "object", "field", "entered_at"],
        postgresql_include=["left_at", "record_id", "value"],
    )
    op.create_index(
        "ix_field_stints_record", "field_stints", ["tenant_id", "object", "record_id", "field", "entered_at"]
    )
    enable_tenant_rls(op, "field_stints")


def downgrade() -> None:
    disable_tenant_rls(op, "field_stints")
    op.drop_table("field_stints")
