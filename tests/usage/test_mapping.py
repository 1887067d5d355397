"""Event -> action mapping (usage-logs.md section 2.3), validated against the catalog."""

from __future__ import annotations

import duckdb
import pytest

from iamscope.usage.mapping import MappingStatus, arn_kind, strip_version_suffix
from iamscope.usage.resources import ARN_KIND_SQL


@pytest.mark.parametrize(("name", "expected"), [
    ("GetFunction20150331v2", "GetFunction"), ("CreateFunction20150331", "CreateFunction"),
    ("GetDistribution2020_05_31", "GetDistribution"), ("ListObjectsV2", "ListObjectsV2"),
    ("DescribeInstances", "DescribeInstances")])
def test_version_suffix_stripping(name: str, expected: str) -> None:
    assert strip_version_suffix(name) == expected


@pytest.mark.parametrize(("source", "name", "actions"), [
    ("lambda.amazonaws.com", "Invoke", ["lambda:InvokeFunction"]),  # row 28
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ["lambda:UpdateFunctionCode"]),
    ("s3.amazonaws.com", "HeadObject", ["s3:GetObject"]),  # row 31
    ("s3.amazonaws.com", "ListObjectsV2", ["s3:ListBucket"]),  # row 30
    ("s3.amazonaws.com", "CopyObject", ["s3:PutObject", "s3:GetObject"]),  # row 37
    ("s3.amazonaws.com", "DeleteBucketReplication", ["s3:PutReplicationConfiguration"]),
    ("kms.amazonaws.com", "ReEncrypt", ["kms:ReEncryptFrom", "kms:ReEncryptTo"]),  # row 50
    ("monitoring.amazonaws.com", "GetMetricData", ["cloudwatch:GetMetricData"]),  # row 1
    ("pinpoint.amazonaws.com", "GetApps", ["mobiletargeting:GetApps"]),  # row 13
    ("pricelist.amazonaws.com", "GetProducts", ["pricing:GetProducts"]),  # row 14
    ("cloudcontrolapi.amazonaws.com", "GetResource", ["cloudformation:GetResource"]),
    ("budgets.amazonaws.com", "CreateBudget", ["budgets:ModifyBudget"]),  # row 61
    ("apigateway.amazonaws.com", "GetRestApis", ["apigateway:GET"]),  # row 60
    ("tagging.amazonaws.com", "GetResources", ["tag:GetResources"]),
    ("iam.amazonaws.com", "ListRoles", ["iam:ListRoles"]),
])
def test_mapped_events(mapper, source: str, name: str, actions: list[str]) -> None:
    mapping = mapper.map(source, name)
    assert mapping.status is MappingStatus.MAPPED
    assert [a.action for a in mapping.actions] == actions


@pytest.mark.parametrize(("source", "name", "status"), [
    ("sts.amazonaws.com", "GetCallerIdentity", MappingStatus.NO_PERMISSION),  # row 57
    ("signin.amazonaws.com", "ConsoleLogin", MappingStatus.NO_PERMISSION),  # row 59
    ("dynamodb.amazonaws.com", "ExecuteStatement", MappingStatus.CONTENT_DEPENDENT),  # row 53
    ("s3.amazonaws.com", "MadeUpEvent", MappingStatus.UNKNOWN_ACTION),
    ("nosuchservice.amazonaws.com", "GetThing", MappingStatus.UNKNOWN_SOURCE),
    ("s3.amazonaws.com", "Get'; DROP TABLE usage; --", MappingStatus.MALFORMED),
    ("s3.amazonaws.com\x1b[2J", "GetObject", MappingStatus.MALFORMED),
])
def test_events_never_guessed(mapper, source: str, name: str, status: MappingStatus) -> None:
    mapping = mapper.map(source, name)
    assert mapping.status is status
    assert mapping.actions == ()


def test_every_override_action_exists_in_the_catalog(mapper, catalog) -> None:
    """Loading the override table validates each action (a CatalogError otherwise)."""
    actions = {a.action for m in mapper.overrides.values() for a in m.actions}
    assert actions and all(catalog.is_known_action(a) for a in actions)
    assert set(mapper.prefixes.values()) <= catalog.services


def test_resource_patterns_come_from_one_required_type(mapper) -> None:
    decrypt = mapper.map("kms.amazonaws.com", "Decrypt").actions[0]
    assert decrypt.kinds == ("kms/key",)
    assert decrypt.pattern == "arn:{partition}:kms:{region}:{account}:key/*"
    describe = mapper.map("ec2.amazonaws.com", "DescribeInstances").actions[0]
    assert describe.wildcard_only and describe.pattern == "*"


ARNS = ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/a/b.txt",
        "arn:aws:s3:us-east-1:111122223333:accesspoint/ap", "arn:aws:iam::1:role/path/r",
        "arn:aws:sqs:eu-west-1:1:queue", "arn:aws:lambda:eu-west-1:1:function:f:live",
        "arn:aws:logs:r:1:log-group:/aws/x:log-stream:y", "arn:aws:kms:r:1:alias/app",
        "not-an-arn", "arn:aws:short"]


def test_arn_kind_agrees_with_its_sql_twin() -> None:
    con = duckdb.connect()
    con.execute(ARN_KIND_SQL)
    sql = [con.execute("SELECT arn_kind(?)", [arn]).fetchone()[0] for arn in ARNS]
    assert sql == [arn_kind(arn) for arn in ARNS]
    assert sql[:4] == ["s3/bucket", "s3/object", "s3/accesspoint", "iam/role"]
