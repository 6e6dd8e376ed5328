"""Settings, read from ``KRONOS_*`` environment variables (and an optional ``.env`` file).

The defaults run embedded: SQLite under the data directory, in-process bus and workers, no Redis.
Without ``KRONOS_SECRET_KEY``, tokens are signed with a random key generated on first start and kept in the
data directory (``kronos.bootstrap.with_secret_key``); production mode refuses to start without a real one.
Any ``KRONOS_*`` variable that is not a setting is an error rather than a silent typo.
"""

from __future__ import annotations

import difflib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "KRONOS_"
# Variables the test harness reads; they configure the suite, not the app.
_HARNESS_PREFIXES = ("KRONOS_TEST_",)
# The development key earlier releases shipped as the default: it is public, so it is refused everywhere.
DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
MIN_PRODUCTION_SECRET_LENGTH = 32
# Where the secret key generated on first start is kept, inside the data directory.
SECRET_KEY_FILE = "secret_key"
MIN_METRICS_TOKEN_LENGTH = 16


class SettingsError(ValueError):
    """The configuration cannot be used; the message says what to change."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        case_sensitive=False,
    )

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    # The built web app served at /; unset means frontend/dist of this checkout.
    web_dist: Path | None = None
    port: int = Field(default=8000, ge=1, le=65535)
    # Addresses (or networks) whose X-Forwarded-For/-Proto `kronos serve` believes: the reverse proxy's.
    # Empty: believe nobody. "*": everybody (only when every request comes through a proxy that sets them).
    trusted_proxies: str = "127.0.0.1,::1"
    # Strict-Transport-Security on responses served over HTTPS (directly or through a trusted proxy); 0: none.
    hsts_max_age: int = Field(default=365 * 24 * 3600, ge=0)
    # /metrics: a bearer token to ask for it on the main port; or a port of its own for `kronos serve`.
    # With neither, it is served only in development (see kronos.kit.health.metrics_exposure).
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Unset means embedded: SQLite in data_dir, no Redis, in-process event bus.
    database_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None

    # Empty: generated on first start into data_dir/secret_key (kronos.bootstrap.with_secret_key).
    secret_key: SecretStr = SecretStr("")
    # AES-256 keys for sensitive fields, "id:base64key" separated by commas: the first encrypts, all decrypt.
    # Unset outside production: generated on first use into data_dir/encryption_keys (kronos.kit.crypto).
    encryption_keys: SecretStr | None = None
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    signup_enabled: bool = True

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # auto: readable lines on a terminal in development, JSON everywhere else.
    log_format: Literal["auto", "json", "console"] = "auto"

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_echo: bool = False
    shutdown_timeout: float = Field(default=15.0, ge=0)
    # Benchmarks only (bench/history.py measures what history costs a write): skip field_history rows.
    # Never set it on a real deployment: changes made with it on have no history.
    bench_disable_history: bool = False
    # Names of queues/exchanges/keys are prefixed so several deployments (or test runs) can share servers.
    namespace: str = Field(default="kronos", pattern=r"^[a-z][a-z0-9_]{0,39}$")

    # Sign-in (identity module). Links in e-mails (invitations, password resets) point at public_url. Unset:
    # the address `kronos serve` listens on (served_url); set it when users reach the server another way (a
    # proxy, a domain name, HTTPS). Never taken from a request's Host header, which a caller chooses.
    public_url: str = ""
    access_token_ttl: int = Field(default=15 * 60, ge=30, description="Seconds an access token lives.")
    refresh_token_ttl: int = Field(default=30 * 24 * 3600, ge=60, description="Seconds a session lives.")
    invitation_ttl: int = Field(default=7 * 24 * 3600, ge=60)
    password_reset_ttl: int = Field(default=3600, ge=60)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=50, ge=1)
    login_failure_window: int = Field(default=15 * 60, ge=1, description="Seconds failures are counted.")
    # Base of the growing pause after the third failure in a row (0 turns the slow-down off).
    login_failure_delay: float = Field(default=0.25, ge=0)
    # Rate limits (429 with Retry-After and RateLimit-* headers); 0 turns one off. Counted in Redis when
    # configured (shared by every process), in the process otherwise.
    api_rate_limit: int = Field(default=1200, ge=0, description="Requests a window per API key and per user.")
    api_rate_limit_window: int = Field(
        default=60, ge=1, description="Seconds of the API rate limit's window."
    )
    signup_max_per_ip: int = Field(default=10, ge=0, description="Sign-ups an hour from one client address.")
    password_reset_max_per_account: int = Field(
        default=3, ge=0, description="Reset e-mails an hour an address."
    )
    password_reset_max_per_ip: int = Field(default=20, ge=0, description="Reset requests an hour per client.")
    invitations_max_per_workspace: int = Field(default=100, ge=0, description="Invitations sent an hour.")
    public_auth_max_per_ip: int = Field(
        default=60, ge=0, description="Reset-link and invitation-link uses an hour from one client address."
    )
    # Outgoing mail: SMTP when smtp_host is set, otherwise messages are written to the log.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_from: str = "KronosCRM <no-reply@localhost>"
    smtp_timeout: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET_KEY:
            raise ValueError(
                "KRONOS_SECRET_KEY is the development key published with KronosCRM's source: anyone can sign "
                "tokens with it. Unset it (a random key is then generated in the data directory on first "
                "start) or set a random value of your own."
            )
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and len(token) < MIN_METRICS_TOKEN_LENGTH:
            raise ValueError(
                f"KRONOS_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters long"
            )
        if self.env == "production" and len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise ValueError(
                "KRONOS_SECRET_KEY must be set to a random value of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters when KRONOS_ENV=production "
                '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return self

    @model_validator(mode="after")
    def _public_url_defaults_to_the_served_address(self) -> Settings:
        self.public_url = self.public_url.rstrip("/") or served_url(self.host, self.port)
        return self

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / SECRET_KEY_FILE

    @model_validator(mode="after")
    def _encryption_keys_parse(self) -> Settings:
        if self.encryption_keys is not None:
            from kronos.kit.crypto import KeyringError, parse_keys

            try:
                parse_keys(self.encryption_keys.get_secret_value())
            except KeyringError as exc:
                raise ValueError(f"KRONOS_ENCRYPTION_KEYS: {exc}") from None
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kronos.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def embedded(self) -> bool:
        """No broker configured: events are relayed and consumed inside the serving process."""
        return self.broker_url is None

    def masked(self) -> dict[str, Any]:
        """Settings in effect with secrets and credentials in URLs hidden, for `kronos check`."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                if name == "secret_key" and not secret:
                    value = f"(not set: generated on first start and kept in {self.secret_key_file})"
                else:
                    value = "********" if secret else ""
            elif isinstance(value, str) and "://" in value:
                value = mask_url(value)
            shown[name] = value
        shown["database_url"] = mask_url(self.effective_database_url)
        return shown


def served_url(host: str, port: int) -> str:
    """The address a server listening on ``host``:``port`` is reached at from this machine: a wildcard
    address (every interface) is reached as localhost."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def mask_url(url: str) -> str:
    """Hide the password in a URL: ``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':***' if has_password else ''}@{host}"


def unknown_env_keys(environ: dict[str, str] | None = None) -> list[str]:
    environ = dict(os.environ) if environ is None else environ
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(
        key
        for key in environ
        if key.upper().startswith(ENV_PREFIX)
        and key.upper() not in known
        and not key.upper().startswith(_HARNESS_PREFIXES)
    )


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, rejecting unknown ``KRONOS_*`` variables by name."""
    unknown = unknown_env_keys()
    if unknown:
        known = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key.upper(), known, n=1)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
        raise SettingsError("unknown settings in the environment: " + ", ".join(hints))
    return Settings(**overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
