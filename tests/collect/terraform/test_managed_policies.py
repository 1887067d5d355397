"""AWS-managed policies attached by ARN: resolved from a live collection, a data source read at
plan time, or the packaged dated data set; never guessed (issue 5, docs/terraform.md
"AWS-managed policies"). ARN format:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.collect.terraform.load import load_terraform
from iamscope.collect.terraform.managed_policies import (
    PACKAGED_FORMAT,
    parse_packaged,
    read_packaged,
    referenced_packaged_arns,
)
from iamscope.collect.terraform.resources import TerraformResource, Unknown
from iamscope.errors import InputError

_register()
REPO = Path(__file__).parents[3]
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
MADE_UP = "arn:aws:iam::aws:policy/IamscopeNoSuchManagedPolicy"
ROLE = "arn:aws:iam::000000000000:role/ops"
PACKAGED_NOTE = re.compile(r"resolved from the packaged AWS-managed policy set \(moto "
                           r"\d+\.\d+\.\d+, documents as of \d{4}-\d\d-\d\d, generated "
                           r"\d{4}-\d\d-\d\d\)$")
TRUST = ('jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
         'Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })')


def _configuration(tmp_path: Path, *arns: str) -> Path:
    attachments = "".join(f'''
resource "aws_iam_role_policy_attachment" "a{i}" {{
  role       = aws_iam_role.ops.name
  policy_arn = "{arn}"
}}
''' for i, arn in enumerate(arns))
    (tmp_path / "main.tf").write_text(f'''
resource "aws_iam_role" "ops" {{
  name               = "ops"
  assume_role_policy = {TRUST}
}}
{attachments}''')
    return tmp_path


def _note(load, arn: str) -> str:
    return next(n for n in load.planned.metadata.notes
                if n.startswith(f"AWS-managed policy {arn} resolved from "))


def test_administrator_access_resolves_from_the_packaged_set_and_check_flags_admin(tmp_path):
    directory = _configuration(tmp_path, ADMIN)
    loaded = load_terraform(directory)
    statements = loaded.planned.policies[ADMIN].statements
    assert [(s.effect.value, s.actions, s.resources) for s in statements] == [
        ("Allow", ("*",), ("*",))]
    assert PACKAGED_NOTE.search(_note(loaded, ADMIN))
    assert not loaded.planned.gaps

    result = CliRunner().invoke(cli, ["check", str(directory), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert {(f["rule_id"], f["subject"]) for f in findings} >= {("aws_admin_principal", ROLE)}


def test_service_role_path_policies_resolve(tmp_path):
    loaded = load_terraform(_configuration(tmp_path, LAMBDA_BASIC))
    actions = {a for s in loaded.planned.policies[LAMBDA_BASIC].statements for a in s.actions}
    assert "logs:PutLogEvents" in actions


def test_a_made_up_aws_managed_arn_stays_a_gap_with_a_warning(tmp_path):
    loaded = load_terraform(_configuration(tmp_path, ADMIN, MADE_UP))
    assert [g.scope for g in loaded.planned.gaps] == [f"policy {MADE_UP}"]
    assert any(f"{MADE_UP} is not resolved" in w for w in loaded.warnings)
    assert MADE_UP not in loaded.planned.policies
    assert ADMIN in loaded.planned.policies


def test_other_partitions_are_not_resolved_from_the_commercial_set(tmp_path):
    gov = "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"
    loaded = load_terraform(_configuration(tmp_path, gov))
    assert gov not in loaded.planned.policies
    assert any(f"{gov} is not resolved" in w for w in loaded.warnings)


def test_managed_policies_file_overrides_the_packaged_document(tmp_path):
    live = tmp_path / "live.json"
    live.write_text(json.dumps({"UserDetailList": [], "GroupDetailList": [],
                                "RoleDetailList": [], "Policies": [{
        "PolicyName": "AdministratorAccess", "Arn": ADMIN, "Path": "/",
        "DefaultVersionId": "v9", "AttachmentCount": 0, "IsAttachable": True,
        "PolicyVersionList": [{"VersionId": "v9", "IsDefaultVersion": True, "Document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                           "Resource": "*"}]}}]},
        {"PolicyName": "other", "Arn": "arn:aws:iam::111122223333:policy/other", "Path": "/",
         "DefaultVersionId": "v1", "PolicyVersionList": []}]}))
    (tmp_path / "tf").mkdir()
    loaded = load_terraform(_configuration(tmp_path / "tf", ADMIN), managed_policies=live)
    assert loaded.planned.policies[ADMIN].statements[0].actions == ("s3:ListAllMyBuckets",)
    assert _note(loaded, ADMIN).endswith(f"resolved from {live} (authorization-details)")


def _plan(tmp_path: Path) -> Path:
    """A plan attaching two AWS-managed policies; ReadOnlyAccess is also read by a
    data "aws_iam_policy" at plan time (https://developer.hashicorp.com/terraform/internals/
    json-format), whose document must win over the packaged one."""
    def attachment(name: str, arn: str) -> dict:
        return {"address": f"aws_iam_role_policy_attachment.{name}", "mode": "managed",
                "type": "aws_iam_role_policy_attachment", "name": name,
                "values": {"role": "ops", "policy_arn": arn}}
    role = {"address": "aws_iam_role.ops", "mode": "managed", "type": "aws_iam_role",
            "name": "ops", "values": {"name": "ops", "path": "/", "assume_role_policy": "{}"}}
    read = {"address": "data.aws_iam_policy.readonly", "mode": "data", "type": "aws_iam_policy",
            "name": "readonly", "values": {"arn": READONLY, "policy": json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})}}
    plan = {"format_version": "1.2", "terraform_version": "1.6.6",
            "planned_values": {"root_module": {"resources": [
                role, attachment("admin", ADMIN), attachment("readonly", READONLY)]}},
            "prior_state": {"format_version": "1.0", "terraform_version": "1.6.6",
                            "values": {"root_module": {"resources": [read]}}}}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def test_plan_resolution_order_data_source_then_packaged_set(tmp_path):
    loaded = load_terraform(_plan(tmp_path))
    assert loaded.planned.policies[READONLY].statements[0].actions == ("s3:ListBucket",)
    assert _note(loaded, READONLY).endswith(
        "resolved from data.aws_iam_policy.readonly read at plan time")
    assert PACKAGED_NOTE.search(_note(loaded, ADMIN))
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "plan.json"), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert ("aws_admin_principal", ROLE) in {(f["rule_id"], f["subject"]) for f in findings}


def test_only_whole_commercial_aws_managed_arns_are_looked_up():
    records = (
        TerraformResource("aws_iam_role_policy_attachment.a", "aws_iam_role_policy_attachment",
                          "a", {"policy_arn": ADMIN, "role": Unknown("known after apply")}),
        TerraformResource("aws_iam_role.r", "aws_iam_role", "r", {
            "managed_policy_arns": [LAMBDA_BASIC],
            "assume_role_policy": json.dumps({"Condition": {"iam:PolicyARN": READONLY}}),
            "permissions_boundary": "arn:aws:iam::111122223333:policy/boundary"}),
        TerraformResource("aws_iam_role.g", "aws_iam_role", "g",
                          {"permissions_boundary": "arn:aws-cn:iam::aws:policy/PowerUserAccess"}),
    )
    assert referenced_packaged_arns(records) == {ADMIN, LAMBDA_BASIC}
    assert referenced_packaged_arns(()) == set()


def test_packaged_set_header_names_its_source_and_date():
    raw = json.loads(gzip.decompress(
        (REPO / "iamscope/collect/terraform/data/aws_managed_policies.json.gz").read_bytes()))
    assert raw["format"] == PACKAGED_FORMAT
    assert raw["source"]["package"] == "moto"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", raw["generated"])
    assert raw["count"] == len(raw["policies"]) > 1000
    assert all(arn.startswith("arn:aws:iam::aws:policy/") for arn in raw["policies"])
    packaged = read_packaged()
    assert packaged.generated == raw["generated"]
    assert len(packaged.documents) == raw["count"]


@pytest.mark.parametrize(("data", "message"), [
    (b"not gzip", "damaged"),
    (gzip.compress(b"{"), "damaged"),
    (gzip.compress(b"[]"), "not an iamscope AWS-managed policy set"),
    (gzip.compress(json.dumps({"format": PACKAGED_FORMAT}).encode()), "no source or policies"),
])
def test_a_damaged_packaged_set_is_a_clear_error(data, message):
    with pytest.raises(InputError, match=message):
        parse_packaged(data, where="x.json.gz")


def test_generator_builds_arns_with_paths_from_moto_shaped_input():
    spec = importlib.util.spec_from_file_location(
        "update_managed_policies", REPO / "tools" / "update_managed_policies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    document = {"Version": "2012-10-17", "Statement": []}
    built = module.build({
        "B": {"Path": "/service-role/", "Document": document, "DefaultVersionId": "v2",
              "UpdateDate": "2026-01-02T00:00:00+00:00"},
        "A": {"Path": "/", "Document": document, "DefaultVersionId": "v1",
              "UpdateDate": "2025-05-05T00:00:00+00:00"}}, "9.9.9", "2026-12-07")
    assert list(built["policies"]) == ["arn:aws:iam::aws:policy/A",
                                       "arn:aws:iam::aws:policy/service-role/B"]
    assert (built["count"], built["documents_as_of"], built["source"]["version"]) == (
        2, "2026-01-02", "9.9.9")
    packaged = parse_packaged(gzip.compress(json.dumps(built).encode()), where="built")
    assert packaged.label == ("the packaged AWS-managed policy set (moto 9.9.9, documents as "
                              "of 2026-01-02, generated 2026-12-07)")


def test_the_collector_never_imports_moto_at_run_time():
    # moto is a development dependency (pyproject [dev]); only tools/ reads it.
    sources = (REPO / "iamscope" / "collect").rglob("*.py")
    assert not [p for p in sources if re.search(r"^\s*(import|from)\s+moto\b",
                                                p.read_text(), re.MULTILINE)]
