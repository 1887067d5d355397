"""`iamscope usage ingest` through click (real store, real fixtures)."""

from __future__ import annotations

from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.usage.store import UsageStore
from tests.usage.conftest import CLOUDTRAIL


def _invoke(*args: str):
    _register()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_ingest_prints_counts_window_and_problems(tmp_path) -> None:
    db = tmp_path / "u.duckdb"
    result = _invoke("usage", "ingest", str(CLOUDTRAIL / "trail"), str(CLOUDTRAIL / "hostile"),
                     "--db", str(db))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "events:  37 read, 21 kept, 3 denied, 1 unknown events" in out
    assert "window:  2026-03-01T10:00:00Z .. 2026-03-02T08:13:00Z (this run)" in out
    assert "corrupt.json.gz: unreadable" in out
    assert "\x1b" not in out  # ANSI escapes from event names are shown escaped
    assert "\\x1b[31mRed\\x1b[0m" in out
    with UsageStore.open(db) as store:
        assert len(store.files()) == 8


def test_until_date_covers_the_whole_day(tmp_path) -> None:
    db = tmp_path / "u.duckdb"
    result = _invoke("usage", "ingest", str(CLOUDTRAIL / "trail"), "--db", str(db),
                     "--until", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert "10 outside the filters" in result.output
    with UsageStore.open(db) as store:
        window = store.window()
    assert window is not None and window.end.day == 1


def test_bad_input_exits_2(tmp_path) -> None:
    result = _invoke("usage", "ingest", str(tmp_path / "missing"), "--db",
                     str(tmp_path / "u.duckdb"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _invoke("usage", "ingest", str(empty), "--db", str(tmp_path / "u.duckdb"))
    assert result.exit_code == 2 and "no CloudTrail log files" in result.output
