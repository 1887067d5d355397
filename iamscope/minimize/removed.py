"""What a proposal removes, ranked by risk: admin, permissions management, write, tagging,
read, list (the Service Authorization Reference access levels)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from iamscope.catalog.aws_actions import AccessLevel, ActionCatalog
from iamscope.minimize.covers import CurrentGrants, CurrentStatement

RISK_ORDER = ("admin", "permissions-management", "write", "tagging", "read", "list")
_LEVEL_RISK = {
    AccessLevel.PERMISSIONS_MANAGEMENT: "permissions-management",
    AccessLevel.WRITE: "write",
    AccessLevel.TAGGING: "tagging",
    AccessLevel.READ: "read",
    AccessLevel.LIST: "list",
}


@dataclass(frozen=True, slots=True)
class Removed:
    """A removed action (``s3:DeleteBucket``); ``s3:*`` with ``risk`` "write": the
    ``actions`` removed write actions of s3; ``*``: everything (an admin or NotAction
    grant)."""

    action: str
    risk: str
    actions: int  # catalogued actions this entry stands for
    last_used: datetime | None

    def to_dict(self) -> dict[str, object]:
        return {"action": self.action, "risk": self.risk, "actions": self.actions,
                "last_used": self.last_used.isoformat() if self.last_used else None}


def _is_admin(statement: CurrentStatement) -> bool:
    everything = any(r.everything for r in statement.resources) and \
        statement.not_resources is None
    all_actions = statement.not_actions is not None or any(
        p.any_service and p.service == "*" and p.name is None for p in statement.actions)
    return everything and all_actions and not statement.conditions


class GrantedActions:
    """Catalogued actions granted by Action patterns, memoised per pattern and per
    statement (managed policies are shared by many principals)."""

    def __init__(self, catalog: ActionCatalog):
        self.catalog = catalog
        self._expanded: dict[str, dict[str, AccessLevel]] = {}
        self._statements: dict[tuple[str, int], dict[str, AccessLevel]] = {}

    def expand(self, pattern: str) -> dict[str, AccessLevel]:
        found = self._expanded.get(pattern)
        if found is None:
            if "*" in pattern or "?" in pattern:
                infos = self.catalog.expand(pattern)
            else:
                info = self.catalog.action(pattern)
                infos = [info] if info is not None else []
            found = {i.full_name: i.access_level for i in infos}
            self._expanded[pattern] = found
        return found

    def of_statement(self, statement: CurrentStatement) -> dict[tuple[str, str],
                                                              dict[str, str]]:
        """(service, risk) -> {lower-cased action: action} for one statement's Action."""
        key = (statement.policy.id, statement.statement.index)
        found = self._statements.get(key)
        if found is None:
            found = {}
            for pattern in statement.statement.actions or ():
                for name, level in self.expand(pattern).items():
                    group = (name.partition(":")[0], _LEVEL_RISK[level])
                    found.setdefault(group, {})[name.lower()] = name
            self._statements[key] = found
        return found


def removed_permissions(current: CurrentGrants, proposed_actions: set[str],
                        granted: GrantedActions,
                        last_used: Mapping[str, datetime]) -> list[Removed]:
    """Actions the current identity Allows grant and the proposal does not, one entry per
    service and risk level (the action itself when it is the only one)."""
    out: list[Removed] = []
    groups: dict[tuple[str, str], dict[str, str]] = {}
    admin = False
    for statement in current.allows:
        if _is_admin(statement):
            admin = True
        elif statement.not_actions is None:  # NotAction: only the summary entry describes it
            for group, names in granted.of_statement(statement).items():
                groups.setdefault(group, {}).update(names)
    proposed = {a.lower() for a in proposed_actions}
    proposed_services = {a.partition(":")[0] for a in proposed}
    if admin or any(s.not_actions is not None for s in current.allows):
        everything_last = max(last_used.values(), default=None)
        out.append(Removed("*", "admin" if admin else "write", len(
            granted.expand("*")) - len(proposed), everything_last))
    for (service, risk), names in groups.items():
        if service in proposed_services:
            names = {k: v for k, v in names.items() if k not in proposed}
            if not names:
                continue
        used = [last_used[k] for k in names if k in last_used] if last_used else []
        action = next(iter(names.values())) if len(names) == 1 else f"{service}:*"
        out.append(Removed(action, risk, len(names), max(used, default=None)))
    out.sort(key=lambda r: (RISK_ORDER.index(r.risk), -r.actions, r.action))
    return out
