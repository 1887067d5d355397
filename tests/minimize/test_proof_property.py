"""The issue's property test: for random usage drawn from a random policy, the proposal
always satisfies both proofs, and the engine confirms it grants nothing new in any of a set
of request contexts. A deliberately wrong proposal is refused."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamscope.evaluate.decision import Decision
from iamscope.evaluate.engine import Engine
from iamscope.evaluate.inventory_layers import InventoryResolver
from iamscope.evaluate.request import Request
from iamscope.minimize.minimizer import Minimizer
from iamscope.minimize.proof import (
    delegating_policy,
    layers_from_inventory,
    prove_no_new_access,
    replay,
)
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy
from tests.minimize.conftest import ACCOUNT, ROLE, role_inventory, row

CONCRETE = {
    "s3:GetObject": ["arn:aws:s3:::b1/logs/a", "arn:aws:s3:::b1/logs/b",
                     "arn:aws:s3:::b1/logs/c", "arn:aws:s3:::b1/x", "arn:aws:s3:::b2/k*y"],
    "s3:PutObject": ["arn:aws:s3:::b1/logs/a", "arn:aws:s3:::b1/up/1", "arn:aws:s3:::b1/up/2"],
    "sqs:SendMessage": [f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1",
                        f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q2"],
    "ec2:DescribeInstances": ["*"],
    "lambda:CreateFunction": [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"],
    "iam:PassRole": [f"arn:aws:iam::{ACCOUNT}:role/r1"],
    "kms:Decrypt": [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"],
    "sts:AssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/r1"],
}
UNIVERSE = [(a, r) for a, rs in CONCRETE.items() for r in rs] + [
    ("s3:DeleteObject", "arn:aws:s3:::b1/logs/a"), ("sqs:DeleteQueue",
                                                    f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1"),
    ("s3:GetObject", "arn:aws:s3:::b1/logs/zz"), ("s3:GetObject", "arn:aws:s3:::b3/logs/a"),
]
ACTION_PATTERNS = [*CONCRETE, "s3:Get*", "s3:*", "sqs:*", "*", "s3:?etObject", "kms:*",
                   "iam:PassRole", "s3:DeleteObject"]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::b1/*", "arn:aws:s3:::b1/logs/?", "arn:aws:s3:::*",
                     "arn:aws:s3:::b1/logs/*", f"arn:aws:sqs:*:{ACCOUNT}:q*",
                     "arn:aws:s3:::b2/k${*}y", f"arn:aws:iam::{ACCOUNT}:role/r*"] + [
    r for rs in CONCRETE.values() for r in rs if r != "*" and "*" not in r]
CONDITIONS = [
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    {"Bool": {"aws:SecureTransport": "true"}},
]
CONTEXTS = [{}, {"aws:RequestedRegion": "us-east-1"}, {"aws:SecureTransport": "true"},
            {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"},
            {"aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": "false"}]


@st.composite
def statements(draw: st.DrawFn) -> dict:
    effect = draw(st.sampled_from(["Allow"] * 4 + ["Deny"]))
    statement: dict = {"Effect": effect}
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    statement["NotAction" if draw(st.integers(0, 9)) == 0 else "Action"] = actions
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3))
    statement["NotResource" if draw(st.integers(0, 9)) == 0 else "Resource"] = resources
    if draw(st.integers(0, 3)) == 0:
        statement["Condition"] = draw(st.sampled_from(CONDITIONS))
    return statement


policies = st.lists(st.lists(statements(), min_size=1, max_size=4), min_size=1, max_size=2)


def _allowed(engine: Engine, layers, action: str, resource: str, context: dict) -> bool:
    return engine.decide(Request.create(ROLE, action, resource, context=context),
                         layers) is Decision.ALLOW


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies, st.data(), st.booleans(), st.integers(2, 3),
       st.none() | st.lists(statements(), min_size=1, max_size=2))
def test_proposals_from_random_usage_satisfy_both_proofs(raw_policies, data, data_logged,
                                                         threshold, boundary) -> None:
    documents = [{"Version": "2012-10-17", "Statement": s} for s in raw_policies]
    inventory = role_inventory(*documents, boundary=None if boundary is None else {
        "Version": "2012-10-17", "Statement": boundary})
    engine = Engine()
    resolver = InventoryResolver(inventory)
    # The inventory holds no key or role policy: as in the replay, an unknown resource
    # policy delegates to IAM, so kms and sts calls hinge on the identity policies too.
    current = replace(resolver.resolve(Request.create(ROLE, "s3:GetObject", "*")).layers,
                      resource=delegating_policy(ROLE))
    usable = [(a, r) for a, r in UNIVERSE
              if engine.decide_assuming(Request.create(ROLE, a, r), current).allowed]
    if not usable:
        return
    used = data.draw(st.lists(st.sampled_from(usable), min_size=1, max_size=8))
    kinds = {"management"} | ({"data:s3", "data:lambda", "data:dynamodb"} if data_logged
                              else set())
    minimizer = Minimizer(inventory, coverage={ACCOUNT: kinds}, threshold=threshold,
                          catalog=engine.catalog)
    proposal = minimizer.minimize(ROLE, [row(a, r) for a, r in used])
    assert proposal.emitted, proposal.refused
    assert proposal.no_new_access is True
    assert proposal.replay.allowed == proposal.replay.total == len(set(used))
    # Independent check with the engine: nothing the proposal allows, in any context, on
    # any request of the universe, is refused by the current identity policies.
    policy = parse_policy(proposal.policy, policy_id="proposal", kind=PolicyKind.INLINE)
    proposed = replace(current, identity=(policy,))
    for action, resource in UNIVERSE:
        for context in CONTEXTS:
            if _allowed(engine, proposed, action, resource, context):
                assert _allowed(engine, current, action, resource, context), (
                    action, resource, context, proposal.policy)


def _current():
    return role_inventory({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/logs/*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/logs/secret"},
    ]})


def _proof_for(statement_list: list[dict]):
    inventory = _current()
    minimizer = Minimizer(inventory, coverage={})
    grants = minimizer.current_grants(inventory.principals[ROLE])
    policy = parse_policy({"Version": "2012-10-17", "Statement": statement_list},
                          policy_id="p", kind=PolicyKind.INLINE)
    return prove_no_new_access(policy, grants)


DENY = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/logs/secret"}


def test_a_correct_proposal_is_proved() -> None:
    result = _proof_for([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/logs/a*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:q",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, DENY])
    assert result.holds, result.failures


def test_wrong_proposals_are_refused() -> None:
    broader = _proof_for([{"Effect": "Allow", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::b1/*"}, DENY])
    assert not broader.holds
    assert "s3:GetObject on arn:aws:s3:::b1/* is not granted" in broader.failures[0]
    new_action = _proof_for([{"Effect": "Allow", "Action": "s3:PutObject",
                              "Resource": "arn:aws:s3:::b1/logs/a"}])
    assert not new_action.holds
    dropped_condition = _proof_for([{"Effect": "Allow", "Action": "sqs:SendMessage",
                                     "Resource": "arn:aws:sqs:us-east-1:1:q"}])
    assert not dropped_condition.holds
    assert "under these conditions" in dropped_condition.failures[0]
    lost_deny = _proof_for([{"Effect": "Allow", "Action": "s3:GetObject",
                             "Resource": "arn:aws:s3:::b1/logs/a"}])
    assert not lost_deny.holds
    assert "is not carried over" in lost_deny.failures[0]
    wildcard = _proof_for([{"Effect": "Allow", "Action": "s3:Get*",
                            "Resource": "arn:aws:s3:::b1/logs/a"}, DENY])
    assert not wildcard.holds


def test_replay_counts_calls_a_proposal_would_deny() -> None:
    inventory = _current()
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/logs/a"}]},
        policy_id="p", kind=PolicyKind.INLINE)
    calls = [("s3:GetObject", "arn:aws:s3:::b1/logs/a"),
             ("s3:GetObject", "arn:aws:s3:::b1/logs/b")]
    result = replay(policy, ROLE, calls, Engine(),
                    layers_from_inventory(InventoryResolver(inventory)))
    assert (result.allowed, result.total) == (1, 2)
    assert result.denied == {("s3:GetObject", "arn:aws:s3:::b1/logs/b")}
