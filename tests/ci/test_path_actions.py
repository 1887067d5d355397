"""A new escalation path's "gained" actions are the ones the plan grants; the steps the
principal could already take are shown as actions the path uses (ci.path_actions)."""

from __future__ import annotations

from iamscope.ci.delta import delta_findings
from iamscope.ci.gate import CheckInput, run_check
from iamscope.model.check import Delta, DeltaItem
from iamscope.model.finding import Finding
from iamscope.model.inventory import Inventory
from tests.ci import scenarios
from tests.ci.scenarios import ADDRESSES, CI, DEPLOY, LAMBDA, place
from tests.graph.builders import (
    ADMIN,
    ADMIN_POLICY,
    account,
    allow,
    collection,
    doc,
    inventory,
    role,
    trust,
)
from tests.graph.builders import user as iam_user

PASS_AND_CREATE = {"Sid": "Deploy", **allow(["iam:PassRole", "lambda:CreateFunction"])}


def _escalations(after: Inventory, before: Inventory) -> dict[str, DeltaItem]:
    checked = run_check(CheckInput(after, before, source="plan", addresses=ADDRESSES))
    assert checked.delta is not None
    return {i.principal: i for i in checked.delta.items if i.rule_id == "IAMSCOPE-DELTA-002"}


def delta_findings_of(item: DeltaItem) -> list[Finding]:
    return delta_findings(Delta((item,), 0, 0, (), ()))


def _state(deploy_trust: dict, deploy: list[dict], ci_actions: list[str] | None) -> Inventory:
    roles = [role("deploy", deploy_trust, inline={"deploy": doc(*deploy)}),
             role("admin-fn", LAMBDA, managed=(ADMIN_POLICY,))]
    users = [] if ci_actions is None else [
        iam_user("ci", inline={"assume": doc(allow(ci_actions, DEPLOY))})]
    return place(inventory(collection(account(roles=roles, users=users, policies=[ADMIN]))))


def test_a_step_taken_before_the_plan_is_used_not_gained() -> None:
    """The scenario: ci could assume deploy before; the plan gives deploy PassRole +
    CreateFunction. ci's path gains those two, and uses sts:AssumeRole."""
    items = _escalations(scenarios.after(), scenarios.before())
    assert items[DEPLOY].gained == ("iam:PassRole", "lambda:CreateFunction")
    assert items[CI].gained == ("iam:PassRole", "lambda:CreateFunction")
    assert "sts:AssumeRole + iam:PassRole" in items[CI].headline  # the path is still named
    [finding] = delta_findings_of(items[CI])
    assert finding.evidence[-3:] == ("gained: iam:PassRole", "gained: lambda:CreateFunction",
                                     "path uses: sts:AssumeRole (not changed by this plan)")


def test_a_trust_policy_change_gains_only_the_assume_step() -> None:
    """deploy could already escalate; the plan makes it trust ci."""
    before = _state(LAMBDA, [PASS_AND_CREATE], ["sts:AssumeRole"])
    after = _state(trust({"AWS": CI}), [PASS_AND_CREATE], ["sts:AssumeRole"])
    items = _escalations(after, before)
    assert set(items) == {CI}
    assert items[CI].gained == ("sts:AssumeRole",)
    [finding] = delta_findings_of(items[CI])
    assert "path uses: iam:PassRole (not changed by this plan)" in finding.evidence
    assert "path uses: lambda:CreateFunction (not changed by this plan)" in finding.evidence


def test_a_principal_the_plan_adds_gains_its_own_step_only() -> None:
    before = _state(trust({"AWS": CI}), [PASS_AND_CREATE], None)
    after = _state(trust({"AWS": CI}), [PASS_AND_CREATE], ["sts:AssumeRole"])
    items = _escalations(after, before)
    assert items[CI].gained == ("sts:AssumeRole",)


def test_a_rewritten_statement_for_a_step_that_existed_is_not_a_gain() -> None:
    """ci's assume statement changes (a second action) but ci could assume deploy before:
    the step is not new, only deploy's PassRole + CreateFunction are."""
    before = _state(trust({"AWS": CI}), [allow("s3:GetObject")], ["sts:AssumeRole"])
    after = _state(trust({"AWS": CI}), [PASS_AND_CREATE], ["sts:AssumeRole", "sts:TagSession"])
    items = _escalations(after, before)
    assert items[CI].gained == ("iam:PassRole", "lambda:CreateFunction")
