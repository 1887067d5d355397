"""The check reports: SARIF validates against the official 2.1.0 schema and carries rules,
levels, locations, fingerprints and suppressions; Markdown and text keep attacker-controlled
names inert; JSON holds the verdict, the delta and every finding."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from iamscope.ci.gate import CheckInput, run_check
from iamscope.model.check import CheckResult
from iamscope.model.finding import Severity
from iamscope.model.source import SourceRef
from iamscope.report import check_json, check_text, markdown, sarif
from tests.ci import scenarios
from tests.ci.builders import one_role
from tests.ci.scenarios import DEPLOY_POLICY, Ignore
from tests.conftest import REPO
from tests.graph.builders import allow

SCHEMA = json.loads((REPO / "tests/data/sarif-schema-2.1.0.json").read_text())
HOSTILE = "x<img src=x onerror=alert(1)>|@acme/admins\n# pwned](javascript:x)`\x1b[31m"


@pytest.fixture(scope="module")
def result() -> CheckResult:
    return run_check(scenarios.plan(**{DEPLOY_POLICY: [
        Ignore("IAMSCOPE-AWS-002", "CI needs to create functions",
               SourceRef(file="/repo/infra/iam.tf", line=41))]}))


@pytest.fixture(scope="module")
def hostile() -> CheckResult:
    return run_check(CheckInput(one_role(allow("iam:*"), name="evil"),
                                warnings=(HOSTILE,)), fail_on=Severity.HIGH)


def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def test_sarif_validates_against_the_official_schema(result: CheckResult) -> None:
    document = sarif.to_dict(result, base="/repo/infra")
    errors = sorted(_validator().iter_errors(document), key=str)
    assert not errors, errors[:3]


def test_sarif_rules_levels_locations_and_fingerprints(result: CheckResult) -> None:
    run = sarif.to_dict(result, base="/repo/infra")["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in result.rules]
    by_id = {r["id"]: r for r in rules}
    assert by_id["IAMSCOPE-AWS-004"]["defaultConfiguration"]["level"] == "error"
    assert by_id["IAMSCOPE-AWS-004"]["properties"]["security-severity"] == "8.0"
    assert by_id["aws_cross_account_resource_policy"]["defaultConfiguration"]["level"] == \
        "warning"
    [passrole] = [r for r in run["results"] if r["ruleId"] == "IAMSCOPE-AWS-004"]
    assert passrole["level"] == "error"
    assert rules[passrole["ruleIndex"]]["id"] == "IAMSCOPE-AWS-004"
    physical = passrole["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "iam.tf"}, "region": {"startLine": 42}}
    assert passrole["partialFingerprints"]["iamscope/v1"] == next(
        f.finding.fingerprint for f in result.findings
        if f.finding.rule_id == "IAMSCOPE-AWS-004")
    assert passrole["properties"]["introduced"] is True
    [written] = [r for r in run["results"] if r["ruleId"] == "IAMSCOPE-AWS-002"]
    assert written["suppressions"] == [{
        "kind": "inSource", "state": "accepted",
        "justification": "CI needs to create functions",
        "location": {"physicalLocation": {"artifactLocation": {"uri": "iam.tf"},
                                          "region": {"startLine": 41}}}}]
    assert written["level"] == "warning"  # medium


def test_sarif_levels_follow_severity() -> None:
    assert [sarif.LEVEL[s] for s in Severity] == ["error", "error", "warning", "note", "note"]


@pytest.mark.parametrize(("path", "expected"), [
    ("iam.tf", "iam.tf"), ("./modules/ci/main.tf", "modules/ci/main.tf"),
    ("/repo/infra/modules/a b.tf", "modules/a%20b.tf"),
    ("/elsewhere/x.tf", "file:///elsewhere/x.tf"), ("dir\\win.tf", "dir/win.tf")])
def test_sarif_uris_are_relative_and_encoded(path: str, expected: str) -> None:
    assert sarif.uri(path, "/repo/infra") == expected


def test_sarif_of_findings_without_files_still_validates(hostile: CheckResult) -> None:
    document = sarif.to_dict(hostile)
    assert not list(_validator().iter_errors(document))
    results = document["runs"][0]["results"]
    assert all("logicalLocations" in r["locations"][0] for r in results)


def test_markdown_verdict_delta_and_suppressed_section(result: CheckResult) -> None:
    text = markdown.render(result)
    assert text.startswith("## iamscope check: ❌ failed (fail on high and above)\n")
    assert "### What this plan changes" in text
    assert "become admin through iam:PassRole + lambda:CreateFunction" in text
    assert "<details><summary>Suppressed findings (1)</summary>" in text
    assert "inSource: CI needs to create functions" in text


def test_markdown_escapes_hostile_text(hostile: CheckResult) -> None:
    text = markdown.render(hostile)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "@acme" not in text and "&#64;acme/admins" in text
    assert "\n# pwned" not in text and "\\](javascript" in text  # no line, no link
    assert "\x1b" not in text
    for line in text.splitlines():
        assert not line.startswith("# ")
    assert markdown.escape("a|b`c*d_[e](f)") == "a\\|b\\`c\\*d\\_\\[e\\](f)"


def test_text_report_escapes_control_characters(hostile: CheckResult) -> None:
    plain = check_text.render(hostile).plain
    assert "\x1b" not in plain and "\\x1b[31m" in plain
    assert plain.startswith("iamscope check (inventory, 1 account(s)): FAILED")


def test_json_report(result: CheckResult) -> None:
    data = json.loads(check_json.render(result))
    assert data["format"] == "iamscope-check" and data["verdict"] == {
        "failed": True, "fail_on": "high"}
    assert data["summary"]["suppressed"] == 1
    assert data["summary"]["findings"] == len(result.findings)
    assert data["delta"]["items"][0]["causes"][0]["address"] == "aws_iam_role_policy.deploy"
    assert data["delta"]["items"][0]["causes"][0]["location"] == {
        "file": "iam.tf", "line": 42, "address": "aws_iam_role_policy.deploy"}
    suppressed = [f for f in data["findings"] if f["suppressed"]]
    assert suppressed[0]["suppression"]["kind"] == "inSource"


def test_schema_file_is_the_recorded_copy() -> None:
    text = (REPO / "tests/data/sarif-schema-2.1.0.json").read_text()
    assert len(text) == 112318
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert Path(REPO / "tests/data/README.md").read_text().count("3682e9ee648f") == 1
