"""The two proof obligations of a proposal (docs/minimize.md).

(a) No new access: every Allow of the proposal is covered by an Allow of the current identity
    policies under the same or weaker conditions (``covers.py``), and every current identity
    Deny that could apply to a proposed action is carried over verbatim. The proposal only
    replaces identity policies; boundaries, SCPs, RCPs, session and resource policies stay,
    so the effective permissions can only shrink.
(b) Replay: every distinct observed (action, resource) is allowed by the engine with the
    proposal in place of the identity policies, together with the boundary, SCPs, RCPs and
    resource policy the inventory gives for that request. A resource whose resource-based
    policy is unknown (no inventory, or a resource the inventory does not hold) is replayed
    with one that only delegates to IAM (trusts the caller's account): the call succeeded
    and that policy is unchanged, so it let the call through, and the proposal must then
    allow the call on its own. Without that, role trust and KMS key policies, which must
    allow the caller even in its own account (IAM User Guide, "Cross account resource
    access in IAM"; KMS Developer Guide, "Key policies"), would refuse every replayed
    sts:AssumeRole and kms:* call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from iamscope.evaluate.engine import Engine
from iamscope.evaluate.inventory_layers import InventoryResolver
from iamscope.evaluate.matchers import split_action
from iamscope.evaluate.request import PolicyLayers, Request
from iamscope.minimize.covers import CurrentGrants, action_pattern, condition_key
from iamscope.minimize.replay_groups import GroupedReplay
from iamscope.model.ids import CallerParseError, parse_caller
from iamscope.model.policy import Effect, Policy, PolicyKind, Statement
from iamscope.policy.parse import parse_policy

MAX_FAILURES = 20


@dataclass(frozen=True, slots=True)
class ProofResult:
    holds: bool
    checked: int
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayResult:
    allowed: int
    total: int
    failures: tuple[str, ...] = ()
    denied: frozenset[tuple[str, str]] = frozenset()

    @property
    def holds(self) -> bool:
        return self.allowed == self.total


def _matches(statement: Statement, action: str) -> bool:
    service, name = split_action(action)
    if statement.not_actions is not None:
        return not any(action_pattern(a).matches(service, name) for a in statement.not_actions)
    return any(action_pattern(a).matches(service, name) for a in statement.actions or ())


def _same_statement(a: Statement, b: Statement) -> bool:
    return replace(a, index=0, sid=None) == replace(b, index=0, sid=None)


def prove_no_new_access(proposal: Policy, current: CurrentGrants) -> ProofResult:
    """Proof (a), from the proposal's parsed document alone."""
    failures: list[str] = []
    checked = 0
    if proposal.version != "2012-10-17":
        return ProofResult(False, 0, ("the proposal must use Version 2012-10-17",))
    allowed_actions: set[str] = set()
    for statement in proposal.statements:
        if statement.effect is Effect.DENY:
            continue
        where = statement.label
        if statement.not_actions is not None:
            failures.append(f"{where}: NotAction in a proposal is not proved")
            continue
        if statement.principal is not None or statement.not_principal is not None:
            failures.append(f"{where}: an identity policy has no Principal element")
            continue
        keys = {condition_key(c) for c in statement.conditions}
        patterns = [current.pattern(r) for r in statement.resources or ()]
        excluded = None if statement.not_resources is None else [
            current.pattern(r) for r in statement.not_resources]
        for action in statement.actions or ():
            if "*" in action or "?" in action or ":" not in action:
                failures.append(f"{where}: action {action!r} is not one concrete action")
                continue
            allowed_actions.add(action)
            if excluded is not None:
                checked += 1
                if not any(c.portable and c.conditions <= keys and c.covers_excluding(excluded)
                           for c in current.granting(action)):
                    failures.append(f"{where}: {action} outside its NotResource is not granted "
                                    "by the current identity policies")
                continue
            for pattern in patterns:
                checked += 1
                covers = current.covering(action, pattern)
                if not any(c.conditions <= keys for c in covers):
                    failures.append(
                        f"{where}: {action} on {pattern.text} is not granted by the current "
                        "identity policies" + (" under these conditions" if covers else ""))
    kept = [s for s in proposal.statements if s.effect is Effect.DENY]
    for policy, deny in current.denies:
        if any(_matches(deny, a) for a in allowed_actions):
            checked += 1
            if not any(_same_statement(deny, k) for k in kept):
                failures.append(f"the Deny {policy.id} ({deny.label}) is not carried over")
    return ProofResult(not failures, checked, tuple(failures[:MAX_FAILURES]))


LayersFor = Callable[[Request], tuple[Request, PolicyLayers]]


def layers_from_inventory(resolver: InventoryResolver) -> LayersFor:
    def layers_for(request: Request) -> tuple[Request, PolicyLayers]:
        resolved = resolver.resolve(request)
        return resolved.request, resolved.layers
    return layers_for


def layers_without_inventory(request: Request) -> tuple[Request, PolicyLayers]:
    return request, PolicyLayers()


def delegating_policy(principal: str) -> Policy | None:
    """A resource-based policy that grants nothing on its own: it trusts the principal's
    account, which delegates the decision to the identity side (IAM User Guide, "Policy
    evaluation for requests within a single account"). None when the principal has no
    account (not an AWS principal)."""
    try:
        caller = parse_caller(principal)
    except CallerParseError:
        return None
    if caller.account is None:
        return None
    root = f"arn:{caller.partition}:iam::{caller.account}:root"
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "UnknownResourcePolicy", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": "*", "Resource": "*"}]}
    return parse_policy(document, policy_id=f"{root}/unknown-resource-policy",
                        kind=PolicyKind.RESOURCE)


def replay(proposal: Policy, principal: str, calls: Iterable[tuple[str, str]], engine: Engine,
           layers_for: LayersFor) -> ReplayResult:
    """Proof (b): each observed (action, resource) decided with the proposal as the identity
    layer. Condition keys the logs do not record are taken as they were when the call
    succeeded: favourable (``Engine.decide_assuming``). An unknown resource-based policy is
    replaced by ``delegating_policy`` (see the module docstring)."""
    failures: list[str] = []
    denied: set[tuple[str, str]] = set()
    allowed = total = 0
    unknown = delegating_policy(principal)
    # One engine decision per group of calls that decide alike (replay_groups.py: exact),
    # each with the proposal cut down to the representative's resource (replay_index.py).
    groups = GroupedReplay(proposal, engine)
    for action, resource in sorted(set(calls)):
        total += 1
        request, layers = layers_for(Request.create(principal, action, resource))
        resource_policy = layers.resource if layers.resource is not None else unknown
        if groups.allowed(request, layers, resource_policy):
            allowed += 1
            continue
        denied.add((action, resource))
        if not layers.identity:  # no inventory: nothing to compare with
            failures.append(f"{action} on {resource} would be denied")
            continue
        if len(failures) >= MAX_FAILURES:  # only the first ones are reported
            continue
        now = engine.decide_assuming(request, replace(layers, resource=resource_policy)).allowed
        failures.append(f"{action} on {resource} would be denied" + (
            "" if now else " (the current policies in the inventory do not allow it either: "
            "is the inventory older than the logs?)"))
    return ReplayResult(allowed, total, tuple(failures[:MAX_FAILURES]), frozenset(denied))


def deny_statements(current: CurrentGrants, actions: Sequence[str]) -> list[tuple[Policy,
                                                                                  Statement]]:
    """Current identity Deny statements that could apply to one of ``actions``."""
    return [(p, s) for p, s in current.denies if any(_matches(s, a) for a in actions)]
