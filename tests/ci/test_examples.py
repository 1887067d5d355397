"""Every configuration in terraform-examples/ through `iamscope check` (click's CliRunner):
the exit status and the findings its expected.json lists, and for the hand-written plan, the
blast-radius delta headline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from tests.conftest import REPO

_register()
EXAMPLES = REPO / "terraform-examples"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "expected.json").is_file())


def check(target: Path, fail_on: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["check", str(target), "--format", "json",
                                      "--fail-on", fail_on])
    assert result.exit_code in (0, 1), result.stderr or result.output
    return result.exit_code, json.loads(result.stdout)


def matches(finding: dict[str, Any], want: dict[str, Any]) -> bool:
    return (finding["rule_id"] == want["rule_id"]
            and finding["subject"].endswith(want.get("subject_endswith", ""))
            and want.get("message_contains", "") in finding["message"]
            and finding["severity"] == want.get("severity", finding["severity"])
            and finding["suppressed"] == want.get("suppressed", False))


def test_every_example_has_a_configuration_and_an_expectation() -> None:
    assert NAMES == ["ci-deployer", "cross-account-trust", "gcp-risky-binding",
                     "least-privilege-service", "passrole-escalation"]
    for name in NAMES:
        assert list((EXAMPLES / name).glob("*.tf")), name


@pytest.mark.parametrize("name", NAMES)
def test_example(name: str) -> None:
    folder = EXAMPLES / name
    expected = json.loads((folder / "expected.json").read_text())
    code, report = check(folder, expected["fail_on"])
    findings = report["findings"]
    shown = [(f["rule_id"], f["subject"], f["severity"], f["suppressed"]) for f in findings]
    assert code == expected["exit_code"], shown
    for want in expected["findings"]:
        assert any(matches(f, want) for f in findings), (want, shown)
    assert not {f["rule_id"] for f in findings} & set(expected.get("absent", ())), shown
    for text in expected.get("absent_messages", ()):
        assert not any(text in f["message"] for f in findings), shown
    if "max_severity" in expected:
        order = ["critical", "high", "medium", "low", "info"]
        worst = order.index(expected["max_severity"])
        assert all(order.index(f["severity"]) >= worst for f in findings), shown


def test_plan_delta_headline() -> None:
    folder = EXAMPLES / "passrole-escalation"
    expected = json.loads((folder / "expected.json").read_text())["plan"]
    code, report = check(folder / expected["file"], "high")
    assert code == expected["exit_code"]
    assert report["metadata"]["source"] == "plan"
    items = report["delta"]["items"]
    for want in expected["delta"]:
        found = [i for i in items if i["rule_id"] == want["rule_id"]
                 and i["principal"].endswith(want["subject_endswith"])]
        assert found, (want, [i["headline"] for i in items])
        for text in want["headline_contains"]:
            assert text in found[0]["headline"], found[0]["headline"]
    # Only the deploy policy changed: nothing else is new in this plan.
    assert report["delta"]["changed_policies"] == [
        p for p in report["delta"]["changed_policies"] if p.endswith("/inline/deploy")]


def test_plan_delta_gains_only_what_the_plan_grants() -> None:
    """user ci could assume app-deployer before the plan: its new path uses sts:AssumeRole
    but gains only what the changed deploy policy grants."""
    _, report = check(EXAMPLES / "passrole-escalation" / "plan.json", "high")
    gained = {i["principal"].rsplit(":", 1)[-1]: i["gained"] for i in report["delta"]["items"]
              if i["rule_id"] == "IAMSCOPE-DELTA-002"}
    new = ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]
    assert gained == {"role/app-deployer": new, "user/ci": new}
    [ci] = [f for f in report["findings"] if f["rule_id"] == "IAMSCOPE-DELTA-002"
            and f["subject"].endswith(":user/ci")]
    assert "path uses: sts:AssumeRole (not changed by this plan)" in ci["evidence"]
    assert "gained: sts:AssumeRole" not in ci["evidence"]


def test_sarif_uris_are_relative_to_the_uri_base_not_to_the_configuration() -> None:
    """GitHub code scanning resolves artifactLocation.uri against the repository root
    (SARIF 2.1.0 section 3.4.3; docs.github.com "SARIF support for code scanning")."""
    folder = EXAMPLES / "gcp-risky-binding"
    result = CliRunner().invoke(cli, ["check", str(folder), "--format", "sarif",
                                      "--uri-base", str(REPO), "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    uris = {location["physicalLocation"]["artifactLocation"]["uri"]
            for found in document["runs"][0]["results"] for location in found["locations"]}
    assert uris == {"terraform-examples/gcp-risky-binding/main.tf"}
