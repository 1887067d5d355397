"""Usage rows of one principal -> observed permissions (action -> resource -> use)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from iamscope.catalog.aws_actions import ActionCatalog


class UsageLike(Protocol):
    """What the minimizer reads from a usage row (``iamscope.usage.store.UsageRow``)."""

    principal: str
    action: str
    resource: str
    first_seen: datetime
    last_seen: datetime
    count: int
    source: str
    account: str | None


@dataclass(slots=True)
class Use:
    """How one action was used on one resource over the window."""

    first_seen: datetime
    last_seen: datetime
    count: int
    sources: set[str] = field(default_factory=set)

    def add(self, row: UsageLike) -> None:
        self.first_seen = min(self.first_seen, row.first_seen)
        self.last_seen = max(self.last_seen, row.last_seen)
        self.count += row.count
        self.sources.add(row.source)


@dataclass(slots=True)
class Observed:
    """A principal's observed permissions: ``uses[action][resource]``. Actions carry the
    catalog's spelling; ``unknown`` lists actions the catalog does not know."""

    principal: str
    uses: dict[str, dict[str, Use]] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    malformed: set[str] = field(default_factory=set)  # not service:Action: never grantable
    accounts: set[str] = field(default_factory=set)
    rows: list[UsageLike] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(u.count for per in self.uses.values() for u in per.values())

    def last_used(self, action: str) -> datetime | None:
        per = self.uses.get(action)
        return max((u.last_seen for u in per.values()), default=None) if per else None


def canonical_action(action: str, catalog: ActionCatalog) -> str | None:
    """The catalog's spelling of ``action`` (``s3:getobject`` -> ``s3:GetObject``)."""
    info = catalog.action(action)
    return info.full_name if info is not None else None


def build_observed(principal: str, rows: Iterable[UsageLike],
                   catalog: ActionCatalog) -> Observed:
    observed = Observed(principal)
    names: dict[str, str | None] = {}  # action as stored -> catalog spelling (few distinct)
    for row in rows:
        if row.principal != principal:
            continue
        if row.action not in names:
            service, sep, rest = row.action.partition(":")
            if not (sep and service and rest) or any(c.isspace() for c in row.action):
                observed.malformed.add(row.action)
                names[row.action] = None
            else:
                found = canonical_action(row.action, catalog)
                if found is None:
                    observed.unknown.add(row.action)
                names[row.action] = found or row.action
        name = names[row.action]
        if name is None:
            continue
        observed.rows.append(row)
        if row.account:
            observed.accounts.add(row.account)
        per = observed.uses.setdefault(name, {})
        use = per.get(row.resource)
        if use is None:
            per[row.resource] = Use(row.first_seen, row.last_seen, row.count, {row.source})
        else:
            use.add(row)
    return observed
