"""The check registry: every check is complete, named after its module, and has a failing
and a passing case whose findings name exactly the expected subjects."""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path

import pytest

from iamscope.checks import CHECKS, load_check
from iamscope.collect.load import load_inventory
from iamscope.model.finding import Severity
from iamscope.pipeline import run_audit

CASES = Path(__file__).resolve().parents[1] / "cases" / "checks"


def test_registry_entries_are_modules_named_after_their_id() -> None:
    for check_id, target in CHECKS.items():
        module_name, _, attr = target.partition(":")
        assert module_name == f"iamscope.checks.{check_id}"
        module = import_module(module_name)
        assert module.META.id == check_id
        assert callable(getattr(module, attr))


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_metadata_is_complete(check_id: str) -> None:
    meta = load_check(check_id).meta
    assert meta.title and meta.description and meta.remediation and meta.limitations
    assert meta.references and all(r.startswith("https://") for r in meta.references)
    assert isinstance(meta.severity, Severity)


def test_every_case_folder_belongs_to_a_registered_check() -> None:
    assert sorted(p.name for p in CASES.iterdir() if p.is_dir()) == sorted(CHECKS)


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_failing_and_passing_cases(check_id: str) -> None:
    folder = CASES / check_id
    expected = json.loads((folder / "expected.json").read_text())
    for case in ("fail", "pass"):
        inventory = load_inventory(folder / f"{case}.json").inventory
        result = run_audit(inventory, checks=[check_id])
        subjects = sorted(f.subject for f in result.findings)
        assert subjects == sorted(expected[case]), (case, [f.message for f in result.findings])
        meta = load_check(check_id).meta
        assert all(f.rule_id == check_id and f.severity.rank >= meta.severity.rank
                   for f in result.findings)
