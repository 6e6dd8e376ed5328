"""Row-level security on PostgreSQL, for migrations: a tenant table's rows are visible and writable only
in transactions bound to their tenant (``kronos.kit.db.bind_tenant``).

A bound transaction switches to the NOLOGIN role ``TENANT_DB_ROLE`` and sets ``app.tenant_id``; the policy
restricts that role to rows of that tenant. Any other role (the connecting user: sign-in before a tenant is
known, workers, migrations) is trusted and sees every row; superusers bypass RLS anyway. ``FORCE`` makes the
policy apply to the table owner too, so binding works the same whoever owns the tables.

Every migration that creates a tenant table calls ``enable_tenant_rls(op, "table")`` in its upgrade and
``disable_tenant_rls(op, "table")`` in its downgrade. Grants need nothing: ``grant_tenant_role`` set default
privileges for tables created later by the migrating user. All functions are no-ops on SQLite.
"""

from __future__ import annotations

from typing import Any

from kronos.kit.db import TENANT_DB_ROLE, TENANT_SETTING

POLICY = "tenant_isolation"
_DML = "SELECT, INSERT, UPDATE, DELETE"


def _is_postgresql(op: Any) -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tenant_condition(column: str = "tenant_id") -> str:
    # NULLIF: after a bound transaction ends, the setting reads '' (not NULL) on that connection.
    return (
        f"current_user <> '{TENANT_DB_ROLE}' "
        f"OR {_quote(column)} = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"
    )


def enable_tenant_rls(op: Any, table: str, *, column: str = "tenant_id") -> None:
    if not _is_postgresql(op):
        return
    condition = tenant_condition(column)
    op.execute(f"ALTER TABLE {_quote(table)} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {_quote(table)} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {_quote(table)}")
    op.execute(f"CREATE POLICY {POLICY} ON {_quote(table)} USING ({condition}) WITH CHECK ({condition})")


def disable_tenant_rls(op: Any, table: str) -> None:
    if not _is_postgresql(op):
        return
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {_quote(table)}")
    op.execute(f"ALTER TABLE {_quote(table)} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {_quote(table)} DISABLE ROW LEVEL SECURITY")


def _schema(op: Any) -> str:
    return _quote(str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()))


def grant_tenant_role(op: Any) -> None:
    """Create the role if missing (roles are cluster-wide: several databases may share it), let the
    migrating user switch to it, and grant it the DML on this schema's tables, now and to come."""
    if not _is_postgresql(op):
        return
    role, schema = TENANT_DB_ROLE, _schema(op)
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                BEGIN
                    CREATE ROLE {role} NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- created meanwhile by a concurrent migration of another database
                END;
            END IF;
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
               AND NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN
                EXECUTE format('GRANT {role} TO %I', current_user);
            END IF;
        END $$
        """
    )
    for statement in (
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT {_DML} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {_DML} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        # Bound requests have no business with the migration bookkeeping.
        f"REVOKE ALL ON alembic_version FROM {role}",
    ):
        op.execute(statement)


def revoke_tenant_role(op: Any) -> None:
    """Undo ``grant_tenant_role`` in this database. The role itself stays: other databases may use it."""
    if not _is_postgresql(op):
        return
    role, schema = TENANT_DB_ROLE, _schema(op)
    for statement in (
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"REVOKE USAGE ON SCHEMA {schema} FROM {role}",
    ):
        op.execute(statement)
