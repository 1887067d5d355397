"""Decide one (principal, action) against many targets at once, exactly.

Graph-scale questions ask "on which of these 7,000 roles may P call iam:PassRole?". The
decision for a target depends only on (a) which of the principal's statements cover the
target's ARN, (b) the target's resource-based policy, (c) the RCP chain and account of the
target, and (d) the target-specific context (resource tags). Targets that agree on all of
these get the same decision, so the engine is run once per distinct combination, on one
representative, and the answer is spread to the whole group. Statement coverage is
computed as bitsets over the target list and cached per statement, so a ``Resource: *``
statement shared by a thousand principals is matched against the targets once.

Every decision still comes from ``decide`` (the same code that answers single requests);
the batch only avoids asking the same question twice.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from iamscope.evaluate.compiled import CompiledLayer, CompiledStatement
from iamscope.evaluate.decide import CompiledLayers, decide
from iamscope.evaluate.decision import Decision
from iamscope.evaluate.engine import Engine
from iamscope.evaluate.matchers import ResourcePattern, resource_fields
from iamscope.evaluate.request import ContextValue, PolicyLayers, Request
from iamscope.model.policy import Policy

RcpChain = tuple[tuple[Policy, ...], ...]


@dataclass(frozen=True, slots=True)
class Target:
    """One resource to decide on. ``context`` holds the target's own request keys
    (``aws:resourcetag/...``, ``aws:resourceaccount``), lower-cased."""

    resource: str
    account: str | None = None
    policy: Policy | None = None
    context: tuple[tuple[str, ContextValue], ...] = ()


@dataclass(frozen=True, slots=True)
class GroupDecision:
    mask: int  # bit i set for targets[i]
    decision: Decision
    assumed_keys: tuple[str, ...]
    representative: int  # index of the target the engine decided


@dataclass
class TargetUniverse:
    """A fixed list of targets with the caches that make repeated batches cheap."""

    targets: tuple[Target, ...]
    _fields: list[list[str] | None] = field(default_factory=list)
    _coverage: dict[int, tuple[CompiledStatement, int]] = field(default_factory=dict)
    _keys: list[tuple[object, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._fields = [resource_fields(t.resource) for t in self.targets]
        self._patterns: dict[str, int] = {}
        self._sorted = sorted((t.resource, i) for i, t in enumerate(self.targets))
        self._by_arn: dict[str, list[int]] = {}
        for i, t in enumerate(self.targets):
            self._by_arn.setdefault(t.resource, []).append(i)
        contents: dict[int, object] = {}
        self._keys = []
        for t in self.targets:
            content = _content_key(t.policy, contents)
            # A resource policy that names resources may cover targets sharing it (a bucket
            # policy over several objects) differently: such a target is its own group.
            own = t.resource if isinstance(content, tuple) and len(content) == 4 and \
                isinstance(content[3], tuple) else None
            self._keys.append((content, t.account, own))
        self._policy_keys = [_condition_keys(t.policy) for t in self.targets]

    def key(self, index: int, relevant: frozenset[str]) -> tuple[object, ...]:
        """What, besides statement coverage, decides a target: its resource policy (by
        content: thousands of roles share the same trust document), its account, and the
        target-specific context keys some condition reads (``relevant`` from the caller's
        statements, plus those its own resource policy reads)."""
        target = self.targets[index]
        if not target.context:
            return self._keys[index]
        keys = relevant | self._policy_keys[index]
        return (*self._keys[index], tuple(kv for kv in target.context if kv[0] in keys))

    def __len__(self) -> int:
        return len(self.targets)

    def coverage(self, stmt: CompiledStatement, context: Mapping[str, object]) -> int:
        """Bitset of targets whose ARN the statement's Resource/NotResource covers."""
        full = (1 << len(self.targets)) - 1
        if stmt.resources is None or stmt.any_resource:
            return full
        cacheable = all(p.tail_template is None for p in stmt.resources)
        if cacheable:
            hit = self._coverage.get(id(stmt))
            if hit is not None and hit[0] is stmt:
                return hit[1]
            mask = 0
            for pattern in stmt.resources:
                mask |= self._pattern_mask(pattern)
        else:  # policy variables: the pattern depends on the caller's context
            mask = 0
            for i, target in enumerate(self.targets):
                if any(p.matches(target.resource, self._fields[i], context)
                       for p in stmt.resources):
                    mask |= 1 << i
        if stmt.resource_negated:
            mask = full & ~mask
        if cacheable:
            self._coverage[id(stmt)] = (stmt, mask)
        return mask

    def _pattern_mask(self, pattern: ResourcePattern) -> int:
        """Targets one Resource entry matches, memoised by its text. Exact ARNs are looked
        up, ARNs ending in a single ``*`` in the resource part are found by prefix in the
        sorted target list, anything else is matched target by target."""
        hit = self._patterns.get(pattern.text)
        if hit is not None:
            return hit
        text = pattern.text
        mask = 0
        if pattern.everything:
            mask = (1 << len(self.targets)) - 1
        elif "*" not in text and "?" not in text and pattern.whole is None:
            for i in self._by_arn.get(text, ()):
                mask |= 1 << i
        elif (pattern.whole is None and text.endswith("*") and "?" not in text
              and text.count("*") == 1 and text.count(":") >= 5
              and "*" not in text.split(":", 5)[5][:-1]):
            prefix = text[:-1]
            start = bisect.bisect_left(self._sorted, (prefix, -1))
            for arn, i in self._sorted[start:]:
                if not arn.startswith(prefix):
                    break
                mask |= 1 << i
        else:
            for i, target in enumerate(self.targets):
                if pattern.matches(target.resource, self._fields[i], None):
                    mask |= 1 << i
        self._patterns[pattern.text] = mask
        return mask


def _condition_keys(policy: Policy | None) -> frozenset[str]:
    if policy is None:
        return frozenset()
    return frozenset(c.key.lower() for s in policy.statements for c in s.conditions)


def _content_key(policy: Policy | None, seen: dict[int, object]) -> object:
    """Policies with the same document decide alike. A document that mentions Resource or
    NotResource keeps its policy id in the key (``(text, id)``), and ``TargetUniverse``
    then also keys its targets by their own ARN, since its statements can cover targets
    that share it differently."""
    if policy is None:
        return None
    key = seen.get(id(policy))
    if key is None:
        document = policy.document
        text = json.dumps(document, sort_keys=True, default=str) if document is not None \
            else f"id:{id(policy)}"
        key = ("doc", policy.kind.value, policy.version,
               text if '"Resource"' not in text and '"NotResource"' not in text
               else (text, policy.id))
        seen[id(policy)] = key
    return key


def _layers(compiled: CompiledLayers) -> list[CompiledLayer]:
    out = [compiled.identity, *compiled.scps]
    if compiled.boundary is not None:
        out.append(compiled.boundary)
    if compiled.session is not None:
        out.append(compiled.session)
    return out


def decide_targets(
    engine: Engine,
    request: Request,
    base: PolicyLayers,
    universe: TargetUniverse,
    *,
    rcps_for: Callable[[str | None], RcpChain] = lambda _account: (),
    only: int | None = None,
    assume_absent: bool = True,
) -> list[GroupDecision]:
    """Decide ``request`` (its resource is ignored) for every target of ``universe`` (or
    the subset in the ``only`` bitset). ``base`` holds the caller's layers without the
    resource policy and RCPs, which come from each target."""
    compiled = engine.compile(base)
    action_key = request.action.lower()
    statements = [s for layer in _layers(compiled) for s in layer.for_action(action_key)]
    context = dict(request.context)
    full = (1 << len(universe)) - 1 if only is None else only
    masks = [universe.coverage(s, context) & full for s in statements]
    relevant = frozenset(c.key for s in statements for c in s.conditions)
    # RCPs come per account and may name resources: their statements' coverage of each
    # target is part of what decides it, like the caller's own statements.
    rcp_masks: dict[str | None, list[int]] = {}

    def rcp_bits(i: int) -> tuple[int, ...]:
        account = universe.targets[i].account
        found = rcp_masks.get(account)
        if found is None:
            found = rcp_masks[account] = [
                universe.coverage(s, context) & full
                for level in rcps_for(account)
                for s in engine.compile_level(level).for_action(action_key)]
        return tuple((m >> i) & 1 for m in found)

    groups: dict[tuple[object, ...], int] = {}
    bits = full
    while bits:
        low = bits & -bits
        i = low.bit_length() - 1
        bits ^= low
        signature = (tuple((m >> i) & 1 for m in masks), rcp_bits(i),
                     universe.key(i, relevant))
        groups[signature] = groups.get(signature, 0) | low
    results = []
    rcp_services = engine.catalog.rcp_services
    for mask in groups.values():
        i = (mask & -mask).bit_length() - 1
        target = universe.targets[i]
        layers = replace(compiled,
                         resource=(engine.compile_single(target.policy)
                                   if target.policy is not None else None),
                         rcps=tuple(engine.compile_level(level)
                                    for level in rcps_for(target.account)))
        target_request = replace(
            request, resource=target.resource, resource_account=target.account,
            context={**context, **dict(target.context)} if target.context else context)
        evaluation = decide(target_request, layers, rcp_services, explain=False,
                            assume_absent=assume_absent)
        results.append(GroupDecision(mask, evaluation.decision, evaluation.assumed_keys, i))
    return results


def allowed_mask(groups: Sequence[GroupDecision]) -> int:
    mask = 0
    for group in groups:
        if group.decision is Decision.ALLOW:
            mask |= group.mask
    return mask
