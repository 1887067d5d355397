"""Identities the AWS provider computes from arguments alone are known to the HCL reader, so
policies that refer to them are exact rather than widened to "*" (ARN formats: Service
Authorization Reference, "Resource types defined by Amazon S3" and "... by AWS IAM")."""

from __future__ import annotations

from pathlib import Path

from iamscope.collect.terraform.load import load_terraform

CONFIG = '''
resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}
resource "aws_iam_role" "worker" {
  name               = "worker"
  path               = "/service/"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{
    Effect = "Allow", Action = "sts:AssumeRole",
    Principal = {Service = "ec2.amazonaws.com"}}]})
}
resource "aws_iam_role" "later" {
  name_prefix        = "later-"
  assume_role_policy = aws_iam_role.worker.assume_role_policy
}
resource "aws_iam_role_policy" "worker" {
  name   = "worker"
  role   = aws_iam_role.worker.id
  policy = jsonencode({Version = "2012-10-17", Statement = [
    {Effect = "Allow", Action = "s3:PutObject", Resource = "${aws_s3_bucket.logs.arn}/*"},
    {Effect = "Allow", Action = "iam:PassRole", Resource = aws_iam_role.worker.arn},
    {Effect = "Allow", Action = "sts:AssumeRole", Resource = "${aws_iam_role.later.arn}"},
  ]})
}
'''


def test_arns_built_from_arguments_are_exact(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    load = load_terraform(tmp_path, account="111122223333")
    role = "arn:aws:iam::111122223333:role/service/worker"
    policy = load.planned.policies[f"{role}/inline/worker"]
    resources = [s.resources for s in policy.statements]
    assert resources[0] == ("arn:aws:s3:::acme-logs/*",)
    assert resources[1] == (role,)
    # name_prefix: the name is chosen at apply, so a string built from it stays unknown and
    # the statement is widened (conservative), with a warning.
    assert resources[2] == ("*",)
    assert any("aws_iam_role.later" in w for w in load.warnings)


def test_without_an_account_the_placeholder_is_used_consistently(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    load = load_terraform(tmp_path)
    role = "arn:aws:iam::000000000000:role/service/worker"
    assert role in load.planned.principals
    policy = load.planned.policies[f"{role}/inline/worker"]
    assert policy.statements[1].resources == (role,)
    assert any("placeholder account" in note for note in load.planned.metadata.notes)


def test_an_unknown_path_keeps_the_arn_unknown(tmp_path: Path) -> None:
    """A role's ARN includes its path (IAM User Guide, "IAM identifiers"): with the path
    unknown the reader must not assume "/"."""
    (tmp_path / "main.tf").write_text('''
variable "path" { type = string }
resource "aws_iam_role" "app" {
  name               = "app"
  path               = var.path
  assume_role_policy = "{}"
}
resource "aws_iam_policy" "pass" {
  name   = "pass"
  policy = jsonencode({Version = "2012-10-17", Statement = [
    {Effect = "Allow", Action = "iam:PassRole", Resource = "${aws_iam_role.app.arn}"}]})
}''')
    load = load_terraform(tmp_path, account="111122223333")
    policy = load.planned.policies["arn:aws:iam::111122223333:policy/pass"]
    assert policy.statements[0].resources == ("*",)  # unknown -> conservative, warned
    assert any("path is not known before apply" in w for w in load.warnings)
