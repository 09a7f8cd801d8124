"""Dependencies point one way (bot -> handlers -> certmatch): checked on the source, not by convention."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_ENGINE = ("slack_bolt", "slack_sdk", "dotenv", "bot", "handlers")


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _engine_files() -> list[Path]:
    return sorted((ROOT / "certmatch").rglob("*.py"))


def test_engine_exists_and_is_scanned() -> None:
    names = {p.name for p in _engine_files()}
    assert {"model.py", "keys.py", "artefacts.py"} <= names


def test_engine_imports_no_slack_config_or_upper_layers() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & set(FORBIDDEN_IN_ENGINE))
        for path in _engine_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_engine_reads_no_environment_except_the_cli_password() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in _engine_files()
        if "os.environ" in path.read_text(encoding="utf-8")
        or "getenv" in path.read_text(encoding="utf-8")
    ]
    assert [r for r in readers if r != "certmatch/cli.py"] == []
