"""`iamscope collect terraform` and analysis commands given a plan directly."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.model.snapshot import read_snapshot

_register()
PLANS = Path(__file__).parents[3] / "fixtures" / "terraform" / "plans"
ACCOUNT = "111122223333"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_collect_terraform_writes_a_snapshot_that_keeps_addresses(tmp_path):
    output = tmp_path / "inventory.json"
    code, _, err = run("collect", "terraform", str(PLANS / "deploy-1.2.json"), "-o",
                         str(output))
    assert code == 0, err
    inventory = read_snapshot(output)
    assert any("ReadOnlyAccess resolved from the packaged" in n
               for n in inventory.metadata.notes)
    user = inventory.principals[f"arn:aws:iam::{ACCOUNT}:user/ci-bot"]
    assert user.source.address == "module.ci.aws_iam_user.bot[0]"
    assert inventory.metadata.collector == "terraform"


def test_collect_terraform_rejects_a_bad_var(tmp_path):
    code, _, err = run("collect", "terraform", str(PLANS / "deploy-1.2.json"), "--var", "x",
                       "-o", str(tmp_path / "i.json"))
    assert code == 2
    assert "expected NAME=VALUE" in err


def test_collect_terraform_on_a_non_plan_json_is_an_input_error(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format_version": 3}))
    code, _, err = run("collect", "terraform", str(path), "-o", str(tmp_path / "i.json"))
    assert code == 2
    assert "not a Terraform plan" in err


def test_who_can_reads_a_plan_directly():
    code, out, err = run("who-can", str(PLANS / "deploy-1.2.json"), "s3:GetObject",
                         "arn:aws:s3:::acme-logs/report.csv", "--format", "json")
    assert code == 0, err
    text = json.dumps(json.loads(out))
    assert f"arn:aws:iam::{ACCOUNT}:user/ci-bot" in text
    assert "444455556666" in text


def test_audit_on_a_plan_reports_the_public_lambda_permission():
    code, out, err = run("audit", str(PLANS / "lambda-0.1.json"), "--format", "json")
    assert code == 0, err
    subjects = {f["subject"] for f in json.loads(out)["findings"]}
    assert subjects == {"arn:aws:lambda:eu-west-1:000000000000:function:api"}
