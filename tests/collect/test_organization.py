"""fetch_organization against the moto server: the tree, policies with targets, delegated
administrators, pagination. Denied calls are proved on the IAM-enforcing server in
test_collector_permissions.py."""

from __future__ import annotations

import json
from typing import Any

from iamscope.collect.aws.organization import PERMISSIONS, fetch_organization
from tests.collect.conftest import ACCOUNT, Aws

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
DENY_LEAVE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]})


def _account(org: Any, name: str) -> str:
    status = org.create_account(Email=f"{name}@example.com", AccountName=name)
    return status["CreateAccountStatus"]["AccountId"]


def test_no_organization_is_none_and_no_gap(aws: Aws) -> None:
    assert fetch_organization(aws.connection()) == (None, [])


def test_tree_policies_targets_and_delegated_administrators(aws: Aws) -> None:
    org = aws.client("organizations")
    described = org.create_organization(FeatureSet="ALL")["Organization"]
    root = org.list_roots()["Roots"][0]
    org.enable_policy_type(RootId=root["Id"], PolicyType=SCP)
    org.enable_policy_type(RootId=root["Id"], PolicyType=RCP)
    workloads = org.create_organizational_unit(ParentId=root["Id"], Name="Workloads")
    workloads = workloads["OrganizationalUnit"]
    prod_ou = org.create_organizational_unit(ParentId=workloads["Id"], Name="Prod")
    prod_ou = prod_ou["OrganizationalUnit"]
    prod = _account(org, "prod")
    org.move_account(AccountId=prod, SourceParentId=root["Id"], DestinationParentId=prod_ou["Id"])
    security = _account(org, "security")
    scp = org.create_policy(Name="DenyLeave", Type=SCP, Description="", Content=DENY_LEAVE)
    scp = scp["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=scp["Id"], TargetId=root["Id"])
    org.attach_policy(PolicyId=scp["Id"], TargetId=prod)
    org.register_delegated_administrator(AccountId=security,
                                         ServicePrincipal="guardduty.amazonaws.com")
    org.register_delegated_administrator(AccountId=security,
                                         ServicePrincipal="access-analyzer.amazonaws.com")

    organization, gaps = fetch_organization(aws.connection())

    assert gaps == []
    assert organization is not None
    org_id = described["Id"]
    arn = f"arn:aws:organizations::{ACCOUNT}"
    everything = sorted([root["Id"], workloads["Id"], prod_ou["Id"], ACCOUNT, prod, security])
    assert {k: v for k, v in organization.items() if k != "policies"} == {
        "organization_id": org_id,
        "arn": described["Arn"],
        "management_account_id": ACCOUNT,
        "feature_set": "ALL",
        "roots": [{"id": root["Id"], "arn": root["Arn"], "name": "Root"}],
        "ous": sorted([
            {"id": workloads["Id"], "arn": workloads["Arn"], "name": "Workloads",
             "parent_id": root["Id"]},
            {"id": prod_ou["Id"], "arn": prod_ou["Arn"], "name": "Prod",
             "parent_id": workloads["Id"]},
        ], key=lambda n: n["id"]),
        "accounts": sorted([
            {"id": ACCOUNT, "arn": f"{arn}:account/{org_id}/{ACCOUNT}", "name": "master",
             "parent_id": root["Id"], "email": "master@example.com", "status": "ACTIVE"},
            {"id": prod, "arn": f"{arn}:account/{org_id}/{prod}", "name": "prod",
             "parent_id": prod_ou["Id"], "email": "prod@example.com", "status": "ACTIVE"},
            {"id": security, "arn": f"{arn}:account/{org_id}/{security}", "name": "security",
             "parent_id": root["Id"], "email": "security@example.com", "status": "ACTIVE"},
        ], key=lambda n: n["id"]),
        "enabled_policy_types": [RCP, SCP],
        "delegated_administrators": [
            {"account_id": security,
             "services": ["access-analyzer.amazonaws.com", "guardduty.amazonaws.com"]}],
    }
    by_name = {p["name"]: p for p in organization["policies"]}
    assert sorted(by_name) == ["DenyLeave", "FullAWSAccess", "RCPFullAWSAccess"]
    assert by_name["DenyLeave"] == {
        "id": scp["Id"], "arn": scp["Arn"], "name": "DenyLeave", "type": SCP,
        "aws_managed": False, "document": DENY_LEAVE, "targets": sorted([root["Id"], prod])}
    # moto attaches the AWS-managed defaults everywhere, as AWS Organizations does.
    full = by_name["FullAWSAccess"]
    assert (full["id"], full["type"], full["aws_managed"]) == ("p-FullAWSAccess", SCP, True)
    assert full["targets"] == everything
    assert by_name["RCPFullAWSAccess"]["type"] == RCP
    assert json.loads(full["document"])["Statement"][0]["Action"] == "*"


def test_every_page_is_read(aws: Aws) -> None:
    """moto pages OUs, accounts and policies by 20: 23 of each need a second page."""
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType=SCP)
    ous = {org.create_organizational_unit(ParentId=root, Name=f"ou-{i:02}")
           ["OrganizationalUnit"]["Id"] for i in range(23)}
    accounts = {_account(org, f"member-{i:02}") for i in range(23)}
    policies = set()
    for i in range(23):
        created = org.create_policy(Name=f"scp-{i:02}", Type=SCP, Description="",
                                    Content=DENY_LEAVE)
        policies.add(created["Policy"]["PolicySummary"]["Id"])

    organization, gaps = fetch_organization(aws.connection())

    assert gaps == []
    assert organization is not None
    assert {ou["id"] for ou in organization["ous"]} == ous
    assert {a["id"] for a in organization["accounts"]} == accounts | {ACCOUNT}
    assert {p["id"] for p in organization["policies"]} == policies | {"p-FullAWSAccess"}
    # RCPs are not enabled on the root, so none are listed.
    assert organization["enabled_policy_types"] == [SCP]
    assert all(p["targets"] == [] for p in organization["policies"] if p["id"] in policies)


def test_permissions_name_every_call() -> None:
    assert list(PERMISSIONS) == sorted(PERMISSIONS)
    assert all(p.startswith("organizations:") for p in PERMISSIONS)
    assert "organizations:ListAccountsForParent" in PERMISSIONS
