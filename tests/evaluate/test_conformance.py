"""Every shared request/decision vector (../shared/conformance) through the public API."""

from __future__ import annotations

import json

import pytest

from iamscope.evaluate import Engine
from iamscope.evaluate.simulation_input import read_cases
from tests.conftest import SHARED

VECTORS = SHARED / "conformance" / "aws-policy-eval.json"


def _cases():
    if not VECTORS.exists():
        return []
    return read_cases(json.loads(VECTORS.read_text()), source=VECTORS.name)


@pytest.mark.skipif(not VECTORS.exists(), reason="../shared/conformance is not beside the repo")
@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_shared_vector(engine: Engine, case) -> None:
    evaluation = engine.evaluate(case.request, case.layers)
    assert evaluation.decision is case.expected, evaluation.reason
