"""Every catalog technique has code, a vulnerable case and a safe case.

``tests/cases/techniques/<technique-id>/`` holds ``vulnerable.json`` and ``safe.json``
(compact cases, see the README there) and ``expected.json``: every edge the whole catalog
finds in the vulnerable case (structural member-of edges aside), as source, target,
technique and confidence. The safe case must yield no edge of its technique.
"""

from __future__ import annotations

import pytest

from iamscope.catalog.techniques import aws_techniques
from iamscope.evaluate import Engine
from iamscope.graph.build import FOLLOW_UPS, build_graph
from iamscope.graph.techniques import FAMILIES, handler
from tests.graph.cases import (
    CASES,
    edge_key,
    escalation_edges,
    expected_keys,
    inventory,
    load_case,
)

TECHNIQUES = [t.id for t in aws_techniques()]


def test_every_family_has_code() -> None:
    missing = [t.id for t in aws_techniques() if handler(t.family) is None]
    assert not missing
    for family, follow_up in FOLLOW_UPS.items():
        assert family in FAMILIES and follow_up in FAMILIES


def test_every_technique_has_a_case() -> None:
    missing = [f"{tid}/{name}" for tid in TECHNIQUES
               for name in ("vulnerable.json", "safe.json", "expected.json")
               if not (CASES / tid / name).is_file()]
    assert not missing


def test_every_case_belongs_to_a_technique() -> None:
    folders = {p.name for p in CASES.iterdir() if p.is_dir()}
    assert folders <= set(TECHNIQUES), sorted(folders - set(TECHNIQUES))


@pytest.mark.parametrize("technique_id", TECHNIQUES)
def test_vulnerable_case(technique_id: str, engine: Engine) -> None:
    access = build_graph(inventory(load_case(CASES / technique_id / "vulnerable.json")), engine)
    found = {edge_key(e) for e in escalation_edges(access.edges)}
    expected = expected_keys(load_case(CASES / technique_id / "expected.json"))
    assert any(key[2] == technique_id for key in expected), "expected.json shows no edge of it"
    assert found == expected, (f"unexpected: {sorted(found - expected)}; "
                               f"missing: {sorted(expected - found)}")


@pytest.mark.parametrize("technique_id", TECHNIQUES)
def test_safe_case(technique_id: str, engine: Engine) -> None:
    access = build_graph(inventory(load_case(CASES / technique_id / "safe.json")), engine)
    assert not [e for e in access.edges if e.technique == technique_id]
