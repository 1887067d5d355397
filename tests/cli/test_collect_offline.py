"""`iamscope collect aws --from-authorization-details` and `simulate --inventory`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iamscope.cli.main import EXIT_FAILED, EXIT_INPUT, _register, cli
from iamscope.model.snapshot import read_snapshot
from tests.collect.test_normalize import DUMP

_register()
ALICE = "arn:aws:iam::111122223333:user/eng/alice"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_collect_from_dump_writes_snapshot_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "inv.json"
    result = run("collect", "aws", "--from-authorization-details", str(DUMP), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "1 account-root, 1 group, 1 role, 2 user" in result.stdout
    assert "coverage gaps  1" in result.stdout
    assert "ReadOnlyAccess" in result.stdout
    inventory = read_snapshot(out)
    assert ALICE in inventory.principals
    assert inventory.metadata.collector == "aws-authorization-details"
    failed = run("collect", "aws", "--from-authorization-details", str(DUMP), "-o", str(out),
                 "--fail-on-gaps")
    assert failed.exit_code == EXIT_FAILED


def test_collect_rejects_bad_dumps(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"UserDetailList": [')
    result = run("collect", "aws", "--from-authorization-details", str(bad), "-o",
                 str(tmp_path / "x.json"))
    assert result.exit_code == EXIT_INPUT
    assert "bad.json: not valid JSON" in result.stderr
    result = run("collect", "aws", "--from-authorization-details", str(DUMP), "--org")
    assert result.exit_code == EXIT_INPUT and "cannot be combined with --org" in result.stderr


def test_simulate_against_snapshot_and_dump(tmp_path: Path) -> None:
    out = tmp_path / "inv.json"
    assert run("collect", "aws", "--from-authorization-details", str(DUMP), "-o",
               str(out)).exit_code == 0
    for inventory in (out, DUMP):  # a snapshot, and the dump itself
        result = run("simulate", "--inventory", str(inventory), "--principal", ALICE,
                     "--action", "s3:GetObject", "--action", "iam:PassRole",
                     "--resource", "arn:aws:s3:::reports-111122223333/q1.csv", "--format", "json")
        assert result.exit_code == 0, result.stderr
        decisions = [json.loads(line)["decision"] for line in result.stdout.splitlines()]
        # s3 read: inline allow + boundary allows s3:*; PassRole: group policy allows it but
        # the boundary does not.
        assert decisions == ["Allow", "ImplicitDeny"]


def test_simulate_input_file_without_policies_uses_inventory(tmp_path: Path) -> None:
    requests = tmp_path / "r.json"
    requests.write_text(json.dumps([
        {"id": "a", "request": {"principal": ALICE, "action": "lambda:UpdateFunctionCode",
                                "resource": "arn:aws:lambda:us-east-1:111122223333:function:f"},
         "expected": "Allow"},
        {"id": "b", "request": {"principal": "arn:aws:sts::111122223333:assumed-role/ingest/x",
                                "action": "sqs:SendMessage",
                                "resource": "arn:aws:sqs:us-east-1:111122223333:ingest"},
         "expected": "Allow"},
    ]))
    result = run("simulate", "--inventory", str(DUMP), "--input", str(requests), "--format",
                 "json")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_layer_flags_replace_inventory_layers(tmp_path: Path) -> None:
    boundary = tmp_path / "b.json"
    boundary.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}))
    result = run("simulate", "--inventory", str(DUMP), "--principal", ALICE, "--boundary",
                 str(boundary), "--action", "iam:PassRole", "--resource", "*", "--format",
                 "json")
    assert json.loads(result.stdout)["decision"] == "Allow"


def test_principal_not_in_inventory(tmp_path: Path) -> None:
    result = run("simulate", "--inventory", str(DUMP), "--principal",
                 "arn:aws:iam::111122223333:user/nobody", "--action", "s3:GetObject",
                 "--resource", "*")
    assert result.exit_code == EXIT_INPUT
    assert "is not in the inventory" in result.stderr
