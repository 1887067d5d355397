"""Pieces of the HCL reader on their own: template splitting, the step budget, suppressions."""

from __future__ import annotations

from typing import Any

import pytest

from iamscope.collect.terraform.hcl import evaluate
from iamscope.collect.terraform.hcl.evaluate import Evaluator, Frame
from iamscope.collect.terraform.hcl.parse import parse_expression
from iamscope.collect.terraform.hcl.suppressions import find_suppressions
from iamscope.collect.terraform.hcl.templates import UnterminatedTemplate, split_template
from iamscope.collect.terraform.hcl.values import Problem
from iamscope.collect.terraform.resources import Suppression, Unknown
from iamscope.model.source import SourceRef


class NoNames:
    def root(self, name: str, line: int) -> Any:
        raise Problem(f"unknown name {name!r}", line)

    def read_file(self, path: str, line: int) -> str:
        raise Problem("no files", line)

    def render_template(self, path: str, variables: dict[str, Any], line: int) -> Any:
        raise Problem("no templates", line)


def test_split_template_text_interpolations_directives_and_escapes():
    assert split_template('a ${x["}"]} $${lit} %{ if y }b%{ endif } %%{z}') == [
        ("text", "a ", 0), ("interpolation", 'x["}"]', 2), ("text", " ${lit} ", 11),
        ("directive", " if y ", 20), ("text", "b", 29), ("directive", " endif ", 30),
        ("text", " %{z}", 40)]
    with pytest.raises(UnterminatedTemplate):
        split_template("x ${open")


def test_evaluation_stops_at_the_step_budget(monkeypatch):
    monkeypatch.setattr(evaluate, "MAX_STEPS", 1000)
    warnings: list[str] = []
    expression = parse_expression("[for i in range(100) : [for j in range(100) : i * j]]",
                                  "main.tf", warnings)
    value = Evaluator(warnings).value(expression, Frame(NoNames(), "main.tf"))
    flat = [item for row in value if isinstance(row, list) for item in row]
    assert any(isinstance(item, Unknown) for item in flat) or isinstance(value, Unknown)
    assert warnings[0] == ("main.tf:1: evaluation stopped after 1000 steps; the values not "
                           "yet evaluated are unknown")
    assert len(warnings) == 1


def test_suppressions_inside_the_block_and_above_it():
    lines = ["# unrelated", "", "// iamscope:ignore rule_a reason above",
             'resource "x" "y" {', "  a = 1 # iamscope:ignore rule_b reason inside",
             "  # iamscope:ignore rule_c", "}", "# iamscope:ignore rule_d after the block"]
    warnings: list[str] = []
    found = find_suppressions(lines, 4, 7, "main.tf", "x.y", warnings)
    assert found == (
        Suppression("rule_a", "reason above", SourceRef(file="main.tf", line=3, address="x.y")),
        Suppression("rule_b", "reason inside", SourceRef(file="main.tf", line=5, address="x.y")),
    )
    assert warnings == ["main.tf:6: iamscope:ignore needs a rule id and a reason "
                        "(# iamscope:ignore RULE_ID why); ignored"]
