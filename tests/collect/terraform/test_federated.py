"""Trust policies whose ``Federated`` principal is an IAM identity provider the configuration
creates (``aws_iam_openid_connect_provider``, ``aws_iam_saml_provider``): the principal is
the provider's ARN, in HCL and in plans where the ARN is known only after apply.

ARN formats: Service Authorization Reference (IAM resource types ``oidc-provider``,
``saml-provider``); an OIDC provider is named by its issuer URL without ``https://`` (IAM User
Guide, "Create an OpenID Connect (OIDC) identity provider in IAM")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamscope.collect.terraform.load import load_terraform
from iamscope.collect.terraform.plan import read_plan
from iamscope.collect.terraform.resources import Unknown
from tests.conftest import REPO

SOURCE = REPO / "fixtures" / "terraform" / "plan_source"
PLANS = REPO / "fixtures" / "terraform" / "plans"
GITHUB = "oidc-provider/token.actions.githubusercontent.com"


def trust(load, role: str):
    principal = load.planned.principals[role]
    return load.planned.policies[principal.trust_policy_id]


def test_hcl_oidc_provider_reference_is_the_provider_arn():
    load = load_terraform(REPO / "terraform-examples" / "ci-deployer")
    statement = trust(load, "arn:aws:iam::000000000000:role/ci-deployer").statements[0]
    assert statement.principal.federated == (f"arn:aws:iam::000000000000:{GITHUB}",)
    assert not statement.principal.wildcard
    assert not any("Federated" in w for w in load.warnings)


def test_hcl_saml_provider_through_a_policy_document_data_source():
    load = load_terraform(SOURCE)
    statement = trust(load, "arn:aws:iam::000000000000:role/sso-readonly").statements[0]
    assert statement.principal.federated == ("arn:aws:iam::000000000000:saml-provider/okta",)


@pytest.fixture(scope="module")
def oidc_plan():
    return load_terraform(SOURCE / "plan-0.2.json")


def test_plan_deferred_policy_document_keeps_the_provider_reference():
    reading = read_plan(json.loads((SOURCE / "plan-0.2.json").read_text()))
    records = {r.address: r for r in reading.resources}
    statement = records["data.aws_iam_policy_document.github_trust"].values["statement"][0]
    assert statement["principals"][0]["identifiers"] == Unknown(
        "known after apply", "aws_iam_openid_connect_provider.github.arn")


@pytest.mark.parametrize(("role", "provider"), [
    ("ci", f"arn:aws:iam::210987654321:{GITHUB}"),
    ("sso-readonly", "arn:aws:iam::210987654321:saml-provider/okta"),
])
def test_plan_provider_arn_unknown_until_apply_resolves(oidc_plan, role, provider):
    statement = trust(oidc_plan, f"arn:aws:iam::210987654321:role/{role}").statements[0]
    assert statement.principal.federated == (provider,)
    assert not statement.principal.wildcard
    assert statement.conditions  # the conditions of the document are kept
    assert not any('taken as "*"' in w for w in oidc_plan.warnings)


def test_plan_jsonencode_with_the_provider_arn_is_a_gap_not_the_arn(oidc_plan):
    """``jsonencode()`` of a value with an unknown part is wholly unknown in a plan; its
    reference (the provider's ARN) is not a document and is not used as one."""
    role = oidc_plan.planned.principals["arn:aws:iam::210987654321:role/legacy-deployer"]
    assert role.trust_policy_id not in oidc_plan.planned.policies
    gaps = [g for g in oidc_plan.planned.gaps if "legacy-deployer/trust" in g.scope]
    assert gaps and "not known before apply" in gaps[0].reason


def test_plan_provider_through_a_module_input():
    load = load_terraform(PLANS / "modules-1.2.json")
    statement = trust(load, "arn:aws:iam::333344445555:role/ci-deploy").statements[0]
    assert statement.principal.federated == (f"arn:aws:iam::333344445555:{GITHUB}",)
    assert statement.sid == "GitHub"


def _deferred_trust_plan(identifier_references: list[str]) -> dict:
    """A role trusting whatever a deferred policy document's identifiers reference."""
    return {
        "format_version": "1.2", "terraform_version": "1.6.6",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_iam_openid_connect_provider.eks", "mode": "managed",
             "type": "aws_iam_openid_connect_provider", "name": "eks",
             "values": {"url": "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"}},
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
             "name": "r", "values": {"name": "r", "path": "/"}}]}},
        "resource_changes": [
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
             "name": "r", "change": {"actions": ["create"], "after": {"name": "r", "path": "/"},
                                     "after_unknown": {"assume_role_policy": True}}},
            {"address": "data.aws_iam_policy_document.t", "mode": "data",
             "type": "aws_iam_policy_document", "name": "t",
             "change": {"actions": ["read"], "after": {"statement": [{
                 "actions": ["sts:AssumeRoleWithWebIdentity"], "effect": "Allow",
                 "principals": [{"type": "Federated", "identifiers": None}]}]},
                 "after_unknown": {"json": True, "statement": [
                     {"principals": [{"identifiers": True}]}]}}}],
        "configuration": {"root_module": {"resources": [
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role",
             "name": "r", "expressions": {"assume_role_policy": {
                 "references": ["data.aws_iam_policy_document.t.json",
                                "data.aws_iam_policy_document.t"]}}},
            {"address": "data.aws_iam_policy_document.t", "mode": "data",
             "type": "aws_iam_policy_document", "name": "t", "expressions": {"statement": [
                 {"principals": [{"type": {"constant_value": "Federated"},
                                  "identifiers": {"references": identifier_references}}]}]}}]}},
    }


def test_plan_nested_reference_to_one_attribute_is_followed(tmp_path: Path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_deferred_trust_plan(
        ["aws_iam_openid_connect_provider.eks.arn", "aws_iam_openid_connect_provider.eks"])))
    load = load_terraform(path, account="111122223333")
    statement = trust(load, "arn:aws:iam::111122223333:role/r").statements[0]
    assert statement.principal.federated == (
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",)


def test_plan_nested_expression_of_several_references_stays_unknown(tmp_path: Path):
    """Two references (``[a.arn, var.extra]``): the value is not one attribute, so the
    principal is widened to "*" with a warning, never narrowed to a guess."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_deferred_trust_plan(
        ["aws_iam_openid_connect_provider.eks.arn", "aws_iam_openid_connect_provider.eks",
         "var.extra"])))
    load = load_terraform(path, account="111122223333")
    statement = trust(load, "arn:aws:iam::111122223333:role/r").statements[0]
    assert statement.principal.wildcard
    assert any('Federated principal taken as "*"' in w for w in load.warnings)


def test_hcl_provider_data_source_by_url(tmp_path: Path):
    """``data "aws_iam_openid_connect_provider"`` looked up by ``url`` and
    ``data "aws_iam_saml_provider"`` by ``arn``: the ARNs IAM gives the providers."""
    (tmp_path / "main.tf").write_text('''
data "aws_iam_openid_connect_provider" "github" {
  url = "https://token.actions.githubusercontent.com"
}
data "aws_iam_saml_provider" "idp" {
  arn = "arn:aws:iam::111122223333:saml-provider/corp"
}
resource "aws_iam_role" "ci" {
  name = "ci"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "sts:AssumeRoleWithWebIdentity",
        Principal = { Federated = data.aws_iam_openid_connect_provider.github.arn },
        Condition = { StringEquals = {
          "token.actions.githubusercontent.com:sub" = "repo:acme/app:ref:refs/heads/main" } } },
      { Effect = "Allow", Action = "sts:AssumeRoleWithSAML",
        Principal = { Federated = data.aws_iam_saml_provider.idp.arn },
        Condition = { StringEquals = { "SAML:aud" = "https://signin.aws.amazon.com/saml" } } }
    ]
  })
}
''')
    load = load_terraform(tmp_path, account="111122223333")
    statements = trust(load, "arn:aws:iam::111122223333:role/ci").statements
    assert [s.principal.federated for s in statements] == [
        (f"arn:aws:iam::111122223333:{GITHUB}",),
        ("arn:aws:iam::111122223333:saml-provider/corp",)]
