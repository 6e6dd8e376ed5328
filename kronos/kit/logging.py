"""Structured logs with structlog: JSON lines in production, readable lines on a developer's terminal.

Every line carries the request id of the request it belongs to. Passwords, tokens, secrets and e-mail
addresses are masked before anything is rendered, in our own log calls and in those of libraries. Outside
development, so are the secrets in links (``?token=`` of a password-reset or invitation link): such a link
is as good as a password to whoever reads the log. In development they stay, so that a newcomer without
SMTP can follow the link the log mailer (``kronos.kit.mail``) writes.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from structlog.types import EventDict, Processor

from kronos.config import Settings

_SENSITIVE_KEY = re.compile(
    r"pass(word)?|secret|token|authorization|api[_-]?key|cookie|otp|recovery", re.IGNORECASE
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
# A signed token (JWT: base64url of '{"...' dot payload dot signature), wherever it appears.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A secret in a link's query or fragment: reset and invitation links, OAuth codes, signed URLs.
_LINK_SECRET = re.compile(
    r"(?i)([?&#;](?:[a-z_]*token|code|secret|signature|sig|password|otp|[a-z_]*key)=)[^&#\s\"'<>]+"
)
MASK = "***"


def mask_text(value: str, *, links: bool = True) -> str:
    """``value`` with e-mail addresses, credentials and tokens masked, and (``links``) secrets in links."""
    value = _EMAIL.sub(r"\1***@\2", value)
    value = _BEARER.sub(r"\1 ***", value)
    value = _JWT.sub(MASK, value)
    if links:
        value = _LINK_SECRET.sub(r"\1***", value)
    return _URL_PASSWORD.sub(r"\1***@", value)


def _mask(value: Any, links: bool = True) -> Any:
    if isinstance(value, str):
        return mask_text(value, links=links)
    if isinstance(value, dict):
        return {k: MASK if _SENSITIVE_KEY.search(str(k)) else _mask(v, links) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v, links) for v in value)
    return value


def drop_color_message(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
    return event_dict


class MaskSensitive:
    """The processor that masks; ``links=False`` (development only) leaves the secrets in links."""

    def __init__(self, *, links: bool = True) -> None:
        self.links = links

    def __call__(self, _logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            if _SENSITIVE_KEY.search(key) and key != "event":
                event_dict[key] = MASK
            else:
                event_dict[key] = _mask(value, self.links)
        return event_dict


mask_sensitive = MaskSensitive()


def _format_exception_masked(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    # Exception text can quote parameters (SQL, URLs with credentials): mask it like any other string.
    if "exception" in event_dict and isinstance(event_dict["exception"], str):
        event_dict["exception"] = mask_text(event_dict["exception"])
    return event_dict


def configure_logging(settings: Settings) -> None:
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and (settings.env != "development" or not sys.stderr.isatty())
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        drop_color_message,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=True)
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if use_json:
        final += [structlog.processors.format_exc_info, _format_exception_masked]
    final += [MaskSensitive(links=settings.env != "development"), renderer]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # We log each request ourselves, with its request id and route template.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiormq", "aio_pika", "httpx", "sqlalchemy.engine.Engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
