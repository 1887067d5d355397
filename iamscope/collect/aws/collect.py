"""Collect AWS: the caller's account, or a whole organisation, into a ``CollectionRaw``.

Without ``org`` only the account of the credentials in use is read. With ``org`` the
organisation is read first (from the management account or a delegated administrator),
then every ACTIVE member account, or only the ``accounts`` asked for, is collected through
the role ``arn:<partition>:iam::<id>:role/<assume_role_name>``; the account the
credentials are already in is collected with them directly. A member whose role cannot be
assumed becomes a gap naming ``sts:AssumeRole`` and the role ARN, and the others go on.

Regions are ``regions`` when given, otherwise each account's enabled regions
(``ec2:DescribeRegions``, opt-in regions included only when opted in); if that fails the
account gets a gap and is collected in the connection's region only.

Accounts are collected in parallel in a bounded pool; the total number of concurrent
calls stays near ``max_workers`` (accounts in flight x fetchers per account).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from iamscope.collect.aws.account import collect_account
from iamscope.collect.aws.errors import error_code, gap_for, is_aws_error
from iamscope.collect.aws.fetching import gap_key
from iamscope.collect.aws.last_accessed import LastAccessedOptions
from iamscope.collect.aws.organization import fetch_organization
from iamscope.collect.aws.raw import (
    RAW_FORMAT,
    RAW_VERSION,
    AccountRaw,
    CollectionRaw,
    GapRaw,
    OrganizationRaw,
)
from iamscope.collect.aws.session import AwsConnection
from iamscope.errors import InputError

DEFAULT_ASSUME_ROLE_NAME = "OrganizationAccountAccessRole"
ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
ACCOUNT_ID = re.compile(r"^\d{12}$")
# A role name, optionally with a path: "OrganizationAccountAccessRole", "audit/iamscope".
ROLE_NAME = re.compile(r"^[\w+=,.@-]+(/[\w+=,.@-]+)*$")

Progress = Callable[[str], None]


def collect(connection: AwsConnection, *, org: bool = False,
            accounts: Sequence[str] | None = None,
            assume_role_name: str = DEFAULT_ASSUME_ROLE_NAME,
            regions: Sequence[str] | None = None, max_workers: int = 8,
            progress: Progress | None = None,
            last_accessed: LastAccessedOptions | None = None) -> CollectionRaw:
    """Read AWS into a raw collection.

    ``accounts`` selects accounts by id: with ``org``, only those members are collected
    (default: every ACTIVE member); without it, the listed accounts are collected by
    assuming ``assume_role_name`` in each (default: only the caller's account).
    ``last_accessed`` also reads the IAM service-last-accessed report of every user and
    role (``last_accessed.py``; it starts one IAM report job per principal).
    Raises ``InputError`` when the credentials cannot be used at all or an argument is
    malformed; everything else that fails becomes a gap.
    """
    selected = _validate(accounts, assume_role_name, max_workers)
    report = _serialised(progress)
    caller, partition = _caller(connection)
    gaps: list[GapRaw] = []
    organization: OrganizationRaw | None = None
    if org:
        report("organization")
        organization, org_gaps = fetch_organization(connection)
        gaps.extend(org_gaps)
    targets, target_gaps = _targets(caller, organization, selected)
    gaps.extend(target_gaps)

    account_workers = max(1, min(max_workers, len(targets)))
    per_account = max(1, max_workers // account_workers)

    def one(account_id: str) -> tuple[AccountRaw | None, list[GapRaw]]:
        return _collect_one(connection, account_id, caller=caller, partition=partition,
                            role_name=assume_role_name, regions=regions,
                            max_workers=per_account, report=report,
                            last_accessed=last_accessed)

    with ThreadPoolExecutor(max_workers=account_workers,
                            thread_name_prefix="iamscope-account") as pool:
        results = list(pool.map(one, targets))
    collected: list[AccountRaw] = []
    for account_raw, account_gaps in results:
        gaps.extend(account_gaps)
        if account_raw is not None:
            collected.append(account_raw)
    return {
        "format": RAW_FORMAT,
        "version": RAW_VERSION,
        "collected_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collector_version": collector_version(),
        "accounts": sorted(collected, key=lambda a: a["account_id"]),
        "organization": organization,
        "gaps": sorted(gaps, key=gap_key),
    }


def collector_version() -> str:
    try:
        return metadata.version("iamscope")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def member_role_arn(partition: str, account_id: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def enabled_regions(connection: AwsConnection, account_id: str, partition: str = "aws"
                    ) -> tuple[list[str], list[GapRaw]]:
    """The regions of ``partition`` enabled for the connection's account, or (on failure)
    the connection's own region and a gap."""
    try:
        response = connection.client("ec2").describe_regions(AllRegions=False)
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        gap = gap_for(exc, service="ec2", scope="enabled regions",
                      permission="ec2:DescribeRegions", account=account_id, region=None)
        gap["reason"] += f"; collected {connection.region} only"
        return [connection.region], [gap]
    # AllRegions=False already leaves out regions not opted into; the filter also keeps
    # that true for endpoints that list every region.
    session = connection.session()
    names = {region["RegionName"] for region in response.get("Regions") or []
             if region.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
             and _partition_of(session, region["RegionName"]) in (partition, None)}
    if not names:
        return [connection.region], []
    return sorted(names), []


def _partition_of(session: Any, region: str) -> str | None:
    try:
        return str(session.get_partition_for_region(region))
    except Exception:  # an unknown region name: keep it rather than guess
        return None


def _validate(accounts: Sequence[str] | None, role_name: str,
              max_workers: int) -> list[str] | None:
    if isinstance(accounts, str):
        raise InputError("accounts must be a list of account ids, not one string")
    if max_workers < 1:
        raise InputError(f"max_workers must be at least 1, not {max_workers}")
    if not ROLE_NAME.match(role_name or ""):
        raise InputError(f"not an IAM role name: {role_name!r}")
    if not accounts:  # None or empty: the default set
        return None
    selected = sorted({str(a).strip() for a in accounts})
    bad = [a for a in selected if not ACCOUNT_ID.match(a)]
    if bad:
        raise InputError(f"not an AWS account id (12 digits): {', '.join(bad)}")
    return selected


def _caller(connection: AwsConnection) -> tuple[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return connection.caller_account()
    except (BotoCoreError, ClientError) as exc:
        code = error_code(exc) or type(exc).__name__
        raise InputError(f"cannot use these AWS credentials (sts:GetCallerIdentity failed: "
                         f"{code}): {exc}") from None


def _targets(caller: str, organization: OrganizationRaw | None,
             selected: list[str] | None) -> tuple[list[str], list[GapRaw]]:
    """The accounts to collect, sorted, and gaps for selected accounts that are skipped."""
    if organization is None:
        return (selected if selected is not None else [caller]), []
    status = {node["id"]: node.get("status", "") for node in organization["accounts"]}
    # Default: every member, or the caller when no account could be listed (a gap says
    # why). Selected accounts that are not listed (outside the organisation, or the listing
    # failed) are still tried: failing to assume the role then says why.
    wanted = selected if selected is not None else (sorted(status) or [caller])
    gaps: list[GapRaw] = []
    chosen: list[str] = []
    for account in wanted:
        state = status.get(account) or "ACTIVE"  # no state given: try it
        if state == "ACTIVE":
            chosen.append(account)
        else:
            gaps.append({"scope": f"account {account}",
                         "reason": f"account is {state}: not collected",
                         "permission": None, "account": account, "region": None})
    return chosen, gaps


def _collect_one(connection: AwsConnection, account_id: str, *, caller: str,
                 partition: str, role_name: str, regions: Sequence[str] | None,
                 max_workers: int, report: Progress,
                 last_accessed: LastAccessedOptions | None = None
                 ) -> tuple[AccountRaw | None, list[GapRaw]]:
    if account_id == caller:
        account_connection = connection
    else:
        role_arn = member_role_arn(partition, account_id, role_name)
        report(f"{account_id}: assuming {role_arn}")
        try:
            account_connection = connection.assume(role_arn)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            gap = gap_for(exc, service="sts", scope=f"account {account_id} role {role_arn}",
                          permission="sts:AssumeRole", account=account_id, region=None)
            return None, [gap]
    if regions:
        region_list, region_gaps = sorted(set(regions)), []
    else:
        region_list, region_gaps = enabled_regions(account_connection, account_id, partition)
    report(f"{account_id}: collecting {len(region_list)} region(s)")
    account_raw = collect_account(account_connection, account_id, partition, region_list,
                                  max_workers=max_workers,
                                  progress=lambda step: report(f"{account_id}: {step}"),
                                  last_accessed=last_accessed)
    if region_gaps:
        account_raw["gaps"] = sorted([*account_raw["gaps"], *region_gaps], key=gap_key)
    return account_raw, []


def _serialised(progress: Progress | None) -> Progress:
    """``progress`` called from one thread at a time (a no-op when ``None``)."""
    lock = threading.Lock()

    def report(message: str) -> None:
        if progress is not None:
            with lock:
                progress(message)

    return report
