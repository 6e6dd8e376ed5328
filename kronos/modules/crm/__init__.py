"""Core CRM objects (companies, contacts, ...) declared on the record engine."""
