"""The plan reader and the normalizer on hand-written plans in the documented format
(https://developer.hashicorp.com/terraform/internals/json-format)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamscope.collect.terraform.load import load_terraform
from iamscope.collect.terraform.plan import config_address, read_plan
from iamscope.collect.terraform.resources import Unknown
from iamscope.errors import InputError

PLANS = Path(__file__).parents[3] / "fixtures" / "terraform" / "plans"
ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def deploy():
    return load_terraform(PLANS / "deploy-1.2.json")


def test_unknown_policy_arn_carries_its_configuration_reference():
    reading = read_plan(json.loads((PLANS / "deploy-1.2.json").read_text()))
    records = {r.address: r for r in reading.resources}
    assert records["aws_iam_role_policy_attachment.deploy"].values["policy_arn"] == Unknown(
        "known after apply", "aws_iam_policy.deploy.arn")


def test_deleted_resource_is_absent_from_the_planned_reading_but_in_prior():
    reading = read_plan(json.loads((PLANS / "deploy-1.2.json").read_text()))
    assert "aws_iam_user.old" not in {r.address for r in reading.resources}
    assert "aws_iam_user.old" in {r.address for r in reading.prior}


def test_attachment_is_joined_to_the_policy_through_the_reference(deploy):
    role = deploy.planned.principals[f"arn:aws:iam::{ACCOUNT}:role/deploy"]
    assert f"arn:aws:iam::{ACCOUNT}:policy/deploy" in role.policy_ids
    policy = deploy.planned.policies[f"arn:aws:iam::{ACCOUNT}:policy/deploy"]
    assert policy.statements[0].actions == ("iam:PassRole", "lambda:CreateFunction")
    assert policy.source.address == "aws_iam_policy.deploy"


def test_account_comes_from_the_caller_identity_data_source(deploy):
    assert deploy.planned.metadata.accounts == (ACCOUNT,)
    assert deploy.planned.metadata.collector == "terraform"


def test_module_instances_keep_their_address(deploy):
    user = deploy.planned.principals[f"arn:aws:iam::{ACCOUNT}:user/ci-bot"]
    assert user.source.address == "module.ci.aws_iam_user.bot[0]"
    assert deploy.addresses[f"arn:aws:iam::{ACCOUNT}:user/ci-bot/inline/bot"] == \
        "module.ci.aws_iam_user_policy.bot[0]"


def test_bucket_policy_unknown_at_plan_resolves_through_the_data_source(deploy):
    bucket = deploy.planned.resources["arn:aws:s3:::acme-logs"]
    assert bucket.policy_id == "arn:aws:s3:::acme-logs/policy"
    statement = deploy.planned.policies[bucket.policy_id].statements[0]
    assert statement.principal.aws == ("arn:aws:iam::444455556666:root",)


def test_aws_managed_policy_resolves_from_the_packaged_set(deploy):
    # unresolved ARNs: tests/collect/terraform/test_managed_policies.py
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in deploy.planned.policies
    assert not deploy.planned.gaps
    assert any("ReadOnlyAccess resolved from the packaged AWS-managed policy set" in n
               for n in deploy.planned.metadata.notes)


def test_prior_inventory_has_the_deleted_user(deploy):
    assert f"arn:aws:iam::{ACCOUNT}:user/old" in deploy.prior.principals
    assert f"arn:aws:iam::{ACCOUNT}:user/old" not in deploy.planned.principals


def test_format_0_1_lambda_permission_and_role_by_reference():
    loaded = load_terraform(PLANS / "lambda-0.1.json", account="222233334444")
    function = loaded.planned.resources[
        "arn:aws:lambda:eu-west-1:222233334444:function:api"]
    assert dict(function.attributes)["role_arn"] == "arn:aws:iam::222233334444:role/api"
    policy = loaded.planned.policies[function.policy_id]
    assert policy.statements[0].principal.wildcard
    assert policy.statements[0].sid == "Public"
    assert policy.source.address == "aws_lambda_permission.public"


def test_config_address_strips_instance_keys():
    assert config_address('module.a["x.y"].aws_iam_role.r[0]') == "module.a.aws_iam_role.r"


@pytest.mark.parametrize(("text", "message"), [
    ('{"format_version": "1.2", "terraform_version": "1.6", "planned_values": ', "not valid JSON"),
    ('{"format_version": 1, "planned_values": {}}', "format_version must be a string"),
    ('{"format_version": "2.0", "planned_values": {}}', "not supported"),
    ('{"format_version": "1.0", "planned_values": {"root_module": []}}', "must be an object"),
    ('{"format_version": "1.0", "planned_values": {"root_module": {"resources": [{"type": 3}]}}}',
     "address must be a non-empty string"),
    ('{"format_version": "1.0", "planned_values": {}, "resource_changes": {}}', "must be a list"),
])
def test_hostile_plans_give_clear_errors(tmp_path, text, message):
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_terraform(path)


def test_deeply_nested_modules_are_refused():
    module: dict = {"resources": []}
    for _ in range(100):
        module = {"address": "module.m", "child_modules": [module]}
    with pytest.raises(InputError, match="nested more than"):
        read_plan({"format_version": "1.0", "planned_values": {"root_module": module}})


def test_large_plan_is_read(tmp_path):
    resources = [{"address": f"aws_iam_user.u{i}", "mode": "managed", "type": "aws_iam_user",
                  "name": f"u{i}", "values": {"name": f"u{i}", "path": "/",
                                              "padding": "x" * 2000}}
                 for i in range(25000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.6",
                                "planned_values": {"root_module": {"resources": resources}}}))
    assert path.stat().st_size > 50_000_000
    loaded = load_terraform(path, account=ACCOUNT)
    assert f"arn:aws:iam::{ACCOUNT}:user/u24999" in loaded.planned.principals
