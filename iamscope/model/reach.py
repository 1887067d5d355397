"""Reach results: what a principal can do, compactly (plain data for reports).

A ``ReachItem`` is one service, one access level, the actions of that level and one
target: a listed resource (``scope="resource"``), an ARN pattern standing for every
unlisted resource of a type in the principal's account (``"any"``), a narrower pattern
from the granting policy (``"matching"``: some resources that match it), or ``*`` for
actions without resource-level permissions (``"global"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The Service Authorization Reference's access levels, in reporting order.
ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
LEVEL_ORDER = {level: i for i, level in enumerate(ACCESS_LEVELS)}


@dataclass(frozen=True, slots=True)
class ReachItem:
    service: str
    access_level: str  # an AccessLevel value
    target: str  # resource ARN, ARN pattern, or "*"
    scope: str  # "resource" | "any" | "matching" | "global"
    actions: tuple[str, ...]  # action names without the service prefix, sorted
    conditions: tuple[str, ...] = ()  # unproven facts the grant relies on

    @property
    def key(self) -> tuple[str, str, str, str, tuple[str, ...]]:
        return (self.service, self.access_level, self.target, self.scope, self.conditions)


@dataclass(frozen=True, slots=True)
class ReachRow:
    """One line of the summary: a service and access level."""

    service: str
    access_level: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # listed resources
    scopes: tuple[str, ...]  # patterns and "*"
    conditional: bool


@dataclass(frozen=True)
class Reach:
    principal: str
    items: tuple[ReachItem, ...]

    def summary(self) -> list[ReachRow]:
        return summarize(self.items)

    @property
    def action_count(self) -> int:
        return len({(i.service, a) for i in self.items for a in i.actions})


def summarize(items: Iterable[ReachItem]) -> list[ReachRow]:
    rows: dict[tuple[str, str], tuple[set[str], set[str], set[str], list[bool]]] = {}
    for item in items:
        actions, resources, scopes, conditional = rows.setdefault(
            (item.service, item.access_level), (set(), set(), set(), [False]))
        actions.update(item.actions)
        (resources if item.scope == "resource" else scopes).add(item.target)
        if item.conditions:
            conditional[0] = True
    return [ReachRow(service, level, tuple(sorted(a)), tuple(sorted(r)), tuple(sorted(s)),
                     c[0])
            for (service, level), (a, r, s, c) in sorted(
                rows.items(), key=lambda kv: (kv[0][0], LEVEL_ORDER.get(kv[0][1], 9)))]


def merge_items(items: Iterable[ReachItem]) -> list[ReachItem]:
    merged: dict[tuple, set[str]] = {}
    for item in items:
        merged.setdefault(item.key, set()).update(item.actions)
    return [ReachItem(s, level, target, scope, tuple(sorted(actions)), conditions)
            for (s, level, target, scope, conditions), actions in sorted(
                merged.items(), key=lambda kv: (kv[0][0], LEVEL_ORDER.get(kv[0][1], 9),
                                                kv[0][3] != "any", kv[0][2]))]
