"""Rule-by-rule request/decision cases derived from the AWS documentation.

Every ``cases/*.json`` file is a JSON list in the conformance schema
(../shared/conformance/README.md). Each case's description names the rule and the AWS
documentation page it comes from; the engine must reach the expected decision.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from iamscope.evaluate import Engine
from iamscope.evaluate.simulation_input import SimulationCase, read_cases

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))


def _raw_cases() -> list[tuple[str, dict]]:
    out = []
    for path in CASE_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, list), f"{path.name} must hold a JSON list"
        out.extend((path.name, item) for item in data)
    return out


RAW = _raw_cases()


def _cases() -> list[SimulationCase]:
    cases = []
    for name, item in RAW:
        cases.extend(read_cases(item, source=name))
    return cases


def test_case_files_exist() -> None:
    assert CASE_FILES, f"no case files in {CASES_DIR}"


def test_case_ids_unique_and_complete() -> None:
    ids = [item.get("id") for _, item in RAW]
    assert all(isinstance(i, str) and i for i in ids), "every case needs a string id"
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not duplicates, f"duplicate case ids: {duplicates}"
    for name, item in RAW:
        assert item.get("description"), f"{name}: {item['id']} has no description"
        assert item.get("expected") in {"Allow", "ExplicitDeny", "ImplicitDeny"}, (
            f"{name}: {item['id']} has no valid expected decision"
        )


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_doc_case(engine: Engine, case: SimulationCase) -> None:
    evaluation = engine.evaluate(case.request, case.layers)
    assert case.expected is not None
    assert evaluation.decision.value == case.expected.value, (
        f"{case.description}\nengine: {evaluation.decision.value} ({evaluation.reason})"
    )
