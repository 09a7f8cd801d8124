"""Settings from the environment and .env: defaults, precedence, and one-line errors naming the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from handlers.ports import COMMAND, SHORTCUT_CALLBACK_ID

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}


def _load(env: dict[str, str], dotenv: Path | None = None) -> Settings:
    return load_settings(env, dotenv_path=dotenv)


def test_defaults_for_http_mode() -> None:
    settings = _load(GOOD)
    assert settings.socket_mode is False
    assert (settings.api_url, settings.port, settings.database_url) == (
        "https://slack.com/api/",
        3000,
        "sqlite:///certmatch.sqlite3",
    )
    assert (settings.default_profile, settings.retention_days) == ("generic", 30)


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = _load({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode is True and settings.signing_secret is None


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=x\nPORT=4000\n")
    settings = _load({"PORT": "5000"}, dotenv)
    assert settings.bot_token == "xoxb-from-file" and settings.port == 5000


def test_api_url_gets_a_trailing_slash_and_postgres_urls_are_accepted() -> None:
    settings = _load(
        {**GOOD, "SLACK_API_URL": "http://127.0.0.1:9/api", "DATABASE_URL": "postgres://u@h/db"}
    )
    assert settings.api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "postgres://u@h/db"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**GOOD, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({**GOOD, "PORT": "eighty"}, "PORT"),
        ({**GOOD, "PORT": "70000"}, "PORT"),
        ({**GOOD, "SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({**GOOD, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({**GOOD, "CERTMATCH_PROFILE": "cisco"}, "CERTMATCH_PROFILE"),
        ({**GOOD, "CERTMATCH_MAX_FILE_BYTES": "99999999"}, "CERTMATCH_MAX_FILE_BYTES"),
        ({**GOOD, "CERTMATCH_RETENTION_DAYS": "0"}, "CERTMATCH_RETENTION_DAYS"),
        ({**GOOD, "LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({**GOOD, "CERTMATCH_PG_PREPARED_STATEMENTS": "maybe"}, "CERTMATCH_PG_PREPARED_STATEMENTS"),
        ({**GOOD, "CERTMATCH_WRITE_LOCK_STATS": "sometimes"}, "CERTMATCH_WRITE_LOCK_STATS"),
    ],
)
def test_bad_settings_fail_with_one_line_naming_the_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(env)
    message = str(caught.value)
    assert message.startswith(variable) and "\n" not in message


@pytest.mark.parametrize(("raw", "expected"), [(None, True), ("off", False), ("ON", True)])
def test_prepared_statements_are_on_unless_turned_off(raw: str | None, expected: bool) -> None:
    env = GOOD if raw is None else {**GOOD, "CERTMATCH_PG_PREPARED_STATEMENTS": raw}
    assert _load(env).pg_prepared_statements is expected


@pytest.mark.parametrize(("raw", "expected"), [(None, False), ("on", True), ("OFF", False)])
def test_write_lock_stats_are_off_unless_turned_on(raw: str | None, expected: bool) -> None:
    env = GOOD if raw is None else {**GOOD, "CERTMATCH_WRITE_LOCK_STATS": raw}
    assert _load(env).write_lock_stats is expected


def test_tokens_do_not_appear_in_the_settings_repr() -> None:
    assert "xoxb" not in repr(_load(GOOD)) and "s3cret" not in repr(_load(GOOD))


def test_env_example_documents_every_variable_with_a_comment() -> None:
    read = set(re.findall(r'get\("([A-Z_]+)"\)', (ROOT / "bot" / "config.py").read_text()))
    lines = (ROOT / ".env.example").read_text().splitlines()
    for name in read:
        index = next(i for i, line in enumerate(lines) if re.match(rf"#? ?{name}=", line))
        assert lines[index - 1].startswith("#"), f"{name} has no comment above it"
    assert read >= {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "PORT",
        "DATABASE_URL",
    }


def test_manifest_declares_the_surfaces_the_handlers_listen_to() -> None:
    manifest = (ROOT / "manifest.yml").read_text()
    for needle in (
        f"command: {COMMAND}",
        f"callback_id: {SHORTCUT_CALLBACK_ID}",
        "files:read",
        "chat:write",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "app_home_opened",
        "socket_mode_enabled: true",
        "home_tab_enabled: true",
    ):
        assert needle in manifest, needle


def test_procfile_runs_http_under_gunicorn_and_socket_mode_as_worker() -> None:
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert (
        procfile["web"].startswith("gunicorn ") and "bot.web:create_wsgi_app()" in procfile["web"]
    )
    assert "$PORT" in procfile["web"]
    assert procfile["worker"] == "python -m bot"
