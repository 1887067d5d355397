"""Incremental re-runs, filters, hostile inputs and S3 (moto server)."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime

import pytest

from iamscope.errors import InputError
from iamscope.usage.aggregate import Filters
from iamscope.usage.ingest import ingest
from iamscope.usage.sources import discover
from iamscope.usage.store import UsageStore
from tests.usage.conftest import ACCT, APP, CLOUDTRAIL, OTHER, run_ingest


def _total(db) -> int:
    with UsageStore.open(db) as store:
        return sum(r.count for r in store.usage())


def test_rerun_skips_ingested_files(tmp_path, mapper) -> None:
    db = tmp_path / "u.duckdb"
    first = run_ingest(db, CLOUDTRAIL / "trail", mapper=mapper)
    total = _total(db)
    second = run_ingest(db, CLOUDTRAIL / "trail", mapper=mapper)
    assert (first.files_read, first.files_skipped) == (2, 0)
    assert (second.files_read, second.files_skipped, second.events) == (0, 2, 0)
    assert _total(db) == total


def test_a_copy_of_the_trail_is_not_counted_twice(tmp_path, mapper) -> None:
    db = tmp_path / "u.duckdb"
    run_ingest(db, CLOUDTRAIL / "trail", mapper=mapper)
    total = _total(db)
    copy = tmp_path / "elsewhere"
    shutil.copytree(CLOUDTRAIL / "trail", copy, copy_function=shutil.copy)  # new mtimes
    again = run_ingest(db, copy, mapper=mapper)
    assert (again.files_read, again.files_skipped, again.problems) == (0, 2, [])
    assert _total(db) == total


def test_changed_file_is_reported_not_double_counted(tmp_path, mapper) -> None:
    copy = tmp_path / "logs" / "a.json"
    copy.parent.mkdir()
    plain = next((CLOUDTRAIL / "plain").glob("*.json"))
    shutil.copy(plain, copy)
    db = tmp_path / "u.duckdb"
    run_ingest(db, copy, mapper=mapper)
    copy.write_text(copy.read_text() + "\n")
    again = run_ingest(db, copy, mapper=mapper)
    assert again.events == 0
    assert again.problems == [(str(copy.resolve()), "changed since it was ingested; not "
                               "re-read (its events are already counted)")]
    assert _total(db) == 2


def test_filters_drop_events_outside(tmp_path, mapper) -> None:
    db = tmp_path / "u.duckdb"
    report = run_ingest(db, CLOUDTRAIL / "trail", CLOUDTRAIL / "plain", mapper=mapper,
                        filters=Filters(since=datetime(2026, 3, 2), accounts=frozenset({ACCT}),
                                        regions=frozenset({"eu-west-1"})))
    with UsageStore.open(db) as store:
        principals = store.principals()
        coverage = {(r.account, r.kind) for r in store.coverage()}
    # the org-trail file (us-east-1) is skipped by its path, the plain file has no layout
    assert (report.files_filtered, report.files_read) == (1, 2)
    assert report.filtered == 2  # the other account's records in the plain file
    assert APP in principals and f"arn:aws:iam::{OTHER}:role/ci" not in principals
    assert (ACCT, "management") in coverage and (OTHER, "management") not in coverage


def test_hostile_files_are_reported_and_ingestion_goes_on(tmp_path, mapper) -> None:
    db = tmp_path / "u.duckdb"
    report = run_ingest(db, CLOUDTRAIL / "hostile", CLOUDTRAIL / "lines", mapper=mapper)
    problems = {path.rsplit("/", 1)[1]: text for path, text in report.problems}
    assert set(problems) == {"truncated.json.gz", "corrupt.json.gz", "not-json.json",
                             "not-cloudtrail.json", "missing-fields.json", "injection.json"}
    assert problems["truncated.json.gz"].startswith("unreadable:")
    assert problems["injection.json"] == "4 of 4 records are not CloudTrail events"
    assert report.kept == 2  # the good JSON-lines file in the same run
    with UsageStore.open(db) as store:
        unmapped = {(r.event_source, r.event_name, r.reason) for r in store.unmapped()}
        tables = store.connection.execute("SELECT count(*) FROM usage").fetchone()[0]
        ledger = {f.path.rsplit("/", 1)[1]: (f.events, f.kept) for f in store.files()}
    assert ("s3.amazonaws.com", "Get'; DROP TABLE usage; --", "malformed") in unmapped
    assert ("s3.amazonaws.com", "\x1b[31mRed\x1b[0m", "malformed") in unmapped
    assert tables == 2
    assert ledger["corrupt.json.gz"] == (0, 0) and ledger["events.jsonl"] == (2, 2)


def test_absurd_sizes(tmp_path, mapper) -> None:
    """A huge event name and a document above DuckDB's object limit are contained."""
    folder = tmp_path / "big"
    folder.mkdir()
    record = json.loads((CLOUDTRAIL / "lines" / "events.jsonl").read_text().splitlines()[0])
    record["eventName"] = "A" * 1_000_000
    (folder / "huge-name.json").write_text(json.dumps({"Records": [record]}))
    with gzip.open(folder / "bomb.json.gz", "wt") as out:  # 60 MB of one JSON string
        out.write('{"Records": [{"eventName": "' + "x" * 60_000_000 + '"}]}')
    db = tmp_path / "u.duckdb"
    with UsageStore.open(db, writable=True) as store:
        report = ingest(store, discover([str(folder)]), mapper=mapper,
                        max_object_bytes=16 << 20)
        stored = [len(r.event_name) for r in store.unmapped()]
    problems = {p.rsplit("/", 1)[1]: t for p, t in report.problems}
    assert problems["bomb.json.gz"].startswith("unreadable:")
    assert problems["huge-name.json"] == "1 of 1 records are not CloudTrail events"
    assert stored == [200]


def test_missing_path_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        discover([str(tmp_path / "nope")])


def test_store_refuses_a_newer_schema(tmp_path) -> None:
    db = tmp_path / "u.duckdb"
    with UsageStore.open(db, writable=True) as store:
        store.connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(InputError, match="schema 99"):
        UsageStore.open(db)


def test_s3_bucket_on_a_moto_server(tmp_path, mapper, moto_endpoint) -> None:
    import boto3

    from tests.moto_server import CREDENTIALS, reset

    reset(moto_endpoint)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                          **CREDENTIALS)
    client.create_bucket(Bucket="org-trail")
    for path in (CLOUDTRAIL / "trail").rglob("*.json.gz"):
        key = path.relative_to(CLOUDTRAIL / "trail").as_posix()
        client.upload_file(str(path), "org-trail", f"logs/{key}")
    client.put_object(Bucket="org-trail", Key="logs/AWSLogs/111122223333/CloudTrail-Digest/"
                      "x.json.gz", Body=b"digest")
    db = tmp_path / "u.duckdb"
    with UsageStore.open(db, writable=True) as store:
        files = discover(["s3://org-trail/logs/"], s3_client=client)
        report = ingest(store, files, mapper=mapper, s3_client=client)
        again = ingest(store, discover(["s3://org-trail/logs/"], s3_client=client),
                       mapper=mapper, s3_client=client)
        paths = sorted(f.path for f in store.files())
    assert len(files) == 2 and report.problems == []
    assert report.kept == 21 and again.files_skipped == 2
    assert all(p.startswith("AWSLogs/") for p in paths)  # trail-relative ledger names
    assert _total(db) == _total_local(tmp_path, mapper)


def _total_local(tmp_path, mapper) -> int:
    db = tmp_path / "local.duckdb"
    run_ingest(db, CLOUDTRAIL / "trail", mapper=mapper)
    return _total(db)


def test_path_filter_keeps_a_day_of_margin() -> None:
    from iamscope.usage.ingest import outside_by_path
    from iamscope.usage.sources import LogFile

    item = LogFile("/x/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/03/02/f.json.gz",
                   1, None, None)
    assert not outside_by_path(item, Filters(since=datetime(2026, 3, 3)))
    assert outside_by_path(item, Filters(since=datetime(2026, 3, 4)))
    assert not outside_by_path(item, Filters(until=datetime(2026, 3, 1)))
    assert outside_by_path(item, Filters(until=datetime(2026, 2, 28)))
    assert outside_by_path(item, Filters(accounts=frozenset({"444455556666"})))
    assert outside_by_path(item, Filters(regions=frozenset({"us-east-1"})))
    assert not outside_by_path(LogFile("/x/events.jsonl", 1, None, None),
                               Filters(regions=frozenset({"us-east-1"})))


def test_session_without_issuer_is_folded_into_its_role(tmp_path, mapper) -> None:
    """Without sessionContext.sessionIssuer the role ARN comes from the session ARN (no
    path); a record that is not a JSON object is malformed, the rest of the file counts."""
    record = {"eventTime": "2026-03-06T00:00:00Z", "eventSource": "sqs.amazonaws.com",
              "eventName": "ListQueues", "awsRegion": "eu-west-1",
              "recipientAccountId": "111122223333",
              "userIdentity": {"type": "AssumedRole", "accountId": "111122223333",
                               "arn": "arn:aws:sts::111122223333:assumed-role/batch/job-7"}}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n[1, 2]\n")
    db = tmp_path / "u.duckdb"
    report = run_ingest(db, path, mapper=mapper)
    with UsageStore.open(db) as store:
        rows = [(r.principal, r.action, r.resource) for r in store.usage()]
    assert rows == [("arn:aws:iam::111122223333:role/batch", "sqs:ListQueues", "*")]
    assert (report.kept, report.malformed) == (1, 1)


def test_a_bad_line_costs_only_itself_in_json_lines(tmp_path, mapper) -> None:
    """JSON lines: a line that is not JSON (or is cut off) is one malformed record; the
    file's other records still count. A .json document that is not JSON stays unreadable."""
    good = (CLOUDTRAIL / "lines" / "events.jsonl").read_text().splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_text(good[0] + "\nnot json\n" + good[1] + "\n" + good[0][:40] + "\n")
    db = tmp_path / "u.duckdb"
    report = run_ingest(db, path, CLOUDTRAIL / "hostile" / "not-json.json", mapper=mapper)
    problems = {p.rsplit("/", 1)[1]: t for p, t in report.problems}
    assert problems["mixed.jsonl"] == "2 of 4 records are not CloudTrail events"
    assert problems["not-json.json"].startswith("unreadable:")
    assert (report.kept, report.malformed) == (2, 2)
