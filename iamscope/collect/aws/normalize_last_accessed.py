"""Raw service-last-accessed reports -> ``Principal.last_accessed``. Pure.

``AccountRaw["last_accessed"]`` maps a user or role ARN to its merged
``GetServiceLastAccessedDetails`` response (IAM API Reference): ``JobStatus``,
``JobCompletionDate`` and ``ServicesLastAccessed[]`` with ``ServiceNamespace``,
``LastAuthenticated``, ``LastAuthenticatedEntity``, ``LastAuthenticatedRegion`` and
``TotalAuthenticatedEntities``. Times become ISO 8601 UTC (``2026-10-20T12:00:00Z``); a
time without a zone is read as UTC, as the API documents its dates.

A report that cannot be read faithfully (not COMPLETED, still truncated, a malformed field,
a principal that is not in the authorization details) becomes a gap naming the principal,
and the principal keeps ``last_accessed=None``: never an empty report, which would read as
"never used".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from iamscope.collect.aws.last_accessed import GET, scope_of
from iamscope.model.principal import (
    LastAccessedReport,
    Principal,
    PrincipalKind,
    ServiceLastAccessed,
)

GapFn = Callable[..., None]  # (scope, reason, *, account=..., permission=...)
JUDGED = frozenset({PrincipalKind.USER, PrincipalKind.ROLE, PrincipalKind.GROUP})


class ReportError(ValueError):
    """Why one raw report is not usable."""


def attach_last_accessed(principals: dict[str, Principal], raw: dict[str, Any],
                         gap: GapFn) -> None:
    """Set ``last_accessed`` on the principals of one ``AccountRaw`` that have a report."""
    account = raw.get("account_id")
    entries = raw.get("last_accessed")
    if entries is None:
        return
    if not isinstance(entries, dict):
        gap(f"account {account} last_accessed", "not an object keyed by principal ARN: not "
            "read", account=account, permission=GET)
        return
    for arn, entry in sorted(entries.items(), key=lambda item: str(item[0])):
        principal = principals.get(arn)
        if principal is None or principal.kind not in JUDGED:
            gap(scope_of(str(arn)), "report for a user, role or group that is not in the "
                "authorization details: not read", account=account, permission=GET)
            continue
        try:
            report = parse_report(entry)
        except ReportError as exc:
            gap(scope_of(arn), f"report not usable: {exc}", account=account, permission=GET)
            continue
        principals[arn] = replace(principal, last_accessed=report)


def parse_report(entry: Any) -> LastAccessedReport:
    if not isinstance(entry, dict):
        raise ReportError("not an object")
    status = entry.get("JobStatus")
    if status != "COMPLETED":
        raise ReportError(f"JobStatus is {status!r}, not 'COMPLETED'")
    if entry.get("IsTruncated"):
        raise ReportError("IsTruncated is true: later pages are missing")
    completed = iso_utc(entry.get("JobCompletionDate"), "JobCompletionDate")
    if completed is None:
        raise ReportError("no JobCompletionDate")
    items = entry.get("ServicesLastAccessed")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ReportError("ServicesLastAccessed is not a list")
    services: dict[str, ServiceLastAccessed] = {}
    for index, item in enumerate(items):
        service = _service(item, index)
        if service.service in services:
            raise ReportError(f"ServicesLastAccessed[{index}]: {service.service!r} repeated")
        services[service.service] = service
    return LastAccessedReport(completed, tuple(services[key] for key in sorted(services)))


def _service(item: Any, index: int) -> ServiceLastAccessed:
    where = f"ServicesLastAccessed[{index}]"
    if not isinstance(item, dict):
        raise ReportError(f"{where} is not an object")
    namespace = item.get("ServiceNamespace")
    if not isinstance(namespace, str) or not namespace:
        raise ReportError(f"{where} has no ServiceNamespace")
    total = item.get("TotalAuthenticatedEntities")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
        raise ReportError(f"{where}.TotalAuthenticatedEntities is not an integer")
    return ServiceLastAccessed(
        service=namespace.lower(),
        last_authenticated=iso_utc(item.get("LastAuthenticated"),
                                   f"{where}.LastAuthenticated"),
        last_authenticated_entity=_text(item.get("LastAuthenticatedEntity"),
                                        f"{where}.LastAuthenticatedEntity"),
        last_authenticated_region=_text(item.get("LastAuthenticatedRegion"),
                                        f"{where}.LastAuthenticatedRegion"),
        total_authenticated_entities=total,
    )


def _text(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ReportError(f"{where} is not a string")
    return value


def iso_utc(value: Any, where: str) -> str | None:
    """An API date (ISO 8601 text, as boto3's datetimes are saved) as ``...Z`` UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportError(f"{where} is not a date string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ReportError(f"{where} {value[:40]!r} is not an ISO 8601 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
