"""`iamscope usage ingest` through click: s3:// on a moto server over HTTP, the account and
region filters, denied attempts, terminal escaping of attacker-controlled strings, and an
interrupted run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.usage.ingest import ingest
from iamscope.usage.sources import discover
from iamscope.usage.store import UsageStore
from tests.usage.conftest import ACCT, CLOUDTRAIL, OTHER

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_SESSION_TOKEN": "testing", "AWS_CONFIG_FILE": "/dev/null",
       "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def _invoke(*args: str, env: dict[str, str] | None = None):
    _register()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def _rows(db: Path) -> set[tuple[str, str, str, int]]:
    with UsageStore.open(db) as store:
        return {(r.principal, r.action, r.resource, r.count) for r in store.usage()}


def test_s3_url_through_the_cli_on_a_moto_server(tmp_path: Path, moto_endpoint: str) -> None:
    """`s3://bucket/prefix` with --endpoint-url: listed and downloaded with boto3 over HTTP
    from moto's ThreadedMotoServer on 127.0.0.1; the result equals ingesting the same files
    from a local folder, and a second run skips every object by the ledger."""
    import boto3

    from tests.moto_server import CREDENTIALS, reset

    reset(moto_endpoint)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                          **CREDENTIALS)
    client.create_bucket(Bucket="trail-bucket")
    for path in (CLOUDTRAIL / "trail").rglob("*.json.gz"):
        key = path.relative_to(CLOUDTRAIL / "trail").as_posix()
        client.upload_file(str(path), "trail-bucket", f"cloudtrail/{key}")
    client.put_object(Bucket="trail-bucket", Key="cloudtrail/AWSLogs/broken.json.gz",
                      Body=b"\x1f\x8b\x08\x00not really gzip")
    db = tmp_path / "s3.duckdb"
    args = ["usage", "ingest", "s3://trail-bucket/cloudtrail/", "--db", str(db),
            "--endpoint-url", moto_endpoint]
    first = _invoke(*args, env=ENV)
    assert first.exit_code == 0, first.output
    assert "files:   3 read, 0 already ingested, 1 with problems" in first.output
    assert "s3://trail-bucket/cloudtrail/AWSLogs/broken.json.gz: unreadable" in first.output
    again = _invoke(*args, env=ENV)
    assert again.exit_code == 0, again.output
    assert "files:   0 read, 3 already ingested" in again.output
    local = tmp_path / "local.duckdb"
    assert _invoke("usage", "ingest", str(CLOUDTRAIL / "trail"), "--db", str(local)
                   ).exit_code == 0
    assert _rows(db) == _rows(local) and len(_rows(db)) > 10


def test_s3_bucket_that_does_not_exist_is_a_clear_error(tmp_path: Path,
                                                        moto_endpoint: str) -> None:
    result = _invoke("usage", "ingest", "s3://no-such-bucket/x", "--db",
                     str(tmp_path / "u.duckdb"), "--endpoint-url", moto_endpoint, env=ENV)
    assert result.exit_code == 2
    assert "no-such-bucket" in result.output and "Traceback" not in result.output


def test_unknown_aws_profile_is_a_clear_error(tmp_path: Path) -> None:
    result = _invoke("usage", "ingest", "s3://bucket/x", "--db", str(tmp_path / "u.duckdb"),
                     "--profile", "no-such-profile", env=ENV)
    assert result.exit_code == 2
    assert "cannot make an S3 client: ProfileNotFound" in result.output


def test_account_and_region_filters(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    result = _invoke("usage", "ingest", str(CLOUDTRAIL / "trail"), str(CLOUDTRAIL / "plain"),
                     str(CLOUDTRAIL / "lines"), "--db", str(db), "--account", OTHER,
                     "--region", "us-west-2")
    assert result.exit_code == 0, result.output
    assert "2 outside the filters by their path" in result.output  # both trail files
    accounts = {p.split(":")[4] for p, *_ in _rows(db)}
    assert accounts == {OTHER}
    with UsageStore.open(db) as store:
        regions = {r.resource.split(":")[3] for r in store.usage() if r.resource != "*"}
    assert regions <= {"us-west-2", ""}


def _hostile_line(name: str, principal_name: str) -> str:
    record = {"eventTime": "2026-03-06T00:00:00Z", "eventSource": "s3.amazonaws.com",
              "eventName": name, "awsRegion": "eu-west-1", "recipientAccountId": ACCT,
              "errorCode": "AccessDenied",
              "requestParameters": {"bucketName": "[bold]b\x1b[2J"},
              "userIdentity": {"type": "IAMUser", "accountId": ACCT,
                               "arn": f"arn:aws:iam::{ACCT}:user/{principal_name}"}}
    return json.dumps(record)


def test_markup_and_escapes_from_logs_are_printed_literally(tmp_path: Path) -> None:
    """Rich markup in event names, principals and resources is printed as text, not
    interpreted; control characters are escaped (no raw ESC reaches the terminal)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "[red]file.jsonl").write_text(
        _hostile_line("[bold]Pwn[/bold]", "eve") + "\n"
        + _hostile_line("ListBucket", "[blink]mallory[/blink]\x1b[31m") + "\n"
        + "not json at all\n")
    result = _invoke("usage", "ingest", str(logs), "--db", str(tmp_path / "u.duckdb"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out
    assert "s3.amazonaws.com [bold]Pwn[/bold]: 1 (malformed)" in out
    assert f"arn:aws:iam::{ACCT}:user/[blink]mallory[/blink]\\x1b[31m s3:ListBucket on " \
           "arn:aws:s3:::[bold]b\\x1b[2J: 1 (AccessDenied)" in out
    assert "[red]file.jsonl: 2 of 3 records are not CloudTrail events" in out


def test_denied_attempts_are_listed(tmp_path: Path) -> None:
    result = _invoke("usage", "ingest", str(CLOUDTRAIL / "trail"), "--db",
                     str(tmp_path / "u.duckdb"))
    assert result.exit_code == 0, result.output
    assert "denied attempts (not usage; most frequent, whole store):" in result.output
    assert f"arn:aws:iam::{ACCT}:user/alice iam:DeleteRole on *: 1 (AccessDenied)" in \
        result.output


class Interrupted(Exception):
    pass


def test_an_interrupted_run_leaves_nothing_half_written(tmp_path: Path, mapper) -> None:
    """Interrupted after its batch was parsed and aggregated, before the commit: the store
    holds neither rows nor ledger entries, and the next run ingests everything once."""
    db = tmp_path / "u.duckdb"
    files = discover([str(CLOUDTRAIL / "trail"), str(CLOUDTRAIL / "lines")])

    def stop(_: int) -> None:
        raise Interrupted

    with UsageStore.open(db, writable=True) as store, pytest.raises(Interrupted):
        ingest(store, files, mapper=mapper, progress=stop)
    with UsageStore.open(db) as store:
        assert (store.usage(), store.files(), store.denied(), store.coverage()) == (
            [], [], [], [])
    with UsageStore.open(db, writable=True) as store:
        report = ingest(store, files, mapper=mapper)
    reference = tmp_path / "ref.duckdb"
    with UsageStore.open(reference, writable=True) as store:
        ingest(store, files, mapper=mapper)
    assert report.files_read == 3 and _rows(db) == _rows(reference)
