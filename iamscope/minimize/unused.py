"""Principals and permissions unused for N days (like IAM Access Analyzer's unused access).

Service level: a service is unused when the principal's identity policies grant actions of
it and no usage row of that service was seen in the last N days of the logs. Services named
only through a wildcard prefix (``*``, ``s*``) are reported as one ``*`` entry.

Only principals of accounts the logs cover (management events in the usage store) are
judged: without CloudTrail for an account, no call is not evidence of no use. IAM
last-accessed data (``GenerateServiceLastAccessedDetails``), which could stand in for
missing CloudTrail at service level, is not read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from iamscope.minimize.observed import UsageLike
from iamscope.model.inventory import Inventory
from iamscope.model.principal import PrincipalKind


@dataclass(frozen=True, slots=True)
class UnusedService:
    service: str
    last_used: datetime | None


@dataclass(frozen=True, slots=True)
class UnusedEntry:
    principal: str
    kind: str
    last_used: datetime | None
    unused: bool  # no use at all in the last N days
    unused_services: tuple[UnusedService, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "principal": self.principal,
            "kind": self.kind,
            "last_used": _iso(self.last_used),
            "unused": self.unused,
            "unused_services": [{"service": s.service, "last_used": _iso(s.last_used)}
                                for s in self.unused_services],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def granted_services(inventory: Inventory, principal_id: str) -> set[str]:
    principal = inventory.principals[principal_id]
    services: set[str] = set()
    for policy in inventory.policies_of(principal):
        for statement in policy.statements:
            if statement.effect.value != "Allow":
                continue
            if statement.not_actions is not None:
                services.add("*")
            for action in statement.actions or ():
                service = action.partition(":")[0].lower() if action != "*" else "*"
                services.add("*" if "*" in service or "?" in service else service)
    return services


def find_unused(inventory: Inventory, rows: Iterable[UsageLike], *, as_of: datetime,
                days: int, logged_accounts: Collection[str] | None = None) -> list[UnusedEntry]:
    """Principals (users and roles) with no call, or granted services without one, in the
    ``days`` before ``as_of``. With ``logged_accounts``, principals of other accounts are
    left out (``unjudged``)."""
    cutoff = as_of - timedelta(days=days)
    last: dict[str, datetime] = {}
    last_service: dict[tuple[str, str], datetime] = {}
    for row in rows:
        key = row.principal
        if key not in last or row.last_seen > last[key]:
            last[key] = row.last_seen
        skey = (row.principal, row.action.partition(":")[0].lower())
        if skey not in last_service or row.last_seen > last_service[skey]:
            last_service[skey] = row.last_seen
    out: list[UnusedEntry] = []
    for principal in sorted(inventory.principals_of_kind(PrincipalKind.USER, PrincipalKind.ROLE),
                            key=lambda p: p.id):
        if logged_accounts is not None and principal.account not in logged_accounts:
            continue
        when = last.get(principal.id)
        services = []
        for service in sorted(granted_services(inventory, principal.id)):
            if service == "*":
                used = [t for (p, _), t in last_service.items() if p == principal.id]
                seen = max(used, default=None)
            else:
                seen = last_service.get((principal.id, service))
            if seen is None or seen < cutoff:
                services.append(UnusedService(service, seen))
        unused = when is None or when < cutoff
        if unused or services:
            out.append(UnusedEntry(principal.id, principal.kind.value, when, unused,
                                   tuple(services)))
    return out


def unjudged_accounts(inventory: Inventory, logged_accounts: Collection[str]) -> list[str]:
    """Accounts with users or roles in the inventory but no management events in the logs."""
    return sorted({p.account or "(unknown)" for p in inventory.principals_of_kind(
        PrincipalKind.USER, PrincipalKind.ROLE) if p.account not in logged_accounts})
