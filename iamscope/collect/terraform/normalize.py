"""``TerraformReading`` -> ``Inventory``, with source locations, addresses and suppressions.

The AWS records are turned into the raw AWS collection shape and normalised by the AWS
collector's own normalizer, then every element defined by a Terraform resource gets that
resource's ``SourceRef`` back. Google records become GCP principals, allow-policy fragments
and resources (``normalize_gcp.py``) in the same inventory. Pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from iamscope.collect.aws.normalize import normalize_collection
from iamscope.collect.aws.raw import RAW_FORMAT, RAW_VERSION
from iamscope.collect.terraform.aws_context import AwsContext
from iamscope.collect.terraform.normalize_aws import build_iam
from iamscope.collect.terraform.normalize_aws_resources import (
    build_organization,
    build_resources,
)
from iamscope.collect.terraform.normalize_gcp import GcpDraft, is_gcp, normalize_gcp
from iamscope.collect.terraform.resources import Suppression, TerraformResource, Unknown
from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.source import SourceRef

PLACEHOLDER_ACCOUNT = "000000000000"
PLACEHOLDER_REGION = "us-east-1"


@dataclass
class Normalized:
    inventory: Inventory
    warnings: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)
    suppressions: dict[str, tuple[Suppression, ...]] = field(default_factory=dict)
    # "<principal id>|<policy id>" -> where the attachment is written (not an element id)
    locations: dict[str, SourceRef] = field(default_factory=dict)


def _known(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def account_and_region(records: tuple[TerraformResource, ...], account: str | None,
                       region: str | None) -> tuple[str, str, list[str]]:
    """``--account`` first, then ``data.aws_caller_identity``/``data.aws_region`` known at
    plan time, else documented placeholders (said in the notes)."""
    notes: list[str] = []
    for record in records:
        if record.mode == "data" and record.type == "aws_caller_identity" and account is None:
            # The HCL reader answers aws_caller_identity with the placeholder when no account
            # is given; that is still "not known" here, so the note below is kept.
            known = _known(record.values.get("account_id"))
            account = None if known == PLACEHOLDER_ACCOUNT else known
        if record.mode == "data" and record.type == "aws_region" and region is None:
            region = _known(record.values.get("name")) or _known(record.values.get("region"))
    if account is None:
        account = _account_from_arns(records)
        if account is not None:
            notes.append(f"the AWS account {account} was taken from the IAM ARNs in the input")
    if account is None:
        account = PLACEHOLDER_ACCOUNT
        notes.append(f"the AWS account is not known: ARNs use the placeholder account "
                     f"{PLACEHOLDER_ACCOUNT} (give --account)")
    if region is None:
        region = PLACEHOLDER_REGION
        notes.append(f"the AWS region is not known: regional ARNs use {PLACEHOLDER_REGION}")
    return account, region, notes


def _account_from_arns(records: tuple[TerraformResource, ...]) -> str | None:
    """The one account that known IAM ARNs (from state or a plan) name, if exactly one."""
    accounts = set()
    for record in records:
        arn = record.values.get("arn") if record.type.startswith("aws_iam_") else None
        if isinstance(arn, str) and arn.startswith("arn:") and ":iam::" in arn:
            account = arn.split(":")[4]
            if account.isdigit() and account != PLACEHOLDER_ACCOUNT:
                accounts.add(account)
    return accounts.pop() if len(accounts) == 1 else None


def normalize_reading(records: tuple[TerraformResource, ...], *, account: str | None = None,
                      region: str | None = None,
                      managed_documents: dict[str, tuple[Any, str]] | None = None,
                      notes: tuple[str, ...] = ()) -> Normalized:
    """Records -> Inventory. ``managed_documents`` maps AWS-managed policy ARNs to
    (document, name of the source that resolved it). Google records go to
    ``normalize_gcp``; a configuration without AWS records gets no AWS account."""
    gcp = normalize_gcp(records)
    aws_records = tuple(r for r in records if not is_gcp(r))
    if not any(r.type.startswith("aws_") for r in aws_records) and (
            gcp.principals or gcp.policies or gcp.resources):
        return _gcp_only(gcp, notes)
    normalized = _normalize_aws(aws_records, account, region, managed_documents, notes)
    return _with_gcp(normalized, gcp)


def _normalize_aws(records: tuple[TerraformResource, ...], account: str | None,
                   region: str | None, managed_documents: dict[str, tuple[Any, str]] | None,
                   notes: tuple[str, ...]) -> Normalized:
    account, region, found_notes = account_and_region(records, account, region)
    context = AwsContext(account=account, region=region)
    context.notes.extend(found_notes)
    context.index(records)
    managed = [r for r in records if r.mode == "managed"]
    iam = build_iam(context, managed)
    resources = build_resources(iam, managed)
    organization = build_organization(iam, managed)
    _add_managed(iam, managed_documents or {})
    raw = {"format": RAW_FORMAT, "version": RAW_VERSION, "collected_at": "",
           "collector_version": "terraform",
           "accounts": [{"account_id": account, "partition": context.partition,
                         "account_alias": None,
                         "authorization_details": iam.authorization_details(),
                         "credentials": iam.credentials,
                         "resources": list(resources.resources.values()),
                         "regions": [region], "gaps": context.gaps}],
           "organization": organization, "gaps": []}
    result = normalize_collection(raw, collector="terraform")
    inventory = _with_sources(result.inventory, context, (*notes, *context.notes))
    warnings = [*context.warnings,
                *(w for w in result.warnings if "trust policy missing" not in w)]
    locations = {k: v for k, v in context.sources.items() if "|" in k}
    return Normalized(inventory, warnings, context.addresses, context.suppressions, locations)


def _gcp_only(gcp: GcpDraft, notes: tuple[str, ...]) -> Normalized:
    metadata = InventoryMetadata(collector="terraform", collector_version="terraform",
                                 accounts=tuple(sorted(gcp.projects)),
                                 notes=tuple(dict.fromkeys((*notes, *gcp.notes))))
    inventory = Inventory.build(metadata, principals=gcp.principals.values(),
                                policies=gcp.policies.values(),
                                resources=gcp.resources.values())
    return Normalized(inventory, list(gcp.warnings), dict(gcp.addresses),
                      dict(gcp.suppressions))


def _with_gcp(normalized: Normalized, gcp: GcpDraft) -> Normalized:
    if not (gcp.principals or gcp.policies or gcp.resources):
        return normalized
    inventory = normalized.inventory
    metadata = dataclasses.replace(
        inventory.metadata, accounts=(*inventory.metadata.accounts, *sorted(gcp.projects)),
        notes=tuple(dict.fromkeys((*inventory.metadata.notes, *gcp.notes))))
    merged = dataclasses.replace(
        inventory, metadata=metadata,
        principals={**inventory.principals, **gcp.principals},
        policies={**inventory.policies, **gcp.policies},
        resources={**inventory.resources, **gcp.resources})
    return Normalized(merged, [*normalized.warnings, *gcp.warnings],
                      {**normalized.addresses, **gcp.addresses},
                      {**normalized.suppressions, **gcp.suppressions}, normalized.locations)


def _add_managed(iam: Any, documents: dict[str, tuple[Any, str]]) -> None:
    """AWS-managed policies attached in the configuration, from the resolved documents."""
    wanted = {arn for arns in iam.attached.values() for arn in arns if ":aws:policy/" in arn}
    for entries in iam.entities.values():
        for entry in entries.values():
            boundary = (entry.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary and ":aws:policy/" in boundary:
                wanted.add(boundary)
    for arn in sorted(wanted):
        if arn in documents and arn not in iam.policies:
            document, origin = documents[arn]
            iam.policies[arn] = {
                "PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "Path": "/",
                "DefaultVersionId": "v1", "PolicyVersionList": [
                    {"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}
            iam.context.notes.append(f"AWS-managed policy {arn} resolved from {origin}")
        elif arn not in documents:
            iam.context.warnings.append(
                f"AWS-managed policy {arn} is not resolved (no document in the managed-policy "
                "sources); it is a coverage gap")


def _with_sources(inventory: Inventory, context: AwsContext, notes: tuple[str, ...]
                  ) -> Inventory:
    def placed(items: dict[str, Any]) -> dict[str, Any]:
        return {key: dataclasses.replace(item, source=context.sources[key])
                if key in context.sources else item for key, item in items.items()}

    trusts_unknown = {g["scope"] for g in context.gaps}
    gaps = tuple(g for g in inventory.gaps if not (
        g.reason == "trust policy missing from the dump"
        and f"policy {g.scope.removeprefix('role ')}/trust" in trusts_unknown))
    metadata = dataclasses.replace(inventory.metadata, collector="terraform",
                                   collector_version="terraform", accounts=(context.account,),
                                   notes=tuple(dict.fromkeys(notes)))
    return dataclasses.replace(inventory, metadata=metadata,
                               principals=placed(inventory.principals),
                               policies=placed(inventory.policies),
                               resources=placed(inventory.resources),
                               org_nodes=inventory.org_nodes, gaps=gaps)


__all__ = ["PLACEHOLDER_ACCOUNT", "PLACEHOLDER_REGION", "Normalized", "Unknown",
           "normalize_reading"]
