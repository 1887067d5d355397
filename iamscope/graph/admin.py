"""Admin equivalence: can the principal do anything to anything, after every layer?

AWS-ADMIN in ../shared/reference/privesc.md: effective ``*`` on ``*`` with no Deny,
boundary or SCP taking it away. Probed with the engine: a synthetic action that only a
``*`` (or a broad NotAction) can cover, plus the sensitive actions an admin must hold, all
on ``*``. Every probe must be allowed; probes allowed only under assumed request facts make
the status conditional. (A principal that can grant itself this in one step is admin too:
see the ``self_policy`` technique family.) A group is admin when its own policies would make
any member admin: joining it (AWS-IAM-12) is then a step to admin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from iamscope.evaluate import Decision, Engine, PolicyLayers, Request
from iamscope.graph.authorizer import Authorizer
from iamscope.model.principal import Principal

# A made-up action: only "*", "*:*"-style patterns or NotAction lists can cover it.
SYNTHETIC_ACTION = "iamscope-probe:AnyAction"
ADMIN_PROBES = (
    SYNTHETIC_ACTION,
    "iam:CreateUser", "iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:CreateAccessKey",
    "iam:PassRole", "sts:AssumeRole", "s3:GetObject", "s3:PutBucketPolicy", "kms:Decrypt",
    "secretsmanager:GetSecretValue", "ec2:RunInstances", "lambda:CreateFunction",
    "organizations:DescribeOrganization",
)


@dataclass(frozen=True, slots=True)
class AdminStatus:
    admin: bool
    reason: str
    conditions: tuple[str, ...] = ()


def direct_admin(authorizer: Authorizer, principal: Principal) -> AdminStatus:
    caller = authorizer.caller(principal)
    return probe(authorizer.engine, caller.request, caller.base)


def probe(engine: Engine, request: Request, layers: PolicyLayers) -> AdminStatus:
    """Every admin probe, on ``*``, for the caller of ``request`` under ``layers``."""
    compiled = engine.compile(layers)
    assumed: set[str] = set()
    for action in ADMIN_PROBES:
        evaluation = engine.decide_assuming(replace(request, action=action, resource="*"),
                                            compiled)
        if evaluation.decision is not Decision.ALLOW:
            return AdminStatus(False, f"{action} on * is not allowed")
        assumed.update(evaluation.assumed_keys)
    conditions = tuple(f"condition {k}" for k in sorted(assumed))
    return AdminStatus(True, "allowed every action on every resource (* on *)", conditions)


def group_admin(authorizer: Authorizer, group: Principal) -> AdminStatus:
    """Would the group's own policies make a member admin (no boundary, the SCPs of the
    group's account)? Then a user who can join the group (AWS-IAM-12) reaches admin; the
    joining user's own Denies and boundary are the ``join_group`` edge's business."""
    policies = tuple(authorizer.inventory.policies[p] for p in group.policy_ids
                     if p in authorizer.inventory.policies)
    if not policies or not group.account:
        return AdminStatus(False, "the group grants nothing")
    peer = next((p for p in authorizer.principals if p.account == group.account), None)
    scps = authorizer.caller(peer).base.scps if peer is not None else ()
    member = f"arn:aws:iam::{group.account}:user/iamscope-group-member"
    status = probe(authorizer.engine, Request.create(member, "sts:GetCallerIdentity", "*"),
                   PolicyLayers(identity=policies, scps=scps))
    if not status.admin:
        return status
    return AdminStatus(True, "its policies allow every action on every resource (* on *): "
                             "any member is admin", status.conditions)
