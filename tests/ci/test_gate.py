"""The gate end to end on inventories: audit findings + policy rules + the delta of a plan,
suppressions (inline and baseline, counted not hidden), the verdict, and the headline."""

from __future__ import annotations

import pytest

from iamscope.ci import baseline
from iamscope.ci.gate import CheckInput, rules, run_check
from iamscope.errors import InputError
from iamscope.model.check import CheckResult, SuppressionKind
from iamscope.model.finding import Severity
from iamscope.model.source import SourceRef
from tests.ci import scenarios
from tests.ci.scenarios import CI, DEPLOY, DEPLOY_POLICY, REPORTS, Ignore
from tests.graph.builders import allow


@pytest.fixture(scope="module")
def result() -> CheckResult:
    return run_check(scenarios.plan())


def test_headline_names_principal_technique_and_terraform_cause(result: CheckResult) -> None:
    assert result.delta is not None
    by_principal = {(i.rule_id, i.principal): i for i in result.delta.items}
    item = by_principal[("IAMSCOPE-DELTA-002", DEPLOY)]
    assert item.headline.startswith(
        f"this plan lets role deploy (account {scenarios.ACCT}) become admin through "
        "iam:PassRole + lambda:CreateFunction (admin-fn (AWS-LMB-01)), added by "
        "aws_iam_role_policy.deploy at iam.tf:42; only if: needs a way to run it")
    # Without lambda:InvokeFunction the path needs an existing trigger: conditional, HIGH.
    assert item.severity is Severity.HIGH
    assert [c.change for c in item.causes] == ["changed"]
    # The user who can assume deploy gains the same path, caused by the same resource.
    through_ci = by_principal[("IAMSCOPE-DELTA-002", CI)]
    assert "sts:AssumeRole + iam:PassRole + lambda:CreateFunction" in through_ci.headline
    assert [c.address for c in through_ci.causes] == ["aws_iam_role_policy.deploy"]


def test_new_sensitive_access_of_an_existing_principal(result: CheckResult) -> None:
    assert result.delta is not None
    [item] = [i for i in result.delta.items if i.principal == REPORTS]
    assert item.rule_id == "IAMSCOPE-DELTA-003"  # not repeated as new permissions (004)
    assert item.severity is Severity.MEDIUM
    assert item.gained == ("data: s3:PutObject on arn:aws:s3:::reports/*",)
    assert item.headline.endswith("added by aws_iam_role_policy.reports at iam.tf:80.")


def test_new_permissions_that_are_not_sensitive() -> None:
    planned = scenarios._state(
        [allow("s3:GetObject", "arn:aws:s3:::artifacts/*"),
         allow(["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
               f"arn:aws:logs:us-east-1:{scenarios.ACCT}:log-group:/deploy*")],
        ["s3:GetObject"])
    checked = run_check(CheckInput(planned, scenarios.before(), source="plan",
                                   addresses=scenarios.ADDRESSES))
    assert checked.delta is not None
    [item] = checked.delta.items
    assert (item.rule_id, item.principal) == ("IAMSCOPE-DELTA-004", DEPLOY)
    assert item.severity is Severity.MEDIUM
    assert [g.split(" on ")[0] for g in item.gained] == ["logs:CreateLogGroup",
                                                        "logs:PutRetentionPolicy"]
    assert "added by aws_iam_role_policy.deploy at iam.tf:42" in item.headline


def test_findings_say_whether_the_plan_introduced_them(result: CheckResult) -> None:
    introduced = {(f.finding.rule_id, f.finding.subject) for f in result.findings
                  if f.introduced}
    assert ("aws_escalation_to_admin", DEPLOY) in introduced
    assert ("IAMSCOPE-AWS-004", DEPLOY_POLICY) in introduced
    old = [f for f in result.findings if f.finding.rule_id == "aws_admin_principal"]
    assert old and all(f.introduced is False for f in old)
    assert result.failed and result.fail_on is Severity.HIGH


def test_inline_suppression_by_subject_and_by_address() -> None:
    reason = "the deploy role is reviewed by the platform team"
    checked = run_check(scenarios.plan(**{
        DEPLOY_POLICY: [Ignore("IAMSCOPE-AWS-004", reason, SourceRef("iam.tf", 41))],
        DEPLOY: [Ignore("aws_escalation_to_admin", "break-glass path")]}))
    suppressed = {(f.finding.rule_id, f.finding.subject): f.suppression
                  for f in checked.suppressed}
    assert suppressed[("IAMSCOPE-AWS-004", DEPLOY_POLICY)].kind is SuppressionKind.INLINE
    assert suppressed[("IAMSCOPE-AWS-004", DEPLOY_POLICY)].justification == reason
    assert ("aws_escalation_to_admin", DEPLOY) in suppressed
    assert len(checked.findings) == len(run_check(scenarios.plan()).findings)  # not hidden


def test_baseline_round_trip_suppresses_everything_and_passes(result: CheckResult) -> None:
    document = baseline.to_dict(f.finding for f in result.findings)
    accepted = baseline.from_dict(document)
    again = run_check(scenarios.plan(), baseline=accepted)
    assert not again.active and not again.failed
    assert {f.suppression.kind for f in again.suppressed} == {SuppressionKind.BASELINE}


@pytest.mark.parametrize("document", [[], {"format": "other"}, {
    "format": "iamscope-baseline", "version": 1, "findings": [{"rule_id": "x"}]}])
def test_malformed_baselines_are_input_errors(document: object) -> None:
    with pytest.raises(InputError):
        baseline.from_dict(document, source="b.json")


def test_fail_on_threshold_and_none() -> None:
    safe = CheckInput(scenarios.before())
    assert not run_check(safe, fail_on=Severity.CRITICAL).failed
    assert run_check(safe, fail_on=Severity.LOW).failed  # the old admin role
    assert not run_check(safe, fail_on=None).failed


def test_no_prior_state_means_no_delta_and_a_note() -> None:
    checked = run_check(CheckInput(scenarios.after(), source="plan"))
    assert checked.delta is None
    assert all(f.introduced is None for f in checked.findings)
    assert any("no prior state" in n for n in checked.notes)


def test_rules_are_unique_and_cover_every_reported_rule(result: CheckResult) -> None:
    ids = [r.id for r in rules()]
    assert len(ids) == len(set(ids))
    assert {f.finding.rule_id for f in result.findings} <= set(ids)


def test_prior_sensitive_reach_reused_equals_the_full_computation() -> None:
    from iamscope.ci.delta import Changes
    from iamscope.ci.gate import analyse
    from iamscope.evaluate import Engine

    engine = Engine()
    before = analyse(scenarios.before(), engine)
    after = analyse(scenarios.after(), engine)
    changes = Changes(before, after, scenarios.ADDRESSES)
    assert not changes.context_changed
    for node in before.escalation.index:
        mine, gained = before.analysis.sensitive_summary(node)
        assert changes.sensitive_before(node) == {*mine, *gained}, node
    assert changes.sensitive_finding_existed(REPORTS)
