"""The grouped replay (replay_groups.py) decides every call exactly as deciding each call
alone with the whole proposal does: random proposals (Allow and Deny statements, conditions,
NotResource, wildcards, policy variables) against random calls, with resource-based
policies, a boundary, SCPs, RCPs and per-resource context around them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from iamscope.evaluate.engine import Engine
from iamscope.evaluate.request import PolicyLayers, Request
from iamscope.minimize.proof import LayersFor, delegating_policy, replay
from iamscope.minimize.replay_groups import GroupedReplay
from iamscope.model.policy import Policy, PolicyKind
from iamscope.policy.parse import parse_policy
from tests.minimize.conftest import ACCOUNT

OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
RESOURCES = [
    "arn:aws:s3:::b/logs/a", "arn:aws:s3:::b/logs/b", "arn:aws:s3:::B/logs/a",
    "arn:aws:s3:::b/x*y", "arn:aws:s3:::b/home/alice/f", "arn:aws:s3:::b/home/bob/f",
    "arn:aws:s3:::c/1", "arn:aws:s3:::b", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1",
    f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q1", f"arn:aws:sqs:us-east-1:{OTHER}:q1",
    f"arn:aws:iam::{ACCOUNT}:role/r1", f"arn:aws:iam::{OTHER}:role/r2",
    f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/k1",
    "*", "not-an-arn"]
ENTRIES = [*RESOURCES[:-2], "arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/*", "*",
           "arn:aws:s3:::b/x${*}y", "arn:aws:s3:::b/home/${aws:username}/*",
           "arn:aws:sqs:*:111122223333:q?", "arn:aws:S3:::b/logs/a", "arn:aws:iam::*:role/*",
           "arn:aws:s3:::?/logs/a", "arn:aws:kms:*:*:key/*", "arn:aws:s3:::b*", "not-*"]
ACTIONS = ["s3:GetObject", "s3:ListBucket", "sqs:SendMessage", "iam:PassRole",
           "sts:AssumeRole", "kms:Decrypt"]
CONDITIONS = [
    {"StringEquals": {"aws:ResourceTag/env": "prod"}},
    {"StringNotEquals": {"aws:ResourceTag/env": "prod"}},
    {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:*"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:ResourceAccount": OTHER}},
]


def _statement(draw: st.DrawFn, n: int, effect: str | None = None) -> dict:
    statement: dict = {
        "Sid": f"S{n}",
        "Effect": effect or draw(st.sampled_from(["Allow"] * 4 + ["Deny"])),
        "Action": draw(st.lists(st.sampled_from([*ACTIONS, "s3:*"]), min_size=1,
                                max_size=3))}
    key = "NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"
    statement[key] = draw(st.lists(st.sampled_from(ENTRIES), min_size=1, max_size=8))
    if draw(st.integers(0, 2)) == 0:
        statement["Condition"] = draw(st.sampled_from(CONDITIONS))
    return statement


@st.composite
def documents(draw: st.DrawFn, *, most: int = 5, effect: str | None = None) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        _statement(draw, n, effect) for n in range(draw(st.integers(1, most)))]}


@st.composite
def resource_documents(draw: st.DrawFn) -> dict:
    who = draw(st.sampled_from([{"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": ROLE}, "*",
                                {"AWS": f"arn:aws:iam::{OTHER}:root"}]))
    statements = []
    for n in range(draw(st.integers(1, 3))):
        statement = _statement(draw, n)
        statement["Principal"] = who
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _parse(document: dict, name: str, kind: PolicyKind) -> Policy:
    return parse_policy(document, policy_id=name, kind=kind)


@st.composite
def settings_(draw: st.DrawFn) -> dict:
    """The other layers of a random world: resource policies per resource, tags per
    resource, and optionally a boundary, an SCP level and an RCP level."""
    # A few resource policies, each shared by several resources (as a bucket policy is by
    # its objects), so that calls with one policy object differ in its coverage.
    shared = [_parse(draw(resource_documents()), f"rp{n}", PolicyKind.RESOURCE)
              for n in range(draw(st.integers(1, 3)))]
    resource_policies = {r: draw(st.sampled_from(shared))
                         for r in draw(st.lists(st.sampled_from(RESOURCES), max_size=10))}
    tags = {r: draw(st.sampled_from(["prod", "dev"]))
            for r in draw(st.lists(st.sampled_from(RESOURCES), max_size=12))}
    boundary = _parse(draw(documents(most=2, effect="Allow")), "boundary", PolicyKind.MANAGED) \
        if draw(st.integers(0, 3)) == 0 else None
    scps = ((_parse({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        *draw(documents(most=2, effect="Deny"))["Statement"]]}, "scp", PolicyKind.SCP),),) \
        if draw(st.integers(0, 2)) == 0 else ()
    rcps = ((_parse(draw(resource_documents()), "rcp", PolicyKind.RCP),),) \
        if draw(st.integers(0, 2)) == 0 else ()
    return {"resource": resource_policies, "tags": tags, "boundary": boundary,
            "scps": scps, "rcps": rcps}


def _layers_for(world: dict) -> LayersFor:
    def layers_for(request: Request) -> tuple[Request, PolicyLayers]:
        tag = world["tags"].get(request.resource)
        if tag is not None:
            request = Request.create(request.principal, request.action, request.resource,
                                     context={"aws:ResourceTag/env": tag})
        return request, PolicyLayers(
            boundary=world["boundary"], scps=world["scps"], rcps=world["rcps"],
            resource=world["resource"].get(request.resource))
    return layers_for


def _one_by_one(proposal: Policy, principal: str, calls: list[tuple[str, str]],
                engine: Engine, world: dict) -> set[tuple[str, str]]:
    """The calls the engine denies, each decided alone against the whole proposal."""
    unknown = delegating_policy(principal)
    denied = set()
    for action, resource in calls:
        request, layers = _layers_for(world)(Request.create(principal, action, resource))
        whole = PolicyLayers(identity=(proposal,), boundary=layers.boundary,
                             scps=layers.scps, rcps=layers.rcps,
                             resource=layers.resource if layers.resource is not None
                             else unknown)
        if not engine.decide_assuming(request, whole).allowed:
            denied.add((action, resource))
    return denied


# IAM User Guide, "Policy evaluation logic": the grouped replay must reach the same
# decision as the engine on every call.
@settings(max_examples=200, deadline=None)
@given(documents(), settings_(), st.sampled_from([ROLE, USER]),
       st.sets(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(RESOURCES)), max_size=20))
def test_grouped_replay_decides_every_call_as_the_engine(
        document: dict, world: dict, principal: str, left_out: set[tuple[str, str]]) -> None:
    calls = [(a, r) for a in ACTIONS for r in RESOURCES if (a, r) not in left_out]
    proposal = _parse(document, "proposal", PolicyKind.INLINE)
    engine = Engine()
    result = replay(proposal, principal, calls, engine, _layers_for(world))
    expected = _one_by_one(proposal, principal, sorted(set(calls)), Engine(), world)
    assert result.denied == expected
    assert result.total == len(set(calls))
    assert result.allowed == result.total - len(expected)


def test_calls_that_decide_alike_run_the_engine_once() -> None:
    keys = [f"arn:aws:s3:::b/k{i:03d}" for i in range(300)]
    proposal = _parse({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [*keys, "arn:aws:s3:::c/*"]},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k007"}]},
        "p", PolicyKind.INLINE)
    groups = GroupedReplay(proposal, Engine())
    unknown = delegating_policy(ROLE)
    decided = {r: groups.allowed(Request.create(ROLE, "s3:GetObject", r), PolicyLayers(),
                                 unknown)
               for r in [*keys, "arn:aws:s3:::c/1", "arn:aws:s3:::c/2", "arn:aws:s3:::d/1"]}
    assert [r for r, allowed in decided.items() if not allowed] == [
        "arn:aws:s3:::b/k007", "arn:aws:s3:::d/1"]
    # one statement covers the exact keys and c/*: allowed; b/k007 also by the Deny: denied;
    # d/1 by neither: denied
    assert groups.engine_calls == 3
