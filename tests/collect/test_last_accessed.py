"""Service-last-accessed collection (IAM API Reference, GenerateServiceLastAccessedDetails and
GetServiceLastAccessedDetails): moto 5.2.5 does not implement either API, so against the moto
server every principal must get a gap (never a crash, never "never used"); the polling,
paging and FAILED paths run on recorded responses (fixtures/aws/api/last-accessed-*), and
normalisation on a hand-written raw collection (fixtures/aws/raw/last-accessed.json)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.collect.aws.collect import collect
from iamscope.collect.aws.last_accessed import (
    GENERATE,
    GET,
    LastAccessedOptions,
    fetch_last_accessed,
    principal_arns,
)
from iamscope.collect.aws.normalize import normalize_collection
from iamscope.collect.aws.normalize_last_accessed import ReportError, iso_utc, parse_report
from iamscope.collect.aws.permissions import collector_policy, read_actions
from iamscope.model.snapshot import loads
from tests.collect.conftest import ACCOUNT, PARTITION, REGION, Aws, trust
from tests.collect.moto_gaps import MotoConnection
from tests.moto_server import session

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "fixtures" / "aws" / "raw" / "last-accessed.json"
DOC = ROOT / "docs" / "aws-collector.md"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
USER = f"arn:aws:iam::{ACCOUNT}:user/bob"
QUICK = LastAccessedOptions(wait_seconds=60, poll_seconds=0)


def _seed(aws: Aws) -> None:
    iam = aws.client("iam")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    iam.create_user(UserName="bob")


def test_moto_without_the_api_gives_one_gap_per_principal(aws: Aws) -> None:
    _seed(aws)
    connection = MotoConnection(_session=session(REGION), endpoint_url=aws.endpoint)
    raw = collect(connection, regions=[REGION], last_accessed=QUICK)
    [account] = raw["accounts"]
    assert account["last_accessed"] == {}
    gaps = [g for g in account["gaps"] if g["scope"].startswith("iam service last accessed")]
    assert [(g["scope"], g["permission"]) for g in gaps] == [
        (f"iam service last accessed {ROLE}", GENERATE),
        (f"iam service last accessed {USER}", GENERATE)]
    assert all(g["reason"].startswith("NotImplemented") for g in gaps)
    inventory = normalize_collection(raw).inventory
    assert inventory.principals[ROLE].last_accessed is None  # not learned, not "never used"
    assert {g.scope for g in inventory.gaps} >= {g["scope"] for g in gaps}


def test_without_the_flag_nothing_is_asked(aws: Aws) -> None:
    _seed(aws)
    connection = MotoConnection(_session=session(REGION), endpoint_url=aws.endpoint)
    [account] = collect(connection, regions=[REGION])["accounts"]
    assert "last_accessed" not in account
    assert not [g for g in account["gaps"] if "last accessed" in g["scope"]]


def test_polls_until_completed_reads_every_page_and_records_failed_jobs(aws: Aws) -> None:
    connection = aws.connection("last-accessed-recorded", max_pool=1)  # calls in order
    reports, gaps = fetch_last_accessed(connection, ACCOUNT, PARTITION, [ROLE, USER], QUICK)
    connection.assert_consumed()
    assert list(reports) == [ROLE]
    report = reports[ROLE]
    assert report["JobStatus"] == "COMPLETED"
    assert report["JobCompletionDate"] == "2026-10-20T12:00:03Z"
    assert [s["ServiceNamespace"] for s in report["ServicesLastAccessed"]] == ["s3", "kms"]
    assert "IsTruncated" not in report and "Marker" not in report
    json.dumps(report)
    assert gaps == [{"scope": f"iam service last accessed {USER}",
                     "reason": "job 22222222-2222-4333-8444-555555555555 FAILED: "
                               "InternalError: the report could not be generated",
                     "permission": GET, "account": ACCOUNT, "region": None}]
    parsed = parse_report(report)
    assert [(s.service, s.last_authenticated) for s in parsed.services] == [
        ("kms", None), ("s3", "2026-10-18T09:30:00Z")]


def test_denied_and_timed_out_jobs_are_gaps(aws: Aws) -> None:
    connection = aws.connection("last-accessed-denied", max_pool=1)
    options = LastAccessedOptions(wait_seconds=0, poll_seconds=0)
    reports, gaps = fetch_last_accessed(connection, ACCOUNT, PARTITION, [ROLE, USER], options)
    connection.assert_consumed()
    assert reports == {}
    assert [(g["scope"], g["reason"], g["permission"]) for g in gaps] == [
        (f"iam service last accessed {ROLE}", "AccessDenied: permission missing", GENERATE),
        (f"iam service last accessed {USER}", "job 33333333-2222-4333-8444-555555555555 not "
         "COMPLETED within 0 s: not read", GET)]


def test_normalises_the_real_response_shape() -> None:
    raw = json.loads(RAW.read_text())
    result = normalize_collection(raw)
    principals = result.inventory.principals
    app = principals["arn:aws:iam::111122223333:role/app"].last_accessed
    assert app is not None
    assert app.job_completed_at == "2026-10-20T12:00:00Z"  # from ...12:00:00.123000+00:00
    s3 = app.service("s3")
    assert s3 is not None and (s3.last_authenticated, s3.last_authenticated_region,
                               s3.total_authenticated_entities) == (
        "2026-10-18T09:30:00Z", "us-east-1", 1)
    assert s3.last_authenticated_entity == "arn:aws:iam::111122223333:role/app"
    kms = app.service("kms")
    assert kms is not None and kms.last_authenticated is None
    # bob: the collector's gap; carol: a FAILED job in the raw data; neither has a report.
    assert principals["arn:aws:iam::111122223333:user/bob"].last_accessed is None
    assert principals["arn:aws:iam::111122223333:user/carol"].last_accessed is None
    scopes = {g.scope: g.reason for g in result.inventory.gaps}
    assert "JobStatus is 'FAILED'" in scopes[
        "iam service last accessed arn:aws:iam::111122223333:user/carol"]
    assert "not in the authorization details" in scopes[
        "iam service last accessed arn:aws:iam::111122223333:role/deleted"]
    assert "iam service last accessed arn:aws:iam::111122223333:user/bob" in scopes
    # The snapshot keeps it.
    from iamscope.model.snapshot import dumps

    back = loads(dumps(result.inventory))
    assert back.principals["arn:aws:iam::111122223333:role/app"].last_accessed == app


def test_malformed_reports_are_refused_with_a_reason() -> None:
    good = {"JobStatus": "COMPLETED", "JobCompletionDate": "2026-10-20T12:00:00Z",
            "ServicesLastAccessed": [{"ServiceNamespace": "s3"}]}
    assert parse_report(good).services[0].service == "s3"
    for broken, message in [
        ({**good, "JobStatus": "IN_PROGRESS"}, "not 'COMPLETED'"),
        ({**good, "IsTruncated": True}, "later pages are missing"),
        ({**good, "JobCompletionDate": None}, "no JobCompletionDate"),
        ({**good, "JobCompletionDate": "yesterday"}, "not an ISO 8601 date"),
        ({**good, "ServicesLastAccessed": [{"ServiceName": "x"}]}, "no ServiceNamespace"),
        ({**good, "ServicesLastAccessed": [{"ServiceNamespace": "s3"}] * 2}, "repeated"),
        ({**good, "ServicesLastAccessed": [{"ServiceNamespace": "s3",
                                            "TotalAuthenticatedEntities": "1"}]},
         "not an integer"),
    ]:
        try:
            parse_report(broken)
        except ReportError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"accepted {broken}")
    assert iso_utc("2026-10-20 12:00:00", "x") == "2026-10-20T12:00:00Z"  # naive is UTC
    assert iso_utc("2026-10-20T14:00:00+02:00", "x") == "2026-10-20T12:00:00Z"


def test_principal_arns_are_users_and_roles() -> None:
    details = json.loads(RAW.read_text())["accounts"][0]["authorization_details"]
    assert principal_arns(details) == [
        "arn:aws:iam::111122223333:role/admin", "arn:aws:iam::111122223333:role/app",
        "arn:aws:iam::111122223333:role/idle", "arn:aws:iam::111122223333:user/bob",
        "arn:aws:iam::111122223333:user/carol"]


def test_permissions_are_optional_and_documented() -> None:
    assert GENERATE not in read_actions() and GET not in read_actions()
    actions = collector_policy(last_accessed=True)["Statement"][0]["Action"]
    assert GENERATE in actions and GET in actions and actions == sorted(actions)
    text = DOC.read_text()
    assert "--last-accessed" in text and GENERATE in text and GET in text
    _register()
    result = CliRunner().invoke(cli, ["permissions", "aws", "--no-org", "--last-accessed"])
    assert result.exit_code == 0, result.output
    assert GENERATE in json.loads(result.output)["Statement"][0]["Action"]
