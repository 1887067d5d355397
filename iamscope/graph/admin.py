"""Admin equivalence: can the principal do anything to anything, after every layer?

AWS-ADMIN in ../shared/reference/privesc.md: effective ``*`` on ``*`` with no Deny,
boundary or SCP taking it away. Probed with the engine: a synthetic action that only a
``*`` (or a broad NotAction) can cover, plus the sensitive actions an admin must hold, all
on ``*``. Every probe must be allowed; probes allowed only under assumed request facts make
the status conditional. (A principal that can grant itself this in one step is admin too:
see the ``self_policy`` technique family.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from iamscope.evaluate import Decision
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
    assumed: set[str] = set()
    for action in ADMIN_PROBES:
        request = replace(caller.request, action=action, resource="*")
        evaluation = authorizer.engine.decide_assuming(request, caller.base)
        if evaluation.decision is not Decision.ALLOW:
            return AdminStatus(False, f"{action} on * is not allowed")
        assumed.update(evaluation.assumed_keys)
    conditions = tuple(f"condition {k}" for k in sorted(assumed))
    return AdminStatus(True, "allowed every action on every resource (* on *)", conditions)
