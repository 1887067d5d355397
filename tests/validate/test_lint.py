"""The policy linter: for every diagnostic code, a policy that triggers it (exact code, level,
statement and element) and a near miss that is entirely clean. Conditions are in
``test_lint_conditions``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.model.policy import Effect, Policy, Statement
from iamscope.policy.parse import parse_policy
from iamscope.validate.findings import LINT_CODES
from iamscope.validate.policy import lint_policy, split_arn
from tests.validate.helpers import S0, E, K, W, cond, lint, stmt, trust

# --- policy-level -------------------------------------------------------------------------


def test_missing_version(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(), version=None) == [("missing-version", W, None, "Version")]
    assert lint(catalog, stmt()) == []


def test_variables_without_version(catalog: ActionCatalog) -> None:
    resource = stmt(Resource="arn:aws:s3:::b/${aws:username}/*")
    assert lint(catalog, resource, version="2008-10-17") == [
        ("variables-without-version", W, S0, "Resource")]
    in_condition = stmt(cond("StringEquals", "aws:PrincipalTag/team", "${aws:username}"))
    assert lint(catalog, in_condition, version=None) == [
        ("missing-version", W, None, "Version"),
        ("variables-without-version", W, S0, "Condition")]
    # near misses: the same under 2012-10-17; 2008-10-17 without variables
    assert lint(catalog, resource) == []
    assert lint(catalog, in_condition) == []
    assert lint(catalog, stmt(), version="2008-10-17") == []


def test_duplicate_sid(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(Sid="A"), stmt(Sid="B"), stmt(Sid="A")) == [
        ("duplicate-sid", E, "Sid 'A'", "Sid")]
    assert lint(catalog, stmt(Sid="A"), stmt(Sid="B"), stmt()) == []


# --- Action / NotAction -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["s3GetObject", "s3:", ":GetObject", "s3:Get:Object",
                                    "s3:Get Object", "s3 :GetObject"])
def test_malformed_action(catalog: ActionCatalog, action: str) -> None:
    assert lint(catalog, stmt(Action=["s3:GetObject", action])) == [
        ("malformed-action", E, S0, "Action")]


@pytest.mark.parametrize("action", ["*", "s3:*", "s3:Get*", "S3:getobject", "s3:?etObject",
                                    "*:GetObject"])
def test_well_formed_actions(catalog: ActionCatalog, action: str) -> None:
    assert lint(catalog, stmt(Action=action, Resource="*")) == []


def test_unknown_service(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(Action="nosuchsvc:GetThing")) == [
        ("unknown-service", W, S0, "Action")]
    assert lint(catalog, stmt({"Effect": "Deny", "Action": None,
                               "NotAction": "nosuchsvc:*"})) == [
        ("unknown-service", W, S0, "NotAction")]
    assert lint(catalog, stmt(Action="nosuch*:GetThing")) == [
        ("unknown-action", W, S0, "Action")]  # a wildcard prefix is matched, not named


def test_unknown_action(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(Action="s3:GetObjekt")) == [("unknown-action", W, S0, "Action")]
    assert lint(catalog, stmt(Action="s3:Xyzzy*")) == [("unknown-action", W, S0, "Action")]
    assert lint(catalog, stmt(Action=["s3:GetObject", "s3:GetObjectVersion*"])) == []


def test_allow_not_action(catalog: ActionCatalog) -> None:
    statement = {"Action": None, "NotAction": "iam:*", "Resource": "*"}
    assert lint(catalog, stmt(statement)) == [("allow-not-action", W, S0, "NotAction")]
    assert lint(catalog, stmt(statement, Effect="Deny")) == []


# --- Resource / NotResource ---------------------------------------------------------------


@pytest.mark.parametrize("resource", ["arn:aws:s3", "b/*", "arn:aws:s3:::", "arn::s3:::b",
                                      "arn:aws::::b", "ARN:aws:s3:::b", "arn:aws:s3::b"])
def test_malformed_arn(catalog: ActionCatalog, resource: str) -> None:
    assert lint(catalog, stmt(Resource=["arn:aws:s3:::ok/*", resource])) == [
        ("malformed-arn", E, S0, "Resource")]
    assert lint(catalog, stmt({"Effect": "Deny", "Resource": None,
                               "NotResource": resource})) == [
        ("malformed-arn", E, S0, "NotResource")]


@pytest.mark.parametrize("resource", ["*", "arn:aws:s3:::b/*", "arn:*:s3:::b",
                                      "arn:aws:s3:::b/a:b:c", "arn:aws-cn:s3:::b/*"])
def test_well_formed_arns(catalog: ActionCatalog, resource: str) -> None:
    assert lint(catalog, stmt(Resource=resource)) == []


def test_api_gateway_shorthand_is_accepted_in_resource_policies_only(
        catalog: ActionCatalog) -> None:
    statement = stmt(Action="execute-api:Invoke", Resource="execute-api:/*/GET/pets",
                     Principal="*")
    assert lint(catalog, statement, kind=K.RESOURCE) == []
    assert lint(catalog, stmt(statement, Principal=None)) == [
        ("malformed-arn", E, S0, "Resource")]


def test_missing_resource(catalog: ActionCatalog) -> None:
    for kind in (K.MANAGED, K.INLINE, K.SESSION):
        assert lint(catalog, stmt(Resource=None), kind=kind) == [
            ("missing-resource", E, S0, "Resource")]
    assert lint(catalog, stmt(Resource=None, Effect="Deny"), kind=K.SCP) == [
        ("missing-resource", W, S0, "Resource")]
    # near misses: NotResource satisfies the rule; trust policies need no Resource
    assert lint(catalog, stmt({"Resource": None, "NotResource": "arn:aws:s3:::b/*",
                               "Effect": "Deny"})) == []
    assert lint(catalog, trust(), kind=K.TRUST) == []


def test_variable_in_arn_prefix(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(Action="iam:PassRole",
                              Resource="arn:aws:iam::${aws:PrincipalAccount}:role/x")) == [
        ("variable-in-arn-prefix", W, S0, "Resource")]
    assert lint(catalog, stmt(Action="iam:PassRole",
                              Resource="arn:aws:iam::111122223333:role/${aws:username}")) == []


def test_split_arn_keeps_variables_whole() -> None:
    assert split_arn("arn:aws:iam::${aws:PrincipalAccount}:role/a:b") == [
        "arn", "aws", "iam", "", "${aws:PrincipalAccount}", "role/a:b"]
    assert split_arn("arn:aws:s3") is None


def test_resource_mismatch(catalog: ActionCatalog) -> None:
    queue = "arn:aws:sqs:us-east-1:111122223333:q"
    assert lint(catalog, stmt(Resource=["arn:aws:s3:::b/*", queue])) == [
        ("resource-mismatch", W, S0, "Resource")]


@pytest.mark.parametrize("statement", [
    # ssm:SendCommand acts on ec2 instances: the catalog's ARN templates say so
    stmt(Action="ssm:SendCommand", Resource=["arn:aws:ssm:*:*:document/AWS-RunShellScript",
                                             "arn:aws:ec2:*:*:instance/*"]),
    stmt(Action="sts:AssumeRole", Resource="arn:aws:iam::*:role/x"),
    stmt(Action="s3:Get*", Resource="arn:aws:sqs:us-east-1:111122223333:q"),  # wildcard
    stmt(Action="ec2:DescribeInstances", Resource="arn:aws:s3:::b"),  # "*"-only action
    stmt(Resource="arn:aws:*:us-east-1:111122223333:q"),  # wildcard service field
    stmt({"Effect": "Deny", "Resource": None,
          "NotResource": "arn:aws:sqs:us-east-1:111122223333:q"}),
])
def test_resource_mismatch_near_misses(catalog: ActionCatalog, statement: dict) -> None:
    assert lint(catalog, statement) == []


def test_resource_mismatch_is_skipped_when_an_action_is_unknown(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(Action=["s3:GetObject", "s3:Nope"],
                              Resource="arn:aws:sqs:us-east-1:111122223333:q")) == [
        ("unknown-action", W, S0, "Action")]


# --- Principal / NotPrincipal -------------------------------------------------------------


def test_principal_not_allowed(catalog: ActionCatalog) -> None:
    for kind in (K.MANAGED, K.INLINE, K.SESSION):
        assert lint(catalog, stmt(Principal="*"), kind=kind) == [
            ("principal-not-allowed", E, S0, "Principal")]
    assert lint(catalog, stmt(Effect="Deny", NotPrincipal={"AWS": "111122223333"}),
                kind=K.SCP) == [("principal-not-allowed", E, S0, "NotPrincipal")]
    assert lint(catalog, stmt(Principal="*"), kind=K.RESOURCE) == []


def test_missing_principal(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(), kind=K.RESOURCE) == [
        ("missing-principal", E, S0, "Principal")]
    assert lint(catalog, trust(Principal=None), kind=K.TRUST) == [
        ("missing-principal", E, S0, "Principal")]
    assert lint(catalog, stmt(Effect="Deny", NotPrincipal={"AWS": "111122223333"}),
                kind=K.RESOURCE) == []


def test_not_principal_in_trust(catalog: ActionCatalog) -> None:
    statement = trust(Effect="Deny", Principal=None, NotPrincipal={"AWS": "111122223333"})
    assert lint(catalog, statement, kind=K.TRUST) == [
        ("not-principal-in-trust", E, S0, "NotPrincipal")]
    assert lint(catalog, trust(Effect="Deny"), kind=K.TRUST) == []


def test_allow_not_principal(catalog: ActionCatalog) -> None:
    statement = stmt(NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})
    assert lint(catalog, statement, kind=K.RESOURCE) == [
        ("allow-not-principal", W, S0, "NotPrincipal")]
    assert lint(catalog, stmt(statement, Effect="Deny"), kind=K.RESOURCE) == []


@pytest.mark.parametrize("principal", [
    {"AWS": "arn:aws:iam::111122223333:role/app-*"},
    {"AWS": "arn:aws:iam::*:root"},
    {"AWS": "1111222233??"},
    {"Service": "*.amazonaws.com"},
    {"Federated": "arn:aws:iam::111122223333:saml-provider/*"},
])
def test_principal_wildcard(catalog: ActionCatalog, principal: dict) -> None:
    assert lint(catalog, trust(Principal=principal), kind=K.TRUST) == [
        ("principal-wildcard", E, S0, "Principal")]


@pytest.mark.parametrize("principal", [
    "*", {"AWS": "*"}, {"AWS": ["111122223333", "arn:aws:iam::111122223333:root"]},
    {"AWS": "arn:aws:iam::111122223333:user/division/alice"},
    {"AWS": "arn:aws:iam::111122223333:role/path/app"},
    {"AWS": "arn:aws:sts::111122223333:assumed-role/app/session"},
    {"AWS": "arn:aws:sts::111122223333:federated-user/bob"},
    {"AWS": "arn:aws-us-gov:iam::111122223333:root"},
    {"Service": "lambda.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
])
def test_valid_principals(catalog: ActionCatalog, principal: Any) -> None:
    assert lint(catalog, trust(Principal=principal), kind=K.TRUST) == []


@pytest.mark.parametrize("value", [
    "12345", "arn:aws:iam::111122223333:group/devs", "arn:aws:s3:::b",
    "arn:aws:iam::alice:root", "arn:aws:iam:us-east-1:111122223333:root",
    "arn:aws:sts::111122223333:assumed-role/app", "AKIAIOSFODNN7EXAMPLE", "alice",
])
def test_malformed_principal(catalog: ActionCatalog, value: str) -> None:
    assert lint(catalog, trust(Principal={"AWS": value}), kind=K.TRUST) == [
        ("malformed-principal", W, S0, "Principal")]


def test_unresolved_principal_id(catalog: ActionCatalog) -> None:
    for value in ("AROADBQP57FF2AEXAMPLE", "AIDACKCEVSQ6C2EXAMPLE"):
        assert lint(catalog, trust(Principal={"AWS": value}), kind=K.TRUST) == [
            ("unresolved-principal-id", W, S0, "Principal")]
    # a near miss: the ARN the id stood for
    assert lint(catalog, trust(Principal={"AWS": "arn:aws:iam::111122223333:role/app"}),
                kind=K.TRUST) == []


# --- the linter as a whole ----------------------------------------------------------------


def test_diagnostics_name_policy_statement_and_element(catalog: ActionCatalog) -> None:
    doc = {"Statement": [stmt(Sid="Read"), stmt(Action="s3:GetObjekt")]}
    policy = parse_policy(doc, policy_id="arn:aws:iam::111122223333:policy/p", kind=K.MANAGED)
    first, second = lint_policy(policy, catalog)
    assert str(first) == ("warning: arn:aws:iam::111122223333:policy/p, Version: no Version "
                          "element: the policy is read as 2008-10-17 and policy variables are "
                          "not substituted; add \"Version\": \"2012-10-17\"")
    assert (second.policy, second.where, second.element) == (
        "arn:aws:iam::111122223333:policy/p", "statement 1", "Action")
    assert lint_policy(policy, catalog) == [first, second]  # deterministic


def test_order_follows_the_document(catalog: ActionCatalog) -> None:
    found = lint(catalog,
                 stmt(cond("Bool", "aws:SecureTransport", "yes"), Sid="A", Action="x",
                      Principal="*", Resource="b"),
                 stmt(Sid="A"), version=None)
    assert found == [
        ("missing-version", W, None, "Version"),
        ("malformed-action", E, "Sid 'A'", "Action"),
        ("malformed-arn", E, "Sid 'A'", "Resource"),
        ("principal-not-allowed", E, "Sid 'A'", "Principal"),
        ("bad-condition-value", E, "Sid 'A'", "Condition"),
        ("duplicate-sid", E, "Sid 'A'", "Sid"),
    ]


def test_gcp_policies_are_not_linted(catalog: ActionCatalog) -> None:
    policy = Policy("projects/p", K.GCP_ALLOW, (
        Statement(Effect.ALLOW, 0, actions=("storage.objects.get",)),))
    assert lint_policy(policy, catalog) == []


def test_every_code_has_a_level_and_a_test() -> None:
    here = Path(__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_lint*.py"))
    untested = [code for code in LINT_CODES if f'"{code}"' not in source]
    assert untested == []


REALISTIC = [
    (K.RESOURCE, [  # an S3 bucket policy
        stmt(cond("Bool", "aws:SecureTransport", "false"), Sid="DenyInsecure", Effect="Deny",
             Principal="*", Action="s3:*", Resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"]),
        stmt(cond("NumericLessThan", "s3:TlsVersion", 1.2), Sid="Tls", Effect="Deny",
             Principal={"AWS": "*"}, Action="s3:*", Resource="arn:aws:s3:::b/*"),
        stmt({"Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                             "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:"
                                                              "111122223333:trail/t"}}},
             Sid="CloudTrail", Principal={"Service": "cloudtrail.amazonaws.com"},
             Action="s3:PutObject", Resource="arn:aws:s3:::b/AWSLogs/111122223333/*"),
    ]),
    (K.RESOURCE, [  # a KMS key policy
        stmt(Sid="Root", Principal={"AWS": "arn:aws:iam::111122223333:root"}, Action="kms:*",
             Resource="*"),
        stmt({"Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com",
                                             "kms:CallerAccount": "111122223333"},
                            "StringLike": {"kms:EncryptionContext:aws:s3:arn":
                                           "arn:aws:s3:::b/*"}}},
             Sid="Via", Principal={"AWS": "*"}, Action=["kms:Decrypt", "kms:GenerateDataKey*"],
             Resource="*"),
    ]),
    (K.SCP, [  # deny outside approved regions, except for an admin role
        stmt({"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]},
                            "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/Admin"}}},
             Effect="Deny", Action=None, NotAction=["iam:*", "organizations:*", "sts:*"],
             Resource="*"),
    ]),
    (K.TRUST, [  # GitHub Actions OIDC
        trust({"Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud":
                                              "sts.amazonaws.com"},
                             "StringLike": {"token.actions.githubusercontent.com:sub":
                                            "repo:org/repo:*"}}},
              Action="sts:AssumeRoleWithWebIdentity",
              Principal={"Federated": "arn:aws:iam::111122223333:oidc-provider/"
                                      "token.actions.githubusercontent.com"}),
    ]),
]


@pytest.mark.parametrize(("kind", "statements"), REALISTIC)
def test_common_policies_are_clean(catalog: ActionCatalog, kind: Any,
                                   statements: list[dict]) -> None:
    assert lint(catalog, *statements, kind=kind) == []
