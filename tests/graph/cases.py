"""Compact technique cases -> raw AWS collections -> inventories (format: see
``tests/cases/techniques/README.md``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iamscope.collect.aws.normalize import normalize_collection
from iamscope.model.edge import Edge, EdgeKind
from iamscope.model.inventory import Inventory

ACCOUNT = "111111111111"
MANAGEMENT = "999999999999"
VERSION = "2012-10-17"
FULL_ACCESS = {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "*",
                                                  "Resource": "*"}]}
AWS_MANAGED = {"AdministratorAccess": FULL_ACCESS}
CASES = Path(__file__).resolve().parent.parent / "cases" / "techniques"


def expand(node: str, account: str = ACCOUNT) -> str:
    """``user/alice`` -> ``arn:aws:iam::<account>:user/alice``; ARNs and hosts unchanged."""
    if ":" in node or "." in node:
        return node
    return f"arn:aws:iam::{account}:{node}"


def _document(spec: Any) -> dict:
    if isinstance(spec, list):
        return {"Version": VERSION, "Statement": spec}
    if "Statement" in spec:
        return {"Version": VERSION, **spec}
    return {"Version": VERSION, "Statement": [spec]}


def _trust(spec: Any) -> dict:
    if isinstance(spec, dict) and "Statement" not in spec and "Effect" not in spec:
        return {"Version": VERSION, "Statement": [
            {"Effect": "Allow", "Principal": spec, "Action": "sts:AssumeRole"}]}
    return _document(spec)


class _Builder:
    def __init__(self, case: dict):
        self.case = case
        self.account = case.get("account", ACCOUNT)
        self.policies: dict[str, dict] = {}

    def managed(self, ref: str) -> str:
        kind, _, name = ref.partition(":")
        if kind == "aws":
            arn = f"arn:aws:iam::aws:policy/{name}"
            document = self.case.get("aws_managed", {}).get(name, AWS_MANAGED.get(name))
        else:
            arn = f"arn:aws:iam::{self.account}:policy/{name}"
            document = self.case.get("managed", {}).get(name)
        if document is None:
            raise KeyError(f"no document for {ref}")
        self.policies[arn] = {"PolicyName": name, "Arn": arn, "DefaultVersionId": "v1",
                              "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                                                     "Document": _document(document)}]}
        return arn

    def attach(self, entity: dict, spec: dict, inline_key: str, name: str) -> None:
        inline, attached = [], []
        for i, item in enumerate(spec.get("policies", [])):
            if isinstance(item, str):
                arn = self.managed(item)
                attached.append({"PolicyArn": arn, "PolicyName": arn.rsplit("/", 1)[-1]})
            else:
                inline.append({"PolicyName": f"{name}-{i}", "PolicyDocument": _document(item)})
        entity[inline_key] = inline
        entity["AttachedManagedPolicies"] = attached
        if spec.get("boundary"):
            entity["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                             "PermissionsBoundaryArn": self.managed(
                                                 spec["boundary"])}
        if spec.get("tags"):
            entity["Tags"] = [{"Key": k, "Value": v} for k, v in spec["tags"].items()]

    def raw(self) -> dict:
        case, account = self.case, self.account
        groups, users, roles, credentials = [], [], [], {}
        for name, spec in case.get("groups", {}).items():
            group = {"GroupName": name, "Path": "/", "Arn": expand(f"group/{name}", account)}
            self.attach(group, spec, "GroupPolicyList", name)
            groups.append(group)
        for name, spec in case.get("users", {}).items():
            path = spec.get("path", "/")
            arn = f"arn:aws:iam::{account}:user{path}{name}"
            user = {"UserName": name, "Path": path, "Arn": arn,
                    "GroupList": spec.get("groups", [])}
            self.attach(user, spec, "UserPolicyList", name)
            users.append(user)
            if any(k in spec for k in ("login_profile", "access_keys", "mfa")):
                keys = spec.get("access_keys")
                credentials[arn] = {
                    "login_profile": spec.get("login_profile"),
                    "access_keys": None if keys is None else [
                        {"id": f"AKIA{name.upper()}{i}", "status": "Active"}
                        for i in range(keys)],
                    "mfa_devices": spec.get("mfa")}
        for name, spec in case.get("roles", {}).items():
            path = spec.get("path", "/")
            arn = f"arn:aws:iam::{account}:role{path}{name}"
            role = {"RoleName": name, "Path": path, "Arn": arn,
                    "AssumeRolePolicyDocument": _trust(spec.get("trust", {"Statement": []})),
                    "InstanceProfileList": [{
                        "InstanceProfileName": name,
                        "Arn": f"arn:aws:iam::{account}:instance-profile/{name}"}]
                    if spec.get("instance_profile") else []}
            self.attach(role, spec, "RolePolicyList", name)
            roles.append(role)
        details = {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
                   "Policies": list(self.policies.values())}
        resources = []
        for item in case.get("resources", []):
            resources.append({"region": "us-east-1", "name": item["arn"].rsplit(":", 1)[-1],
                              **item})
        return {
            "format": "iamscope-aws-raw", "version": 1, "collected_at": "2026-01-01T00:00:00Z",
            "collector_version": "test",
            "accounts": [{"account_id": account, "partition": "aws", "account_alias": None,
                          "authorization_details": details, "credentials": credentials,
                          "resources": resources, "regions": ["us-east-1"], "gaps": []}],
            "organization": self.organization(),
            "gaps": [],
        }

    def organization(self) -> dict | None:
        scps = self.case.get("scps")
        if not scps:
            return None
        root = "r-root"
        full = {"id": "p-FullAWSAccess", "name": "FullAWSAccess",
                "arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
                "type": "SERVICE_CONTROL_POLICY", "aws_managed": True, "document": FULL_ACCESS,
                "targets": [root, self.account]}
        custom = [{"id": f"p-case{i}", "name": f"case-{i}", "type": "SERVICE_CONTROL_POLICY",
                   "arn": f"arn:aws:organizations::{MANAGEMENT}:policy/o-case/"
                          f"service_control_policy/p-case{i}",
                   "aws_managed": False, "document": _document(doc),
                   "targets": [self.account]} for i, doc in enumerate(scps)]
        return {
            "organization_id": "o-case", "arn": f"arn:aws:organizations::{MANAGEMENT}:"
                                                "organization/o-case",
            "management_account_id": MANAGEMENT, "feature_set": "ALL",
            "roots": [{"id": root, "arn": "root", "name": "Root"}], "ous": [],
            "accounts": [{"id": self.account, "arn": "account", "name": "case",
                          "parent_id": root}],
            "policies": [full, *custom],
            "enabled_policy_types": ["SERVICE_CONTROL_POLICY"],
            "delegated_administrators": [],
        }


def raw_collection(case: dict) -> dict:
    """A case (compact format, or already a raw collection) as a raw collection."""
    if case.get("format") == "iamscope-aws-raw":
        return case
    return _Builder(case).raw()


def inventory(case: dict) -> Inventory:
    result = normalize_collection(raw_collection(case))
    assert not result.warnings, result.warnings
    return result.inventory


def load_case(path: Path) -> dict:
    return json.loads(path.read_text())


def edge_key(edge: Edge) -> tuple[str, str, str, str]:
    return (edge.source, edge.target, edge.technique, edge.confidence.value)


def expected_keys(items: list[dict], account: str = ACCOUNT) -> set[tuple[str, str, str, str]]:
    return {(expand(e["source"], account), expand(e["target"], account), e["technique"],
             e["confidence"]) for e in items}


def escalation_edges(edges: list[Edge]) -> list[Edge]:
    """Every edge but the structural member-of ones."""
    return [e for e in edges if e.kind is not EdgeKind.MEMBER_OF]
