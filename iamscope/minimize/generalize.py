"""Resource generalisation: the narrowest prefix pattern shared by enough resources.

For one action, candidate prefixes end at a ``/`` or ``:`` inside the resource part of the
ARN (never in the partition, service, region or account fields, and never the empty
resource part). Deepest first, a prefix is chosen when at least ``threshold`` distinct
observed resources not yet placed under a deeper chosen prefix share it; those resources
become ``<prefix>*``. The others stay exact. Patterns nested in a shorter chosen prefix
are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BOUNDARIES = "/:"


@dataclass(frozen=True, slots=True)
class Generalised:
    """A prefix pattern (``prefix + "*"``) and the observed resources it stands for."""

    prefix: str
    members: tuple[str, ...]

    @property
    def pattern(self) -> str:
        return self.prefix + "*"


def _resource_part_start(resource: str) -> int | None:
    """Index where the ARN's resource part begins (after the fifth colon)."""
    position = -1
    for _ in range(5):
        position = resource.find(":", position + 1)
        if position < 0:
            return None
    return position + 1


def boundary_prefixes(resource: str) -> list[str]:
    """Prefixes of ``resource`` ending at a boundary inside its resource part, shortest
    first; each leaves at least one character after it."""
    start = _resource_part_start(resource)
    if start is None:
        return []
    end = len(resource) - 1  # a boundary at the last character leaves nothing after it
    cuts: list[int] = []
    for boundary in BOUNDARIES:  # str.find per boundary character, not a per-character loop
        i = resource.find(boundary, start, end)
        while i >= 0:
            cuts.append(i)
            i = resource.find(boundary, i + 1, end)
    cuts.sort()
    return [resource[: i + 1] for i in cuts]


def generalise(resources: Iterable[str], threshold: int) -> tuple[list[Generalised], list[str]]:
    """Split ``resources`` into generalised groups and resources kept exact.

    Deepest prefixes first: a prefix is chosen when at least ``threshold`` resources not
    yet placed under a deeper chosen prefix share it, so one outlier never widens the
    patterns of resources that already have a narrower one."""
    if threshold < 2:
        raise ValueError("the support threshold must be at least 2")
    distinct = sorted(set(resources))
    members: dict[str, list[str]] = {}
    for resource in distinct:
        if "*" in resource or "?" in resource:
            continue
        for prefix in boundary_prefixes(resource):
            members.setdefault(prefix, []).append(resource)
    placed: set[str] = set()
    groups: list[Generalised] = []
    for prefix in sorted(members, key=lambda p: (-len(p), p)):
        free = [r for r in members[prefix] if r not in placed]
        if len(free) >= threshold:
            placed.update(free)
            groups.append(Generalised(prefix, tuple(free)))
    # A shorter chosen prefix covers a deeper one: keep the outermost only. Chosen prefixes
    # end at boundaries, so the ones above a group are among its own boundary prefixes
    # (linear in the groups, where comparing every pair was quadratic).
    chosen = {g.prefix for g in groups}
    merged: dict[str, list[str]] = {}
    for group in groups:
        outer = next((p for p in boundary_prefixes(group.prefix + "x") if p in chosen),
                     group.prefix)
        merged.setdefault(outer, []).extend(group.members)
    exact = [r for r in distinct if r not in placed]
    return [Generalised(prefix, tuple(sorted(merged[prefix]))) for prefix in sorted(merged)], \
        exact
