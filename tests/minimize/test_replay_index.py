"""The replay's pruned proposals decide every call exactly as the whole proposal does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from iamscope.evaluate.engine import Engine
from iamscope.evaluate.request import PolicyLayers, Request
from iamscope.minimize import replay_index
from iamscope.minimize.replay_index import ProposalIndex, literal_prefix
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy
from tests.minimize.conftest import ROLE

RESOURCES = ["arn:aws:s3:::b/logs/a", "arn:aws:s3:::b/logs/b", "arn:aws:s3:::B/logs/a",
             "arn:aws:s3:::b/x*y", "arn:aws:s3:::b/home/alice/f", "arn:aws:s3:::c/1",
             "arn:aws:sqs:us-east-1:111122223333:q1", "arn:aws:sqs:eu-west-1:111122223333:q1",
             "*", "arn:aws:iam::111122223333:role/r1"]
ENTRIES = [*RESOURCES[:-2], "arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/*", "*",
           "arn:aws:s3:::b/x${*}y", "arn:aws:s3:::b/home/${aws:username}/*",
           "arn:aws:sqs:*:111122223333:q?", "arn:aws:S3:::b/logs/a",
           "arn:aws:iam::111122223333:role/*", "arn:aws:s3:::?/logs/a"]
ACTIONS = ["s3:GetObject", "sqs:SendMessage", "iam:PassRole"]


@st.composite
def proposals(draw: st.DrawFn) -> dict:
    statements = []
    for n in range(draw(st.integers(1, 4))):
        statement = {"Sid": f"S{n}", "Effect": draw(st.sampled_from(["Allow"] * 3 + ["Deny"])),
                     "Action": draw(st.lists(st.sampled_from(ACTIONS), min_size=1,
                                             max_size=2))}
        key = "NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"
        statement[key] = draw(st.lists(st.sampled_from(ENTRIES), min_size=1, max_size=8))
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


@settings(max_examples=150, deadline=None)
@given(proposals(), st.integers(1, 4))
def test_pruned_proposal_decides_as_the_whole(document: dict, chunk: int) -> None:
    engine = Engine()
    policy = parse_policy(document, policy_id="p", kind=PolicyKind.INLINE)
    index = ProposalIndex.of(policy, chunk)
    whole = PolicyLayers(identity=(policy,))
    for action in ACTIONS:
        for resource in RESOURCES:
            request = Request.create(ROLE, action, resource)
            pruned = PolicyLayers(identity=(index.for_resource(resource),))
            assert engine.decide_assuming(request, pruned).allowed == \
                engine.decide_assuming(request, whole).allowed, (action, resource)


def test_literal_prefix_stops_at_wildcards_and_variables() -> None:
    assert literal_prefix("arn:aws:S3:::b/logs/*") == "arn:aws:s3:::b/logs/"
    assert literal_prefix("arn:aws:s3:::b/${aws:username}") == "arn:aws:s3:::b/"
    assert literal_prefix("arn:aws:sqs:?:1:q") == "arn:aws:sqs:"
    assert literal_prefix("*") == ""


def test_only_candidate_entries_are_kept() -> None:
    keys = [f"arn:aws:s3:::b/k{i:03d}" for i in range(100)]
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [*keys, "arn:aws:s3:::b/t/*"]},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k000"}]},
        policy_id="p", kind=PolicyKind.INLINE)
    pruned = ProposalIndex.of(policy).for_resource("arn:aws:s3:::b/t/x")
    assert [s.resources for s in pruned.statements] == [("arn:aws:s3:::b/t/*",),
                                                        ("arn:aws:s3:::b/k000",)]
    chunked = ProposalIndex.of(policy).for_resource("arn:aws:s3:::b/k050")
    assert len(chunked.statements[0].resources) == replay_index.CHUNK
    assert "arn:aws:s3:::b/k050" in chunked.statements[0].resources
