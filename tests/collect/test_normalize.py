"""Authorization-details dumps and raw collections into the inventory: exact contents,
gaps for what is missing, clear errors for what cannot be read."""

from __future__ import annotations

import copy
import json

import pytest

from iamscope.collect.aws.normalize import (
    inventory_from_authorization_details,
    normalize_collection,
)
from iamscope.collect.load import inventory_from_data
from iamscope.errors import InputError
from iamscope.model.policy import PolicyKind
from iamscope.model.principal import CredentialFacts, PrincipalKind
from iamscope.model.resource import OrgNodeKind
from tests.conftest import FIXTURES

DUMP = FIXTURES / "aws" / "authorization-details" / "small-account.json"
ACCT = "111122223333"


@pytest.fixture
def dump() -> dict:
    return json.loads(DUMP.read_text())


def test_dump_principals_exact(dump: dict) -> None:
    inventory = inventory_from_authorization_details(dump, source_file="dump.json").inventory
    assert sorted(inventory.principals) == [
        f"arn:aws:iam::{ACCT}:group/developers",
        f"arn:aws:iam::{ACCT}:role/service/ingest",
        f"arn:aws:iam::{ACCT}:root",
        f"arn:aws:iam::{ACCT}:user/bob",
        f"arn:aws:iam::{ACCT}:user/eng/alice",
    ]
    alice = inventory.principals[f"arn:aws:iam::{ACCT}:user/eng/alice"]
    assert alice.kind is PrincipalKind.USER
    assert (alice.name, alice.path, alice.account) == ("alice", "/eng/", ACCT)
    assert alice.policy_ids == (f"arn:aws:iam::{ACCT}:user/eng/alice/inline/read-reports",)
    assert alice.group_ids == (f"arn:aws:iam::{ACCT}:group/developers",)
    assert alice.boundary_policy_id == f"arn:aws:iam::{ACCT}:policy/dev-boundary"
    assert alice.tags == (("team", "payments"),)
    assert alice.source is not None and alice.source.file == "dump.json"
    assert alice.source.pointer == "/UserDetailList/0"
    role = inventory.principals[f"arn:aws:iam::{ACCT}:role/service/ingest"]
    assert role.trust_policy_id == f"arn:aws:iam::{ACCT}:role/service/ingest/trust"
    assert role.instance_profile_ids == (f"arn:aws:iam::{ACCT}:instance-profile/ingest",)
    assert role.unique_id == "AROAEXAMPLEINGEST001"


def test_dump_policies_exact(dump: dict) -> None:
    inventory = inventory_from_authorization_details(dump).inventory
    kinds = {pid: p.kind for pid, p in inventory.policies.items()}
    assert kinds == {
        f"arn:aws:iam::{ACCT}:policy/deploy": PolicyKind.MANAGED,
        f"arn:aws:iam::{ACCT}:policy/dev-boundary": PolicyKind.MANAGED,
        f"arn:aws:iam::{ACCT}:user/eng/alice/inline/read-reports": PolicyKind.INLINE,
        f"arn:aws:iam::{ACCT}:role/service/ingest/inline/queue": PolicyKind.INLINE,
        f"arn:aws:iam::{ACCT}:role/service/ingest/trust": PolicyKind.TRUST,
    }
    deploy = inventory.policies[f"arn:aws:iam::{ACCT}:policy/deploy"]
    assert deploy.default_version_id == "v2"  # the default version, not v1's "*"
    assert deploy.statements[0].actions == ("lambda:UpdateFunctionCode", "iam:PassRole")
    # The URL-encoded inline document (as IAM's API returns it) is decoded.
    inline = inventory.policies[f"arn:aws:iam::{ACCT}:user/eng/alice/inline/read-reports"]
    assert inline.statements[0].resources == ("arn:aws:s3:::reports-111122223333/*",)


def test_missing_aws_managed_document_is_a_gap_not_no_access(dump: dict) -> None:
    result = inventory_from_authorization_details(dump)
    gaps = result.inventory.gaps
    assert [(g.scope, g.permission) for g in gaps] == [
        ("policy arn:aws:iam::aws:policy/ReadOnlyAccess", "iam:GetAccountAuthorizationDetails")]
    assert "AWS-managed policy attached to arn:aws:iam::111122223333:user/bob" in gaps[0].reason
    assert result.warnings


def test_invalid_document_is_a_gap_naming_the_policy(dump: dict) -> None:
    broken = copy.deepcopy(dump)
    broken["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"] = "%7Bnot json"
    result = inventory_from_authorization_details(broken)
    scopes = [g.scope for g in result.inventory.gaps]
    assert f"policy arn:aws:iam::{ACCT}:role/service/ingest/inline/queue" in scopes
    role = result.inventory.principals[f"arn:aws:iam::{ACCT}:role/service/ingest"]
    assert role.policy_ids == ()  # not attached as if empty: the gap says it is unknown


def test_bad_effect_in_a_dump_is_a_gap(dump: dict) -> None:
    broken = copy.deepcopy(dump)
    document = broken["Policies"][0]["PolicyVersionList"][1]["Document"]
    document["Statement"][0]["Effect"] = "Permit"
    gaps = inventory_from_authorization_details(broken).inventory.gaps
    assert any(g.scope == f"policy arn:aws:iam::{ACCT}:policy/deploy" and "Effect" in g.reason
               for g in gaps)


def test_unknown_fields_are_ignored(dump: dict) -> None:
    extended = copy.deepcopy(dump)
    extended["SomethingNew"] = [1, 2]
    extended["UserDetailList"][0]["FutureField"] = {"x": 1}
    inventory = inventory_from_authorization_details(extended).inventory
    assert f"arn:aws:iam::{ACCT}:user/eng/alice" in inventory.principals


def test_truncated_dump_is_a_gap(dump: dict) -> None:
    dump["IsTruncated"] = True
    gaps = inventory_from_authorization_details(dump).inventory.gaps
    assert any("truncated" in g.reason for g in gaps)


@pytest.mark.parametrize(("data", "message"), [
    ([], "not an authorization-details document"),
    ({"Users": []}, "not an inventory"),
    ({"UserDetailList": "nope"}, "cannot tell which account"),
    ({"UserDetailList": [{"UserName": "x"}]}, "cannot tell which account"),
    ({"UserDetailList": [{"Arn": "arn:aws:iam::111122223333:user/a"},
                         {"Arn": "arn:aws:iam::444455556666:user/b"}]},
     "accounts seen: 111122223333, 444455556666"),
])
def test_unreadable_dumps_are_clear_errors(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        if isinstance(data, dict) and "Users" in data:
            inventory_from_data(data, source="x.json")
        else:
            inventory_from_authorization_details(data)


def test_entity_list_of_wrong_type_names_the_list() -> None:
    with pytest.raises(InputError, match="RoleDetailList must be a list of objects"):
        inventory_from_authorization_details(
            {"UserDetailList": [{"Arn": "arn:aws:iam::111122223333:user/a"}],
             "RoleDetailList": ["x"]})


def test_policy_arn_that_is_not_an_arn_is_a_clear_error(dump: dict) -> None:
    """Managed policies are identified by ARN (IAM API Reference, ManagedPolicyDetail.Arn);
    anything else would break every ARN-keyed analysis later."""
    broken = copy.deepcopy(dump)
    broken["Policies"][0]["Arn"] = "not-an-arn"
    with pytest.raises(InputError, match="'not-an-arn' is not an ARN"):
        inventory_from_authorization_details(broken)


def test_attached_policy_arn_that_is_not_an_arn_is_a_clear_error(dump: dict) -> None:
    broken = copy.deepcopy(dump)
    broken["UserDetailList"][0]["AttachedManagedPolicies"] = [
        {"PolicyName": "p", "PolicyArn": "policy/p"}]
    with pytest.raises(InputError, match="PolicyArn 'policy/p' is not an ARN"):
        inventory_from_authorization_details(broken)


def raw_collection() -> dict:
    details = json.loads(DUMP.read_text())
    return {
        "format": "iamscope-aws-raw", "version": 1, "collected_at": "2026-11-22T00:00:00Z",
        "collector_version": "test",
        "accounts": [{
            "account_id": ACCT, "partition": "aws", "account_alias": "payments-prod",
            "authorization_details": details,
            "credentials": {f"arn:aws:iam::{ACCT}:user/bob": {
                "login_profile": True, "access_keys": [{"id": "AKIAEXAMPLE1", "status": "Active"},
                                                       {"id": "AKIAEXAMPLE2", "status": "Inactive"}],
                "mfa_devices": 0}},
            "resources": [{
                "arn": "arn:aws:s3:::reports-111122223333", "type": "aws:s3:bucket",
                "region": "us-east-1", "name": "reports-111122223333",
                "policy": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": "arn:aws:s3:::reports-111122223333/*"}]},
                "tags": {"data": "public"},
                "attributes": {"public_access_block": {"BlockPublicPolicy": False}},
            }],
            "regions": ["us-east-1"],
            "gaps": [{"scope": "service glue", "reason": "AccessDeniedException",
                      "permission": "glue:GetJobs", "region": "us-east-1"}],
        }],
        "organization": {
            "organization_id": "o-exampleorg", "arn": "arn:aws:organizations::777788889999:"
            "organization/o-exampleorg", "management_account_id": "777788889999",
            "feature_set": "ALL",
            "roots": [{"id": "r-abcd", "arn": "arn:aws:organizations::777788889999:root/o-exampleorg/r-abcd", "name": "Root"}],
            "ous": [{"id": "ou-abcd-prod", "arn": "arn:aws:organizations::777788889999:ou/o-exampleorg/ou-abcd-prod", "name": "prod", "parent_id": "r-abcd"}],
            "accounts": [{"id": ACCT, "arn": "arn:aws:organizations::777788889999:account/o-exampleorg/111122223333", "name": "payments", "parent_id": "ou-abcd-prod", "status": "ACTIVE"},
                         {"id": "777788889999", "arn": "arn:aws:organizations::777788889999:account/o-exampleorg/777788889999", "name": "management", "parent_id": "r-abcd", "status": "ACTIVE"}],
            "policies": [
                {"id": "p-FullAWSAccess", "arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
                 "name": "FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "aws_managed": True,
                 "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                 "targets": ["r-abcd", "ou-abcd-prod", ACCT, "777788889999"]},
                {"id": "p-denyleave", "arn": "arn:aws:organizations::777788889999:policy/o-exampleorg/service_control_policy/p-denyleave",
                 "name": "deny-leave", "type": "SERVICE_CONTROL_POLICY", "aws_managed": False,
                 "document": json.dumps({"Version": "2012-10-17", "Statement": [
                     {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
                 "targets": ["ou-abcd-prod"]},
                {"id": "p-rcp-tls", "arn": "arn:aws:organizations::777788889999:policy/o-exampleorg/resource_control_policy/p-rcp-tls",
                 "name": "tls", "type": "RESOURCE_CONTROL_POLICY", "aws_managed": False,
                 "document": {"Version": "2012-10-17", "Statement": [
                     {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                      "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]},
                 "targets": ["r-abcd"]},
            ],
            "enabled_policy_types": ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
            "delegated_administrators": [],
        },
        "gaps": [],
    }


def test_raw_collection_exact() -> None:
    inventory = normalize_collection(raw_collection()).inventory
    meta = inventory.metadata
    assert (meta.organization_id, meta.management_account, meta.accounts) == (
        "o-exampleorg", "777788889999", (ACCT,))
    bob = inventory.principals[f"arn:aws:iam::{ACCT}:user/bob"]
    assert bob.credentials == CredentialFacts(True, 2, 1, 0)
    root = inventory.principals[f"arn:aws:iam::{ACCT}:root"]
    assert (root.kind, root.name) == (PrincipalKind.ACCOUNT_ROOT, "payments-prod")
    bucket = inventory.resources["arn:aws:s3:::reports-111122223333"]
    assert bucket.policy_id == "arn:aws:s3:::reports-111122223333/policy"
    assert inventory.policies[bucket.policy_id].kind is PolicyKind.RESOURCE
    assert dict(bucket.attributes) == {"public_access_block": '{"BlockPublicPolicy":false}'}
    assert bucket.tags == (("data", "public"),)
    chain = inventory.org_chain(ACCT)
    assert [(n.id, n.kind) for n in chain] == [
        ("r-abcd", OrgNodeKind.ROOT), ("ou-abcd-prod", OrgNodeKind.OU),
        (ACCT, OrgNodeKind.ACCOUNT)]
    full = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    deny = ("arn:aws:organizations::777788889999:policy/o-exampleorg/service_control_policy/"
            "p-denyleave")
    assert chain[1].scp_ids == tuple(sorted((full, deny)))
    assert chain[0].rcp_ids == ("arn:aws:organizations::777788889999:policy/o-exampleorg/"
                                "resource_control_policy/p-rcp-tls",)
    assert inventory.policies[deny].kind is PolicyKind.SCP  # JSON-text document decoded
    assert [(g.scope, g.permission, g.account) for g in inventory.gaps
            if g.scope == "service glue"] == [("service glue", "glue:GetJobs", ACCT)]


def test_disabled_policy_type_attaches_nothing() -> None:
    raw = raw_collection()
    raw["organization"]["enabled_policy_types"] = ["SERVICE_CONTROL_POLICY"]
    inventory = normalize_collection(raw).inventory
    assert all(not node.rcp_ids for node in inventory.org_nodes.values())
