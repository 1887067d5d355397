"""The HCL reader on the fixture configurations: exact values, addresses and locations."""

from __future__ import annotations

import json

from iamscope.collect.terraform.hcl import read_hcl
from iamscope.collect.terraform.resources import Suppression, Unknown
from iamscope.model.source import SourceRef

from .conftest import FIXTURES, by_address

TRUST_LAMBDA = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"Service": "lambda.amazonaws.com"}}]}


def test_basic_configuration_evaluates_locals_variables_and_references():
    reading = read_hcl(FIXTURES / "basic", account="111122223333")
    resources = by_address(reading)
    assert list(resources) == [
        "data.aws_caller_identity.current", "data.aws_partition.current",
        "data.aws_iam_policy_document.trust", "aws_iam_role.deploy", "aws_iam_policy.read",
        "aws_iam_role_policy_attachment.read", 'aws_s3_bucket.b["data"]',
        'aws_s3_bucket.b["logs"]', "aws_iam_user.ci[0]", "aws_iam_user.ci[1]"]
    role = resources["aws_iam_role.deploy"]
    assert role.values["name"] == "app-dev-deploy"
    assert role.values["tags"] == {"Team": "platform", "Env": "dev"}
    assert json.loads(role.values["assume_role_policy"]) == TRUST_LAMBDA
    assert role.source == SourceRef(file="main.tf", line=31, address="aws_iam_role.deploy")
    assert role.type == "aws_iam_role" and role.name == "deploy" and role.mode == "managed"
    policy = json.loads(resources["aws_iam_policy.read"].values["policy"])
    assert policy["Statement"][0]["Resource"] == ["arn:aws:s3:::logs/*", "arn:aws:s3:::data/*"]
    attachment = resources["aws_iam_role_policy_attachment.read"].values
    assert attachment == {"role": "app-dev-deploy", "policy_arn": Unknown(
        "aws_iam_policy.read.arn is computed by the provider",
        reference="aws_iam_policy.read.arn")}
    assert resources['aws_s3_bucket.b["logs"]'].values == {"bucket": "app-dev-logs"}
    assert resources["aws_iam_user.ci[1]"].values == {"name": "ci-1"}
    assert resources["data.aws_caller_identity.current"].values["account_id"] == "111122223333"
    assert resources["data.aws_caller_identity.current"].mode == "data"
    assert reading.warnings == ()


def test_caller_identity_without_account_is_unknown_with_reason():
    resources = by_address(read_hcl(FIXTURES / "basic"))
    account = resources["data.aws_caller_identity.current"].values["account_id"]
    assert isinstance(account, Unknown)
    assert account.reference == "data.aws_caller_identity.current.account_id"
    assert "account id is not known" in account.reason


def test_suppression_above_the_block_is_attached_with_its_location():
    role = by_address(read_hcl(FIXTURES / "basic"))["aws_iam_role.deploy"]
    assert role.suppressions == (Suppression(
        "aws_wildcard_resource", "deploy role needs it for bootstrapping",
        SourceRef(file="main.tf", line=30, address="aws_iam_role.deploy")),)


def test_local_modules_with_inputs_outputs_nesting_and_for_each():
    reading = read_hcl(FIXTURES / "modules")
    resources = by_address(reading)
    assert sorted(resources) == sorted([
        "aws_iam_user.admin", "aws_iam_user_policy_attachment.admin",
        "module.deployer.aws_iam_role.this",
        "module.deployer.module.policy.aws_iam_policy.this",
        "module.deployer.module.policy.aws_iam_role_policy_attachment.this",
        'module.readers["audit"].aws_iam_role.this',
        'module.readers["audit"].module.policy.aws_iam_policy.this',
        'module.readers["audit"].module.policy.aws_iam_role_policy_attachment.this',
        'module.readers["ops"].aws_iam_role.this',
        'module.readers["ops"].module.policy.aws_iam_policy.this',
        'module.readers["ops"].module.policy.aws_iam_role_policy_attachment.this'])
    nested = resources["module.deployer.module.policy.aws_iam_policy.this"]
    assert nested.module == "module.deployer.module.policy"
    assert nested.source == SourceRef(file="modules/policy/main.tf", line=5,
                                      address=nested.address)
    assert json.loads(nested.values["policy"])["Statement"][0]["Action"] == [
        "lambda:CreateFunction", "iam:PassRole"]
    reader = resources['module.readers["ops"].aws_iam_role.this']
    assert reader.values["name"] == "reader-ops" and reader.module == 'module.readers["ops"]'
    assert resources["aws_iam_user.admin"].values["name"] == "deployer"  # output of a module
    arn = resources["aws_iam_user_policy_attachment.admin"].values["policy_arn"]
    assert arn.reference == "module.deployer.module.policy.aws_iam_policy.this.arn"
    attach = resources['module.readers["ops"].module.policy.aws_iam_role_policy_attachment.this']
    assert attach.values["role"] == "reader-ops"


def test_remote_module_is_reported_and_its_outputs_are_unknown():
    reading = read_hcl(FIXTURES / "modules")
    assert reading.warnings == (
        "main.tf:15: module.vpc: the module source 'terraform-aws-modules/vpc/aws' is not a "
        "local path (not fetched); its resources are absent from this reading",)
    tags = by_address(reading)["aws_iam_user.admin"].values["tags"]
    assert tags["Vpc"].reference == "module.vpc.vpc_id"


def test_files_templates_and_heredocs():
    reading = read_hcl(FIXTURES / "files")
    policies = {r.name: r.values["policy"] for r in reading.resources}
    assert json.loads(policies["from_file"]) == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    assert json.loads(policies["from_template"])["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::example-logs/*"}]
    assert policies["heredoc"] == (
        '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": '
        '"s3:ListBucket", "Resource": "arn:aws:s3:::example-logs"}]\n}\n')
    assert policies["indented_heredoc"] == (
        '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Deny", "Action": "*", '
        '"Resource": "*"}]\n}\n')


def test_file_outside_the_configuration_is_refused_with_a_warning():
    reading = read_hcl(FIXTURES / "files")
    outside = by_address(reading)["aws_iam_policy.outside"].values["policy"]
    assert isinstance(outside, Unknown)
    assert reading.warnings == (
        "main.tf:37: '../../../../pyproject.toml' is outside the configuration directory; "
        "not read; the value is unknown",)


def test_variables_from_tfvars_json_var_files_and_cli_values():
    directory = FIXTURES / "variables"
    reading = read_hcl(directory, var_files=[directory / "prod.tfvars.json",
                                             directory / "extra.tfvars"],
                       variables={"admins": "2"})
    resources = by_address(reading)
    assert resources["aws_iam_role.app"].values["name"] == "app-prod-us-east-1"
    trust = json.loads(resources["aws_iam_role.app"].values["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": ["arn:aws:iam::111122223333:root"]}
    assert resources["aws_iam_user.admin[1]"].values == {"name": "admin-1-444455556666"}
    assert reading.warnings == ()


def test_automatic_tfvars_and_a_variable_without_value():
    reading = read_hcl(FIXTURES / "variables", variables={"admins": 1})
    resources = by_address(reading)
    assert resources["aws_iam_role.app"].values["name"] == "app-staging-eu-west-1"
    name = resources["aws_iam_user.admin[0]"].values["name"]
    assert name == Unknown("a string built from var.account")
    assert reading.warnings == ("main.tf:6: variable var.account has no default and no value "
                                "was given; it is unknown",)


def test_gcp_resources_are_generic_records_with_blocks_and_suppressions():
    reading = read_hcl(FIXTURES / "gcp")
    resources = by_address(reading)
    binding = resources["google_project_iam_binding.viewers"].values
    assert binding == {
        "project": "example-project", "role": "roles/viewer",
        "members": ["group:viewers@example.com", "user:alice@example.com"],
        "condition": [{"title": "expires",
                       "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'}]}
    owner = resources["google_project_iam_member.ci_owner"]
    assert owner.suppressions == (Suppression(
        "gcp_primitive_role", "owner is temporary until the migration ends",
        SourceRef(file="main.tf", line=7, address="google_project_iam_member.ci_owner")),)
    # The email of a service account follows from its account_id and project
    # (collect/terraform/gcp_identity.py); without a project it would stay unknown.
    assert owner.values["member"] == ("serviceAccount:ci-deployer@example-project.iam."
                                      "gserviceaccount.com")
    assert resources["google_storage_bucket_iam_member.public"].suppressions == ()
    assert reading.warnings == ("main.tf:35: iamscope:ignore needs a rule id and a reason "
                                "(# iamscope:ignore RULE_ID why); ignored",)
