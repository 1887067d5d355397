"""End-to-end: `iamscope minimize` and `iamscope unused` on a usage store and the
flawed-org inventory snapshot (fixtures/aws/snapshots/flawed-org.json)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from tests.minimize.conftest import row, write_store

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "fixtures" / "aws" / "snapshots" / "flawed-org.json"
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "minimize.schema.json").read_text())
ACCOUNT = "070820081538"
APP = f"arn:aws:iam::{ACCOUNT}:role/app-server"
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops-automation"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-password-AbCdEf"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    rows = [row("secretsmanager:GetSecretValue", SECRET, principal=APP),
            row("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders", principal=APP,
                count=40)]
    rows += [row("s3:GetObject", f"arn:aws:s3:::ops-logs/app/{i}.gz", principal=OPS,
                 source="cloudtrail-data") for i in range(4)]
    rows.append(row("ec2:DescribeInstances", "*", principal=OPS))
    return write_store(tmp_path / "usage.duckdb", [
        r.__class__(r.principal, r.action, r.resource, r.first_seen, r.last_seen, r.count,
                    r.source, ACCOUNT) for r in rows],
        coverage=[(ACCOUNT, "management"), (ACCOUNT, "data:s3"), (ACCOUNT, "data:lambda"),
                  (ACCOUNT, "data:dynamodb")])


def test_json_report_with_inventory_proves_both(runner: CliRunner, store: Path) -> None:
    result = runner.invoke(cli, ["minimize", str(SNAPSHOT), "--usage", str(store),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, SCHEMA)
    by_principal = {p["principal"]: p for p in report["proposals"]}
    ops = by_principal[OPS]
    assert ops["proof"] == {"no_new_access": True, "replay": {"allowed": 5, "total": 5}}
    s3 = [s for s in ops["policy"]["Statement"] if s["Action"] == ["s3:GetObject"]]
    assert s3[0]["Resource"] == ["arn:aws:s3:::ops-logs/app/*"]
    assert ops["removed"][0] == {"action": "*", "risk": "admin", "actions": ops["removed"][0][
        "actions"], "last_used": ops["removed"][0]["last_used"]}
    app = by_principal[APP]
    assert app["emitted"] and app["proof"]["no_new_access"] is True
    assert any(n.startswith("companion kms:Decrypt") for n in app["notes"])


def test_without_inventory_the_output_says_proof_a_was_not_possible(
        runner: CliRunner, store: Path) -> None:
    result = runner.invoke(cli, ["minimize", "--usage", str(store), "--format", "json",
                                 "--principal", APP])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, SCHEMA)
    assert report["proof_a_possible"] is False
    assert "proof (a), no new access, was not possible" in report["notes"][0]
    (proposal,) = report["proposals"]
    assert proposal["proof"]["no_new_access"] is None
    assert proposal["proof"]["replay"] == {"allowed": 2, "total": 2}


def test_text_report(runner: CliRunner, store: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = runner.invoke(cli, ["minimize", str(SNAPSHOT), "--usage", str(store),
                                 "--principal", "ops-automation", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert f"{OPS}: proposed" in text
    assert "proof (a) no new access: holds; proof (b) replay: 5/5" in text
    assert "admin" in text


def test_terraform_blocks_and_patch(runner: CliRunner, store: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["minimize", str(SNAPSHOT), "--usage", str(store),
                                 "--principal", APP, "--format", "terraform"])
    assert result.exit_code == 0, result.output
    assert 'data "aws_iam_policy_document" "app_server_minimized" {' in result.output
    assert f'resources = ["{SECRET}"]' in result.output
    tf = tmp_path / "tf"
    tf.mkdir()
    (tf / "main.tf").write_text('resource "aws_iam_role" "app" {\n  name = "app-server"\n'
                                '  assume_role_policy = "{}"\n}\n')
    patched = runner.invoke(cli, ["minimize", str(SNAPSHOT), "--usage", str(store),
                                  "--principal", APP, "--format", "terraform",
                                  "--terraform", str(tf)])
    assert patched.exit_code == 0, patched.output
    assert patched.output.startswith("--- a/main.tf\n+++ b/main.tf\n")
    assert '+  role   = aws_iam_role.app.id' in patched.output
    assert "+  policy = data.aws_iam_policy_document.app_server_minimized.json" in \
        patched.output


def test_terraform_json_directory_gets_blocks_without_a_patch(
        runner: CliRunner, store: Path, tmp_path: Path) -> None:
    tf = tmp_path / "cdktf"
    tf.mkdir()
    (tf / "cdk.tf.json").write_text('{"resource": {"aws_iam_role": {"app": {'
                                    '"name": "app-server", "assume_role_policy": "{}"}}}}')
    result = runner.invoke(cli, ["minimize", str(SNAPSHOT), "--usage", str(store),
                                 "--principal", APP, "--format", "terraform",
                                 "--terraform", str(tf)])
    assert result.exit_code == 0, result.output
    assert "holds only *.tf.json files: no patch" in result.output
    assert 'data "aws_iam_policy_document" "app_server_minimized" {' in result.output


def test_unused(runner: CliRunner, store: Path) -> None:
    result = runner.invoke(cli, ["unused", str(SNAPSHOT), "--usage", str(store), "--days",
                                 "30", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    entries = {e["principal"]: e for e in report["principals"]}
    assert entries[f"arn:aws:iam::{ACCOUNT}:role/orders-task"]["unused"] is True
    assert [s["service"] for s in entries[APP]["unused_services"]] == ["kms"]
    assert entries[APP]["unused"] is False
    assert OPS not in entries  # active, and "*" counts as used when anything was
    assert report["accounts_without_logs"] == ["123456789012", "578055566978", "797091461730"]


def test_unused_names_accounts_without_logs(runner: CliRunner, tmp_path: Path) -> None:
    store = write_store(tmp_path / "other.duckdb", [row("s3:ListAllMyBuckets", "*")])
    result = runner.invoke(cli, ["unused", str(SNAPSHOT), "--usage", str(store)])
    assert result.exit_code == 0, result.output
    assert f"not judged, no CloudTrail management events in the store for account(s) " \
        f"{ACCOUNT}" in result.output
    assert "UNUSED" not in result.output


def test_bad_input_is_a_clear_error(runner: CliRunner, tmp_path: Path, store: Path) -> None:
    missing = runner.invoke(cli, ["minimize", "--usage", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2
    assert "no usage store" in missing.output
    order = runner.invoke(cli, ["minimize", "--usage", str(store), "--since", "2026-10-10",
                                "--until", "2026-10-01"])
    assert order.exit_code == 2
    assert "--since is after --until" in order.output
    not_a_store = tmp_path / "x.duckdb"
    not_a_store.write_text("hello")
    broken = runner.invoke(cli, ["minimize", "--usage", str(not_a_store)])
    assert broken.exit_code == 2


def test_blast_radius_before_and_after(runner: CliRunner, store: Path) -> None:
    result = runner.invoke(cli, ["minimize", str(SNAPSHOT), "--usage", str(store),
                                 "--principal", OPS, "--format", "json", "--blast"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, SCHEMA)
    blast = report["proposals"][0]["blast_radius"]
    assert blast["before"]["admin"] is True and blast["after"]["admin"] is False
    assert blast["after"]["sensitive"] < blast["before"]["sensitive"]
    refused = runner.invoke(cli, ["minimize", "--usage", str(store), "--blast"])
    assert refused.exit_code == 2 and "--blast needs an INVENTORY" in refused.output
