"""Dependencies point one way (bot -> handlers -> certmatch): checked on the source, not by convention."""

from __future__ import annotations

import ast
import os
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


# --- the layout: module size, no import cycle, the public API ------------------------------

MAX_MODULE_LINES = 400
_NOT_SHIPPED = {"tests", ".venv", ".git", "out"}  # tests may be long; bench/out is generated


def _modules_outside_tests() -> list[Path]:
    """Every shipped .py file. The walk prunes what is not shipped instead of filtering a
    glob of everything: bench/out holds 100,000 generated files after a growth bench, and
    rglob walked them all (12 s of this test)."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in _NOT_SHIPPED and not d.startswith(".")]
        found.extend(Path(folder, n) for n in names if n.endswith(".py"))
    return sorted(found)


def test_no_module_outside_tests_passes_400_lines() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in _modules_outside_tests()
    }
    assert {"certmatch/check.py", "bot/app.py", "bench/run.py"} <= set(sizes)
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert too_long == {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _engine_imports(path: Path, known: set[str]) -> set[str]:
    """The certmatch modules `path` imports anywhere (module level or inside a function).

    `from certmatch.x import y` counts as importing certmatch.x.y when that is a module, else
    certmatch.x; relative imports are resolved against the importing module's package.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)
    return {m for m in found if m in known and m != name}


def _engine_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in _engine_files()}
    known = set(files)
    return {name: _engine_imports(path, known) for name, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph` (as the modules around it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_cycle_finder_finds_a_cycle_and_accepts_a_tree() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_engine_modules_import_each_other_in_no_cycle() -> None:
    graph = _engine_graph()
    assert "certmatch.rules.registry" in graph["certmatch.check"]
    # Packages are left out: importing certmatch.x first runs certmatch/__init__.py, which is
    # the public API importing the engine on purpose, not a module depending on its caller.
    modules = {n: {t for t in ts if t != "certmatch"} for n, ts in graph.items()}
    assert _cycle(modules) is None


def test_bot_and_handlers_import_the_engine_only_through_its_public_api() -> None:
    import certmatch

    public = set(certmatch.__all__)
    offenders: list[str] = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                offenders += [
                    f"{where}: import {a.name}"
                    for a in node.names
                    if a.name.split(".")[0] == "certmatch"
                ]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == (
                "certmatch"
            ):
                if node.module != "certmatch":
                    offenders.append(f"{where}: from {node.module} import ...")
                offenders += [
                    f"{where}: {a.name} is not in certmatch.__all__"
                    for a in node.names
                    if a.name not in public
                ]
    assert offenders == []
