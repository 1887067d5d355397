"""The collector policy: read-only actions the catalog knows, AssumeRole apart, and the
copy in docs/aws-collector.md equal to the code. (That the policy is *enough* is proved on
an IAM-enforcing moto server in test_collector_permissions.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iamscope.catalog.aws_actions import AccessLevel, ActionCatalog
from iamscope.collect.aws.account import all_permissions
from iamscope.collect.aws.organization import PERMISSIONS as ORGANIZATION_PERMISSIONS
from iamscope.collect.aws.permissions import collector_policy, policy_json, read_actions

DOC = Path(__file__).resolve().parents[2] / "docs" / "aws-collector.md"
READ_ONLY = {AccessLevel.LIST, AccessLevel.READ}


def _doc_block(label: str) -> str:
    text = DOC.read_text()
    match = re.search(re.escape(f"<!-- BEGIN {label} -->") + r"\n```json\n(.*?)\n```\n"
                      + re.escape(f"<!-- END {label} -->"), text, re.S)
    assert match, f"no generated block for {label} in {DOC.name}"
    return match.group(1)


def test_read_statement_is_the_sorted_union() -> None:
    policy = collector_policy()
    read, assume = policy["Statement"]
    expected = sorted({*all_permissions(), *ORGANIZATION_PERMISSIONS,
                       "sts:GetCallerIdentity", "ec2:DescribeRegions"})
    assert read == {"Sid": "IamscopeCollectorRead", "Effect": "Allow", "Action": expected,
                    "Resource": "*"}
    assert assume == {"Sid": "IamscopeAssumeMemberRole", "Effect": "Allow",
                      "Action": "sts:AssumeRole",
                      "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}
    assert policy["Version"] == "2012-10-17"
    assert list(read_actions()) == expected


def test_without_organizations_there_is_no_org_read_and_no_assume_role() -> None:
    policy = collector_policy(include_organizations=False)
    [read] = policy["Statement"]
    assert not [a for a in read["Action"] if a.startswith("organizations:")]
    assert set(read["Action"]) == {*all_permissions(), "sts:GetCallerIdentity",
                                   "ec2:DescribeRegions"}


def test_role_name_and_partition() -> None:
    policy = collector_policy(assume_role_name="audit/iamscope", partition="aws-us-gov")
    assert policy["Statement"][1]["Resource"] == "arn:aws-us-gov:iam::*:role/audit/iamscope"


@pytest.mark.parametrize("include_organizations", [True, False])
def test_every_read_action_is_known_and_read_only(catalog: ActionCatalog,
                                                  include_organizations: bool) -> None:
    for action in read_actions(include_organizations):
        info = catalog.action(action)
        assert catalog.is_known_action(action) and info is not None, action
        assert info.access_level in READ_ONLY, (action, info.access_level)


def test_assume_role_is_the_one_write_action(catalog: ActionCatalog) -> None:
    """sts:AssumeRole is "Write" in the Service Authorization Reference: it is how the
    collector reaches member accounts. It is alone in its statement and limited to the
    member role, whose own policy is the read-only member policy."""
    assume = collector_policy()["Statement"][1]
    info = catalog.action(assume["Action"])
    assert info is not None and info.access_level is AccessLevel.WRITE
    assert assume["Resource"].endswith(":role/OrganizationAccountAccessRole")


def test_policy_fits_a_managed_policy() -> None:
    """Customer-managed policies hold 6,144 characters, whitespace not counted."""
    compact = json.dumps(collector_policy(), separators=(",", ":"))
    assert len(compact) < 6144


@pytest.mark.parametrize(("label", "include_organizations"), [
    ("collector_policy()", True),
    ("collector_policy(include_organizations=False)", False),
])
def test_the_documented_policy_is_the_generated_one(label: str,
                                                    include_organizations: bool) -> None:
    """If this fails, paste the output of `iamscope permissions aws` (or with --no-org)
    between the markers in docs/aws-collector.md."""
    block = _doc_block(label)
    policy = collector_policy(include_organizations=include_organizations)
    assert json.loads(block) == policy
    assert block == policy_json(policy)


def test_each_call_returns_a_fresh_document() -> None:
    first = collector_policy()
    first["Statement"][0]["Action"].append("s3:GetObject")
    assert "s3:GetObject" not in collector_policy()["Statement"][0]["Action"]
