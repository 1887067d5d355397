"""The linter's Condition checks: for every condition code, policies that trigger it and near
misses that are entirely clean."""

from __future__ import annotations

from typing import Any

import pytest

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy
from iamscope.validate.policy import lint_policy
from tests.validate.helpers import S0, E, K, W, cond, lint, stmt, trust

# --- Condition ----------------------------------------------------------------------------


@pytest.mark.parametrize(("statement", "kind"), [
    (stmt(cond("StringEquals", "s3:NoSuchKey", "x")), K.MANAGED),
    (stmt(cond("StringEquals", "aws:NoSuchKey", "x")), K.MANAGED),
    (stmt(cond("StringEquals", "ec2:Region", "x")), K.MANAGED),  # a key of another service
    (stmt(cond("StringEquals", "ec2:NoSuchKey", "x"), Action="*", Resource="*"), K.MANAGED),
])
def test_unknown_condition_key(catalog: ActionCatalog, statement: dict,
                               kind: PolicyKind) -> None:
    assert lint(catalog, statement, kind=kind) == [
        ("unknown-condition-key", W, S0, "Condition")]


@pytest.mark.parametrize(("statement", "kind"), [
    (stmt(cond("StringLike", "s3:prefix", "home/*"), Action="s3:ListBucket",
          Resource="arn:aws:s3:::b"), K.MANAGED),
    (stmt(cond("StringEquals", "aws:PrincipalTag/team", "red")), K.MANAGED),  # ${TagKey}
    (stmt(cond("StringEquals", "s3:ExistingObjectTag/class", "public")), K.MANAGED),  # <key>
    (stmt(cond("StringEquals", "AWS:SourceOwner", "111122223333"), Action="sns:Publish",
          Resource="arn:aws:sns:us-east-1:111122223333:t", Principal={"AWS": "*"}),
     K.RESOURCE),
    (stmt(cond("StringEquals", "ec2:Region", "eu-west-1"), Effect="Deny", Action=None,
          NotAction="iam:*", Resource="*"), K.MANAGED),  # NotAction: any service's key
    (trust(cond("StringEquals", "sts:ExternalId", "x")), K.TRUST),
    (trust(cond("StringEquals", "saml:aud", "https://signin.aws.amazon.com/saml"),
           Action="sts:AssumeRoleWithSAML",
           Principal={"Federated": "arn:aws:iam::111122223333:saml-provider/idp"}), K.TRUST),
    (trust(cond("StringEquals", "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub", "system:x"),
           Action="sts:AssumeRoleWithWebIdentity",
           Principal={"Federated": "arn:aws:iam::111122223333:oidc-provider/"
                                   "oidc.eks.us-east-1.amazonaws.com/id/ABC"}), K.TRUST),
])
def test_known_condition_keys(catalog: ActionCatalog, statement: dict,
                              kind: PolicyKind) -> None:
    assert lint(catalog, statement, kind=kind) == []


@pytest.mark.parametrize(("operator", "key", "value"), [
    ("StringEquals", "aws:SecureTransport", "true"),
    ("NumericEquals", "aws:CurrentTime", "1"),
    ("StringEquals", "aws:SourceIp", "10.0.0.1"),
    ("DateLessThan", "s3:max-keys", "2020-01-01"),
    ("ArnLike", "aws:SourceVpc", "arn:aws:ec2:*:*:vpc/*"),
    ("Bool", "aws:PrincipalAccount", "true"),
])
def test_operator_type_mismatch(catalog: ActionCatalog, operator: str, key: str,
                                value: str) -> None:
    statement = stmt(cond(operator, key, value), Action="s3:ListBucket",
                     Resource="arn:aws:s3:::b")
    assert lint(catalog, statement) == [("operator-type-mismatch", W, S0, "Condition")]


@pytest.mark.parametrize(("operator", "key", "value"), [
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::b"),
    ("StringLike", "aws:SourceArn", "arn:aws:s3:::b"),
    ("NumericLessThan", "aws:EpochTime", "1900000000"),
    ("DateLessThan", "aws:EpochTime", "2030-01-01"),
    ("Bool", "aws:SecureTransport", "false"),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "true"),
    ("Null", "aws:SecureTransport", "true"),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"),
    ("NumericLessThanEquals", "s3:max-keys", "100"),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
])
def test_operator_type_match(catalog: ActionCatalog, operator: str, key: str,
                             value: str) -> None:
    statement = stmt(cond(operator, key, value), Action="s3:ListBucket",
                     Resource="arn:aws:s3:::b")
    assert lint(catalog, statement) == []


def test_set_operator_on_single_valued_key(catalog: ActionCatalog) -> None:
    statement = stmt(cond("ForAnyValue:StringEquals", "aws:SourceVpc", "vpc-1"),
                     Effect="Deny")
    assert lint(catalog, statement) == [
        ("set-operator-on-single-valued-key", W, S0, "Condition")]
    assert lint(catalog, stmt(cond("StringEquals", "aws:SourceVpc", "vpc-1"))) == []


def test_missing_set_operator(catalog: ActionCatalog) -> None:
    assert lint(catalog, stmt(cond("StringEquals", "aws:TagKeys", "team"))) == [
        ("missing-set-operator", W, S0, "Condition")]
    assert lint(catalog, stmt(cond("ForAnyValue:StringEquals", "aws:TagKeys", "team"))) == []
    assert lint(catalog, stmt(cond("Null", "aws:TagKeys", "false"))) == []


@pytest.mark.parametrize(("operator", "key", "value"), [
    ("NumericLessThan", "s3:max-keys", "ten"),
    ("NumericLessThan", "s3:max-keys", "NaN"),
    ("DateGreaterThan", "aws:CurrentTime", "2020-13-01"),
    ("DateGreaterThan", "aws:CurrentTime", "yesterday"),
    ("IpAddress", "aws:SourceIp", "10.0.0.300/8"),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/33"),
    ("Bool", "aws:SecureTransport", "yes"),
    ("Null", "aws:SourceVpc", "maybe"),
    ("BinaryEquals", "aws:UserAgent", "not base64!"),
    # variables are substituted for string and ARN operators only
    ("DateGreaterThan", "aws:CurrentTime", "${aws:TokenIssueTime}"),
    ("NumericLessThan", "s3:max-keys", "${aws:PrincipalTag/max}"),
])
def test_bad_condition_value(catalog: ActionCatalog, operator: str, key: str,
                             value: str) -> None:
    statement = stmt(cond(operator, key, value), Action="s3:ListBucket",
                     Resource="arn:aws:s3:::b")
    assert lint(catalog, statement) == [("bad-condition-value", E, S0, "Condition")]


@pytest.mark.parametrize(("operator", "key", "value"), [
    ("NumericLessThan", "s3:max-keys", "10"),
    ("NumericLessThan", "s3:max-keys", 10),
    ("NumericLessThan", "s3:max-keys", "1.5"),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01"),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T12:00:00+02:00"),
    ("DateGreaterThan", "aws:CurrentTime", "1700000000"),
    ("IpAddress", "aws:SourceIp", ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]),
    ("Bool", "aws:SecureTransport", True),
    ("Bool", "aws:SecureTransport", "False"),
    ("Null", "aws:SourceVpc", "true"),
    ("BinaryEquals", "aws:UserAgent", "QmluYXJ5VmFsdWU="),
])
def test_good_condition_values(catalog: ActionCatalog, operator: str, key: str,
                               value: Any) -> None:
    statement = stmt(cond(operator, key, value), Action="s3:ListBucket",
                     Resource="arn:aws:s3:::b")
    assert lint(catalog, statement) == []


def test_forallvalues_without_null_check(catalog: ActionCatalog) -> None:
    forall = cond("ForAllValues:StringEquals", "aws:TagKeys", ["team", "env"])
    assert lint(catalog, stmt(forall, Action="ec2:CreateTags", Resource="*")) == [
        ("forallvalues-without-null-check", W, S0, "Condition")]
    guarded = {"Condition": {**forall["Condition"], "Null": {"aws:tagkeys": "false"}}}
    assert lint(catalog, stmt(guarded, Action="ec2:CreateTags", Resource="*")) == []
    assert lint(catalog, stmt(forall, Action="ec2:CreateTags", Resource="*",
                              Effect="Deny")) == []
    anyvalue = cond("ForAnyValue:StringEquals", "aws:TagKeys", ["team"])
    assert lint(catalog, stmt(anyvalue, Action="ec2:CreateTags", Resource="*")) == []


def test_variable_in_a_numeric_condition_is_explained(catalog: ActionCatalog) -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        stmt(cond("NumericLessThan", "s3:max-keys", "${aws:PrincipalTag/max}"))]},
        policy_id="p", kind=K.MANAGED)
    (diagnostic,) = lint_policy(policy, catalog)
    assert diagnostic.code == "bad-condition-value"
    assert "substituted only for string and ARN operators" in diagnostic.message
