"""Sensitive reach: the few questions the audit asks about every principal.

A full reach costs up to a few thousand engine questions for an administrator; asking it of
10,000 principals would not fit in an audit. What findings need is narrower: can the
principal read secrets, decrypt with KMS keys, read or write data stores (S3, DynamoDB,
SQS, SNS), or write IAM? ``PROBES`` lists one action per such capability with the resource
type it acts on; each is decided like a reach item (listed resources, any unlisted one in
the principal's account, or the patterns of the granting statements), and only for
principals that have an identity allow for the action or targets whose resource policy
could grant it on its own.

IAM targets are not enumerated (a role or user universe is the whole account): "any role",
"any user", ... and the specific ARNs policies name are asked instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from iamscope.graph.action_space import ResourceKind, all_statements, union
from iamscope.graph.effective import IAM_KINDS, EffectiveReach
from iamscope.model.principal import Principal

SECRETS, KMS, DATA, IAM_WRITE = "secrets", "kms", "data", "iam-write"
CATEGORIES = (SECRETS, KMS, IAM_WRITE, DATA)


@dataclass(frozen=True, slots=True)
class Probe:
    category: str
    action: str
    kind: str  # resource kind key (aws:<service>:<type>)


PROBES = (
    Probe(SECRETS, "secretsmanager:GetSecretValue", "aws:secretsmanager:secret"),
    Probe(SECRETS, "ssm:GetParameter", "aws:ssm:parameter"),
    Probe(KMS, "kms:Decrypt", "aws:kms:key"),
    Probe(DATA, "s3:GetObject", "aws:s3:object"),
    Probe(DATA, "s3:PutObject", "aws:s3:object"),
    Probe(DATA, "dynamodb:GetItem", "aws:dynamodb:table"),
    Probe(DATA, "dynamodb:PutItem", "aws:dynamodb:table"),
    Probe(DATA, "sqs:ReceiveMessage", "aws:sqs:queue"),
    Probe(DATA, "sqs:SendMessage", "aws:sqs:queue"),
    Probe(DATA, "sns:Publish", "aws:sns:topic"),
    Probe(DATA, "sns:Subscribe", "aws:sns:topic"),
    Probe(IAM_WRITE, "iam:CreateUser", "aws:iam:user"),
    Probe(IAM_WRITE, "iam:CreateAccessKey", "aws:iam:user"),
    Probe(IAM_WRITE, "iam:AttachUserPolicy", "aws:iam:user"),
    Probe(IAM_WRITE, "iam:PutUserPolicy", "aws:iam:user"),
    Probe(IAM_WRITE, "iam:CreateRole", "aws:iam:role"),
    Probe(IAM_WRITE, "iam:AttachRolePolicy", "aws:iam:role"),
    Probe(IAM_WRITE, "iam:PutRolePolicy", "aws:iam:role"),
    Probe(IAM_WRITE, "iam:UpdateAssumeRolePolicy", "aws:iam:role"),
    Probe(IAM_WRITE, "iam:CreatePolicyVersion", "aws:iam:policy"),
    Probe(IAM_WRITE, "iam:AddUserToGroup", "aws:iam:group"),
)


@dataclass(frozen=True, slots=True)
class SensitiveHit:
    category: str
    action: str
    target: str  # resource ARN or ARN pattern
    scope: str  # "resource" | "any" | "matching"
    account: str | None
    conditions: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.category, self.action, self.target)


class SensitiveReach:
    def __init__(self, effective: EffectiveReach):
        self.effective = effective
        self._cache: dict[str, tuple[SensitiveHit, ...]] = {}

    @cached_property
    def _probes(self) -> list[tuple[Probe, ResourceKind, str, int]]:
        space = self.effective.space
        out = []
        for probe in PROBES:
            kind = space.kind(probe.kind)
            service, bit = space.bit(probe.action)
            if kind is not None and bit:
                out.append((probe, kind, service, bit))
        return out

    def of(self, principal: Principal) -> tuple[SensitiveHit, ...]:
        hit = self._cache.get(principal.id)
        if hit is not None:
            return hit
        effective = self.effective
        authorizer = effective.authorizer
        space = effective.space
        compiled = authorizer.engine.compile(authorizer.caller(principal).base)
        covers = [space.statement(s) for s in all_statements(compiled)]
        allows = union([c for c, s in zip(covers, compiled.identity.statements, strict=False)
                        if s.allow], space)
        covers.extend(effective.context_covers)
        found: list[SensitiveHit] = []
        decided: dict[tuple, list] = {}  # probes no statement tells apart share a decision
        for probe, kind, service, bit in self._probes:
            allowed = bool(allows.mask(service, space) & bit)
            listed = probe.kind not in IAM_KINDS
            universe = effective.universe(kind, principal.account, listed=listed)
            # without an identity allow only a resource policy that reaches the principal
            # can grant (graph.named): the others are not asked
            policies = universe.with_policy
            if not allowed and policies:
                policies &= ~effective.inert(principal, universe)
            if not allowed and not policies:
                continue
            signature = (probe.kind, service, allowed,
                         tuple(bool(c.mask(service, space) & bit) for c in covers))
            items = decided.get(signature)
            if items is None:
                items = decided[signature] = effective.decide(
                    principal, probe.action, kind, compiled, listed=listed,
                    only=None if allowed else policies)
            for item in items:
                found.append(SensitiveHit(probe.category, probe.action, item.target,
                                          item.scope, item.account, item.conditions))
        result = tuple(found)
        self._cache[principal.id] = result
        return result
