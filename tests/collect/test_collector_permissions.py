"""Proof that ``collector_policy()`` is enough, and that a missing permission is a gap.

A separate moto server runs in a subprocess with IAM authorisation: it starts with
``INITIAL_NO_AUTH_ACTION_COUNT`` set in its environment (unauthenticated calls allowed) so
the flawed-org scenario, the collector users and a member audit role can be created;
then ``POST /moto-api/reset-auth 0`` makes it check every later request. It is a
subprocess because that switch is process-wide: the shared in-process test server must
stay unauthenticated. The collector then runs as an IAM user holding only
``collector_policy()`` (a customer-managed policy), and in each member account as the role
``iamscope-audit`` holding ``collector_policy(include_organizations=False)`` (each plus
one moto workaround, ``MOTO_COMPAT`` below).

What moto 5.2's IAM enforcement covers (found by these tests and moto's
``moto/iam/access_control.py`` / ``moto/core/authorization.py``):

* Enforced: iam, sts:AssumeRole, ec2, s3 (bucket operations), kms, sqs, sns,
  secretsmanager, ecr, ecs, codebuild, cloudformation, dynamodb, glue, sagemaker,
  organizations, and lambda (see below). ``test_each_service_is_enforced`` removes one
  service's actions at a time and sees exactly that service's gaps.
* Not enforced: ``sts:GetCallerIdentity`` (always allowed, as in AWS).
* Not served at all by the server, so answered by ``MotoConnection`` and not proved here:
  S3 Control ``GetPublicAccessBlock`` (account id in the host name) and SSM
  ``DescribeInstanceInformation`` (not implemented). Their actions
  (``s3:GetAccountPublicAccessBlock``, ``ssm:DescribeInstanceInformation``) are only
  checked against the catalog.
* Lambda reads are GETs without a body, whose signature moto recomputes from the parsed
  query parameters and rejects (``SignatureDoesNotMatch``); ``MotoConnection(sign_payload=
  True)`` sends ``X-Amz-Content-SHA256`` so moto checks the real payload hash and then
  enforces the Lambda permissions normally.
* Evaluation is coarse: only identity policies (inline and attached) of users and assumed
  roles count; ``Resource`` is matched only where moto passes one (IAM roles, STS
  AssumeRole, SQS queues, S3 buckets and objects; everything else is checked against
  ``*``); conditions of identity policies, permissions boundaries, SCPs, RCPs and resource
  policies are not evaluated, and trust policies only for roles of the caller's own
  account. So these tests prove the action list, not evaluation (that is the engine's job,
  tested elsewhere).
* Action names: moto checks ``s3:ListBucket`` for GetPublicAccessBlock and
  GetBucketOwnershipControls on a bucket (its S3 action map misses those query strings);
  the test identities hold that one extra action (``MOTO_COMPAT``), the policy does not.
* Error shape: JSON-protocol services answer a denial with an XML body, so botocore sees
  the code ``403`` rather than ``AccessDenied``; ``errors.classify`` treats any 403 as a
  missing permission, which is what AWS means by it too.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from iamscope.collect.aws.account import all_permissions
from iamscope.collect.aws.collect import collect, enabled_regions
from iamscope.collect.aws.permissions import collector_policy
from iamscope.collect.aws.raw import CollectionRaw
from iamscope.demo.seed import seed_scenario
from iamscope.errors import InputError
from tests.collect.moto_gaps import MotoConnection
from tests.moto_server import CREDENTIALS, free_port

pytestmark = pytest.mark.slow  # one subprocess server, ~25 collections: about a minute

REGION = "us-east-1"
AUDIT_ROLE = "iamscope-audit"
SCENARIO = Path(__file__).resolve().parents[2] / "fixtures/aws/scenarios/flawed-org.json"
SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
sys.stdin.read()  # until the test closes the pipe (or dies)
server.stop()
"""
SERVICES = sorted({action.split(":")[0] for action in all_permissions()})
# moto names the bucket reads GetPublicAccessBlock and GetBucketOwnershipControls
# "s3:ListBucket" (its S3 action map misses both query strings), so the test identities get
# that one extra action; AWS itself checks s3:GetBucketPublicAccessBlock and
# s3:GetBucketOwnershipControls, which the collector policy has.
MOTO_COMPAT = {"Sid": "MotoChecksListBucketForTwoBucketReads", "Effect": "Allow",
               "Action": ["s3:ListBucket"], "Resource": "*"}
NOT_SERVED = {"ssm"}  # answered by MotoConnection: nothing to enforce


def _for_moto(policy: dict[str, Any]) -> dict[str, Any]:
    return {**policy, "Statement": [*policy["Statement"], MOTO_COMPAT]}


def _without(policy: dict[str, Any], *actions: str, drop_assume: bool = False) -> dict[str, Any]:
    statements = []
    for statement in _for_moto(policy)["Statement"]:
        if statement["Action"] == "sts:AssumeRole":
            if not drop_assume:
                statements.append(statement)
            continue
        kept = [a for a in statement["Action"]
                if a not in actions and a.split(":")[0] not in actions]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**policy, "Statement": statements}


# name -> identity policy of a collector user in the management account
USERS: dict[str, dict[str, Any]] = {
    "collector": _for_moto(collector_policy(assume_role_name=AUDIT_ROLE)),
    "no-bucket-policy": _without(collector_policy(assume_role_name=AUDIT_ROLE),
                                 "s3:GetBucketPolicy"),
    "no-describe-org": _without(collector_policy(assume_role_name=AUDIT_ROLE),
                                "organizations:DescribeOrganization"),
    "no-policy-targets": _without(collector_policy(assume_role_name=AUDIT_ROLE),
                                  "organizations:ListTargetsForPolicy"),
    "no-assume": _without(collector_policy(assume_role_name=AUDIT_ROLE), drop_assume=True),
    "no-regions": _without(collector_policy(assume_role_name=AUDIT_ROLE),
                           "ec2:DescribeRegions"),
    "admin": {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    **{f"no-{service}": _without(collector_policy(assume_role_name=AUDIT_ROLE), service)
       for service in SERVICES},
}


@dataclass
class AuthServer:
    endpoint: str
    ids: dict[str, str]
    keys: dict[str, tuple[str, str]]

    def connection(self, user: str) -> MotoConnection:
        key_id, secret = self.keys[user]
        session = boto3.session.Session(aws_access_key_id=key_id,
                                        aws_secret_access_key=secret, region_name=REGION)
        return MotoConnection(_session=session, endpoint_url=self.endpoint, sign_payload=True)

    @property
    def management(self) -> str:
        return self.ids["account:management"]

    @property
    def members(self) -> list[str]:
        return sorted(self.ids[f"account:{n}"] for n in ("security", "prod", "sandbox"))


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the moto server subprocess exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the moto server subprocess did not start listening")


def _seed(endpoint: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    ids = seed_scenario(endpoint, json.loads(SCENARIO.read_text()))
    root = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    iam = root.client("iam", endpoint_url=endpoint)
    keys = {}
    for name, document in USERS.items():
        arn = iam.create_policy(PolicyName=f"{name}-policy",
                                PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.create_user(UserName=name)
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        keys[name] = (key["AccessKeyId"], key["SecretAccessKey"])
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{ids['account:management']}:root"}}]}
    sts = root.client("sts", endpoint_url=endpoint)
    for name in ("security", "prod", "sandbox"):
        account = ids[f"account:{name}"]
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="setup")["Credentials"]
        member_iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"])
        member_iam.create_role(RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        member_iam.put_role_policy(
            RoleName=AUDIT_ROLE, PolicyName="iamscope-collector",
            PolicyDocument=json.dumps(_for_moto(collector_policy(include_organizations=False))))
    return ids, keys


@pytest.fixture(scope="module")
def server() -> Iterator[AuthServer]:
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "1000000000",
           "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    env.pop("MOTO_ACCOUNT_ID", None)
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, process)
        endpoint = f"http://127.0.0.1:{port}"
        ids, keys = _seed(endpoint)
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0",
                                         method="POST", headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read())["status"] == "ok"
        yield AuthServer(endpoint, ids, keys)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _collect(server: AuthServer, user: str, **kwargs: Any) -> CollectionRaw:
    return collect(server.connection(user), regions=[REGION], assume_role_name=AUDIT_ROLE,
                   **kwargs)


def _without_times(value: Any) -> Any:
    """The collection without the moments that differ between two runs: when it was
    collected, and when each (audit) role was last used."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items()
                if k not in ("collected_at", "RoleLastUsed")}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


@pytest.fixture(scope="module")
def full(server: AuthServer) -> CollectionRaw:
    return _collect(server, "collector", org=True)


def test_authorization_is_enforced(server: AuthServer) -> None:
    with pytest.raises(InputError, match="InvalidClientTokenId"):
        collect(MotoConnection(_session=boto3.session.Session(
            region_name=REGION, aws_access_key_id="AKIAUNKNOWNKEY000000",
            aws_secret_access_key="wrong"), endpoint_url=server.endpoint))
    raw = _collect(server, "no-iam")
    gaps = raw["accounts"][0]["gaps"]
    assert gaps and {g["permission"] for g in gaps} == {"iam:GetAccountAuthorizationDetails",
                                                        "iam:ListAccountAliases"}


def test_the_collector_policy_reads_everything(server: AuthServer, full: CollectionRaw) -> None:
    assert full["gaps"] == []
    assert [a["account_id"] for a in full["accounts"]] == sorted(
        [server.management, *server.members])
    assert all(a["gaps"] == [] for a in full["accounts"])
    assert full["organization"] is not None
    assert len(full["organization"]["policies"]) == 6
    # ... and reads exactly what an administrator reads.
    admin = _collect(server, "admin", org=True)
    assert _without_times(admin) == _without_times(full)


def test_a_missing_read_is_exactly_one_gap_and_not_no_access(server: AuthServer) -> None:
    complete = _collect(server, "collector")
    partial = _collect(server, "no-bucket-policy")
    bucket = "arn:aws:s3:::acme-org-cloudtrail"
    [account] = partial["accounts"]
    assert account["gaps"] == [{
        "scope": f"s3 bucket {bucket} policy", "reason": "AccessDenied: permission missing",
        "permission": "s3:GetBucketPolicy", "account": server.management, "region": None}]
    [read] = [r for r in account["resources"] if r["arn"] == bucket]
    assert "policy" not in read  # not learned: absent, never None ("no policy")
    [expected] = complete["accounts"]
    expected_resources = [{k: v for k, v in r.items() if not (r["arn"] == bucket and k == "policy")}
                          for r in expected["resources"]]
    assert account["resources"] == expected_resources
    assert _without_times(account["authorization_details"]) == _without_times(
        expected["authorization_details"])


def test_denied_organization_is_a_gap_and_the_caller_is_still_collected(
        server: AuthServer) -> None:
    raw = _collect(server, "no-describe-org", org=True)
    assert raw["organization"] is None
    assert raw["gaps"] == [{"scope": "organization", "reason": "403: permission missing",
                            "permission": "organizations:DescribeOrganization",
                            "account": None, "region": None}]
    assert [a["account_id"] for a in raw["accounts"]] == [server.management]


def test_unreadable_policy_targets_drop_the_policies_with_gaps(
        server: AuthServer, full: CollectionRaw) -> None:
    raw = _collect(server, "no-policy-targets", org=True, accounts=[server.management])
    assert raw["organization"] is not None and full["organization"] is not None
    assert raw["organization"]["policies"] == []
    ids = sorted(p["id"] for p in full["organization"]["policies"])
    assert [(g["scope"], g["permission"]) for g in raw["gaps"]] == [
        (f"targets of organization policy {i}", "organizations:ListTargetsForPolicy")
        for i in ids]
    assert raw["organization"]["ous"] == full["organization"]["ous"]


def test_members_that_cannot_be_assumed_are_gaps(server: AuthServer) -> None:
    raw = _collect(server, "no-assume", org=True)
    assert [a["account_id"] for a in raw["accounts"]] == [server.management]
    assert raw["gaps"] == [
        {"scope": f"account {m} role arn:aws:iam::{m}:role/{AUDIT_ROLE}",
         "reason": "AccessDenied: permission missing", "permission": "sts:AssumeRole",
         "account": m, "region": None} for m in server.members]


def test_denied_regions_fall_back_to_the_connection_region(server: AuthServer) -> None:
    regions, gaps = enabled_regions(server.connection("no-regions"), server.management)
    assert regions == [REGION]
    assert gaps == [{"scope": "enabled regions",
                     "reason": f"AccessDenied: permission missing; collected {REGION} only",
                     "permission": "ec2:DescribeRegions", "account": server.management,
                     "region": None}]
    regions, gaps = enabled_regions(server.connection("collector"), server.management)
    assert gaps == [] and REGION in regions and len(regions) > 1


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_enforced(server: AuthServer, service: str) -> None:
    """Without one service's actions, the gaps are that service's, and only those."""
    raw = _collect(server, f"no-{service}")
    [account] = raw["accounts"]
    permissions = {g["permission"] for g in account["gaps"]}
    if service in NOT_SERVED:
        assert permissions == set()
    else:
        assert permissions, f"moto did not deny {service}"
        assert all(p and p.startswith(f"{service}:") for p in permissions), permissions
        assert all("permission missing" in g["reason"] for g in account["gaps"])
