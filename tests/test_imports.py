"""Every module of the Terraform collector (where the HCL reader and the AWS context import
each other's packages) and the CLI entry point import on their own, in a fresh interpreter:
an import cycle that only shows in some import orders would break `iamscope` for users while
the suite, which imports in another order, stays green."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

PACKAGE = REPO / "iamscope"


def _modules() -> list[str]:
    found = ["iamscope.cli.main", "iamscope.ci.gate", "iamscope.minimize.minimizer",
             "iamscope.usage.ingest"]
    for path in sorted((PACKAGE / "collect" / "terraform").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_each_module_imports_first() -> None:
    modules = _modules()
    procs = [(m, subprocess.Popen([sys.executable, "-c", f"import {m}"], cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
             for m in modules]
    failures = []
    for module, proc in procs:
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            failures.append(f"{module}: {err.strip().splitlines()[-1] if err else '?'}")
    assert not failures, "\n".join(failures)
