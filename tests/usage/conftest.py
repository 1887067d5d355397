"""Fixtures for the usage store tests: the CloudTrail fixtures of fixtures/cloudtrail/."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamscope.usage.ingest import IngestReport, ingest
from iamscope.usage.mapping import EventMapper
from iamscope.usage.sources import discover
from iamscope.usage.store import UsageStore

CLOUDTRAIL = Path(__file__).resolve().parents[2] / "fixtures" / "cloudtrail"
ACCT = "111122223333"
OTHER = "444455556666"
APP = f"arn:aws:iam::{ACCT}:role/service-role/app-runner"
ETL = f"arn:aws:iam::{ACCT}:role/etl"


@pytest.fixture(scope="session")
def mapper(catalog) -> EventMapper:
    return EventMapper(catalog)


def run_ingest(db: Path, *paths: Path | str, mapper: EventMapper, **options) -> IngestReport:
    with UsageStore.open(db, writable=True) as store:
        return ingest(store, discover([str(p) for p in paths]), mapper=mapper, **options)


@pytest.fixture(scope="module")
def good_store(tmp_path_factory, mapper) -> Path:
    """The well-formed fixtures (org trail, data events, plain JSON, JSON lines)."""
    db = tmp_path_factory.mktemp("usage") / "usage.duckdb"
    run_ingest(db, CLOUDTRAIL / "trail", CLOUDTRAIL / "plain", CLOUDTRAIL / "lines",
               mapper=mapper)
    return db
