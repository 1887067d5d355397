"""`iamscope simulate` end to end through click: both modes, formats, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamscope.cli.main import EXIT_FAILED, EXIT_INPUT, _register, cli
from tests.conftest import FIXTURES

_register()
QUICKSTART = FIXTURES / "simulate" / "quickstart.json"
ALICE = "arn:aws:iam::111122223333:user/alice"
READ = {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_quickstart_json_lines_in_input_order() -> None:
    code, out, _ = run("simulate", "--input", str(QUICKSTART), "--format", "json")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    expected = json.loads(QUICKSTART.read_text())
    assert [r["id"] for r in records] == [c["id"] for c in expected]
    assert [r["decision"] for r in records] == [c["expected"] for c in expected]
    deny = next(r for r in records if r["id"] == "deployer-outside-allowed-regions")
    assert deny["trace"]["deciding_statements"][0]["sid"] == "RegionLock"
    assert "explicit deny in a service control policy" in deny["reason"]


def test_table_format(tmp_path: Path) -> None:
    code, out, _ = run("simulate", "--input", str(QUICKSTART), "--format", "table")
    assert code == 0
    assert "deployer-reads-artifacts" in out and "ExplicitDeny" in out


def test_one_off_flags_evaluate_every_pair(tmp_path: Path) -> None:
    policy = write(tmp_path, "read.json", READ)
    code, out, _ = run("simulate", "--caller", ALICE, "--policy", policy,
                       "--action", "s3:GetObject", "--action", "s3:PutObject",
                       "--resource", "arn:aws:s3:::a/1", "--resource", "arn:aws:s3:::b/2",
                       "--format", "json")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["action"], r["resource"], r["decision"]) for r in records] == [
        ("s3:GetObject", "arn:aws:s3:::a/1", "Allow"),
        ("s3:GetObject", "arn:aws:s3:::b/2", "Allow"),
        ("s3:PutObject", "arn:aws:s3:::a/1", "ImplicitDeny"),
        ("s3:PutObject", "arn:aws:s3:::b/2", "ImplicitDeny"),
    ]


def test_one_off_layers_and_multivalued_context(tmp_path: Path) -> None:
    allow_tagging = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "owner"]}}}]}
    scp_root = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    scp_ou = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    args = ["simulate", "--caller", ALICE, "--policy", write(tmp_path, "p.json", allow_tagging),
            "--scp", write(tmp_path, "root.json", scp_root),
            "--scp", write(tmp_path, "ou.json", [scp_ou]),
            "--action", "ec2:CreateTags",
            "--resource", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", "--format", "json"]
    code, out, _ = run(*args, "--context", "aws:TagKeys=env", "--context", "aws:TagKeys=owner")
    assert code == 0 and json.loads(out)["decision"] == "Allow"
    code, out, _ = run(*args, "--context", 'aws:TagKeys=["env","cost"]')
    assert json.loads(out)["decision"] == "ImplicitDeny"
    code, out, _ = run(*args, "--context", "aws:TagKeys=[]")
    assert json.loads(out)["decision"] == "Allow"  # ForAllValues over the empty set


def test_unmet_expectation_exits_1(tmp_path: Path) -> None:
    case = {"id": "x", "request": {"principal": ALICE, "action": "s3:GetObject",
                                   "resource": "arn:aws:s3:::a/b"},
            "policies": {"identity": []}, "expected": "Allow"}
    code, out, _ = run("simulate", "--input", write(tmp_path, "c.json", case), "--format",
                       "json")
    assert code == EXIT_FAILED
    assert json.loads(out)["matches_expected"] is False


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
    ("", "the file is empty"),
    ("[1]", "request 0: each request must be a JSON object"),
    (json.dumps({"request": {"action": "s3:GetObject", "resource": "*"}}),
     "request is missing principal"),
    (json.dumps({"request": {"principal": "bob", "action": "s3:GetObject", "resource": "*"},
                 "policies": {}}), "'bob' is not an ARN"),
    (json.dumps({"request": {"principal": ALICE, "action": "GetObject", "resource": "*"},
                 "policies": {}}), "must look like service:Action"),
    (json.dumps({"request": {"principal": ALICE, "action": "s3:GetObject", "resource": "*"},
                 "policies": {"identity": [{"Statement": {"Effect": "Maybe", "Action": "*",
                                                          "Resource": "*"}}]}}),
     'Effect must be "Allow" or "Deny"'),
    (json.dumps({"request": {"principal": ALICE, "action": "s3:GetObject", "resource": "*"},
                 "policies": {"scps": [{"Statement": []}]}}), "list of levels"),
    (json.dumps({"request": {"principal": ALICE, "action": "s3:GetObject", "resource": "*"}}),
     "has no 'policies'"),
    (json.dumps({"request": {"principal": ALICE, "action": "s3:GetObject", "resource": "*",
                             "context": {"k": {"nested": 1}}}, "policies": {}}),
     "context value for 'k' must be a string"),
    (json.dumps({"request": {"principal": ALICE, "action": "s3:GetObject", "resource": "*"},
                 "policies": {}, "expected": "Yes"}), "expected must be Allow"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, "bad.json", content)
    code, out, err = run("simulate", "--input", path, "--format", "json")
    assert code == EXIT_INPUT
    assert "Traceback" not in err + out
    assert message in err
    assert "bad.json" in err or "request" in err


def test_usage_errors() -> None:
    code, _, err = run("simulate")
    assert code == EXIT_INPUT and "nothing to simulate" in err
    code, _, err = run("simulate", "--input", str(QUICKSTART), "--caller", ALICE)
    assert code == EXIT_INPUT and "cannot be combined with --caller" in err
    code, _, err = run("simulate", "--caller", ALICE, "--action", "s3:GetObject")
    assert code == EXIT_INPUT and "--resource" in err
    code, _, err = run("simulate", "--input", "/nonexistent/file.json")
    assert code == EXIT_INPUT and "no such file" in err
    code, _, err = run("simulate", "--caller", ALICE, "--action", "s3:GetObject",
                       "--resource", "*", "--context", "novalue")
    assert code == EXIT_INPUT and "expected KEY=VALUE" in err


def test_unknown_action_is_a_warning_not_an_error(tmp_path: Path) -> None:
    code, out, err = run("simulate", "--caller", ALICE, "--action", "s3:GetObjectt",
                         "--resource", "*", "--format", "json")
    assert code == 0
    assert "s3:GetObjectt is not in the AWS catalog" in err
    assert json.loads(out)["warnings"]


def test_hostile_names_are_escaped_in_the_table(tmp_path: Path) -> None:
    hostile = "arn:aws:s3:::b/\x1b[31mred\x1b[0m[bold]x[/bold]\r\nFAKE"
    code, out, _ = run("simulate", "--caller", ALICE, "--action", "s3:GetObject",
                       "--resource", hostile, "--format", "table")
    assert code == 0
    assert "\x1b[31m" not in out and "\r" not in out
    assert "\\x1b[31mred" in out.replace("\n", "").replace("│", "").replace(" ", "")
