"""KronosCRM: an open-source, self-hostable CRM that keeps the full history of every field."""

__version__ = "0.1.0"
