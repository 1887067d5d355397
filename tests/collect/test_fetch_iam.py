"""The IAM fetcher against a seeded moto server, and (for what moto cannot do: pages,
AWS-managed policy documents, denied and throttled calls) against recorded responses."""

from __future__ import annotations

import json

from iamscope.collect.aws import fetch_iam
from iamscope.collect.aws.fetch_iam import attached_aws_managed
from iamscope.collect.aws.fetch_iam import fetch_iam as run_iam
from tests.collect.conftest import ACCOUNT, PARTITION, Aws, allow, doc, trust

READ = doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"))
READ_V2 = doc(allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::reports",
                                                        "arn:aws:s3:::reports/*"]))
BOUNDARY = doc(allow(["s3:*", "sqs:*"]))
USER_INLINE = doc(allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs"))
GROUP_INLINE = doc(allow("sns:Publish"))
ROLE_INLINE = doc(allow("kms:Decrypt"))


def _seed(aws: Aws) -> dict[str, str]:
    iam = aws.client("iam")
    read = iam.create_policy(PolicyName="s3-read", Path="/app/",
                             PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=read, PolicyDocument=json.dumps(READ_V2),
                              SetAsDefault=True)
    boundary = iam.create_policy(PolicyName="boundary",
                                 PolicyDocument=json.dumps(BOUNDARY))["Policy"]["Arn"]
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="publish",
                         PolicyDocument=json.dumps(GROUP_INLINE))
    iam.attach_group_policy(GroupName="devs", PolicyArn=read)
    iam.create_user(UserName="alice", Path="/people/", PermissionsBoundary=boundary)
    iam.put_user_policy(UserName="alice", PolicyName="send",
                        PolicyDocument=json.dumps(USER_INLINE))
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=read)
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    first = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    second = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="alice", AccessKeyId=second, Status="Inactive")
    serial = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    iam.create_user(UserName="bob")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"),
                    PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName="app", PolicyName="decrypt",
                        PolicyDocument=json.dumps(ROLE_INLINE))
    iam.attach_role_policy(RoleName="app", PolicyArn=read)
    iam.create_instance_profile(InstanceProfileName="app-profile", Path="/apps/")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    iam.create_account_alias(AccountAlias="acme-prod")
    return {"read": read, "boundary": boundary, "first_key": first, "second_key": second}


def _by(entries: list[dict], key: str) -> dict[str, dict]:
    return {entry[key]: entry for entry in entries}


def test_iam_reads_users_groups_roles_policies_and_credentials(aws: Aws) -> None:
    seeded = _seed(aws)
    result = run_iam(aws.connection(), ACCOUNT, PARTITION, None)

    assert result.gaps == []
    assert result.account_alias == "acme-prod"
    assert result.authorization_complete is True
    details = result.authorization_details
    assert details is not None
    assert sorted(details) == ["GroupDetailList", "Policies", "RoleDetailList",
                               "UserDetailList"]
    json.dumps(details)  # plain JSON: datetimes became strings

    users = _by(details["UserDetailList"], "Arn")
    assert sorted(users) == ["arn:aws:iam::123456789012:user/bob",
                             "arn:aws:iam::123456789012:user/people/alice"]
    alice = users["arn:aws:iam::123456789012:user/people/alice"]
    assert alice["Path"] == "/people/"
    assert alice["UserPolicyList"] == [{"PolicyName": "send", "PolicyDocument": USER_INLINE}]
    assert alice["GroupList"] == ["devs"]
    assert alice["AttachedManagedPolicies"] == [{"PolicyName": "s3-read",
                                                 "PolicyArn": seeded["read"]}]
    # moto 5.2.5 leaves users' PermissionsBoundary out of GAAD (AWS includes it); the
    # recorded scenario below covers a user boundary.

    group = _by(details["GroupDetailList"], "Arn")["arn:aws:iam::123456789012:group/devs"]
    assert group["GroupPolicyList"] == [{"PolicyName": "publish",
                                         "PolicyDocument": GROUP_INLINE}]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "s3-read",
                                                 "PolicyArn": seeded["read"]}]

    role = _by(details["RoleDetailList"], "Arn")["arn:aws:iam::123456789012:role/app"]
    assert role["AssumeRolePolicyDocument"] == json.loads(trust("ec2.amazonaws.com"))
    assert role["RolePolicyList"] == [{"PolicyName": "decrypt", "PolicyDocument": ROLE_INLINE}]
    assert role["AttachedManagedPolicies"] == [{"PolicyName": "s3-read",
                                                "PolicyArn": seeded["read"]}]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == seeded["boundary"]
    assert [p["Arn"] for p in role["InstanceProfileList"]] == [
        "arn:aws:iam::123456789012:instance-profile/apps/app-profile"]

    # Customer-managed policies: every version, the default one flagged. moto omits
    # PolicyName/PolicyId here, so nothing depends on them.
    policies = _by(details["Policies"], "Arn")
    assert sorted(policies) == sorted([seeded["boundary"], seeded["read"]])
    read = policies[seeded["read"]]
    assert read["DefaultVersionId"] == "v2"
    versions = {v["VersionId"]: (v["IsDefaultVersion"], v["Document"])
                for v in read["PolicyVersionList"]}
    assert versions == {"v1": (False, READ), "v2": (True, READ_V2)}

    assert result.credentials == {
        "arn:aws:iam::123456789012:user/people/alice": {
            "login_profile": True,
            "access_keys": [{"id": seeded["first_key"], "status": "Active"},
                            {"id": seeded["second_key"], "status": "Inactive"}],
            "mfa_devices": 1,
        },
        "arn:aws:iam::123456789012:user/bob": {
            "login_profile": False, "access_keys": [], "mfa_devices": 0,
        },
    }


def test_iam_empty_account(aws: Aws) -> None:
    result = run_iam(aws.connection(), ACCOUNT, PARTITION, None)
    assert result.gaps == []
    assert result.authorization_details == {"UserDetailList": [], "GroupDetailList": [],
                                            "RoleDetailList": [], "Policies": []}
    assert result.credentials == {}
    assert result.account_alias is None


def test_iam_pages_aws_managed_policies_and_gaps_from_recorded_responses(aws: Aws) -> None:
    """Three GAAD pages (Marker), AWS-managed documents for attached policies only, a
    denied GetPolicyVersion, a denied and a throttled credential call."""
    connection = aws.connection("iam-paginated", max_pool=1)
    result = run_iam(connection, "111122223333", PARTITION, None)
    connection.assert_consumed()

    details = result.authorization_details
    assert details is not None
    assert result.authorization_complete is True
    assert [u["Arn"] for u in details["UserDetailList"]] == [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::111122223333:user/contractors/bob"]
    assert [g["Arn"] for g in details["GroupDetailList"]] == [
        "arn:aws:iam::111122223333:group/devs"]
    assert [r["Arn"] for r in details["RoleDetailList"]] == [
        "arn:aws:iam::111122223333:role/ops"]
    # botocore decodes IAM's URL-encoded documents; they are kept as boto3 returns them.
    assert details["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] == {
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
    assert details["RoleDetailList"][0]["InstanceProfileList"][0]["Roles"][0][
        "AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}

    # ReadOnlyAccess: GetPolicyVersion denied, so it is left out (with a gap);
    # PowerUserAccess (a boundary) is appended in the ManagedPolicyDetail shape.
    assert [p["Arn"] for p in details["Policies"]] == [
        "arn:aws:iam::111122223333:policy/boundary", "arn:aws:iam::aws:policy/PowerUserAccess"]
    assert details["Policies"][1] == {
        "PolicyName": "PowerUserAccess", "PolicyId": "ANPAJYRXTHIB4FOVS3ZXS",
        "Arn": "arn:aws:iam::aws:policy/PowerUserAccess", "Path": "/",
        "DefaultVersionId": "v5", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 1,
        "IsAttachable": True,
        "Description": "Provides full access to AWS services and resources, but does not "
                       "allow management of Users and groups.",
        # Stubbed responses keep timestamps as recorded; live ones are datetimes, which
        # become ISO 8601 strings (the moto test checks that the result is plain JSON).
        "CreateDate": "2015-02-06T18:39:47Z", "UpdateDate": "2023-07-06T22:04:00Z",
        "PolicyVersionList": [{
            "Document": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                "Resource": "*"}]},
            "VersionId": "v5", "IsDefaultVersion": True,
            "CreateDate": "2023-07-06T22:04:00Z"}],
    }
    boundary_versions = details["Policies"][0]["PolicyVersionList"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in boundary_versions] == [
        ("v2", True), ("v1", False)]

    assert result.credentials == {
        "arn:aws:iam::111122223333:user/alice": {
            "login_profile": True,
            "access_keys": [{"id": "AKIAALICEKEY00000001", "status": "Active"},
                            {"id": "AKIAALICEKEY00000002", "status": "Inactive"}],
            "mfa_devices": 1},
        # NoSuchEntity is "no login profile"; the denied and throttled calls are unknown.
        "arn:aws:iam::111122223333:user/contractors/bob": {
            "login_profile": False, "access_keys": None, "mfa_devices": None},
    }
    assert result.account_alias == "acme-prod"
    assert result.gaps == [
        {"scope": "iam managed policy arn:aws:iam::aws:policy/ReadOnlyAccess",
         "reason": "AccessDenied: permission missing", "permission": "iam:GetPolicyVersion",
         "account": "111122223333", "region": None},
        {"scope": "iam user arn:aws:iam::111122223333:user/contractors/bob access keys",
         "reason": "AccessDenied: permission missing", "permission": "iam:ListAccessKeys",
         "account": "111122223333", "region": None},
        {"scope": "iam user arn:aws:iam::111122223333:user/contractors/bob mfa devices",
         "reason": "Throttling: throttled after retries", "permission": "iam:ListMFADevices",
         "account": "111122223333", "region": None},
    ]


def test_attached_aws_managed_covers_attachments_and_boundaries() -> None:
    details = {
        "UserDetailList": [{"AttachedManagedPolicies": [
            {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
            {"PolicyArn": "arn:aws:iam::111122223333:policy/mine"}]}],
        "GroupDetailList": [{"AttachedManagedPolicies": [
            {"PolicyArn": "arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess"}]}],
        "RoleDetailList": [{"AttachedManagedPolicies": [], "PermissionsBoundary": {
            "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"}}],
        "Policies": [{"Arn": "arn:aws:iam::aws:policy/PowerUserAccess"}],
    }
    assert attached_aws_managed(details) == [
        "arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_iam_permissions_are_the_calls_it_makes() -> None:
    assert fetch_iam.PERMISSIONS == (
        "iam:GetAccountAuthorizationDetails", "iam:GetPolicy", "iam:GetPolicyVersion",
        "iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListMFADevices",
        "iam:ListAccountAliases")
