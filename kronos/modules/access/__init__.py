"""Access control: roles and permissions, teams, API keys, the audit log and row-level security."""
