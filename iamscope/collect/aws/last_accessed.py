"""IAM service-last-accessed reports of users and roles (opt-in:
``iamscope collect aws --last-accessed``).

IAM API Reference, ``GenerateServiceLastAccessedDetails`` and
``GetServiceLastAccessedDetails``:

1. ``GenerateServiceLastAccessedDetails`` (``Arn``, ``Granularity=SERVICE_LEVEL``) starts a
   report job and answers its ``JobId``. The action is "Read" in the Service Authorization
   Reference, but it does start a job in IAM (it changes no entity or policy), which is why
   it is opt-in and its permission is an optional part of the collector policy.
2. ``GetServiceLastAccessedDetails`` (``JobId``) answers ``JobStatus`` ``IN_PROGRESS``,
   ``COMPLETED`` or ``FAILED`` (then ``Error``). Every job of the account is started first,
   so IAM runs them side by side, then the pending ones are polled in rounds with a growing
   pause until each is done or ``wait_seconds`` have passed.
3. A ``COMPLETED`` report is read page by page (``IsTruncated``/``Marker``; boto3 has no
   paginator for it) into one response, ``ServicesLastAccessed`` merged.

The raw result, ``AccountRaw["last_accessed"]``, maps each principal ARN to its merged
``GetServiceLastAccessedDetails`` response. A principal without a complete report (denied,
not implemented, ``FAILED``, timed out, a page missing) is not in it and has a gap naming
it: missing data is never read as "never used". Calls are bounded in parallel like every
per-item call (``Fetch.each``).

Not in ``account.FETCHERS``: it needs the users and roles the IAM fetcher listed, and its
permissions are not part of the default collector policy (``PERMISSIONS`` below).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from iamscope.collect.aws.fetching import FAILED, Failed, Fetch, jsonable
from iamscope.collect.aws.raw import GapRaw
from iamscope.collect.aws.session import AwsConnection

GENERATE = "iam:GenerateServiceLastAccessedDetails"
GET = "iam:GetServiceLastAccessedDetails"
PERMISSIONS: tuple[str, ...] = (GENERATE, GET)
KEEP = ("JobId", "JobStatus", "JobType", "JobCreationDate", "JobCompletionDate")


@dataclass(frozen=True, slots=True)
class LastAccessedOptions:
    """How long to wait for the report jobs of one account (seconds, from the first poll),
    and the first pause between polling rounds (doubled each round, up to
    ``max_poll_seconds``)."""

    wait_seconds: float = 300.0
    poll_seconds: float = 2.0
    max_poll_seconds: float = 15.0


class _Pending:
    """A job still ``IN_PROGRESS``."""


PENDING = _Pending()


def scope_of(arn: str) -> str:
    return f"iam service last accessed {arn}"


def principal_arns(details: dict[str, Any]) -> list[str]:
    """The users and roles of an authorization-details document, sorted."""
    arns = {item.get("Arn") for key in ("UserDetailList", "RoleDetailList")
            for item in details.get(key) or [] if isinstance(item, dict)}
    return sorted(a for a in arns if isinstance(a, str) and a)


def fetch_last_accessed(connection: AwsConnection, account_id: str, partition: str,
                        arns: list[str], options: LastAccessedOptions
                        ) -> tuple[dict[str, dict[str, Any]], list[GapRaw]]:
    """The completed report of each principal of ``arns`` (by ARN), and the gaps."""
    fetch = Fetch(connection, "iam", account_id, partition, None)
    jobs = fetch.each(arns, lambda arn: _start(fetch, arn))
    pending = {arn: job for arn, job in zip(arns, jobs, strict=True) if job is not None}
    reports: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + options.wait_seconds
    pause = options.poll_seconds
    while pending:
        order = sorted(pending)
        outcomes = fetch.each(order, lambda arn: _poll(fetch, arn, pending[arn]))
        for arn, outcome in zip(order, outcomes, strict=True):
            if outcome is PENDING:
                continue
            del pending[arn]
            if isinstance(outcome, dict):
                reports[arn] = outcome
        if not pending:
            break
        if time.monotonic() + pause > deadline:
            for arn, job in sorted(pending.items()):
                fetch.add_gap(_gap(fetch, arn, f"job {job} not COMPLETED within "
                                   f"{options.wait_seconds:g} s: not read", GET))
            break
        time.sleep(pause)
        pause = min(pause * 2, options.max_poll_seconds)
    return dict(sorted(reports.items())), fetch.finish().gaps


def _start(fetch: Fetch, arn: str) -> str | None:
    response = _call(fetch, arn, GENERATE, "generate_service_last_accessed_details",
                     Arn=arn, Granularity="SERVICE_LEVEL")
    if isinstance(response, Failed):
        return None
    job = (response or {}).get("JobId")
    if not job:
        fetch.add_gap(_gap(fetch, arn, "no JobId in the answer: not read", GENERATE))
        return None
    return str(job)


def _poll(fetch: Fetch, arn: str, job: str) -> dict[str, Any] | _Pending | None:
    """The whole report when COMPLETED, ``PENDING`` while IN_PROGRESS, else ``None`` (and a
    gap)."""
    first = _call(fetch, arn, GET, "get_service_last_accessed_details", JobId=job)
    if isinstance(first, Failed):
        return None
    response: dict[str, Any] = first or {}
    status = response.get("JobStatus")
    if status == "IN_PROGRESS":
        return PENDING
    if status != "COMPLETED":
        error = response.get("Error") or {}
        detail = f"{error.get('Code') or 'no error code'}: {error.get('Message') or ''}"
        fetch.add_gap(_gap(fetch, arn, f"job {job} {status}: {detail.strip()}", GET))
        return None
    report = {key: jsonable(response[key]) for key in KEEP if response.get(key) is not None}
    services = list(jsonable(response.get("ServicesLastAccessed") or []))
    while response.get("IsTruncated"):
        marker = response.get("Marker")
        page = _call(fetch, arn, GET, "get_service_last_accessed_details", JobId=job,
                     Marker=marker) if marker else None
        if page is None or isinstance(page, Failed):
            if page is None:
                fetch.add_gap(_gap(fetch, arn, "IsTruncated without a Marker: not read", GET))
            return None
        response = page
        services.extend(jsonable(response.get("ServicesLastAccessed") or []))
    report["ServicesLastAccessed"] = services
    return report


def _call(fetch: Fetch, arn: str, permission: str, method: str, **params: Any) -> Any:
    """``Fetch.call``, plus an answer botocore cannot parse (an endpoint that does not
    implement the API, such as moto 5.2) as a gap on the principal, not a crash."""
    from botocore.parsers import ResponseParserError

    try:
        return fetch.call(scope_of(arn), permission, method, **params)
    except ResponseParserError:
        fetch.add_gap(_gap(fetch, arn, "NotImplemented: the answer could not be parsed "
                           "(API not supported by the endpoint?)", permission))
        return FAILED


def _gap(fetch: Fetch, arn: str, reason: str, permission: str) -> GapRaw:
    return {"scope": scope_of(arn), "reason": reason, "permission": permission,
            "account": fetch.account_id, "region": None}
