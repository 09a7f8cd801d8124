"""The Slack listeners (handlers/) never import the process wiring (bot/): dependencies point bot -> handlers."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_handlers_do_not_import_bot_or_read_configuration() -> None:
    files = sorted((ROOT / "handlers").glob("*.py"))
    assert {p.name for p in files} >= {
        "__init__.py",
        "messages.py",
        "commands.py",
        "interactive.py",
        "home.py",
    }
    for path in files:
        assert not _imported_roots(path) & {"bot", "dotenv", "os"}, path.name


def test_every_bot_and_handlers_module_starts_with_a_docstring() -> None:
    for path in sorted((ROOT / "bot").glob("*.py")) + sorted((ROOT / "handlers").glob("*.py")):
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path.name


def test_the_port_is_domain_operations_returning_data_not_block_kit() -> None:
    # Issue 10: the Block Kit builders live beside the listeners (handlers/blocks.py); the port
    # the service implements offers only domain operations.
    from handlers.ports import CertmatchService

    methods = {n for n in vars(CertmatchService) if not n.startswith("_")}
    assert methods == {
        "claim",
        "check",
        "check_endpoint",  # issue 15: a CheckOutcome, or the refusal as text
        "enqueue",  # issue 17: commands, the form and the shortcut go through the job queue
        "channel_profile",
        "set_channel_profile",
        "forget_channel",
        "forget_workspace",
        "about",
        "detail",
    }
    for name in methods:
        returned = getattr(CertmatchService, name).__annotations__.get("return", "")
        assert "dict" not in str(returned) and "Reply" not in str(returned), name
    blocks = ROOT / "handlers" / "blocks.py"
    assert not _imported_roots(blocks) & {"bot", "slack_bolt", "slack_sdk"}
