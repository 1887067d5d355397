"""Replay against unknown resource policies, denied attempts in the report, and output that
carries attacker-controlled strings (rich markup, ANSI escapes) literally."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.minimize.minimizer import Minimizer, denied_note
from iamscope.minimize.render_terraform import hcl_string, policy_document_block
from tests.minimize.conftest import ACCOUNT, ROLE, T0, T1, role_inventory, row, write_store

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "schemas"
                     / "minimize.schema.json").read_text())
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TARGET = f"arn:aws:iam::{ACCOUNT}:role/deployer"
FOREIGN_QUEUE = "arn:aws:sqs:us-east-1:999988887777:shared-jobs"
CALLS = [row("kms:Decrypt", KEY), row("sts:AssumeRole", TARGET),
         row("sqs:SendMessage", FOREIGN_QUEUE)]


def test_replay_without_inventory_trusts_the_unknown_resource_policies() -> None:
    """Role trust and KMS key policies must allow the caller even in its own account, and a
    cross-account call needs the resource's policy (IAM User Guide, "Cross account resource
    access in IAM"). Unknown, they are replayed as delegating to IAM: the proposal must
    allow each call on its own."""
    proposal = Minimizer(None, coverage={}).minimize(ROLE, CALLS)
    assert proposal.emitted, proposal.refused
    assert (proposal.replay.allowed, proposal.replay.total) == (3, 3)
    granted = {(a, r) for s in proposal.policy["Statement"] for a in s["Action"]
               for r in s["Resource"]}
    assert granted == {("kms:Decrypt", KEY), ("sts:AssumeRole", TARGET),
                       ("sqs:SendMessage", FOREIGN_QUEUE)}


def test_replay_with_an_inventory_that_lacks_the_resources() -> None:
    inventory = role_inventory({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:*", "sts:AssumeRole", "sqs:SendMessage"],
         "Resource": "*"}]})
    proposal = Minimizer(inventory, coverage={ACCOUNT: {"management"}}).minimize(ROLE, CALLS)
    assert proposal.emitted, proposal.refused
    assert proposal.no_new_access is True
    assert (proposal.replay.allowed, proposal.replay.total) == (3, 3)


def test_unknown_resource_policy_does_not_stand_in_for_the_identity_policy() -> None:
    """The delegating stand-in grants nothing by itself: a call the identity policies do not
    grant is still denied in the replay, and the proposal is refused."""
    inventory = role_inventory({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    proposal = Minimizer(inventory, coverage={}).minimize(ROLE, CALLS)
    assert not proposal.emitted
    assert (proposal.replay.allowed, proposal.replay.total) == (1, 3)
    assert any(f"kms:Decrypt on {KEY} would be denied" in r for r in proposal.refused)


def test_denied_note_lists_the_most_frequent_attempts() -> None:
    attempts = [("s3:PutObject", f"arn:aws:s3:::b/{i}", "AccessDenied", i) for i in range(7)]
    note = denied_note(attempts)
    assert note is not None and note.startswith(
        "denied attempts in the window, never counted as usage: s3:PutObject on "
        "arn:aws:s3:::b/6 (AccessDenied, 6)")
    assert note.endswith(", and 2 more")
    assert denied_note([]) is None


def _store_with_denied(path: Path, principal: str, resource: str) -> Path:
    import duckdb

    write_store(path, [row("s3:GetObject", resource, principal=principal,
                           source="cloudtrail-data")],
                coverage=[(ACCOUNT, "management"), (ACCOUNT, "data:s3")])
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO denied VALUES (?, ?, ?, ?, ?, ?, ?)",
                [principal, "iam:CreateUser", "*", "AccessDenied",
                 T0.replace(tzinfo=None), T1.replace(tzinfo=None), 4])
    con.close()
    return path


def test_json_report_names_denied_attempts(tmp_path: Path) -> None:
    _register()
    store = _store_with_denied(tmp_path / "u.duckdb", ROLE, "arn:aws:s3:::b/k")
    result = CliRunner().invoke(cli, ["minimize", "--usage", str(store), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, SCHEMA)
    (proposal,) = report["proposals"]
    assert "denied attempts in the window, never counted as usage: iam:CreateUser on * " \
           "(AccessDenied, 4)" in proposal["notes"]
    actions = {a for s in proposal["policy"]["Statement"] for a in s["Action"]}
    assert actions == {"s3:GetObject"}


def test_text_report_prints_markup_and_escapes_literally(tmp_path: Path) -> None:
    """A principal and a resource from the logs that hold rich markup and ANSI escapes are
    printed as text: the markup is not interpreted, ESC never reaches the terminal."""
    _register()
    principal = f"arn:aws:iam::{ACCOUNT}:role/[bold]app[/bold]\x1b[2J"
    resource = "arn:aws:s3:::b/[red]key\x1b[31m"
    store = _store_with_denied(tmp_path / "u.duckdb", principal, resource)
    result = CliRunner().invoke(cli, ["minimize", "--usage", str(store)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out
    assert f"arn:aws:iam::{ACCOUNT}:role/[bold]app[/bold]\\x1b[2J: " in out
    assert '"arn:aws:s3:::b/[red]key\\u001b[31m"' in out
    assert "iam:CreateUser on * (AccessDenied, 4)" in out
    terraform = CliRunner().invoke(cli, ["minimize", "--usage", str(store), "--format",
                                         "terraform"])
    assert terraform.exit_code == 0, terraform.output
    assert "\x1b" not in terraform.output
    assert 'resources = ["arn:aws:s3:::b/[red]key\\u001b[31m"]' in terraform.output


def test_hcl_strings_escape_control_characters() -> None:
    # Terraform language, "Strings and Templates": \uNNNN is a valid escape sequence.
    assert hcl_string("a\x1b[2Jb\rc\u202ed") == '"a\\u001b[2Jb\\u000dc\\u202ed"'
    block = policy_document_block("x", {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/\x07"]}]})
    assert "\x07" not in block and '"arn:aws:s3:::b/\\u0007"' in block
