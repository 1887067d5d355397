"""Small inventories for graph tests, in the raw collection shape the collector produces
(so the same data also goes through ``load_inventory`` and the CLI)."""

from __future__ import annotations

import json
import zlib
from typing import Any

from iamscope.collect.load import inventory_from_data
from iamscope.model.inventory import Inventory

ACCT = "111122223333"
OTHER = "444455556666"  # a second account of the inventory
OUTSIDE = "999988887777"  # an account outside the inventory
ORG = "o-abcdefghij"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, **extra: Any) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole",
                **extra})


def arn(kind: str, name: str, account: str = ACCT) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def _inline(inline: dict[str, dict] | None) -> list[dict[str, Any]]:
    return [{"PolicyName": name, "PolicyDocument": document}
            for name, document in (inline or {}).items()]


def _attached(managed: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    return [{"PolicyName": m.rsplit("/", 1)[-1], "PolicyArn": m} for m in managed]


def role(name: str, trust_doc: dict, *, inline: dict[str, dict] | None = None,
         managed: tuple[str, ...] = (), boundary: str | None = None, account: str = ACCT,
         tags: dict[str, str] | None = None, path: str = "/") -> dict[str, Any]:
    item: dict[str, Any] = {
        "Path": path, "RoleName": name, "RoleId": f"AROA{zlib.crc32(name.encode()):012d}",
        "Arn": f"arn:aws:iam::{account}:role{path}{name}", "AssumeRolePolicyDocument": trust_doc,
        "RolePolicyList": _inline(inline), "AttachedManagedPolicies": _attached(managed),
        "InstanceProfileList": [],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    if boundary:
        item["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                       "PermissionsBoundaryArn": boundary}
    return item


def user(name: str, *, inline: dict[str, dict] | None = None, managed: tuple[str, ...] = (),
         groups: tuple[str, ...] = (), boundary: str | None = None, account: str = ACCT,
         tags: dict[str, str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Path": "/", "UserName": name, "UserId": f"AIDA{zlib.crc32(name.encode()):012d}",
        "Arn": f"arn:aws:iam::{account}:user/{name}", "UserPolicyList": _inline(inline),
        "GroupList": list(groups), "AttachedManagedPolicies": _attached(managed),
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    if boundary:
        item["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                       "PermissionsBoundaryArn": boundary}
    return item


def group(name: str, *, inline: dict[str, dict] | None = None, managed: tuple[str, ...] = (),
          account: str = ACCT) -> dict[str, Any]:
    return {"Path": "/", "GroupName": name, "GroupId": f"AGPA{zlib.crc32(name.encode()):012d}",
            "Arn": f"arn:aws:iam::{account}:group/{name}", "GroupPolicyList": _inline(inline),
            "AttachedManagedPolicies": _attached(managed)}


def managed(policy_arn: str, document: dict) -> dict[str, Any]:
    return {"PolicyName": policy_arn.rsplit("/", 1)[-1], "Arn": policy_arn, "Path": "/",
            "DefaultVersionId": "v1", "PolicyVersionList": [
                {"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}


ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN = managed(ADMIN_POLICY, doc(allow("*")))


def bucket(name: str, policy: dict | None, *, account: str = ACCT,
           block: dict[str, bool] | None = None) -> dict[str, Any]:
    return {"arn": f"arn:aws:s3:::{name}", "type": "aws:s3:bucket", "region": "us-east-1",
            "name": name, "policy": policy, "tags": {},
            "attributes": {"public_access_block": block}}


def resource(arn_: str, kind: str, policy: dict | None, name: str | None = None) -> dict:
    return {"arn": arn_, "type": kind, "region": "us-east-1", "name": name or arn_,
            "policy": policy, "tags": {}, "attributes": {}}


def account(account_id: str = ACCT, *, users: list | None = None, groups: list | None = None,
            roles: list | None = None, policies: list | None = None,
            resources: list | None = None, alias: str | None = None) -> dict[str, Any]:
    return {"account_id": account_id, "partition": "aws", "account_alias": alias,
            "authorization_details": {"UserDetailList": users or [],
                                      "GroupDetailList": groups or [],
                                      "RoleDetailList": roles or [], "Policies": policies or []},
            "credentials": {}, "resources": resources or [], "regions": ["us-east-1"],
            "gaps": []}


def collection(*accounts: dict[str, Any], organization: dict | None = None) -> dict[str, Any]:
    return {"format": "iamscope-aws-raw", "version": 1,
            "collected_at": "2026-11-22T00:00:00Z", "collector_version": "test",
            "accounts": list(accounts), "organization": organization, "gaps": []}


def organization(members: list[str], management: str = OTHER) -> dict[str, Any]:
    accounts = sorted({*members, management})
    return {
        "organization_id": ORG, "arn": f"arn:aws:organizations::{management}:organization/{ORG}",
        "management_account_id": management, "feature_set": "ALL",
        "roots": [{"id": "r-abcd", "arn": "arn:aws:organizations::x:root/r-abcd",
                   "name": "Root"}],
        "ous": [],
        "accounts": [{"id": a, "arn": f"arn:aws:organizations::{management}:account/{ORG}/{a}",
                      "name": a, "parent_id": "r-abcd", "status": "ACTIVE"} for a in accounts],
        "policies": [], "enabled_policy_types": [], "delegated_administrators": []}


def inventory(data: dict[str, Any]) -> Inventory:
    return inventory_from_data(json.loads(json.dumps(data)), source="test.json").inventory
