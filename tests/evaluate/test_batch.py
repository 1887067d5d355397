"""Batch decisions agree with one-at-a-time decisions, and attacker-optimal evaluation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamscope.evaluate import Decision, Engine, PolicyLayers, Request
from iamscope.evaluate.batch import Target, TargetUniverse, allowed_mask, decide_targets
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy

ACCT = "111122223333"
ROLES = [f"arn:aws:iam::{ACCT}:role/{p}" for p in
         ("app/a", "app/b", "admin", "svc/x", "svc/y", "ops")]
BUCKETS = ["arn:aws:s3:::data-a/k", "arn:aws:s3:::data-b/k", "arn:aws:s3:::logs/k"]
PATTERNS = ["*", f"arn:aws:iam::{ACCT}:role/app/*", f"arn:aws:iam::{ACCT}:role/admin",
            "arn:aws:iam::*:role/svc/*", "arn:aws:s3:::data-*", "arn:aws:s3:::data-*/*",
            "arn:aws:s3:::logs/${aws:username}", "arn:aws:s3:::data-a/*"]
CONDITIONS = [None, {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
              {"StringEquals": {"aws:ResourceTag/team": "blue"}},
              {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}]


def statement():
    return st.builds(
        lambda effect, action, resources, condition, negate: {
            k: v for k, v in {
                "Effect": effect,
                ("NotResource" if negate else "Resource"): resources,
                "Action": action,
                "Condition": condition,
            }.items() if v is not None},
        st.sampled_from(["Allow", "Allow", "Deny"]),
        st.sampled_from(["iam:PassRole", "iam:*", "*", "s3:GetObject", "s3:*"]),
        st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2),
        st.sampled_from(CONDITIONS),
        st.booleans(),
    )


def document():
    return st.lists(statement(), min_size=1, max_size=3).map(
        lambda s: {"Version": "2012-10-17", "Statement": s})


@given(identity=st.lists(document(), max_size=3), boundary=st.one_of(st.none(), document()),
       scp=st.one_of(st.none(), document()), bucket_policy=st.one_of(st.none(), document()),
       rcp=st.one_of(st.none(), document()),
       tagged=st.lists(st.booleans(), min_size=len(BUCKETS), max_size=len(BUCKETS)),
       action=st.sampled_from(["iam:PassRole", "s3:GetObject"]),
       context=st.sampled_from([{}, {"aws:SourceIp": "198.51.100.1"},
                                {"aws:MultiFactorAuthPresent": "false"}]))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_batch_equals_single_decisions(engine: Engine, identity, boundary, scp, bucket_policy,
                                       rcp, tagged, action, context) -> None:
    """One resource policy shared by two buckets and an RCP whose Resource tells targets
    apart must not merge targets the policies cover differently."""
    def parse(doc, pid, kind):
        return parse_policy(doc, policy_id=pid, kind=kind)

    base = PolicyLayers(
        identity=tuple(parse(d, f"id{i}", PolicyKind.INLINE) for i, d in enumerate(identity)),
        boundary=parse(boundary, "b", PolicyKind.MANAGED) if boundary else None,
        scps=((parse(scp, "scp", PolicyKind.SCP),),) if scp else (),
    )
    resource_policy = None
    if bucket_policy:
        for stmt in bucket_policy["Statement"]:
            stmt["Principal"] = {"AWS": f"arn:aws:iam::{ACCT}:user/alice"}
        resource_policy = parse(bucket_policy, "bucket", PolicyKind.RESOURCE)
    targets = [Target(r, ACCT) for r in ROLES] + [
        Target(b, ACCT, resource_policy if i != 2 else None,
               (("aws:resourcetag/team", "blue"),) if tagged[i] else ())
        for i, b in enumerate(BUCKETS)]
    universe = TargetUniverse(tuple(targets))
    rcps: tuple = ()
    if rcp:
        # RCPs are Deny-only besides RCPFullAWSAccess (Organizations User Guide, "RCP syntax")
        for stmt in rcp["Statement"]:
            stmt["Effect"] = "Deny"
            stmt["Principal"] = "*"
        rcps = ((parse(rcp, "rcp", PolicyKind.RCP),),)
    request = Request.create(f"arn:aws:iam::{ACCT}:user/alice", action, "*", context=context)
    groups = decide_targets(engine, request, base, universe, rcps_for=lambda _account: rcps)
    covered = 0
    for group in groups:
        assert not covered & group.mask
        covered |= group.mask
    assert covered == (1 << len(targets)) - 1
    allowed = allowed_mask(groups)
    for i, target in enumerate(targets):
        single = Request.create(f"arn:aws:iam::{ACCT}:user/alice", action, target.resource,
                                resource_account=ACCT,
                                context={**context, **dict(target.context)})
        layers = PolicyLayers(identity=base.identity, boundary=base.boundary, scps=base.scps,
                              resource=target.policy, rcps=rcps)
        expected = engine.decide_assuming(single, layers).decision
        assert bool(allowed >> i & 1) == (expected is Decision.ALLOW), (i, target.resource)


def _policy(statement: dict, pid: str = "p"):
    return parse_policy({"Version": "2012-10-17", "Statement": [statement]}, policy_id=pid,
                        kind=PolicyKind.INLINE)


def test_assume_absent_allow_condition_is_taken_and_reported(engine: Engine) -> None:
    mfa = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    request = Request.create(f"arn:aws:iam::{ACCT}:user/alice", "s3:GetObject", "arn:aws:s3:::b/k")
    layers = PolicyLayers(identity=(mfa,))
    assert engine.decide(request, layers) is Decision.IMPLICIT_DENY
    assumed = engine.decide_assuming(request, layers)
    assert assumed.decision is Decision.ALLOW
    assert assumed.assumed_keys == ("aws:MultiFactorAuthPresent",)
    present = Request.create(f"arn:aws:iam::{ACCT}:user/alice", "s3:GetObject",
                             "arn:aws:s3:::b/k", context={"aws:MultiFactorAuthPresent": "false"})
    assert engine.decide_assuming(present, layers).decision is Decision.IMPLICIT_DENY


def test_assume_absent_deny_condition_is_not_taken(engine: Engine) -> None:
    allow = _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "a")
    deny = _policy({"Effect": "Deny", "Action": "*", "Resource": "*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}, "d")
    request = Request.create(f"arn:aws:iam::{ACCT}:user/alice", "s3:GetObject", "arn:aws:s3:::b/k")
    layers = PolicyLayers(identity=(allow, deny))
    assert engine.decide(request, layers) is Decision.EXPLICIT_DENY
    evaluation = engine.evaluate(request, layers, assume_absent=True)
    assert evaluation.decision is Decision.ALLOW
    assert evaluation.assumed_keys == ("aws:SourceIp",)


def test_requester_chosen_keys_are_assumed_but_not_reported(engine: Engine) -> None:
    allow = _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "a")
    region_lock = _policy({"Effect": "Deny", "Action": "*", "Resource": "*",
                           "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}},
                          "d")
    request = Request.create(f"arn:aws:iam::{ACCT}:user/alice", "s3:GetObject", "arn:aws:s3:::b/k")
    evaluation = engine.evaluate(request, PolicyLayers(identity=(allow, region_lock)),
                                 assume_absent=True)
    assert evaluation.decision is Decision.ALLOW
    assert evaluation.assumed_keys == ()  # the caller picks the region
