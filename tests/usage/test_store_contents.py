"""Exact store contents after ingesting the fixtures of fixtures/cloudtrail/ (build.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from iamscope.usage.store import UsageStore
from tests.usage.conftest import ACCT, APP, ETL, OTHER

ALICE = f"arn:aws:iam::{ACCT}:user/alice"


def _usage(db) -> set[tuple[str, str, str, int, str]]:
    with UsageStore.open(db) as store:
        return {(r.principal, r.action, r.resource, r.count, r.source) for r in store.usage()}


def test_usage_rows_are_exactly_the_successful_attributed_calls(good_store) -> None:
    assert _usage(good_store) == {
        # org trail (AWSLogs/o-.../111122223333/...), management events
        (ALICE, "sts:AssumeRole", APP, 1, "cloudtrail"),
        # a role name without its path is not an ARN (see test_resource_patterns)
        (ALICE, "iam:GetRole", "*", 1, "cloudtrail"),
        # the distribution id is not turned into an ARN: "*" (see test_resource_patterns)
        (ALICE, "cloudfront:GetDistribution", "*", 1, "cloudtrail"),
        (APP, "lambda:CreateFunction",
         f"arn:aws:lambda:us-east-1:{ACCT}:function:thumbnailer", 1, "cloudtrail"),
        # GetFunction20150331v2 by full ARN and by "name:qualifier": one function
        (APP, "lambda:GetFunction", f"arn:aws:lambda:us-east-1:{ACCT}:function:thumbnailer", 2,
         "cloudtrail"),
        (APP, "ec2:DescribeInstances", "*", 1, "cloudtrail"),
        (APP, "ec2:RunInstances", "*", 1, "cloudtrail"),
        (APP, "cloudwatch:DescribeAlarms", "*", 1, "cloudtrail"),
        (APP, "ecs:RegisterTaskDefinition", "*", 1, "cloudtrail"),
        # iam:PassRole is never logged: inferred from the parameters that pass a role
        (APP, "iam:PassRole", f"arn:aws:iam::{ACCT}:role/lambda-exec", 1, "inferred"),
        (APP, "iam:PassRole", f"arn:aws:iam::{ACCT}:role/web-task", 1, "inferred"),
        (APP, "iam:PassRole", f"arn:aws:iam::{ACCT}:role/ecs-exec", 1, "inferred"),
        # RunInstances named its instance profile, not the role: nothing narrower than "*"
        (APP, "iam:PassRole", "*", 1, "inferred"),
        # forward-access call (invokedBy secretsmanager) credited to the caller
        (f"arn:aws:iam::{ACCT}:user/bob", "kms:Decrypt",
         f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", 1,
         "cloudtrail"),
        (f"arn:aws:iam::{ACCT}:root", "s3:ListAllMyBuckets", "*", 1, "cloudtrail"),
        # data events (S3 object and bucket picked from resources[] by the action's type)
        (APP, "s3:GetObject", "arn:aws:s3:::reports/2026/03/summary.csv", 3, "cloudtrail-data"),
        (APP, "s3:ListBucket", "arn:aws:s3:::reports", 1, "cloudtrail-data"),
        (APP, "lambda:InvokeFunction", f"arn:aws:lambda:eu-west-1:{ACCT}:function:thumbnailer",
         1, "cloudtrail-data"),
        (ETL, "s3:PutObject", "arn:aws:s3:::archive/2026/summary.csv", 1, "cloudtrail-data"),
        (ETL, "s3:GetObject", "arn:aws:s3:::reports/2026/03/summary.csv", 1, "cloudtrail-data"),
        (ETL, "dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/orders", 1,
         "cloudtrail-data"),
        (ETL, "sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{ACCT}:jobs", 1, "cloudtrail-data"),
        # a secret name without its random suffix is not an ARN
        (ETL, "secretsmanager:GetSecretValue", "*", 1, "cloudtrail"),
        # plain pretty-printed JSON and JSON lines
        (f"arn:aws:iam::{OTHER}:role/ci", "dynamodb:DescribeTable",
         f"arn:aws:dynamodb:us-west-2:{OTHER}:table/sessions", 1, "cloudtrail"),
        (f"arn:aws:iam::{OTHER}:role/ci", "ssm:GetParameter",
         f"arn:aws:ssm:us-west-2:{OTHER}:parameter/ci/token", 1, "cloudtrail"),
        (f"arn:aws:iam::{OTHER}:user/carol", "sns:Publish",
         f"arn:aws:sns:us-west-2:{OTHER}:alerts", 1, "cloudtrail-data"),
        # a KMS alias does not name the key
        (f"arn:aws:iam::{OTHER}:user/carol", "kms:Encrypt", "*", 1, "cloudtrail"),
    }


def test_usage_times_and_accounts(good_store) -> None:
    with UsageStore.open(good_store) as store:
        rows = store.usage(principal=APP)
    get = next(r for r in rows if r.action == "s3:GetObject")
    assert get.first_seen == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert get.last_seen == datetime(2026, 3, 2, 8, 6, tzinfo=UTC)
    assert {r.account for r in rows} == {ACCT}


def test_denied_attempts_are_reported_not_counted(good_store) -> None:
    with UsageStore.open(good_store) as store:
        denied = {(r.principal, r.action, r.resource, r.error_code) for r in store.denied()}
    assert denied == {
        (ALICE, "iam:DeleteRole", "*", "AccessDenied"),
        (APP, "ec2:TerminateInstances", "*", "Client.UnauthorizedOperation"),
        (ETL, "s3:PutObject", "arn:aws:s3:::reports/2026/03/new.csv", "AccessDenied"),
    }
    actions = {(p, a) for p, a, *_ in _usage(good_store)}
    assert (ALICE, "iam:DeleteRole") not in actions
    # throttled calls are neither usage nor denials
    assert (APP, "ec2:DescribeVpcs") not in actions
    assert (APP, "sqs:CreateQueue") not in actions


def test_became_edges(good_store) -> None:
    with UsageStore.open(good_store) as store:
        became = {(r.principal, r.role, r.action, r.count) for r in store.became()}
    assert became == {
        (ALICE, APP, "sts:AssumeRole", 1),
        ("token.actions.githubusercontent.com", f"arn:aws:iam::{ACCT}:role/github-deploy",
         "sts:AssumeRoleWithWebIdentity", 1),
    }


def test_unmapped_and_permissionless_events(good_store) -> None:
    with UsageStore.open(good_store) as store:
        unmapped = {(r.event_source, r.event_name, r.reason, r.count) for r in store.unmapped()}
    assert unmapped == {
        ("s3.amazonaws.com", "MadeUpEvent", "unknown-action", 1),
        ("sts.amazonaws.com", "GetCallerIdentity", "no-permission", 1),
    }


def test_coverage_per_account_and_kind(good_store) -> None:
    with UsageStore.open(good_store) as store:
        coverage = {(r.account, r.kind, r.events) for r in store.coverage()}
        window = store.window()
    assert coverage == {
        (ACCT, "management", 21), (ACCT, "data:s3", 6), (ACCT, "data:lambda", 1),
        (ACCT, "data:dynamodb", 1), (ACCT, "data:sqs", 1),
        (OTHER, "management", 3), (OTHER, "data:sns", 1),
    }
    assert window is not None
    assert (window.start, window.end) == (datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
                                          datetime(2026, 3, 4, 12, 1, tzinfo=UTC))


def test_principals_and_filters(good_store) -> None:
    with UsageStore.open(good_store) as store:
        assert store.principals() == sorted({
            ALICE, APP, ETL, f"arn:aws:iam::{ACCT}:user/bob", f"arn:aws:iam::{ACCT}:root",
            f"arn:aws:iam::{OTHER}:role/ci", f"arn:aws:iam::{OTHER}:user/carol"})
        since = store.usage(since=datetime(2026, 3, 3))
        until = store.usage(until=datetime(2026, 3, 1, 10, 0, 30, tzinfo=UTC))
    assert {r.principal for r in since} == {f"arn:aws:iam::{OTHER}:role/ci",
                                            f"arn:aws:iam::{OTHER}:user/carol"}
    assert {(r.principal, r.action) for r in until} == {(ALICE, "sts:AssumeRole")}


def test_resource_patterns_when_asked(tmp_path, mapper) -> None:
    """With resource_patterns, unknown resources become account/region/type ARN patterns."""
    from tests.usage.conftest import CLOUDTRAIL, run_ingest

    db = tmp_path / "u.duckdb"
    run_ingest(db, CLOUDTRAIL / "trail", CLOUDTRAIL / "lines", mapper=mapper,
               resource_patterns=True)
    with UsageStore.open(db) as store:
        rows = {(r.principal, r.action, r.resource) for r in store.usage()}
        resources = {(p, a): r for p, a, r in rows if r.endswith("*")}
    rows_by_action = resources
    assert rows_by_action[(ALICE, "cloudfront:GetDistribution")] == \
        f"arn:aws:cloudfront::{ACCT}:distribution/*"
    assert rows_by_action[(APP, "ecs:RegisterTaskDefinition")] == \
        f"arn:aws:ecs:us-east-1:{ACCT}:task-definition/*:*"
    assert rows_by_action[(ETL, "secretsmanager:GetSecretValue")] == \
        f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:prod/db-*"
    assert rows_by_action[(f"arn:aws:iam::{OTHER}:user/carol", "kms:Encrypt")] == \
        f"arn:aws:kms:us-west-2:{OTHER}:key/*"
    assert rows >= {
        (ALICE, "iam:GetRole", f"arn:aws:iam::{ACCT}:role/*app-runner"),
        (APP, "iam:PassRole", f"arn:aws:iam::{ACCT}:instance-profile/*web-profile"),
        (APP, "iam:PassRole", f"arn:aws:iam::{ACCT}:role/lambda-exec"),
        (APP, "ec2:DescribeInstances", "*"),  # no resource type
        (APP, "ec2:RunInstances", "*")}  # several required resource types
