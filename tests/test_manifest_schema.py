"""manifest.yml passes Slack's published app-manifest schema (vendored in tests/slack_schema/) and declares what the handlers need."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "slack_schema" / "manifest.schema.1.0.0.json"


def _manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_manifest_is_valid_under_slacks_published_schema() -> None:
    errors = sorted(_validator().iter_errors(_manifest()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_refuses_what_the_issue_found() -> None:
    # The vendored schema is the real one: an empty unfurl_domains breaks its minItems 1.
    manifest = _manifest()
    manifest["features"]["unfurl_domains"] = []
    with pytest.raises(jsonschema.ValidationError, match=r"non-empty|too short"):
        _validator().validate(manifest)


def test_slash_command_description_does_not_invite_private_keys() -> None:
    (command,) = _manifest()["features"]["slash_commands"]
    assert "key" not in command["description"].lower()
    assert "md5" in command["description"]


def test_app_mentions_are_subscribed_with_their_scope() -> None:
    manifest = _manifest()
    assert "app_mention" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "app_mentions:read" in manifest["oauth_config"]["scopes"]["bot"]
