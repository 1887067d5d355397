"""The current identity policies as an index: which Allow statements cover a proposed grant.

A current Allow statement *covers* a grant (one concrete action on one resource pattern)
when its Action matches the action (or its NotAction does not), every resource the grant's
pattern matches is matched by one of its Resource patterns (``containment.py``) or by none
of its NotResource patterns, and its conditions are usable verbatim in a 2012-10-17
proposal. A proposal statement that carries all of a covering statement's conditions then
applies only to requests the covering statement also allows, whatever the context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from iamscope.evaluate.matchers import ActionPattern, compile_action, split_action
from iamscope.minimize.containment import (
    CompiledPattern,
    compile_pattern,
    is_literal,
    literal_text,
    pattern_contained,
    pattern_matches,
)
from iamscope.model.policy import Condition, Effect, Policy, Statement

ConditionKey = tuple[str, str, tuple[str, ...]]  # operator, lower-cased key, sorted values

action_pattern = lru_cache(maxsize=65536)(compile_action)  # pure: memoised per text


def condition_key(condition: Condition) -> ConditionKey:
    return (condition.operator, condition.key.lower(), tuple(sorted(set(condition.values))))


@dataclass(frozen=True, slots=True)
class CurrentStatement:
    """One Allow statement of the current identity policies, compiled for coverage."""

    policy: Policy
    statement: Statement
    actions: tuple[ActionPattern, ...]
    not_actions: tuple[ActionPattern, ...] | None
    resources: tuple[CompiledPattern, ...]
    not_resources: tuple[CompiledPattern, ...] | None
    conditions: frozenset[ConditionKey]
    portable: bool  # its conditions mean the same in a 2012-10-17 proposal
    exact_actions: frozenset[str] = frozenset()  # lower-cased Action entries without wildcards
    wild_actions: tuple[ActionPattern, ...] = ()  # the other Action entries

    @property
    def label(self) -> str:
        return f"{self.policy.id} ({self.statement.label})"

    def matches_action(self, action: str) -> bool:
        service, name = split_action(action)
        if self.not_actions is not None:
            return not any(p.matches(service, name) for p in self.not_actions)
        return action.lower() in self.exact_actions or any(
            p.matches(service, name) for p in self.wild_actions)

    def covers_excluding(self, excluded: Sequence[CompiledPattern]) -> bool:
        """Covers every resource outside ``excluded`` (a proposed NotResource)?"""
        if self.not_resources is None:
            return any(r.everything and r.resolved for r in self.resources)
        return all(any(pattern_contained(n, p) or (
            self.policy.supports_variables and n.text == p.text) for p in excluded)
            for n in self.not_resources)

    def covers_pattern(self, proposed: CompiledPattern) -> bool:
        if self.not_resources is not None:
            # Exact for a concrete resource: the statement applies iff no NotResource entry
            # matches it. A wildcard pattern would need glob intersection: refused.
            if proposed.whole is not None or proposed.fields is None:
                return False
            if not all(is_literal(f) for f in proposed.fields):
                return False
            if any(not n.resolved for n in self.not_resources):
                return False
            concrete = ":".join(literal_text(f) for f in proposed.fields)
            return not any(pattern_matches(n, concrete) for n in self.not_resources)
        if any(pattern_contained(proposed, r) for r in self.resources):
            return True
        # The same text in two 2012-10-17 policies matches the same resources in every
        # request, variables included (the proposal is always 2012-10-17).
        return self.policy.supports_variables and any(
            r.text == proposed.text for r in self.resources)


def _portable(policy: Policy, statement: Statement) -> bool:
    if policy.supports_variables:
        return True
    return not any("${" in value for c in statement.conditions for value in c.values)


def compile_statement(policy: Policy, statement: Statement,
                      context: Mapping[str, object]) -> CurrentStatement:
    variables = policy.supports_variables
    texts = [a.strip() for a in statement.actions or ()]
    exact = frozenset(t.lower() for t in texts if ":" in t and not any(c in t for c in "*?"))
    return CurrentStatement(
        policy=policy,
        statement=statement,
        actions=tuple(action_pattern(a) for a in statement.actions or ()),
        not_actions=None if statement.not_actions is None else tuple(
            action_pattern(a) for a in statement.not_actions),
        resources=tuple(compile_pattern(r, variables=variables, context=context)
                        for r in statement.resources or ()),
        not_resources=None if statement.not_resources is None else tuple(
            compile_pattern(r, variables=variables, context=context)
            for r in statement.not_resources),
        conditions=frozenset(condition_key(c) for c in statement.conditions),
        portable=_portable(policy, statement),
        exact_actions=exact,
        wild_actions=tuple(action_pattern(t) for t in texts if t.lower() not in exact),
    )


class CurrentGrants:
    """The Allow statements of a principal's current identity policies, indexed by service."""

    def __init__(self, policies: Sequence[Policy], context: Mapping[str, object]):
        self.policies = tuple(policies)
        self.context = dict(context)
        self.allows: list[CurrentStatement] = []
        self.denies: list[tuple[Policy, Statement]] = []
        for policy in self.policies:
            for statement in policy.statements:
                if statement.effect is Effect.DENY:
                    self.denies.append((policy, statement))
                elif statement.gcp_condition is None:
                    self.allows.append(compile_statement(policy, statement, context))
        self._by_service: dict[str, list[CurrentStatement]] = {}
        self._granting: dict[str, list[CurrentStatement]] = {}
        self._covering: dict[tuple[str, str], list[CurrentStatement]] = {}
        self._patterns: dict[str, CompiledPattern] = {}

    def pattern(self, text: str) -> CompiledPattern:
        """A proposal's Resource entry (2012-10-17), compiled once per text."""
        found = self._patterns.get(text)
        if found is None:
            found = compile_pattern(text, variables=True, context=self.context)
            self._patterns[text] = found
        return found

    def _candidates(self, service: str) -> list[CurrentStatement]:
        found = self._by_service.get(service)
        if found is None:
            found = [s for s in self.allows if s.not_actions is not None or any(
                p.any_service or p.service == service for p in s.actions)]
            self._by_service[service] = found
        return found

    def granting(self, action: str) -> list[CurrentStatement]:
        """Allow statements whose Action element matches ``action``."""
        found = self._granting.get(action)
        if found is None:
            service, _ = split_action(action)
            found = [s for s in self._candidates(service) if s.matches_action(action)]
            self._granting[action] = found
        return found

    def covering(self, action: str, pattern: CompiledPattern) -> list[CurrentStatement]:
        """Portable Allow statements that cover ``action`` on every resource of ``pattern``
        (memoised: the proposal and its proof ask the same questions)."""
        key = (action, pattern.text)
        found = self._covering.get(key)
        if found is None:
            found = [s for s in self.granting(action) if s.portable and
                     s.covers_pattern(pattern)]
            self._covering[key] = found
        return found


def fixed_context(principal_id: str, *, user_name: str | None, account: str | None,
                  unique_id: str | None = None) -> dict[str, str]:
    """Condition keys whose value is the same in every request of the principal, for
    resolving policy variables in its current policies. For a role only the ARN and
    account are fixed (aws:userid and principal tags vary with the session)."""
    context = {"aws:principalarn": principal_id}
    if account:
        context["aws:principalaccount"] = account
    if user_name is not None:
        context["aws:username"] = user_name
        if unique_id:
            context["aws:userid"] = unique_id
    return context


def conditions_document(keys: Iterable[ConditionKey]) -> dict[str, dict[str, object]]:
    """Condition keys back to a Condition block."""
    block: dict[str, dict[str, object]] = {}
    for operator, key, values in sorted(keys):
        block.setdefault(operator, {})[key] = values[0] if len(values) == 1 else list(values)
    return block
