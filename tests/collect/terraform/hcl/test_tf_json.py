"""Terraform's JSON configuration syntax (``*.tf.json``, what CDK for Terraform writes),
https://developer.hashicorp.com/terraform/language/syntax/json: the JSON twins in
fixtures/terraform/hcl_json/ read exactly as their HCL originals in fixtures/terraform/hcl/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.collect.terraform.hcl import read_hcl
from iamscope.collect.terraform.hcl.json_syntax import traversal
from iamscope.collect.terraform.hcl.parse import parse_expression
from iamscope.collect.terraform.load import is_terraform_path
from iamscope.collect.terraform.resources import TerraformReading
from iamscope.errors import InputError

from .conftest import FIXTURES, by_address

JSON_FIXTURES = FIXTURES.parent / "hcl_json"
TWINS = ["basic", "gcp", "modules", "policy_document"]
_PLACE = re.compile(r"[\w/]+\.tf(?:\.json)?:\d+: ")


def records(reading: TerraformReading) -> list[tuple[Any, ...]]:
    return sorted(((r.address, r.type, r.name, r.mode, r.module, r.values)
                   for r in reading.resources), key=repr)


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_every_json_twin_has_an_hcl_original() -> None:
    assert sorted(p.name for p in JSON_FIXTURES.iterdir()) == TWINS


@pytest.mark.parametrize("name", TWINS)
def test_json_twin_reads_as_the_hcl_original(name: str) -> None:
    hcl = read_hcl(FIXTURES / name)
    from_json = read_hcl(JSON_FIXTURES / name)
    assert records(from_json) == records(hcl)
    assert [_PLACE.sub("", w) for w in from_json.warnings] == \
        [_PLACE.sub("", w) for w in hcl.warnings if "iamscope:ignore needs" not in w]
    assert all(r.source is not None and r.source.file.endswith(".tf.json")
               for r in from_json.resources)


def test_source_lines_point_at_the_block_name() -> None:
    directory = JSON_FIXTURES / "basic"
    lines = (directory / "main.tf.json").read_text().splitlines()
    found = by_address(read_hcl(directory))
    for address, key in (("aws_iam_role.deploy", '"deploy"'), ('aws_s3_bucket.b["logs"]', '"b"'),
                         ("data.aws_iam_policy_document.trust", '"trust"')):
        source = found[address].source
        assert source is not None and key in lines[source.line - 1]


def test_comment_key_suppressions_match_the_hcl_comments() -> None:
    for name, address in (("basic", "aws_iam_role.deploy"), ("gcp", "google_project_iam_member"
                                                                    ".ci_owner")):
        hcl = by_address(read_hcl(FIXTURES / name))[address].suppressions
        from_json = by_address(read_hcl(JSON_FIXTURES / name))[address].suppressions
        assert [(s.rule_id, s.reason) for s in from_json] == \
            [(s.rule_id, s.reason) for s in hcl] != []


CDKTF = {
    "//": {"metadata": {"backend": "local", "stackName": "app", "version": "0.20.0"},
           "outputs": {}},
    "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "us", "region": "us-east-1"}]},
    "terraform": {"backend": {"local": {"path": "terraform.tfstate"}},
                  "required_providers": {"aws": {"source": "aws", "version": "5.0.0"}}},
    "variable": {"principals": {"type": "list(string)", "default": ["${not.a.template}"]}},
    "locals": [{"names": {"app": "app-role"}}],
    "resource": {
        "aws_iam_role": {"app_role_1A2B3C": {
            "//": {"metadata": {"path": "app/app_role", "uniqueId": "app_role_1A2B3C"}},
            "name": "${local.names.app}",
            "assume_role_policy": "${jsonencode({Version = \"2012-10-17\", Statement = "
                                  "[{Effect = \"Allow\", Action = \"sts:AssumeRole\", "
                                  "Principal = {AWS = var.principals}}]})}",
            "inline_policy": [{"name": "inline", "policy": "{\"Version\": \"2012-10-17\"}"}],
            "tags": {"Cost": "$${literal}", "${local.names.app}": "x"},
            "lifecycle": {"ignore_changes": ["tags"]},
        }},
        "aws_iam_role_policy_attachment": {"attach_4D5E": {
            "depends_on": ["aws_iam_role.app_role_1A2B3C"],
            "provider": "aws.us",
            "role": "${aws_iam_role.app_role_1A2B3C.name}",
            "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "count": "${length(var.principals)}",
        }},
    },
    "data": {"aws_iam_policy_document": {"doc": {"dynamic": {"statement": {
        "for_each": "${var.principals}", "iterator": "p",
        "content": {"actions": ["s3:*"], "principals": [
            {"type": "AWS", "identifiers": ["${p.value}"]}]}}}}}},
}


def test_cdktf_shaped_file(tmp_path: Path) -> None:
    write(tmp_path, {"cdk.tf.json": json.dumps(CDKTF, indent=2)})
    reading = read_hcl(tmp_path)
    found = by_address(reading)
    assert sorted(found) == ["aws_iam_role.app_role_1A2B3C",
                             "aws_iam_role_policy_attachment.attach_4D5E[0]",
                             "data.aws_iam_policy_document.doc"]
    role = found["aws_iam_role.app_role_1A2B3C"].values
    assert role["name"] == "app-role"
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == \
        {"AWS": ["${not.a.template}"]}  # a variable's default is literal
    assert role["inline_policy"] == [{"name": "inline",
                                      "policy": "{\"Version\": \"2012-10-17\"}"}]
    assert role["tags"] == {"Cost": "${literal}", "app-role": "x"}
    assert "lifecycle" not in role
    attachment = found["aws_iam_role_policy_attachment.attach_4D5E[0]"].values
    assert attachment == {"role": "app-role",
                          "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    document = json.loads(found["data.aws_iam_policy_document.doc"].values["json"])
    assert document["Statement"] == [{"Effect": "Allow", "Action": "s3:*",
                                      "Principal": {"AWS": "${not.a.template}"}}]
    assert reading.warnings == ()


def test_labels_given_as_arrays_of_objects_and_typed_cli_variables(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf.json": json.dumps({
        "variable": {"names": {"type": "list(string)"}},
        "resource": [{"aws_iam_user": {"u": [{"for_each": "${toset(var.names)}",
                                              "name": "${each.key}"}]}}]})})
    reading = read_hcl(tmp_path, variables={"names": '["a", "b"]'})
    assert sorted(by_address(reading)) == ['aws_iam_user.u["a"]', 'aws_iam_user.u["b"]']


def test_mixed_tf_and_tf_json_directory(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.tf": 'resource "aws_iam_role" "app" {\n  name = "app"\n'
                   '  assume_role_policy = "{}"\n}\n',
        "attach.tf.json": json.dumps({"resource": {"aws_iam_role_policy_attachment": {"a": {
            "role": "${aws_iam_role.app.name}",
            "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}}}}),
        "main_override.tf.json": '{"resource": {}}'})
    reading = read_hcl(tmp_path)
    found = by_address(reading)
    assert found["aws_iam_role_policy_attachment.a"].values["role"] == "app"
    assert found["aws_iam_role.app"].source.file == "main.tf"  # type: ignore[union-attr]
    assert found["aws_iam_role_policy_attachment.a"].source.file == "attach.tf.json"  # type: ignore[union-attr]
    assert reading.warnings == (".: override files are not merged by the HCL reader; "
                                "ignored: main_override.tf.json",)


@pytest.mark.parametrize(("text", "message"), [
    ('{\n  "resource": {\n    "aws_iam_user": {,}\n  }\n}', "main.tf.json:3: invalid JSON"),
    ('{"resource": {"aws_iam_user": {"u": {"count": NaN}}}}', "main.tf.json: invalid JSON"),
    ("[1, 2]", "main.tf.json:1: a Terraform JSON file must hold a JSON object"),
    ('{"resource": {"aws_iam_user": "u"}}', "main.tf.json:1: resource aws_iam_user: expected"),
    ('{\n"resource": {"aws_iam_user": {"u": {\n"name": "${var.x"}}}}',
     "main.tf.json:3: unterminated ${"),
    ('{"resource": {"aws_iam_user": {"u": {"name": "a", "name": "b"}}}}',
     "attribute 'name' is set twice"),
    ("[" * 100_000 + "]" * 100_000, "main.tf.json: JSON nested too deeply"),
    (b"\xff".decode("latin-1"), "main.tf.json: not UTF-8"),
])
def test_malformed_json_is_an_input_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "main.tf.json").write_bytes(text.encode("latin-1" if "\xff" in text
                                                        else "utf-8"))
    with pytest.raises(InputError, match=re.escape(message)):
        read_hcl(tmp_path)


def test_deep_expressions_are_unknown_not_errors(tmp_path: Path) -> None:
    deep = "[" * 300 + "]" * 300
    write(tmp_path, {"main.tf.json": '{"resource": {"aws_iam_user": {"u": {"name": "u", '
                                     f'"tags": {deep}}}}}}}}}'})
    reading = read_hcl(tmp_path)
    assert by_address(reading)["aws_iam_user.u"].values["name"] == "u"
    assert any("nested more than 200 levels" in w for w in reading.warnings)


def test_json_only_directory_is_a_terraform_directory(tmp_path: Path) -> None:
    assert not is_terraform_path(tmp_path)
    write(tmp_path, {"cdk.tf.json": "{}"})
    assert is_terraform_path(tmp_path)


def _findings(target: Path) -> list[tuple[Any, ...]]:
    _register()
    result = CliRunner().invoke(cli, ["check", str(target), "--format", "json",
                                      "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return sorted((f["rule_id"], f["subject"], f["message"], f["severity"], f["suppressed"],
                   (f["location"] or {}).get("address")) for f in report["findings"])


@pytest.mark.parametrize("name", ["basic", "gcp", "policy_document"])
def test_check_cli_gives_the_same_findings_as_the_hcl_twin(name: str) -> None:
    from_json = _findings(JSON_FIXTURES / name)
    assert from_json == _findings(FIXTURES / name)
    assert from_json


@pytest.mark.parametrize("text", ["var.env", "aws_iam_role.x.arn", "a.b[0].c", "module.m-x.out",
                                  "x[12][3]"])
def test_simple_references_are_built_as_the_hcl_parser_builds_them(text: str) -> None:
    assert traversal(text, 7) == parse_expression(text, "test", [], 7)


def test_keywords_and_mixed_templates_in_strings(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf.json": json.dumps({"resource": {"aws_iam_user": {"u": {
        "name": "${ var.missing == null ? \"u\" : \"v\" }", "force_destroy": "${true}",
        "path": "/${null == null ? \"a\" : \"b\"}/${true}/", "tags": {"N": 1.5, "M": None}}}},
        "variable": {"missing": {"default": None}}})})
    values = by_address(read_hcl(tmp_path))["aws_iam_user.u"].values
    assert values == {"name": "u", "force_destroy": True, "path": "/a/true/",
                      "tags": {"N": 1.5, "M": None}}
