"""Usage rows come back with their stored times exactly, as aware UTC datetimes, whichever
way the store reads them (float seconds in [1900, 2200), naive timestamps outside)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from iamscope.usage.store import UsageStore

ROLE = "arn:aws:iam::111122223333:role/app"


def _write(path: Path, times: list[tuple[datetime, datetime]]) -> None:
    with UsageStore.open(path, writable=True) as store:
        store.connection.executemany(
            "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(ROLE, "s3:GetObject", f"arn:aws:s3:::b/{i:04d}", first, last, 1, "cloudtrail",
              "111122223333") for i, (first, last) in enumerate(times)])


moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
recent = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(recent, recent), min_size=1, max_size=30),
       st.lists(st.tuples(moments, moments), max_size=3))
def test_times_come_back_exactly(tmp_path_factory, inside: list, anywhere: list) -> None:
    path = tmp_path_factory.mktemp("store") / "usage.duckdb"
    _write(path, inside + anywhere)
    with UsageStore.open(path) as store:
        rows = store.usage()
    expected = [(f.replace(tzinfo=UTC), la.replace(tzinfo=UTC)) for f, la in inside + anywhere]
    assert [(r.first_seen, r.last_seen) for r in rows] == expected
    assert all(r.first_seen.tzinfo is UTC and r.last_seen.tzinfo is UTC for r in rows)


def test_microseconds_near_the_ends_of_the_fast_range(tmp_path: Path) -> None:
    edges = [datetime(1900, 1, 1, 0, 0, 0, 1), datetime(2199, 12, 31, 23, 59, 59, 999_999),
             datetime(2026, 3, 1, 12, 0, 0, 500_001), datetime(1969, 12, 31, 23, 59, 59, 3)]
    _write(tmp_path / "u.duckdb", [(t, t) for t in edges])
    with UsageStore.open(tmp_path / "u.duckdb") as store:
        assert [r.first_seen for r in store.usage()] == [t.replace(tzinfo=UTC) for t in edges]
