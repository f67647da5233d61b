"""Configuration from environment variables, validated once at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from pepy.domain.access import Tier
from pepy.domain.errors import DomainError

ENVIRONMENTS = ("development", "test", "production")
SOURCES = ("files", "bigquery")
PUBLIC_BIGQUERY_TABLE = "bigquery-public-data.pypi.file_downloads"
# A scheme and a host (and a port), without a path: the origin the pages' absolute links start with.
_PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", re.ASCII)


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Every setting pepy reads; the README lists them with their defaults."""

    env: str = "development"
    database_url: str | None = None
    read_database_url: str | None = None
    database_wait_seconds: int = 60
    pool_size: int = 4
    read_statement_timeout_ms: int = 5000
    read_conflict_retries: int = 2
    log_level: str = "INFO"
    data_dir: str = ".pepy"
    embedded_port: int = 54329
    source: str = "files"
    files_path: str | None = None
    retention_days: int = 400
    bigquery_project: str | None = None
    bigquery_table: str = PUBLIC_BIGQUERY_TABLE
    bigquery_endpoint: str | None = None
    bigquery_max_bytes: int = 200 * 10**9
    bigquery_page_size: int = 50_000
    cors_origins: str = "*"
    ready_max_import_age_hours: int = 48
    ready_max_replica_lag_seconds: int = 300
    rate_limit_tiers: str = "anonymous:120:30,free:300:60,pro:3000:600,unlimited:600000:100000"
    trusted_proxies: str = ""
    key_cache_seconds: int = 30
    public_url: str | None = None

    @property
    def effective_read_database_url(self) -> str | None:
        """Queries read from the replica when one is configured, otherwise from the primary."""
        return self.read_database_url or self.database_url

    def as_dict(self) -> dict:
        """The settings, with the derived read URL, for the container's Configuration provider."""
        return {**asdict(self), "effective_read_database_url": self.effective_read_database_url}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read PEPY_* variables; raises ConfigurationError naming the variable at fault."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def text(name: str, default):
            value = env.get(name, "").strip()
            return value or default

        def number(name: str, default: int, minimum: int = 0) -> int:
            return whole_number(env, name, default, minimum)

        settings = cls(
            env=text("PEPY_ENV", defaults.env),
            database_url=text("PEPY_DATABASE_URL", None),
            read_database_url=text("PEPY_READ_DATABASE_URL", None),
            database_wait_seconds=number("PEPY_DATABASE_WAIT_SECONDS", defaults.database_wait_seconds),
            pool_size=number("PEPY_POOL_SIZE", defaults.pool_size, 1),
            read_statement_timeout_ms=number("PEPY_READ_STATEMENT_TIMEOUT_MS", defaults.read_statement_timeout_ms, 1),
            read_conflict_retries=number("PEPY_READ_CONFLICT_RETRIES", defaults.read_conflict_retries),
            log_level=text("PEPY_LOG_LEVEL", defaults.log_level).upper(),
            data_dir=text("PEPY_DATA_DIR", defaults.data_dir),
            embedded_port=number("PEPY_EMBEDDED_PORT", defaults.embedded_port, 1),
            source=text("PEPY_SOURCE", defaults.source),
            files_path=text("PEPY_FILES_PATH", None),
            retention_days=number("PEPY_RETENTION_DAYS", defaults.retention_days),
            bigquery_project=text("PEPY_BIGQUERY_PROJECT", None),
            bigquery_table=text("PEPY_BIGQUERY_TABLE", defaults.bigquery_table),
            bigquery_endpoint=text("PEPY_BIGQUERY_ENDPOINT", None),
            bigquery_max_bytes=number("PEPY_BIGQUERY_MAX_BYTES", defaults.bigquery_max_bytes, 1),
            bigquery_page_size=number("PEPY_BIGQUERY_PAGE_SIZE", defaults.bigquery_page_size, 1),
            rate_limit_tiers=text("PEPY_RATE_LIMIT_TIERS", defaults.rate_limit_tiers),
            trusted_proxies=text("PEPY_TRUSTED_PROXIES", defaults.trusted_proxies),
            key_cache_seconds=number("PEPY_KEY_CACHE_SECONDS", defaults.key_cache_seconds),
            cors_origins=text("PEPY_CORS_ORIGINS", defaults.cors_origins),
            public_url=text("PEPY_PUBLIC_URL", "").rstrip("/") or None,
            ready_max_import_age_hours=number(
                "PEPY_READY_MAX_IMPORT_AGE_HOURS", defaults.ready_max_import_age_hours, 1
            ),
            ready_max_replica_lag_seconds=number(
                "PEPY_READY_MAX_REPLICA_LAG_SECONDS", defaults.ready_max_replica_lag_seconds, 1
            ),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that cannot work, at start-up rather than on the first request."""
        parse_tiers(self.rate_limit_tiers)
        parse_networks(self.trusted_proxies)
        if self.env not in ENVIRONMENTS:
            raise ConfigurationError(f"PEPY_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}")
        if self.source not in SOURCES:
            raise ConfigurationError(f"PEPY_SOURCE must be one of {', '.join(SOURCES)}, not {self.source!r}")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigurationError(f"PEPY_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {self.log_level!r}")
        if self.env == "production" and not self.database_url:
            raise ConfigurationError("PEPY_DATABASE_URL is required when PEPY_ENV=production")
        if self.public_url is not None and not _PUBLIC_URL.fullmatch(self.public_url):
            raise ConfigurationError(
                f"PEPY_PUBLIC_URL must be the site's address, as https://pepy.example.org, not {self.public_url!r}"
            )
        for name, url in (("PEPY_DATABASE_URL", self.database_url), ("PEPY_READ_DATABASE_URL", self.read_database_url)):
            if url and not url.startswith(("postgresql://", "postgres://")):
                raise ConfigurationError(f"{name} must be a postgresql:// URL")


def whole_number(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """A PEPY_* whole number, its default when unset; raises ConfigurationError naming the variable at fault."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    return value


def parse_tiers(text: str) -> dict[str, Tier]:
    """PEPY_RATE_LIMIT_TIERS: comma-separated name:per_minute:burst; an `anonymous` tier is required."""
    tiers = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            name, per_minute, burst = item.split(":")
            tiers[name] = Tier(name, int(per_minute), int(burst))
        except (ValueError, DomainError):
            raise ConfigurationError(
                f"PEPY_RATE_LIMIT_TIERS: {item!r} is not name:per_minute:burst with whole numbers of at least 1"
            ) from None
    if "anonymous" not in tiers:
        raise ConfigurationError("PEPY_RATE_LIMIT_TIERS must define the anonymous tier")
    return tiers


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """PEPY_TRUSTED_PROXIES: comma-separated addresses or CIDR networks."""
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip())
    except ValueError as error:
        raise ConfigurationError(f"PEPY_TRUSTED_PROXIES: {error}") from None


def parse_origins(text: str | None) -> frozenset[str]:
    """PEPY_CORS_ORIGINS: comma-separated origins, compared without a trailing slash; unset means `*`."""
    return frozenset(o.strip().rstrip("/") for o in (text or "*").split(",") if o.strip())
