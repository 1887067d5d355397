"""collect(): one account or an organisation into a CollectionRaw, on the moto server.
The seeded organisation is in tests/demo/test_seed.py; denied calls (AssumeRole,
DescribeRegions, DescribeOrganization) in test_collector_permissions.py."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

from iamscope.collect.aws.collect import collect, enabled_regions, member_role_arn
from iamscope.collect.aws.raw import RAW_FORMAT, RAW_VERSION
from iamscope.errors import InputError
from tests.collect.conftest import ACCOUNT, REGION, Aws
from tests.collect.moto_gaps import MotoConnection
from tests.moto_server import session


def _connection(aws: Aws) -> MotoConnection:
    return MotoConnection(_session=session(REGION), endpoint_url=aws.endpoint)


def test_single_account(aws: Aws) -> None:
    aws.client("s3").create_bucket(Bucket="acme-logs")
    aws.client("iam").create_user(UserName="alice")
    steps: list[str] = []

    raw = collect(_connection(aws), regions=[REGION], progress=steps.append)

    assert raw["format"] == RAW_FORMAT and raw["version"] == RAW_VERSION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", raw["collected_at"])
    assert raw["collector_version"] == metadata.version("iamscope")
    assert raw["organization"] is None
    assert raw["gaps"] == []
    [account] = raw["accounts"]
    assert (account["account_id"], account["partition"], account["regions"]) == (
        ACCOUNT, "aws", [REGION])
    assert account["gaps"] == []
    assert [r["arn"] for r in account["resources"]] == ["arn:aws:s3:::acme-logs"]
    assert [u["UserName"] for u in account["authorization_details"]["UserDetailList"]] == [
        "alice"]
    assert f"{ACCOUNT}: collecting 1 region(s)" in steps
    assert "organization" not in steps


def test_org_flag_without_an_organization_collects_the_caller(aws: Aws) -> None:
    steps: list[str] = []
    raw = collect(_connection(aws), org=True, regions=[REGION], progress=steps.append)
    assert raw["organization"] is None
    assert raw["gaps"] == []
    assert [a["account_id"] for a in raw["accounts"]] == [ACCOUNT]
    assert steps[0] == "organization"


def test_members_are_assumed_and_inactive_ones_are_gaps(aws: Aws) -> None:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for name in ("b-member", "a-member", "closed"):
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)
        ids.append(status["CreateAccountStatus"]["AccountId"])
    org.close_account(AccountId=ids[2])
    steps: list[str] = []

    raw = collect(_connection(aws), org=True, regions=[REGION], max_workers=3,
                  progress=steps.append)

    assert [a["account_id"] for a in raw["accounts"]] == sorted([ACCOUNT, ids[0], ids[1]])
    assert raw["gaps"] == [{"scope": f"account {ids[2]}",
                            "reason": "account is SUSPENDED: not collected",
                            "permission": None, "account": ids[2], "region": None}]
    for member in ids[:2]:
        role_arn = member_role_arn("aws", member, "OrganizationAccountAccessRole")
        assert f"{member}: assuming {role_arn}" in steps
        [raw_member] = [a for a in raw["accounts"] if a["account_id"] == member]
        # The member's own IAM, read through the assumed role.
        roles = [r["RoleName"] for r in raw_member["authorization_details"]["RoleDetailList"]]
        assert roles == ["OrganizationAccountAccessRole"]


def test_selected_accounts_only(aws: Aws) -> None:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="m@example.com", AccountName="m")
    member_id = member["CreateAccountStatus"]["AccountId"]

    raw = collect(_connection(aws), org=True, accounts=[member_id], regions=[REGION])

    assert [a["account_id"] for a in raw["accounts"]] == [member_id]
    assert raw["organization"] is not None  # the whole organisation is still read
    assert len(raw["organization"]["accounts"]) == 2


def test_accounts_without_org_are_assumed_directly(aws: Aws) -> None:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member_id = org.create_account(Email="m@example.com",
                                   AccountName="m")["CreateAccountStatus"]["AccountId"]
    raw = collect(_connection(aws), accounts=[member_id, ACCOUNT], regions=[REGION])
    assert raw["organization"] is None
    assert [a["account_id"] for a in raw["accounts"]] == sorted([ACCOUNT, member_id])


def test_enabled_regions_leave_out_regions_not_opted_in(aws: Aws) -> None:
    regions, gaps = enabled_regions(_connection(aws), ACCOUNT)
    assert gaps == []
    assert {"us-east-1", "eu-west-1", "us-west-2"} <= set(regions)
    # Opt-in regions (moto reports them "not-opted-in") and other partitions' regions
    # (moto lists China and GovCloud too) are left out.
    assert not {"ap-east-1", "me-south-1", "cn-north-1", "us-gov-west-1"} & set(regions)
    assert regions == sorted(regions)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"accounts": ["12345"]}, "not an AWS account id"),
    ({"accounts": "123456789012"}, "list of account ids"),
    ({"assume_role_name": "bad role"}, "not an IAM role name"),
    ({"max_workers": 0}, "at least 1"),
])
def test_bad_arguments_are_input_errors(aws: Aws, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        collect(_connection(aws), **kwargs)


def test_role_name_may_have_a_path() -> None:
    assert member_role_arn("aws-cn", "111122223333", "audit/iamscope") == (
        "arn:aws-cn:iam::111122223333:role/audit/iamscope")
