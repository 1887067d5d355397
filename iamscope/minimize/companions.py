"""Permissions the logs cannot show (``data/companions.toml``): companions of observed calls,
and the data-plane actions of services whose data events were not logged."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from iamscope.policy.wildcard import compile_glob


@dataclass(frozen=True, slots=True)
class CompanionRule:
    id: str
    when: frozenset[str]  # lower-cased actions
    add: tuple[str, ...]
    reason: str
    reference: str


@dataclass(frozen=True, slots=True)
class DataEventRule:
    """Data-plane actions of one service, logged only when ``kind`` appears in coverage."""

    service: str
    kind: str
    actions: tuple[str, ...]  # glob patterns

    def covers(self, action: str) -> bool:
        lowered = action.lower()
        return any(compile_glob(p.lower()).matches(lowered) for p in self.actions)


@dataclass(frozen=True, slots=True)
class CompanionTable:
    rules: tuple[CompanionRule, ...]
    data_events: tuple[DataEventRule, ...]

    def companions(self, observed: Iterable[str]) -> list[tuple[str, CompanionRule]]:
        """(companion action, rule) for each rule one of whose triggers was observed, when
        the companion itself was not."""
        seen = {a.lower() for a in observed}
        out: list[tuple[str, CompanionRule]] = []
        for rule in self.rules:
            if rule.when & seen:
                out.extend((a, rule) for a in rule.add if a.lower() not in seen)
        return out

    def data_rule(self, action: str) -> DataEventRule | None:
        service = action.partition(":")[0].lower()
        for rule in self.data_events:
            if rule.service == service and rule.covers(action):
                return rule
        return None


@cache
def load_companions() -> CompanionTable:
    text = resources.files("iamscope.minimize").joinpath("data/companions.toml").read_text(
        encoding="utf-8")
    data = tomllib.loads(text)
    rules = tuple(
        CompanionRule(r["id"], frozenset(a.lower() for a in r["when"]), tuple(r["add"]),
                      r["reason"], r["reference"])
        for r in data.get("rule", ()))
    data_events = tuple(
        DataEventRule(service, item["kind"], tuple(item["actions"]))
        for service, item in sorted(data.get("data_events", {}).items()))
    return CompanionTable(rules, data_events)
