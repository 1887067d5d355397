"""Attachments keep their Terraform address under ``"<principal id>|<policy id>"`` in
``TerraformLoad.addresses``, so that the blast-radius delta of ``iamscope check`` names the
attachment that brings a policy into force (``ci/delta.py``, ``Changes.cause``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.collect.terraform.load import load_terraform
from tests.conftest import REPO

_register()
PLANS = REPO / "fixtures" / "terraform" / "plans"
ACCOUNT = "111122223333"
ARN = f"arn:aws:iam::{ACCOUNT}"

CONFIGURATION = """
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
                   Principal = { Service = "lambda.amazonaws.com" } }]
  })
}
resource "aws_iam_user" "ops" { name = "ops" }
resource "aws_iam_group" "admins" { name = "admins" }

resource "aws_iam_policy" "read" {
  name   = "read"
  policy = jsonencode({ Version = "2012-10-17",
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
}
resource "aws_iam_policy" "shared" {
  name   = "shared"
  policy = jsonencode({ Version = "2012-10-17",
    Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "app_read" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read.arn
}
resource "aws_iam_user_policy_attachment" "ops_read" {
  user       = aws_iam_user.ops.name
  policy_arn = aws_iam_policy.read.arn
}
resource "aws_iam_group_policy_attachment" "admins_read" {
  group      = aws_iam_group.admins.name
  policy_arn = aws_iam_policy.read.arn
}
resource "aws_iam_policy_attachment" "shared" {
  name       = "shared"
  policy_arn = aws_iam_policy.shared.arn
  roles      = [aws_iam_role.app.name]
  users      = [aws_iam_user.ops.name]
  groups     = [aws_iam_group.admins.name]
}
"""


def test_every_attachment_kind_records_its_address(tmp_path: Path):
    (tmp_path / "main.tf").write_text(CONFIGURATION)
    load = load_terraform(tmp_path, account=ACCOUNT)
    read, shared = f"{ARN}:policy/read", f"{ARN}:policy/shared"
    role, user, group = f"{ARN}:role/app", f"{ARN}:user/ops", f"{ARN}:group/admins"
    assert load.addresses[f"{role}|{read}"] == "aws_iam_role_policy_attachment.app_read"
    assert load.addresses[f"{user}|{read}"] == "aws_iam_user_policy_attachment.ops_read"
    assert load.addresses[f"{group}|{read}"] == "aws_iam_group_policy_attachment.admins_read"
    for principal in (role, user, group):
        assert load.addresses[f"{principal}|{shared}"] == "aws_iam_policy_attachment.shared"
        # the key names a principal and a policy of the inventory
        assert principal in load.planned.principals
        assert shared in load.planned.principals[principal].policy_ids


def test_plan_attachment_joined_through_a_module_output_keeps_its_address():
    load = load_terraform(PLANS / "modules-1.2.json")
    key = ("arn:aws:iam::333344445555:role/ci-deploy|"
           "arn:aws:iam::333344445555:policy/ci-deploy-deploy")
    assert load.addresses[key] == 'module.ci["deploy"].aws_iam_role_policy_attachment.this'


def test_delta_headline_names_the_attachment_that_makes_a_role_admin():
    """The plan's only change is a new aws_iam_role_policy_attachment of an existing admin
    policy to an existing role."""
    result = CliRunner().invoke(cli, ["check", str(PLANS / "attach-admin-1.2.json"),
                                      "--format", "json"])
    assert result.exit_code == 1, result.stderr or result.output
    report = json.loads(result.stdout)
    items = [i for i in report["delta"]["items"] if i["rule_id"] == "IAMSCOPE-DELTA-001"]
    assert [i["principal"] for i in items] == ["arn:aws:iam::444455556666:role/app"]
    assert "added by aws_iam_role_policy_attachment.app_admin" in items[0]["headline"]


def test_managed_policy_arns_set_from_unknowns_is_a_gap(tmp_path: Path):
    """``managed_policy_arns = [aws_iam_policy.new.arn]`` on a role, the policy created by
    the same plan: the set is wholly unknown; the role's managed policies are a gap (a role
    that does not set it has the computed attribute unknown too, which is no gap)."""
    role = {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
            "name": "r", "values": {"name": "r", "path": "/", "assume_role_policy": json.dumps(
                {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"Service": "lambda.amazonaws.com"}}]})}}
    change = {**role, "change": {"actions": ["create"], "after": role["values"],
                                 "after_unknown": {"managed_policy_arns": True}}}
    plan = {"format_version": "1.2", "terraform_version": "1.6.6",
            "planned_values": {"root_module": {"resources": [role]}},
            "resource_changes": [change],
            "configuration": {"root_module": {"resources": [
                {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
                 "name": "r", "expressions": {"managed_policy_arns": {"references": [
                     "aws_iam_policy.new.arn", "aws_iam_policy.new"]}}}]}}}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    load = load_terraform(path, account=ACCOUNT)
    assert [g.scope for g in load.planned.gaps] == [f"role {ARN}:role/r"]
    plan["configuration"] = {}
    path.write_text(json.dumps(plan))
    assert load_terraform(path, account=ACCOUNT).planned.gaps == ()


def test_delta_points_at_the_attachment_line_when_the_source_is_given(tmp_path: Path):
    """With --source, the delta's cause is the attachment's own file and line, not the
    role's (docs/ci.md, "blast-radius delta")."""
    source = tmp_path / "infra"
    source.mkdir()
    (source / "main.tf").write_text("\n".join([
        'resource "aws_iam_role" "app" {',                         # 1
        '  name               = "app"',                            # 2
        '  assume_role_policy = "{}"',                             # 3
        "}",                                                       # 4
        'resource "aws_iam_policy" "admin" {',                     # 5
        '  name   = "admin"',                                      # 6
        '  policy = "{}"',                                         # 7
        "}",                                                       # 8
        'resource "aws_iam_policy" "reports" {',                   # 9
        '  name   = "reports"',                                    # 10
        '  policy = "{}"',                                         # 11
        "}",                                                       # 12
        'resource "aws_iam_role_policy_attachment" "app_reports" {',  # 13
        "  role       = aws_iam_role.app.name",                    # 14
        "  policy_arn = aws_iam_policy.reports.arn",               # 15
        "}",                                                       # 16
        'resource "aws_iam_role_policy_attachment" "app_admin" {',  # 17
        "  role       = aws_iam_role.app.name",                    # 18
        "  policy_arn = aws_iam_policy.admin.arn",                 # 19
        "}", ""]))
    result = CliRunner().invoke(cli, ["check", str(PLANS / "attach-admin-1.2.json"),
                                      "--source", str(source), "--format", "json"])
    assert result.exit_code == 1, result.stderr or result.output
    items = [i for i in json.loads(result.stdout)["delta"]["items"]
             if i["rule_id"] == "IAMSCOPE-DELTA-001"]
    assert "aws_iam_role_policy_attachment.app_admin at main.tf:17" in items[0]["headline"]
