"""Terraform rendering: policy document blocks, and the patch against the defining file."""

from __future__ import annotations

from pathlib import Path

from iamscope.collect.terraform.hcl.read import read_hcl
from iamscope.minimize.render_terraform import (
    definition_from_reading,
    definition_from_text,
    hcl_string,
    policy_document_block,
    terraform_patch,
)
from iamscope.minimize.result import Proposal, Replayed

ROLE = "arn:aws:iam::111122223333:role/app-server"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "S3Stmt1", "Effect": "Allow", "Action": ["s3:GetObject"],
     "Resource": ["arn:aws:s3:::home/${aws:username}/*"],
     "Condition": {"Bool": {"aws:securetransport": "true"}}}]}
MAIN_TF = '''variable "role_name" {
  default = "app-server"
}

resource "aws_iam_role" "app" {
  name               = var.role_name # the name comes from a variable
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
'''


def _proposal() -> Proposal:
    return Proposal(ROLE, POLICY, True, Replayed(1, 1))


def test_hcl_strings_escape_templates() -> None:
    # Terraform language, "Strings and Templates": ${ and %{ start templates.
    assert hcl_string('a "${aws:username}" %{x} \\') == '"a \\"$${aws:username}\\" %%{x} \\\\"'


def test_policy_document_block() -> None:
    block = policy_document_block("app_server_minimized", POLICY)
    assert block.splitlines() == [
        'data "aws_iam_policy_document" "app_server_minimized" {',
        "  statement {",
        '    sid    = "S3Stmt1"',
        '    effect = "Allow"',
        '    actions = ["s3:GetObject"]',
        '    resources = ["arn:aws:s3:::home/$${aws:username}/*"]',
        "    condition {",
        '      test     = "Bool"',
        '      variable = "aws:securetransport"',
        '      values   = ["true"]',
        "    }",
        "  }",
        "}",
    ]


def test_patch_uses_the_hcl_reader_and_lists_attachments(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    definition = definition_from_reading(read_hcl(tmp_path).resources, ROLE)
    assert definition is not None
    assert (definition.file, definition.kind, definition.label, definition.line) == (
        "main.tf", "role", "app", 5)
    assert definition.attached == ("aws_iam_role_policy_attachment.read (main.tf:10)",)
    patch = terraform_patch(MAIN_TF, definition, _proposal())
    assert patch is not None
    added = [line[1:] for line in patch.splitlines() if line.startswith("+")
             and not line.startswith("+++")]
    assert "#   aws_iam_role_policy_attachment.read (main.tf:10)" in added
    assert 'resource "aws_iam_role_policy" "app_server_minimized" {' in added
    assert "  role   = aws_iam_role.app.id" in added
    # inserted right after the role block, before the attachment
    assert patch.index("+# iamscope minimize") < patch.index(
        ' resource "aws_iam_role_policy_attachment" "read" {')


def test_text_fallback_finds_the_block_by_name_or_label() -> None:
    texts = {"iam.tf": 'resource "aws_iam_role" "x" {\n  name = "app-server"\n}\n',
             "other.tf": 'resource "aws_iam_role" "app-server" {\n  name = "zzz"\n}\n'}
    found = definition_from_text(texts, ROLE)
    assert found is not None and (found.file, found.label, found.line) == ("iam.tf", "x", 1)
    assert definition_from_text(texts, "arn:aws:iam::1:user/app-server") is None


def test_refused_proposal_gives_no_patch() -> None:
    definition = definition_from_text({"a.tf": 'resource "aws_iam_role" "app-server" {}\n'},
                                      ROLE)
    refused = Proposal(ROLE, None, False, Replayed(0, 1), refused=("proof (a): ...",))
    assert definition is not None
    assert terraform_patch("", definition, refused) is None


def test_principal_text_cannot_break_out_of_a_comment() -> None:
    from iamscope.minimize.render_terraform import render_blocks
    hostile = 'arn:aws:iam::1:role/x\nresource "aws_iam_user" "evil" {}'
    text = render_blocks([Proposal(hostile, POLICY, True, Replayed(1, 1))])
    assert text.splitlines()[0] == '# arn:aws:iam::1:role/x\\x0aresource "aws_iam_user" "evil" {}'
    assert not any(line.startswith("resource") for line in text.splitlines())
