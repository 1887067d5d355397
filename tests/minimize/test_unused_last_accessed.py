"""`iamscope unused` with IAM service-last-accessed data (IAM API Reference,
GetServiceLastAccessedDetails) standing in for CloudTrail in accounts the usage store does
not cover. The inventory is the hand-written raw collection
fixtures/aws/raw/last-accessed.json: account 111122223333 has no CloudTrail and reports as
of 2026-10-20T12:00Z (app: s3 used 2026-10-18, kms never, sqs 2026-05-02; idle: dynamodb
never; admin (`*`): s3 2026-10-19; bob and carol: no report), account 444455556666 is
covered by the store (web used s3, web-idle nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.usage.store import UsageRow
from tests.minimize.conftest import T0, T1, write_store

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "fixtures" / "aws" / "raw" / "last-accessed.json"
SNAPSHOT = ROOT / "fixtures" / "aws" / "snapshots" / "flawed-org.json"
A, B = "111122223333", "444455556666"
APP, IDLE, ADMIN = (f"arn:aws:iam::{A}:role/{n}" for n in ("app", "idle", "admin"))
BOB, CAROL = f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:user/carol"
WEB, WEB_IDLE = f"arn:aws:iam::{B}:role/web", f"arn:aws:iam::{B}:role/web-idle"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def _rows(*items: tuple[str, str, str]) -> list[UsageRow]:
    return [UsageRow(principal, action, "*", T0, T1, 1, "cloudtrail", account)
            for principal, action, account in items]


def _unused(runner: CliRunner, store: Path, *extra: str) -> dict:
    result = runner.invoke(cli, ["unused", str(RAW), "--usage", str(store), "--days", "30",
                                 "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_last_accessed_judges_accounts_without_cloudtrail(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    store = write_store(tmp_path / "u.duckdb", _rows((WEB, "s3:GetObject", B)),
                        coverage=((B, "management"),))
    report = _unused(runner, store)
    entries = {e["principal"]: e for e in report["principals"]}
    assert sorted(entries) == [APP, IDLE, WEB_IDLE]  # admin and web were used
    app = entries[APP]
    assert (app["source"], app["unused"], app["as_of"]) == (
        "service-last-accessed", False, "2026-10-20T12:00:00+00:00")
    assert app["last_used"] == "2026-10-18T09:30:00+00:00"
    assert app["unused_services"] == [
        {"service": "kms", "last_used": None, "source": "service-last-accessed"},
        {"service": "sqs", "last_used": "2026-05-02T08:00:00+00:00",
         "source": "service-last-accessed"}]
    assert app["unjudged_services"] == []
    idle = entries[IDLE]
    assert idle["unused"] is True and idle["last_used"] is None
    assert [s["service"] for s in idle["unused_services"]] == ["dynamodb"]
    web_idle = entries[WEB_IDLE]
    assert web_idle["source"] == "cloudtrail" and web_idle["unused"] is True
    assert "as_of" not in web_idle
    # bob's job was denied, carol's FAILED: no data is not "never used".
    assert report["principals_not_judged"] == [BOB, CAROL]
    assert report["accounts_without_logs"] == [A]
    assert report["as_of"] == T1.isoformat()


def test_a_longer_window_makes_the_recent_services_unused_too(runner: CliRunner,
                                                              tmp_path: Path) -> None:
    store = write_store(tmp_path / "u.duckdb", _rows((WEB, "s3:GetObject", B)),
                        coverage=((B, "management"),))
    entries = {e["principal"]: e for e in _unused(runner, store)["principals"]}
    assert ADMIN not in entries
    result = runner.invoke(cli, ["unused", str(RAW), "--usage", str(store), "--days", "1",
                                 "--format", "json"])
    entries = {e["principal"]: e for e in json.loads(result.stdout)["principals"]}
    assert entries[ADMIN]["unused"] is True  # s3 last on 10-19, report as of 10-20 12:00
    assert [s["service"] for s in entries[ADMIN]["unused_services"]] == ["*"]


def test_partial_logs_still_count_as_use(runner: CliRunner, tmp_path: Path) -> None:
    """A call seen in the logs of an account without management-event coverage is use."""
    store = write_store(tmp_path / "u.duckdb",
                        _rows((WEB, "s3:GetObject", B), (APP, "kms:Decrypt", A)),
                        coverage=((B, "management"),))
    entries = {e["principal"]: e for e in _unused(runner, store)["principals"]}
    assert [s["service"] for s in entries[APP]["unused_services"]] == ["sqs"]


def test_works_without_any_logs(runner: CliRunner, tmp_path: Path) -> None:
    store = write_store(tmp_path / "empty.duckdb", [], coverage=())
    report = _unused(runner, store)
    assert report["as_of"] is None
    assert {e["principal"] for e in report["principals"]} == {APP, IDLE}
    assert report["accounts_without_logs"] == [A, B]
    assert report["principals_not_judged"] == [BOB, CAROL, WEB, WEB_IDLE]
    refused = runner.invoke(cli, ["unused", str(SNAPSHOT), "--usage", str(store)])
    assert refused.exit_code == 2
    assert "no IAM last-accessed data" in refused.output


def test_text_names_the_source(runner: CliRunner, tmp_path: Path) -> None:
    store = write_store(tmp_path / "u.duckdb", _rows((WEB, "s3:GetObject", B)),
                        coverage=((B, "management"),))
    result = runner.invoke(cli, ["unused", str(RAW), "--usage", str(store), "--days", "30"])
    assert result.exit_code == 0, result.output
    assert (f"  UNUSED {IDLE} (last used never in the IAM last accessed, "
            "service-last-accessed as of 2026-10-20); unused services: dynamodb") in result.output
    assert f"  UNUSED {WEB_IDLE} (last used never in the logs)" in result.output
    assert (f"for account(s) {A} and no IAM last-accessed data for 2 user(s) and role(s) "
            "there") in result.output
