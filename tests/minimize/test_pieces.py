"""Generalisation, observed permissions, companions, removed permissions, unused access."""

from __future__ import annotations

from datetime import timedelta

import pytest

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.minimize.companions import load_companions
from iamscope.minimize.generalize import boundary_prefixes, generalise
from iamscope.minimize.minimizer import Minimizer
from iamscope.minimize.observed import build_observed
from iamscope.minimize.unused import find_unused
from tests.minimize.conftest import ACCOUNT, ROLE, T1, role_inventory, row


def test_boundary_prefixes_stay_inside_the_resource_part() -> None:
    assert boundary_prefixes("arn:aws:s3:::bucket/logs/2024/a.gz") == [
        "arn:aws:s3:::bucket/", "arn:aws:s3:::bucket/logs/", "arn:aws:s3:::bucket/logs/2024/"]
    assert boundary_prefixes(f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue") == []
    assert boundary_prefixes("not-an-arn/x") == []


def test_generalise_picks_the_narrowest_prefix_with_enough_support() -> None:
    resources = [f"arn:aws:s3:::b/logs/{d}/{i}" for d in ("x", "y") for i in range(3)]
    resources += ["arn:aws:s3:::b/other", "arn:aws:s3:::c/one"]
    general, exact = generalise(resources, threshold=3)
    assert [g.pattern for g in general] == ["arn:aws:s3:::b/logs/x/*", "arn:aws:s3:::b/logs/y/*"]
    assert exact == ["arn:aws:s3:::b/other", "arn:aws:s3:::c/one"]
    # A lower threshold merges at the deepest shared boundary of each resource; a nested
    # prefix is dropped when a shorter chosen one already covers it.
    general, exact = generalise(resources, threshold=7)
    assert [g.pattern for g in general] == ["arn:aws:s3:::b/*"]
    assert exact == ["arn:aws:s3:::c/one"]
    with pytest.raises(ValueError):
        generalise(resources, threshold=1)


def test_observed_uses_catalog_spelling_and_counts_unknown_actions() -> None:
    observed = build_observed(ROLE, [row("s3:getobject", "arn:aws:s3:::b/k", count=2),
                                     row("s3:GetObject", "arn:aws:s3:::b/k", count=3),
                                     row("s3:MadeUpAction", "*")], ActionCatalog())
    assert observed.uses["s3:GetObject"]["arn:aws:s3:::b/k"].count == 5
    assert observed.unknown == {"s3:MadeUpAction"}


def test_companion_rules_fire_only_for_unobserved_companions() -> None:
    table = load_companions()
    found = {a for a, _ in table.companions({"lambda:CreateFunction", "s3:GetObject"})}
    assert {"iam:PassRole", "kms:Decrypt"} <= found
    assert "iam:PassRole" not in {a for a, _ in table.companions(
        {"lambda:CreateFunction", "iam:PassRole"})}
    assert table.data_rule("s3:GetObjectVersion").kind == "data:s3"
    assert table.data_rule("s3:CreateBucket") is None


def _minimize(documents, rows, kinds=("management", "data:s3", "data:lambda",
                                      "data:dynamodb"), threshold=3):
    minimizer = Minimizer(role_inventory(*documents), coverage={ACCOUNT: set(kinds)},
                          threshold=threshold)
    return minimizer.minimize(ROLE, rows, rows)


ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                   "Resource": "*"}]}


def test_pass_role_is_scoped_to_inferred_roles() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/fn-exec"
    proposal = _minimize([ADMIN], [
        row("lambda:CreateFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"),
        row("iam:PassRole", role, source="inferred")])
    statements = {s["Sid"]: s for s in proposal.policy["Statement"]}
    assert statements["IamStmt1"]["Resource"] == [role]
    assert any("inferred from request parameters" in n for n in proposal.notes)


def test_companion_is_kept_only_as_currently_granted() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "kms:GenerateDataKey",
         "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"}]}
    proposal = _minimize([policy], [row("s3:PutObject", "arn:aws:s3:::b/x")])
    assert proposal.no_new_access is True
    kms = [s for s in proposal.policy["Statement"] if s["Action"] == ["kms:GenerateDataKey"]]
    assert kms[0]["Resource"] == [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"]
    assert any(n.startswith("companion kms:GenerateDataKey") for n in proposal.notes)


def test_unlogged_data_plane_is_kept_and_flagged() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:CreateBucket"],
         "Resource": "arn:aws:s3:::b*"}]}
    proposal = _minimize([policy], [row("s3:CreateBucket", "arn:aws:s3:::b1")],
                         kinds=("management",))
    actions = {a for s in proposal.policy["Statement"] for a in s["Action"]}
    assert actions == {"s3:CreateBucket", "s3:GetObject"}
    assert any("s3 data events were not logged" in n for n in proposal.notes)
    logged = _minimize([policy], [row("s3:CreateBucket", "arn:aws:s3:::b1")])
    assert {a for s in logged.policy["Statement"] for a in s["Action"]} == {"s3:CreateBucket"}


def test_removed_permissions_are_ranked_by_risk_with_last_use() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "iam:PutRolePolicy",
                                       "s3:ListAllMyBuckets"], "Resource": "*"}]}
    old = row("s3:PutObject", "arn:aws:s3:::b/x", last_seen=T1 - timedelta(days=200))
    minimizer = Minimizer(role_inventory(policy), coverage={ACCOUNT: {"data:s3"}})
    proposal = minimizer.minimize(ROLE, [row("s3:GetObject", "arn:aws:s3:::b/x")],
                                  history=[old])
    removed = [(r.action, r.risk) for r in proposal.removed]
    assert removed == [("iam:PutRolePolicy", "permissions-management"),
                       ("s3:PutObject", "write"), ("s3:ListAllMyBuckets", "list")]
    assert proposal.removed[1].last_used == old.last_seen


def test_call_allowed_only_by_a_resource_policy_is_left_to_it() -> None:
    # No identity grant for the queue: the proposal may not add one (proof a), and without
    # the resource policy in the inventory the replay fails, so the proposal is refused.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    proposal = _minimize([policy], [row("s3:GetObject", "arn:aws:s3:::b/x"),
                                    row("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")])
    assert not proposal.emitted
    assert proposal.replay.allowed == 1 and proposal.replay.total == 2
    assert any("sqs:SendMessage" in r and "do not allow it either" in r
               for r in proposal.refused)


def test_conditions_are_copied_from_the_covering_statement() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}]}
    proposal = _minimize([policy], [row("sqs:SendMessage",
                                        f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")])
    (statement,) = proposal.policy["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:requestedregion": "us-east-1"}}
    assert proposal.no_new_access is True


def test_without_inventory_proof_a_is_not_possible() -> None:
    minimizer = Minimizer(None, coverage={})
    proposal = minimizer.minimize(ROLE, [row("s3:GetObject", "arn:aws:s3:::b/x")])
    assert proposal.no_new_access is None
    assert proposal.emitted and proposal.replay.allowed == 1


def test_unused_reports_idle_principals_and_services() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"}]}
    inventory = role_inventory(policy)
    entries = find_unused(inventory, [row("s3:GetObject", "arn:aws:s3:::b/x")], as_of=T1,
                          days=30)
    (entry,) = entries
    assert not entry.unused
    assert [s.service for s in entry.unused_services] == ["sqs"]
    later = find_unused(inventory, [row("s3:GetObject", "arn:aws:s3:::b/x")],
                        as_of=T1 + timedelta(days=90), days=30)
    assert later[0].unused


def test_a_principal_the_engine_cannot_evaluate_is_refused_not_fatal() -> None:
    minimizer = Minimizer(None, coverage={})
    weird = "serviceAccount:\x1b[31mx@p.iam.gserviceaccount.com"
    proposal = minimizer.minimize(weird, [row("s3:GetObject", "arn:aws:s3:::b/x",
                                              principal=weird)])
    assert not proposal.emitted
    assert proposal.replay.allowed == 0 and proposal.replay.total == 1
    assert proposal.refused == ("proof (b): s3:GetObject on arn:aws:s3:::b/x would be denied",)


def test_malformed_actions_in_the_store_are_ignored_and_noted() -> None:
    proposal = _minimize([ADMIN], [row("bogus", "*"), row("s3:GetObject", "arn:aws:s3:::b/x")])
    assert proposal.emitted and proposal.replay.total == 1
    assert "usage rows ignored, their action is not service:Action: bogus" in proposal.notes


def test_uncovered_generalisation_falls_back_to_exact_resources() -> None:
    # The current policy grants only b/logs/? (one character): b/logs/* would be broader.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/logs/?"}]}
    keys = [f"arn:aws:s3:::b/logs/{c}" for c in "abc"]
    proposal = _minimize([policy], [row("s3:GetObject", k) for k in keys])
    (statement,) = proposal.policy["Statement"]
    assert statement["Resource"] == keys
    wide = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    (statement,) = _minimize([wide], [row("s3:GetObject", k) for k in keys]).policy[
        "Statement"]
    assert statement["Resource"] == ["arn:aws:s3:::b/logs/*"]


def test_wildcard_only_call_granted_through_not_resource_keeps_it() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}]}
    proposal = _minimize([policy], [row("ec2:DescribeInstances", "*")])
    assert proposal.emitted and proposal.no_new_access is True
    (statement,) = proposal.policy["Statement"]
    assert statement["NotResource"] == ["arn:aws:s3:::secret/*"]
    assert statement["Action"] == ["ec2:DescribeInstances"]


def test_identity_denies_are_carried_over() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::secret/*"},
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]}
    proposal = _minimize([policy], [row("s3:GetObject", "arn:aws:s3:::b/x")])
    denies = [s for s in proposal.policy["Statement"] if s["Effect"] == "Deny"]
    assert denies == [{"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::secret/*"}]


def test_unused_does_not_judge_accounts_without_logs() -> None:
    """No CloudTrail for an account is no evidence of no use (and IAM last-accessed data
    is not read): its principals are left out and the account is named."""
    from iamscope.minimize.unused import unjudged_accounts

    inventory = role_inventory({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]})
    assert find_unused(inventory, [], as_of=T1, days=30, logged_accounts={"999988887777"}) == []
    assert unjudged_accounts(inventory, {"999988887777"}) == [ACCOUNT]
    (entry,) = find_unused(inventory, [], as_of=T1, days=30, logged_accounts={ACCOUNT})
    assert entry.unused and entry.last_used is None
    assert unjudged_accounts(inventory, {ACCOUNT}) == []
