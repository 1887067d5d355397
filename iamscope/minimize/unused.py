"""Principals and permissions unused for N days (like IAM Access Analyzer's unused access).

Service level: a service is unused when the principal's identity policies grant actions of
it and no usage row of that service was seen in the last N days of the logs. Services named
only through a wildcard prefix (``*``, ``s*``) are reported as one ``*`` entry.

Two sources, each entry says which (``source``):

* ``cloudtrail``: principals of accounts the logs cover (management events in the usage
  store), judged against the usage rows as of the end of the logs.
* ``service-last-accessed``: principals of accounts without CloudTrail in the store that
  have an IAM service-last-accessed report in the inventory (``Principal.last_accessed``,
  ``iamscope collect aws --last-accessed``; IAM API Reference,
  ``GetServiceLastAccessedDetails``), judged as of the report's ``JobCompletionDate``. A
  granted service whose ``LastAuthenticated`` is missing (no attempt within IAM's tracking
  period) or older than N days is unused; a principal none of whose reported services was
  reached within N days is unused. Usage rows of such a principal (partial logs) still
  count as use. A granted service the report does not list is not judged
  (``unjudged_services``): missing data is not "never used".

Principals with neither source are not judged at all (``unjudged_accounts``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from iamscope.minimize.observed import UsageLike
from iamscope.model.inventory import Inventory
from iamscope.model.principal import LastAccessedReport, Principal, PrincipalKind

CLOUDTRAIL = "cloudtrail"
LAST_ACCESSED = "service-last-accessed"


@dataclass(frozen=True, slots=True)
class UnusedService:
    service: str
    last_used: datetime | None
    source: str = CLOUDTRAIL


@dataclass(frozen=True, slots=True)
class UnusedEntry:
    principal: str
    kind: str
    last_used: datetime | None
    unused: bool  # no use at all in the last N days
    unused_services: tuple[UnusedService, ...]
    source: str = CLOUDTRAIL
    as_of: datetime | None = None  # service-last-accessed: the report's completion time
    unjudged_services: tuple[str, ...] = ()  # granted, but not in the report

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "principal": self.principal,
            "kind": self.kind,
            "source": self.source,
            "last_used": _iso(self.last_used),
            "unused": self.unused,
            "unused_services": [{"service": s.service, "last_used": _iso(s.last_used),
                                 "source": s.source} for s in self.unused_services],
        }
        if self.source == LAST_ACCESSED:
            out["as_of"] = _iso(self.as_of)
            out["unjudged_services"] = list(self.unjudged_services)
        return out


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


def find_unused(inventory: Inventory, rows: Iterable[UsageLike], *, as_of: datetime | None,
                days: int, logged_accounts: Collection[str] | None = None) -> list[UnusedEntry]:
    """Principals (users and roles) with no call, or granted services without one, in the
    ``days`` before ``as_of`` (the end of the logs). With ``logged_accounts``, principals of
    other accounts are judged from their service-last-accessed report when they have one,
    and left out (``unjudged``) otherwise. ``as_of`` None: there are no logs."""
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
        logged = as_of is not None and (logged_accounts is None
                                        or principal.account in logged_accounts)
        if not logged:
            if principal.last_accessed is not None:
                entry = _from_report(inventory, principal, principal.last_accessed, days,
                                     last_service)
                if entry is not None:
                    out.append(entry)
            continue
        assert as_of is not None
        cutoff = as_of - timedelta(days=days)
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


def _from_report(inventory: Inventory, principal: Principal, report: LastAccessedReport,
                 days: int, last_service: dict[tuple[str, str], datetime]
                 ) -> UnusedEntry | None:
    """The entry of a principal judged by its service-last-accessed report."""
    as_of = _parse(report.job_completed_at)
    if as_of is None:
        return None
    cutoff = as_of - timedelta(days=days)
    seen: dict[str, datetime | None] = {
        item.service: _parse(item.last_authenticated) for item in report.services}
    for (who, service), when in last_service.items():  # partial logs: still use
        if who == principal.id:
            known = seen.get(service)
            seen[service] = when if known is None or when > known else known
    last_used = max((t for t in seen.values() if t is not None), default=None)
    services: list[UnusedService] = []
    unjudged: list[str] = []
    for service in sorted(granted_services(inventory, principal.id)):
        when = last_used if service == "*" else seen.get(service)
        if service != "*" and service not in seen:
            unjudged.append(service)
        elif when is None or when < cutoff:
            services.append(UnusedService(service, when, LAST_ACCESSED))
    unused = last_used is None or last_used < cutoff
    if not (unused or services or unjudged):
        return None
    return UnusedEntry(principal.id, principal.kind.value, last_used, unused,
                       tuple(services), LAST_ACCESSED, as_of, tuple(unjudged))


def _parse(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def unjudged_accounts(inventory: Inventory, logged_accounts: Collection[str]) -> list[str]:
    """Accounts with users or roles that have neither management events in the logs nor a
    service-last-accessed report."""
    return sorted({inventory.principals[p].account or "(unknown)"
                   for p in unjudged_principals(inventory, logged_accounts)})


def unjudged_principals(inventory: Inventory, logged_accounts: Collection[str]) -> list[str]:
    """Users and roles with neither CloudTrail management events nor a report, sorted."""
    return sorted(p.id for p in inventory.principals_of_kind(
        PrincipalKind.USER, PrincipalKind.ROLE)
        if p.account not in logged_accounts and p.last_accessed is None)
