"""Hostile plan files through the CLI (``collect terraform``, ``check``, an analysis
command): a clear error naming the problem and exit status 2, never a traceback or an
internal error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.collect.files import MAX_JSON_BYTES
from iamscope.collect.terraform.load import load_terraform

_register()


def plan(**fields) -> str:
    return json.dumps({"format_version": "1.2", "terraform_version": "1.6.6",
                       "planned_values": {"root_module": {}}, **fields})


ROLE = {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
        "values": {"name": "r"}}
CHANGE = {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
          "change": {"actions": ["create"], "after": {"name": "r"}, "after_unknown": {}}}


def nested(depth: int) -> dict:
    value: dict = {"arn": True}
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE = {
    "truncated": ('{"format_version": "1.2", "planned_values": {', "not valid JSON"),
    "not-utf8": (b'{"format_version": "1.2", "x": "\xff"}', "not UTF-8"),
    "empty": ("  \n", "the file is empty"),
    "resource-changes-string": (plan(resource_changes="oops"),
                                "resource_changes must be a list, not str"),
    "planned-values-list": (plan(planned_values=[]), "planned_values must be an object"),
    "resources-number": (plan(planned_values={"root_module": {"resources": 5}}),
                         "root_module.resources must be a list"),
    "resource-values-string": (plan(planned_values={"root_module": {"resources": [
        {**ROLE, "values": "x"}]}}), "resources[0].values must be an object"),
    "actions-not-strings": (plan(resource_changes=[
        {**CHANGE, "change": {**CHANGE["change"], "actions": [1]}}]),
        "change.actions must be a list of strings"),
    "after-unknown-true": (plan(resource_changes=[
        {**CHANGE, "change": {**CHANGE["change"], "after_unknown": True}}]),
        "change.after_unknown must be an object, not bool"),
    "after-unknown-too-deep": (plan(resource_changes=[
        {**CHANGE, "change": {**CHANGE["change"], "after_unknown": nested(200)}}]),
        "nested more than 64 deep"),
    "module-calls-list": (plan(configuration={"root_module": {"module_calls": []}}),
                          "module_calls must be an object"),
    "outputs-string": (plan(configuration={"root_module": {"outputs": "x"}}),
                       "root_module.outputs must be an object"),
    "format-version-number": ('{"format_version": 1, "planned_values": {}}',
                              "format_version must be a string"),
    "format-version-2": ('{"format_version": "2.0", "planned_values": {}}', "not supported"),
    "deeply-nested-json": ('{"format_version": "1.2", "planned_values": {}, "x": '
                           + "[" * 200_000 + "]" * 200_000 + "}", "JSON nested too deeply"),
}
COMMANDS = {
    "collect": lambda path, out: ["collect", "terraform", str(path), "-o", str(out)],
    "check": lambda path, out: ["check", str(path)],
    "audit": lambda path, out: ["audit", str(path)],
}


def run(arguments: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, arguments)
    return result.exit_code, result.stderr + result.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_plan_is_a_clear_input_error(tmp_path: Path, case: str, command: str):
    content, message = HOSTILE[case]
    path = tmp_path / "plan.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, output = run(COMMANDS[command](path, tmp_path / "out.json"))
    assert code == 2, output
    assert message in output
    assert "Traceback" not in output and "internal error" not in output


def test_huge_plan_is_refused_before_it_is_read(tmp_path: Path):
    """A sparse file larger than the limit: refused from its size, without reading it."""
    path = tmp_path / "plan.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_JSON_BYTES + 1)
    assert os.stat(path).st_size > MAX_JSON_BYTES
    for command in sorted(COMMANDS):
        code, output = run(COMMANDS[command](path, tmp_path / "out.json"))
        assert code == 2, output
        assert "larger than the" in output and "byte limit" in output
        assert "Traceback" not in output


def test_known_arn_that_is_not_an_arn_is_ignored_with_a_warning(tmp_path: Path):
    policy = {"address": "aws_iam_policy.p", "mode": "managed", "type": "aws_iam_policy",
              "name": "p", "values": {"name": "p", "arn": "not-an-arn", "policy": json.dumps(
                  {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})}}
    path = tmp_path / "plan.json"
    path.write_text(plan(planned_values={"root_module": {"resources": [policy]}},
                         prior_state={"values": {"root_module": {"resources": [policy]}}}))
    code, output = run(["check", str(path), "--format", "json", "--fail-on", "none"])
    assert code == 0, output
    assert "aws_iam_policy.p: arn 'not-an-arn' is not an ARN; ignored" in output
    assert "arn:aws:iam::000000000000:policy/p" in load_terraform(path).planned.policies
