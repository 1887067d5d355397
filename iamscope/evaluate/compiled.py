"""Policies compiled for fast, repeated evaluation.

A ``CompiledLayer`` merges the statements of every policy in one layer (all identity
policies of a principal, one SCP level, ...) behind an index from the requested action to
the statements whose Action/NotAction element covers it. The index is filled lazily and
memoised per action, so graph-scale questions that ask about the same actions many times
pay the action matching once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from iamscope.evaluate.conditions import CompiledCondition, compile_condition
from iamscope.evaluate.decision import StatementRef
from iamscope.evaluate.matchers import (
    ActionPattern,
    ResourcePattern,
    compile_action,
    compile_resource,
    split_action,
)
from iamscope.evaluate.principals import CompiledPrincipal, compile_principal
from iamscope.model.policy import Effect, Policy, Statement

# Request facts the caller itself decides (IAM User Guide, "AWS global condition context
# keys": the requested region, TLS, the user agent and referer, the tags sent with a
# request). Assuming them favourable is not a condition on an attack: the attacker simply
# sends such a request. They are still assumed, just not reported.
REQUESTER_CHOSEN = frozenset({"aws:requestedregion", "aws:securetransport", "aws:useragent",
                              "aws:referer", "aws:tagkeys"})


def requester_chosen(key: str) -> bool:
    lowered = key.lower()
    return lowered in REQUESTER_CHOSEN or lowered.startswith("aws:requesttag/")


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    policy: Policy
    statement: Statement
    allow: bool
    actions: tuple[ActionPattern, ...]
    action_negated: bool
    resources: tuple[ResourcePattern, ...] | None  # None: no Resource element (trust policy)
    resource_negated: bool
    principal: CompiledPrincipal | None
    not_principal: CompiledPrincipal | None
    conditions: tuple[CompiledCondition, ...]
    ref: StatementRef
    any_resource: bool  # Resource "*" (so no need to look at the resource)
    _action_index: dict[str, tuple[ActionPattern, ...]] = field(default_factory=dict,
                                                                 compare=False, repr=False)

    def covers_action(self, service: str, name: str) -> bool:
        if len(self.actions) > 8:  # large lists (ReadOnlyAccess-like): look at one service
            index = self.action_index
            patterns = index.get(service, ()) + index.get("", ())
        else:
            patterns = self.actions
        hit = any(p.matches(service, name) for p in patterns)
        return hit != self.action_negated

    @property
    def action_index(self) -> dict[str, tuple[ActionPattern, ...]]:
        """Action patterns by service prefix ("" holds patterns with a wildcard prefix)."""
        index = self._action_index
        if not index:
            grouped: dict[str, list[ActionPattern]] = {}
            for pattern in self.actions:
                grouped.setdefault("" if pattern.any_service else pattern.service,
                                   []).append(pattern)
            index.update({k: tuple(v) for k, v in grouped.items()})
        return index

    def covers_resource(self, resource: str, fields: list[str] | None,
                        context: Mapping[str, object]) -> bool:
        if self.resources is None or self.any_resource:
            return True
        for pattern in self.resources:
            if pattern.matches(resource, fields, context):
                return not self.resource_negated
        return self.resource_negated

    def conditions_hold(self, context: Mapping[str, object]) -> bool:
        return all(c.evaluate(context) for c in self.conditions)

    def conditions_hold_assuming(self, context: Mapping[str, object],
                                 assumed: set[str]) -> bool:
        """Attacker-optimal evaluation: a clause whose key is absent from the context is
        taken as satisfied in an Allow and as not matching in a Deny (the requester is
        assumed able to shape unknown request facts); the keys relied on go to ``assumed``.
        """
        absent = [c.condition.key for c in self.conditions if c.key not in context]
        if not all(c.evaluate(context) for c in self.conditions if c.key in context):
            return False
        if not absent:
            return True
        assumed.update(k for k in absent if not requester_chosen(k))
        return self.allow  # an Allow is taken, a Deny is avoided


def compile_statement(policy: Policy, statement: Statement) -> CompiledStatement:
    variables = policy.supports_variables
    action_texts = statement.actions if statement.actions is not None else statement.not_actions
    resource_texts = (
        statement.resources if statement.resources is not None else statement.not_resources
    )
    return CompiledStatement(
        policy=policy,
        statement=statement,
        allow=statement.effect is Effect.ALLOW,
        actions=tuple(compile_action(a) for a in action_texts or ()),
        action_negated=statement.actions is None,
        resources=None if resource_texts is None else tuple(
            compile_resource(r, variables=variables) for r in resource_texts
        ),
        resource_negated=statement.resources is None and statement.not_resources is not None,
        principal=compile_principal(statement.principal) if statement.principal else None,
        not_principal=(
            compile_principal(statement.not_principal) if statement.not_principal else None
        ),
        conditions=tuple(compile_condition(c, variables=variables)
                         for c in statement.conditions),
        any_resource=statement.resources is not None and "*" in statement.resources,
        ref=StatementRef(
            policy_id=policy.id,
            policy_kind=policy.kind.value,
            index=statement.index,
            sid=statement.sid,
            effect=statement.effect.value,
        ),
    )


def compile_policy(policy: Policy) -> tuple[CompiledStatement, ...]:
    return tuple(compile_statement(policy, statement) for statement in policy.statements)


@dataclass(slots=True)
class CompiledLayer:
    """The statements of a set of policies, indexed by requested action."""

    policies: tuple[Policy, ...]
    statements: tuple[CompiledStatement, ...]
    _by_service: dict[str, tuple[CompiledStatement, ...]] = field(default_factory=dict)
    _any_service: tuple[CompiledStatement, ...] = ()
    _by_action: dict[str, tuple[CompiledStatement, ...]] = field(default_factory=dict)
    _position: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._position = {id(s): i for i, s in enumerate(self.statements)}
        by_service: dict[str, list[CompiledStatement]] = {}
        any_service: list[CompiledStatement] = []
        for stmt in self.statements:
            if stmt.action_negated or any(p.any_service for p in stmt.actions):
                any_service.append(stmt)
                continue
            for service in {p.service for p in stmt.actions}:
                by_service.setdefault(service, []).append(stmt)
        self._by_service = {k: tuple(v) for k, v in by_service.items()}
        self._any_service = tuple(any_service)

    def for_action(self, key: str) -> tuple[CompiledStatement, ...]:
        """Statements whose Action/NotAction covers the lower-cased action ``key``, in
        policy order."""
        cached = self._by_action.get(key)
        if cached is not None:
            return cached
        service, name = split_action(key)
        specific = self._by_service.get(service, ())
        hits = [s for s in specific + self._any_service if s.covers_action(service, name)]
        if specific and self._any_service:
            position = self._position
            hits.sort(key=lambda s: position[id(s)])
        result = tuple(hits)
        if len(self._by_action) < 4096:
            self._by_action[key] = result
        return result

    @property
    def empty(self) -> bool:
        return not self.policies


PolicyCompiler = Callable[[Policy], tuple[CompiledStatement, ...]]


def compile_layer(policies: Sequence[Policy],
                  compiler: PolicyCompiler = compile_policy) -> CompiledLayer:
    statements = tuple(stmt for policy in policies for stmt in compiler(policy))
    return CompiledLayer(tuple(policies), statements)
