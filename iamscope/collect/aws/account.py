"""Collect one AWS account: every fetcher, across services and regions, merged into an
``AccountRaw``.

``FETCHERS`` is the registry: global fetchers (IAM, S3) run once per account, regional
ones once per region. They run in a bounded thread pool; a fetcher that raises anything
unexpected becomes a gap naming it, never a crash. After the merge, two cross-fetcher
facts are filled in on EC2 instances: ``role_arns`` (from the authorization details'
``InstanceProfileList``, when every page of them was read) and ``ssm_managed`` (from the
region's SSM inventory, when it was read completely). Output order is deterministic:
resources by ARN, gaps by (account, region, scope, reason, permission), duplicates dropped.

With ``last_accessed`` options, the IAM service-last-accessed report of every user and role
the IAM fetcher listed is read afterwards (``last_accessed.py``, opt-in, not a fetcher).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Literal

from iamscope.collect.aws import fetch_compute, fetch_iam, fetch_resources, fetch_s3
from iamscope.collect.aws.errors import unexpected_gap
from iamscope.collect.aws.fetching import Fetcher, FetchResult, gap_key
from iamscope.collect.aws.last_accessed import (
    LastAccessedOptions,
    fetch_last_accessed,
    principal_arns,
)
from iamscope.collect.aws.raw import AccountRaw, CredentialsRaw, GapRaw, ResourceRaw
from iamscope.collect.aws.session import AwsConnection
from iamscope.errors import InputError

LOG = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class FetcherSpec:
    """One fetcher: the function, where it runs, and the IAM actions it calls."""

    function: Fetcher
    scope: Literal["global", "regional"]
    permissions: tuple[str, ...]


FETCHERS: dict[str, FetcherSpec] = {
    "iam": FetcherSpec(fetch_iam.fetch_iam, "global", fetch_iam.IAM_PERMISSIONS),
    "s3": FetcherSpec(fetch_s3.fetch_s3, "global", fetch_s3.S3_PERMISSIONS),
    "kms": FetcherSpec(fetch_resources.fetch_kms, "regional",
                       fetch_resources.KMS_PERMISSIONS),
    "sqs": FetcherSpec(fetch_resources.fetch_sqs, "regional",
                       fetch_resources.SQS_PERMISSIONS),
    "sns": FetcherSpec(fetch_resources.fetch_sns, "regional",
                       fetch_resources.SNS_PERMISSIONS),
    "lambda": FetcherSpec(fetch_resources.fetch_lambda, "regional",
                          fetch_resources.LAMBDA_PERMISSIONS),
    "secretsmanager": FetcherSpec(fetch_resources.fetch_secretsmanager, "regional",
                                  fetch_resources.SECRETSMANAGER_PERMISSIONS),
    "ecr": FetcherSpec(fetch_resources.fetch_ecr, "regional",
                       fetch_resources.ECR_PERMISSIONS),
    "dynamodb": FetcherSpec(fetch_resources.fetch_dynamodb, "regional",
                            fetch_resources.DYNAMODB_PERMISSIONS),
    "ec2": FetcherSpec(fetch_compute.fetch_ec2, "regional", fetch_compute.EC2_PERMISSIONS),
    "ecs": FetcherSpec(fetch_compute.fetch_ecs, "regional", fetch_compute.ECS_PERMISSIONS),
    "cloudformation": FetcherSpec(fetch_compute.fetch_cloudformation, "regional",
                                  fetch_compute.CLOUDFORMATION_PERMISSIONS),
    "codebuild": FetcherSpec(fetch_compute.fetch_codebuild, "regional",
                             fetch_compute.CODEBUILD_PERMISSIONS),
    "glue": FetcherSpec(fetch_compute.fetch_glue, "regional", fetch_compute.GLUE_PERMISSIONS),
    "sagemaker": FetcherSpec(fetch_compute.fetch_sagemaker, "regional",
                             fetch_compute.SAGEMAKER_PERMISSIONS),
    "ssm": FetcherSpec(fetch_compute.fetch_ssm, "regional", fetch_compute.SSM_PERMISSIONS),
}


def all_permissions() -> tuple[str, ...]:
    """Every IAM action the collector calls, sorted: the least-privilege audit policy."""
    return tuple(sorted({p for spec in FETCHERS.values() for p in spec.permissions}))


def collect_account(connection: AwsConnection, account_id: str, partition: str,
                    regions: Iterable[str], *, max_workers: int = 8,
                    progress: Progress | None = None,
                    services: Collection[str] | None = None,
                    last_accessed: LastAccessedOptions | None = None) -> AccountRaw:
    """Read one account. ``services`` limits the run to some ``FETCHERS`` names;
    ``last_accessed`` adds the service-last-accessed reports of its users and roles."""
    region_list = sorted(set(regions))
    names = list(FETCHERS) if services is None else list(services)
    unknown = sorted(set(names) - set(FETCHERS))
    if unknown:
        raise InputError(f"unknown AWS collection service(s): {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(FETCHERS))}")
    tasks: list[tuple[str, str | None]] = []
    for name in names:
        if FETCHERS[name].scope == "global":
            tasks.append((name, None))
        else:
            tasks.extend((name, region) for region in region_list)
    results: list[tuple[str, str | None, FetchResult]] = []
    with ThreadPoolExecutor(max_workers=max(1, max_workers),
                            thread_name_prefix="iamscope-collect") as pool:
        futures = {pool.submit(_run, name, connection, account_id, partition, region):
                   (name, region) for name, region in tasks}
        for future in as_completed(futures):
            name, region = futures[future]
            results.append((name, region, future.result()))
            if progress is not None:
                progress(name if region is None else f"{name} {region}")
    account_raw = merge(account_id, partition, region_list, results)
    if last_accessed is not None:
        if progress is not None:
            progress("iam service last accessed")
        _add_last_accessed(connection, account_raw, last_accessed)
    return account_raw


def _add_last_accessed(connection: AwsConnection, account_raw: AccountRaw,
                       options: LastAccessedOptions) -> None:
    account_id = account_raw["account_id"]
    arns = principal_arns(account_raw["authorization_details"])
    gaps: list[GapRaw]
    if arns:
        reports, gaps = fetch_last_accessed(connection, account_id,
                                            account_raw["partition"], arns, options)
    else:
        reports, gaps = {}, []
        if not account_raw["authorization_details"]:
            gaps = [{"scope": f"iam service last accessed in {account_id}",
                     "reason": "not read: the users and roles could not be listed",
                     "permission": None, "account": account_id, "region": None}]
    account_raw["last_accessed"] = reports
    unique = {gap_key(gap): gap for gap in [*account_raw["gaps"], *gaps]}
    account_raw["gaps"] = [unique[key] for key in sorted(unique)]


def _run(name: str, connection: AwsConnection, account_id: str, partition: str,
         region: str | None) -> FetchResult:
    try:
        return FETCHERS[name].function(connection, account_id, partition, region)
    except Exception as exc:
        LOG.debug("fetcher %s (%s) failed", name, region or "global", exc_info=True)
        return FetchResult(gaps=[unexpected_gap(name, exc, account=account_id,
                                                region=region)])


def merge(account_id: str, partition: str, regions: list[str],
          results: Iterable[tuple[str, str | None, FetchResult]]) -> AccountRaw:
    """One ``AccountRaw`` from fetcher results (in any order)."""
    details: dict[str, Any] = {}
    details_complete = False
    credentials: dict[str, CredentialsRaw] = {}
    alias: str | None = None
    resources: list[ResourceRaw] = []
    gaps: list[GapRaw] = []
    ssm_ids: dict[str, frozenset[str]] = {}
    for _name, region, result in results:
        if result.authorization_details is not None:
            details = result.authorization_details
            details_complete = result.authorization_complete
        credentials.update(result.credentials)
        alias = alias or result.account_alias
        resources.extend(result.resources)
        gaps.extend(result.gaps)
        if region is not None and result.ssm_instance_ids is not None:
            ssm_ids[region] = result.ssm_instance_ids
    profiles = instance_profile_roles(details) if details_complete else None
    for raw in resources:
        if raw["type"] == "aws:ec2:instance":
            _link_instance(raw, profiles, ssm_ids)
    unique = {gap_key(gap): gap for gap in gaps}
    return {
        "account_id": account_id,
        "partition": partition,
        "account_alias": alias,
        "authorization_details": details,
        "credentials": dict(sorted(credentials.items())),
        "resources": sorted(resources, key=lambda r: (r["arn"], r["type"])),
        "regions": regions,
        "gaps": [unique[key] for key in sorted(unique)],
    }


def instance_profile_roles(details: dict[str, Any]) -> dict[str, list[str]]:
    """Instance profile ARN -> the ARNs of its roles, from ``RoleDetailList``."""
    profiles: dict[str, set[str]] = {}
    for role in details.get("RoleDetailList") or []:
        for profile in role.get("InstanceProfileList") or []:
            profiles.setdefault(profile["Arn"], set()).add(role["Arn"])
    return {arn: sorted(roles) for arn, roles in profiles.items()}


def _link_instance(raw: ResourceRaw, profiles: dict[str, list[str]] | None,
                   ssm_ids: dict[str, frozenset[str]]) -> None:
    attributes = raw.setdefault("attributes", {})
    if profiles is not None and "instance_profile_arn" in attributes:
        profile = attributes["instance_profile_arn"]
        attributes["role_arns"] = list(profiles.get(profile, [])) if profile else []
    if raw["region"] in ssm_ids:
        attributes["ssm_managed"] = raw["name"] in ssm_ids[raw["region"]]
