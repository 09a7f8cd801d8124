"""Configuration: Settings read once from the environment and `.env`, failing fast with one line."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from certmatch import PROFILE_NAMES

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///certmatch.sqlite3"
# The engine's own input bound (certmatch.load.DEFAULT_LIMITS) is 4 MiB; a larger file could never be read.
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
# The engine's one list of profile names (certmatch.rules.registry).
KNOWN_PROFILES = PROFILE_NAMES
# Where a certificate's partner is looked for when its own thread has none (bot.memory.SCOPES).
MEMORY_SCOPES = ("workspace", "channel", "thread")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Days before a certificate's notAfter when its thread is reminded (issue 16).
DEFAULT_REMINDER_DAYS = (30.0, 7.0, 1.0)


class ConfigError(Exception):
    """A missing or malformed setting. The message is one line naming the variable and the fix."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot process needs. Tokens live here and nowhere else (never logged)."""

    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    port: int = 3000
    database_url: str = DEFAULT_DATABASE_URL
    default_profile: str = "generic"
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    download_timeout: float = 10.0
    retention_days: int = 30
    memory_scope: str = "workspace"
    # Seconds `python -m bot` waits on SIGTERM for acknowledged checks to finish (Heroku kills at 30).
    shutdown_seconds: float = 20.0
    log_level: str = "INFO"
    # Expiry reminders (bot.reminders): the windows in days before notAfter, largest first, and
    # how often each process looks for reminders that are due.
    reminder_days: tuple[float, ...] = DEFAULT_REMINDER_DAYS
    reminder_poll_seconds: float = 300.0
    # Table name prefix, so several deployments (or parallel test runs) can share one database.
    table_prefix: str = "certmatch_"
    # Host patterns `/certmatch check HOST` may connect to (bot/endpoint.py); empty: off.
    connect_allow: tuple[str, ...] = ()
    # The durable job queue (bot.jobs): worker threads per process, how long a taken job is
    # leased before another process may take it over, and how many waiting jobs make new
    # events be refused with 503.
    # 2: with 4 the checks' CPU starved the acknowledgements of the GIL (ack p99 54 ms against
    # 17-20 ms in-process, the same throughput; docs/performance.md, issue 17).
    job_workers: int = 2
    job_lease_seconds: float = 30.0
    max_queued_jobs: int = 10_000
    # Server-side prepared statements on PostgreSQL (bot.store.engine); off behind a pooler
    # that cannot keep them (pgbouncer in transaction mode before 1.21).
    pg_prepared_statements: bool = True
    # SQLite: log how long each holder keeps the write lock (bot.store.lockstats), a diagnostic.
    write_lock_stats: bool = False

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def __repr__(self) -> str:
        # Keep tokens out of tracebacks and logs that print the settings object.
        return (
            f"Settings(api_url={self.api_url!r}, port={self.port}, socket_mode={self.socket_mode})"
        )


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env"
) -> Settings:
    """Read settings from `environ` (default os.environ) over the `.env` file; raise ConfigError."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    bot_token = get("SLACK_BOT_TOKEN")
    if bot_token is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is missing: copy the Bot User OAuth Token (xoxb-...) from the app's "
            "OAuth & Permissions page into .env"
        )
    if not bot_token.startswith("xoxb-"):
        raise ConfigError(
            "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (not a user or app token)"
        )
    app_token = get("SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information > "
            "App-Level Tokens, scope connections:write), or unset for HTTP mode"
        )
    signing_secret = get("SLACK_SIGNING_SECRET")
    if app_token is None and signing_secret is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is missing: HTTP mode needs the Signing Secret from the app's "
            "Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=_api_url(get("SLACK_API_URL")),
        port=_int("PORT", get("PORT"), 3000, 1, 65535),
        database_url=_database_url(get("DATABASE_URL")),
        default_profile=_profile(get("CERTMATCH_PROFILE")),
        max_file_bytes=_int(
            "CERTMATCH_MAX_FILE_BYTES",
            get("CERTMATCH_MAX_FILE_BYTES"),
            DEFAULT_MAX_FILE_BYTES,
            1,
            DEFAULT_MAX_FILE_BYTES,
        ),
        download_timeout=float(
            _int("CERTMATCH_DOWNLOAD_TIMEOUT", get("CERTMATCH_DOWNLOAD_TIMEOUT"), 10, 1, 120)
        ),
        retention_days=_int(
            "CERTMATCH_RETENTION_DAYS", get("CERTMATCH_RETENTION_DAYS"), 30, 1, 3650
        ),
        memory_scope=_memory_scope(get("CERTMATCH_MEMORY_SCOPE")),
        shutdown_seconds=float(
            _int("CERTMATCH_SHUTDOWN_SECONDS", get("CERTMATCH_SHUTDOWN_SECONDS"), 20, 1, 300)
        ),
        log_level=_log_level(get("LOG_LEVEL")),
        connect_allow=_connect_allow(get("CERTMATCH_CONNECT_ALLOW")),
        job_workers=_int("CERTMATCH_JOB_WORKERS", get("CERTMATCH_JOB_WORKERS"), 2, 1, 64),
        job_lease_seconds=float(
            _int("CERTMATCH_JOB_LEASE_SECONDS", get("CERTMATCH_JOB_LEASE_SECONDS"), 30, 1, 30)
        ),
        max_queued_jobs=_int(
            "CERTMATCH_MAX_QUEUED_JOBS", get("CERTMATCH_MAX_QUEUED_JOBS"), 10_000, 1, 1_000_000
        ),
        pg_prepared_statements=_on_off(
            "CERTMATCH_PG_PREPARED_STATEMENTS", get("CERTMATCH_PG_PREPARED_STATEMENTS"), True
        ),
        write_lock_stats=_on_off(
            "CERTMATCH_WRITE_LOCK_STATS", get("CERTMATCH_WRITE_LOCK_STATS"), False
        ),
        reminder_days=_reminder_days(get("CERTMATCH_REMINDER_DAYS")),
        reminder_poll_seconds=float(
            _int(
                "CERTMATCH_REMINDER_POLL_SECONDS",
                get("CERTMATCH_REMINDER_POLL_SECONDS"),
                300,
                1,
                86400,
            )
        ),
    )


def _connect_allow(raw: str | None) -> tuple[str, ...]:
    patterns = tuple(p.strip().lower().rstrip(".") for p in (raw or "").split(",") if p.strip())
    for pattern in patterns:
        if (
            not re.fullmatch(r"[a-z0-9*_.:-]+|\[[0-9a-f:.]+\]", pattern)
            or pattern.strip("*.") == ""
        ):
            raise ConfigError(
                "CERTMATCH_CONNECT_ALLOW must be comma-separated host patterns such as "
                f"*.uc.example.com,cucm-*.corp.example (or IP addresses), not {pattern!r}"
            )
    return tuple(p.strip("[]") for p in patterns)


def _on_off(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise ConfigError(f"{name} must be on or off, not {raw!r}")


def _int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{name} must be a whole number from {low} to {high}, not {raw!r}"
        ) from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return value


def _api_url(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_API_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL} (GovSlack: "
            f"https://slack-gov.com/api/), not {raw!r}"
        )
    # slack_sdk joins method names onto the base URL, so it must end with a slash.
    return raw if raw.endswith("/") else raw + "/"


def _database_url(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_DATABASE_URL
    scheme = raw.split(":", 1)[0].lower()
    if scheme in ("postgres", "postgresql"):
        return raw
    if scheme == "sqlite" and raw.startswith("sqlite:///") and len(raw) > len("sqlite:///"):
        return raw
    raise ConfigError(
        "DATABASE_URL must be sqlite:///path/to/file.sqlite3 or postgresql://user@host/db "
        "(postgres:// works too); leave it unset for the default SQLite file"
    )


def _profile(raw: str | None) -> str:
    if raw is None:
        return "generic"
    if raw not in KNOWN_PROFILES:
        raise ConfigError(
            f"CERTMATCH_PROFILE must be one of {', '.join(KNOWN_PROFILES)}, not {raw!r}"
        )
    return raw


def _memory_scope(raw: str | None) -> str:
    if raw is None:
        return "workspace"
    if raw.lower() not in MEMORY_SCOPES:
        raise ConfigError(
            f"CERTMATCH_MEMORY_SCOPE must be one of {', '.join(MEMORY_SCOPES)} "
            f"(where a certificate's CSR is looked for outside its thread), not {raw!r}"
        )
    return raw.lower()


def _log_level(raw: str | None) -> str:
    if raw is None:
        return "INFO"
    if raw.upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw!r}")
    return raw.upper()


def _reminder_days(raw: str | None) -> tuple[float, ...]:
    if raw is None:
        return DEFAULT_REMINDER_DAYS
    problem = (
        "CERTMATCH_REMINDER_DAYS must be days before expiry separated by commas, such as "
        f"30,7,1 (fractions allowed, each above 0 and at most 3650), not {raw!r}"
    )
    days: set[float] = set()
    for part in raw.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            raise ConfigError(problem) from None
        # float() also reads "nan" and "inf"; neither is a window.
        if not 0 < value <= 3650:
            raise ConfigError(problem)
        days.add(value)
    return tuple(sorted(days, reverse=True))
