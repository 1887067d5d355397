"""Resource policies by the principals they name: skip the ones that cannot reach a caller.

A target universe of S3 buckets, queues or keys can carry hundreds of distinct resource
policies, each naming a few principals. The batch evaluator groups targets by policy
content, so every one of them costs an engine run for every caller, although most name
someone else.

When is a resource policy inert for a caller? ``evaluate.decide`` reads the resource layer
only through the statements whose Principal element reaches the caller (``_scan`` with
``principal_element``: a statement whose principal does not reach is dropped before its
conditions are read, so it adds no assumed keys either). If no statement of the policy can
reach the caller, the layer adds no Allow and no Deny, and the decision (with its assumed
keys) is the one the same target gets without a resource policy: in the same account the
identity side decides, cross-account and for trust/KMS resources it is an implicit deny,
exactly as with a policy that names someone else (IAM User Guide, "Policy evaluation
logic", "Cross-account policy evaluation logic"; "AWS JSON policy elements: Principal").

A statement may reach an IAM user or role (``CompiledPrincipal.reach``) when it has no
Principal element, names ``"*"``, names the caller's account, or names the user or role
itself. Statements with NotPrincipal are always kept (conservatively: whether they exempt
the caller also depends on its permissions boundary). Callers that are not IAM users or
roles are never shortened. Everything else is decided by the engine as before: the index
only says which targets may be decided as if they had no resource policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from iamscope.evaluate import Engine
from iamscope.evaluate.batch import TargetUniverse
from iamscope.evaluate.compiled import CompiledStatement
from iamscope.graph.authorizer import Authorizer, Grant, bits
from iamscope.model.ids import Caller, CallerKind
from iamscope.model.policy import Policy
from iamscope.model.principal import Principal

Key = tuple[str, ...]  # ("account", acct) | ("user", acct, name) | ("role", acct, name)


def statement_keys(stmt: CompiledStatement) -> frozenset[Key] | None:
    """The names through which a resource-policy statement can reach an IAM user or role;
    None when it may reach any caller (no Principal element, ``"*"`` or NotPrincipal)."""
    principal = stmt.principal
    if stmt.not_principal is not None or principal is None or principal.everyone:
        return None
    keys: set[Key] = {("account", a) for a in principal.accounts}
    keys.update(("user", acct, name) for acct, name in principal.users)
    keys.update(("role", acct, name) for acct, name in principal.roles)
    return frozenset(keys)


def policy_keys(statements: Iterable[CompiledStatement]) -> frozenset[Key] | None:
    """The union over a policy's statements (None: some statement may reach anyone)."""
    out: set[Key] = set()
    for stmt in statements:
        keys = statement_keys(stmt)
        if keys is None:
            return None
        out |= keys
    return frozenset(out)


def caller_keys(caller: Caller) -> tuple[Key, ...] | None:
    """The names a statement must hold to reach ``caller`` (mirrors
    ``CompiledPrincipal.reach`` for IAM users and roles); None for other callers."""
    if caller.account is None or caller.kind not in (CallerKind.IAM_USER, CallerKind.IAM_ROLE):
        return None
    kind = "user" if caller.kind is CallerKind.IAM_USER else "role"
    return (("account", caller.account), (kind, caller.account, (caller.name or "").lower()))


@dataclass
class NamedIndex:
    """For one target universe: the targets whose resource policy may reach anyone, and for
    each name the targets whose policy holds it."""

    universe: TargetUniverse
    with_policy: int = 0
    open: int = 0
    by_key: dict[Key, int] = field(default_factory=dict)
    _stripped: TargetUniverse | None = None

    @classmethod
    def of(cls, universe: TargetUniverse, engine: Engine) -> NamedIndex:
        index = cls(universe)
        seen: dict[int, tuple[Policy, frozenset[Key] | None]] = {}
        for i, target in enumerate(universe.targets):
            policy = target.policy
            if policy is None:
                continue
            bit = 1 << i
            index.with_policy |= bit
            hit = seen.get(id(policy))
            if hit is None or hit[0] is not policy:
                hit = seen[id(policy)] = (
                    policy, policy_keys(engine.compile_single(policy).statements))
            keys = hit[1]
            if keys is None:
                index.open |= bit
                continue
            for key in keys:
                index.by_key[key] = index.by_key.get(key, 0) | bit
        return index

    def inert(self, caller: Caller) -> int:
        """Targets (bitset) whose resource policy cannot reach ``caller``."""
        if not self.with_policy:
            return 0
        keys = caller_keys(caller)
        if keys is None:
            return 0
        named = self.open
        for key in keys:
            named |= self.by_key.get(key, 0)
        return self.with_policy & ~named

    @property
    def stripped(self) -> TargetUniverse:
        """The same targets, in the same order, without their resource policies."""
        if self._stripped is None:
            self._stripped = TargetUniverse(tuple(
                replace(t, policy=None) if t.policy is not None else t
                for t in self.universe.targets))
        return self._stripped


def regroup(universe: TargetUniverse, kept: list[Grant], stripped: list[Grant]) -> list[Grant]:
    """Grants over ``universe`` in the order and grouping the batch evaluator gives when it
    decides every target with its own policy: ``stripped`` groups (decided without the
    policies) are split again by policy content and target context (the batch's group key),
    then all groups are ordered by their lowest target, as the batch orders them. Only the
    order of later output depends on this; the decisions are the same either way."""
    out = list(kept)
    for grant in stripped:
        parts: dict[tuple[object, ...], int] = {}
        for i in bits(grant.mask):
            key = universe.key(i, frozenset())
            parts[key] = parts.get(key, 0) | (1 << i)
        out.extend(Grant(mask, grant.assumed_keys, grant.evidence) for mask in parts.values())
    out.sort(key=lambda g: g.mask & -g.mask)
    return out



def grants_skipping(authorizer: Authorizer, principal: Principal, action: str,
                    targets: TargetUniverse, only: int | None, inert: int,
                    named: NamedIndex | None) -> list[Grant]:
    """``authorizer.grants`` over ``targets`` (or the ``only`` subset), with the ``inert``
    targets decided without their resource policies (``named.stripped``)."""
    full = (1 << len(targets)) - 1 if only is None else only
    inert &= full
    if not inert or named is None:
        return authorizer.grants(principal, action, targets, only=only, evidence=False)
    rest = full & ~inert
    kept = authorizer.grants(principal, action, targets, only=rest,
                             evidence=False) if rest else []
    stripped = authorizer.grants(principal, action, named.stripped, only=inert,
                                 evidence=False)
    return regroup(targets, kept, stripped)
