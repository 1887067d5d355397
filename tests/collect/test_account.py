"""collect_account: every fetcher across regions, merged; gaps instead of crashes; the
published permission list is exactly what the fetchers call."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.collect.aws import fetch_compute, fetch_iam, fetch_resources, fetch_s3
from iamscope.collect.aws.account import (
    FETCHERS,
    all_permissions,
    collect_account,
    instance_profile_roles,
    merge,
)
from iamscope.collect.aws.fetch_iam import fetch_iam as run_iam
from iamscope.collect.aws.fetch_resources import fetch_lambda
from iamscope.collect.aws.fetching import FetchResult
from iamscope.errors import InputError
from tests.collect.conftest import ACCOUNT, PARTITION, REGION, Aws, trust
from tests.collect.replay import ReplayConnection, Scenario

LINKED = Scenario("ec2-ssm-linked", frozenset({REGION}))
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/apps/app-profile"
EMPTY_PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/empty"

EXPECTED_PERMISSIONS = (
    "cloudformation:DescribeStacks",
    "codebuild:BatchGetProjects", "codebuild:ListProjects",
    "dynamodb:GetResourcePolicy", "dynamodb:ListTables", "dynamodb:ListTagsOfResource",
    "ec2:DescribeInstances",
    "ecr:DescribeRepositories", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
    "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitionFamilies",
    "glue:GetDevEndpoints", "glue:GetJobs",
    "iam:GetAccountAuthorizationDetails", "iam:GetLoginProfile", "iam:GetPolicy",
    "iam:GetPolicyVersion", "iam:ListAccessKeys", "iam:ListAccountAliases",
    "iam:ListMFADevices",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "kms:ListKeys",
    "kms:ListResourceTags",
    "lambda:GetFunctionConfiguration", "lambda:GetFunctionUrlConfig", "lambda:GetPolicy",
    "lambda:ListFunctions", "lambda:ListTags",
    "s3:GetAccountPublicAccessBlock", "s3:GetBucketLocation", "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging",
    "s3:ListAllMyBuckets",
    "sagemaker:DescribeNotebookInstance", "sagemaker:ListNotebookInstances",
    "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets",
    "sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListTopics",
    "sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:ListQueues",
    "ssm:DescribeInstanceInformation",
)


def _seed(aws: Aws) -> dict[str, str]:
    iam = aws.client("iam")
    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust(
        "ec2.amazonaws.com"))["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="app-profile", Path="/apps/")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    iam.create_instance_profile(InstanceProfileName="empty")
    iam.create_user(UserName="alice")
    aws.client("s3").create_bucket(Bucket="acme-data")
    aws.client("sqs").create_queue(QueueName="jobs")
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    return {"role": role, "key": key}


def test_collect_account_merges_every_fetcher(aws: Aws) -> None:
    seeded = _seed(aws)
    connection = aws.connection("s3-account-block", LINKED)
    labels: list[str] = []
    lock = threading.Lock()

    def progress(label: str) -> None:
        with lock:
            labels.append(label)

    raw = collect_account(connection, ACCOUNT, PARTITION, [REGION], max_workers=4,
                          progress=progress)
    connection.assert_consumed()

    assert raw["gaps"] == []
    assert raw["account_id"] == ACCOUNT
    assert raw["partition"] == PARTITION
    assert raw["regions"] == [REGION]
    assert raw["account_alias"] is None
    assert sorted(labels) == sorted(
        [name if spec.scope == "global" else f"{name} {REGION}"
         for name, spec in FETCHERS.items()])
    assert [u["Arn"] for u in raw["authorization_details"]["UserDetailList"]] == [
        f"arn:aws:iam::{ACCOUNT}:user/alice"]
    assert raw["credentials"] == {f"arn:aws:iam::{ACCOUNT}:user/alice": {
        "login_profile": False, "access_keys": [], "mfa_devices": 0}}
    assert [(r["arn"], r["type"]) for r in raw["resources"]] == [
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0aaaaaaaaaaaaaaa1", "aws:ec2:instance"),
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0bbbbbbbbbbbbbbb2", "aws:ec2:instance"),
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0ccccccccccccccc3", "aws:ec2:instance"),
        (seeded["key"], "aws:kms:key"),
        ("arn:aws:s3:::acme-data", "aws:s3:bucket"),
        ("arn:aws:sqs:us-east-1:123456789012:jobs", "aws:sqs:queue"),
    ]
    instances = {r["name"]: r["attributes"] for r in raw["resources"]
                 if r["type"] == "aws:ec2:instance"}
    assert instances == {
        "i-0aaaaaaaaaaaaaaa1": {"instance_profile_arn": PROFILE, "state": "running",
                                "role_arns": [seeded["role"]], "ssm_managed": True},
        "i-0bbbbbbbbbbbbbbb2": {"instance_profile_arn": None, "state": "stopped",
                                "role_arns": [], "ssm_managed": False},
        "i-0ccccccccccccccc3": {"instance_profile_arn": EMPTY_PROFILE, "state": "running",
                                "role_arns": [], "ssm_managed": False},
    }
    json.dumps(raw)  # plain JSON


def test_disabled_region_is_one_gap_and_the_rest_is_collected(aws: Aws) -> None:
    _seed(aws)
    connection = aws.connection("s3-account-block", LINKED,
                                Scenario("region-not-enabled", frozenset({"ap-east-1"})))

    raw = collect_account(connection, ACCOUNT, PARTITION, ["ap-east-1", REGION])
    connection.assert_consumed()

    assert raw["regions"] == ["ap-east-1", REGION]
    assert raw["gaps"] == [{"scope": "region ap-east-1", "reason": "region not enabled",
                            "permission": None, "account": ACCOUNT, "region": "ap-east-1"}]
    assert "arn:aws:sqs:us-east-1:123456789012:jobs" in {r["arn"] for r in raw["resources"]}
    assert {r["region"] for r in raw["resources"]} == {REGION}


def test_a_fetcher_that_raises_becomes_a_gap(aws: Aws) -> None:
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    # A recorded ListKeys answer without KeyId makes the fetcher raise KeyError.
    connection = aws.connection(Scenario("kms-malformed", frozenset({"eu-west-1"})))

    raw = collect_account(connection, ACCOUNT, PARTITION, [REGION, "eu-west-1"],
                          services=["kms"])

    assert raw["gaps"] == [{"scope": "fetcher kms in eu-west-1",
                            "reason": "unexpected error KeyError: 'KeyId'", "permission": None,
                            "account": ACCOUNT, "region": "eu-west-1"}]
    assert [r["arn"] for r in raw["resources"]] == [key]


def test_unknown_service_is_an_input_error(aws: Aws) -> None:
    with pytest.raises(InputError, match="nope"):
        collect_account(aws.connection(), ACCOUNT, PARTITION, [REGION], services=["nope"])


def _instance(name: str, profile: str | None, region: str = REGION) -> dict[str, Any]:
    return {"arn": f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{name}", "type": "aws:ec2:instance",
            "region": region, "name": name, "attributes": {"instance_profile_arn": profile}}


DETAILS = {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [
    {"Arn": "arn:aws:iam::123456789012:role/a", "InstanceProfileList": [{"Arn": PROFILE}]},
    {"Arn": "arn:aws:iam::123456789012:role/b", "InstanceProfileList": [{"Arn": PROFILE}]}]}


def test_merge_links_instances_only_from_complete_facts() -> None:
    iam = FetchResult(authorization_details=DETAILS, authorization_complete=True)
    ec2 = FetchResult(resources=[_instance("i-1", PROFILE), _instance("i-2", None, "eu-west-1")])
    ssm = FetchResult(ssm_instance_ids=frozenset({"i-1"}))
    ssm_failed = FetchResult(gaps=[{"scope": "ssm managed instance listing", "reason": "x",
                                    "permission": "ssm:DescribeInstanceInformation",
                                    "account": ACCOUNT, "region": "eu-west-1"}])
    raw = merge(ACCOUNT, PARTITION, [REGION, "eu-west-1"], [
        ("ssm", "eu-west-1", ssm_failed), ("ec2", None, ec2), ("iam", None, iam),
        ("ssm", REGION, ssm)])
    attributes = {r["name"]: r["attributes"] for r in raw["resources"]}
    assert attributes == {
        "i-1": {"instance_profile_arn": PROFILE, "ssm_managed": True,
                "role_arns": ["arn:aws:iam::123456789012:role/a",
                              "arn:aws:iam::123456789012:role/b"]},
        # SSM failed in eu-west-1: ssm_managed is unknown, not False.
        "i-2": {"instance_profile_arn": None, "role_arns": []},
    }

    partial = FetchResult(authorization_details=DETAILS, authorization_complete=False)
    raw = merge(ACCOUNT, PARTITION, [REGION], [
        ("iam", None, partial), ("ec2", REGION, FetchResult(resources=[_instance("i-3", PROFILE)]))])
    # Not every GAAD page was read: the profile's roles are unknown, not "none".
    assert raw["resources"][0]["attributes"] == {"instance_profile_arn": PROFILE}
    assert raw["authorization_details"] == DETAILS


def test_merge_sorts_and_deduplicates_gaps() -> None:
    def gap(scope: str, region: str | None) -> dict[str, Any]:
        return {"scope": scope, "reason": "region not enabled", "permission": None,
                "account": ACCOUNT, "region": region}

    raw = merge(ACCOUNT, PARTITION, [], [
        ("kms", "me-south-1", FetchResult(gaps=[gap("region me-south-1", "me-south-1")])),
        ("sqs", "me-south-1", FetchResult(gaps=[gap("region me-south-1", "me-south-1")])),
        ("iam", None, FetchResult(gaps=[gap("iam authorization details", None)])),
        ("sqs", "af-south-1", FetchResult(gaps=[gap("region af-south-1", "af-south-1")]))])
    assert [g["scope"] for g in raw["gaps"]] == [
        "iam authorization details", "region af-south-1", "region me-south-1"]
    assert raw["authorization_details"] == {}  # not learned: no lists at all


def test_instance_profile_roles() -> None:
    assert instance_profile_roles(DETAILS) == {PROFILE: ["arn:aws:iam::123456789012:role/a",
                                                         "arn:aws:iam::123456789012:role/b"]}


def test_all_permissions_is_the_published_list(catalog: ActionCatalog) -> None:
    assert all_permissions() == EXPECTED_PERMISSIONS
    modules = (fetch_iam, fetch_s3, fetch_resources, fetch_compute)
    assert sorted(p for m in modules for p in m.PERMISSIONS) == list(EXPECTED_PERMISSIONS)
    for name, spec in FETCHERS.items():
        assert spec.scope in ("global", "regional"), name
        assert spec.permissions, name
    assert [p for p in all_permissions() if not catalog.is_known_action(p)] == []


# Operations whose IAM action is not "<service>:<Operation>".
ACTION_OF = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
}


@dataclass
class RecordingConnection(ReplayConnection):
    """Notes every operation its clients call (an observer on botocore's event hooks)."""

    calls: set[tuple[str, str]] = field(default_factory=set)

    def client(self, service: str, region: str | None = None) -> Any:
        client = super().client(service, region)
        client.meta.events.register("before-parameter-build", self._record,
                                    unique_id="iamscope-test-recorder")
        return client

    def _record(self, params: Any, model: Any, **_: Any) -> None:
        self.calls.add((model.service_model.service_name, model.name))


def _seed_one_of_each(aws: Aws) -> None:
    """One resource per service, so every per-resource call is made."""
    role = _seed(aws)["role"]
    aws.client("sns").create_topic(Name="alerts")
    aws.client("secretsmanager").create_secret(Name="token", SecretString="x")
    aws.client("ecr").create_repository(repositoryName="images")
    aws.client("dynamodb").create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    aws.client("lambda").create_function(
        FunctionName="fn", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})
    aws.client("ecs").register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    aws.client("codebuild").create_project(
        name="release", serviceRole=role, source={"type": "S3", "location": "b/src.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"})
    aws.client("glue").create_job(Name="etl", Role=role, Command={"Name": "glueetl"})
    aws.client("glue").create_dev_endpoint(EndpointName="dev", RoleArn=role)
    aws.client("sagemaker").create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t2.medium", RoleArn=role)
    aws.client("cloudformation").create_stack(
        StackName="stack", TemplateBody=json.dumps({"Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"}}}))


def test_permissions_are_exactly_the_actions_called(aws: Aws) -> None:
    _seed_one_of_each(aws)
    base = aws.connection()
    kwargs = {"_session": base._session, "region": REGION, "endpoint_url": aws.endpoint}
    full = RecordingConnection(scenarios=(Scenario("s3-account-block"), LINKED), **kwargs)
    assert collect_account(full, ACCOUNT, PARTITION, [REGION])["gaps"] == []
    iam = RecordingConnection(scenarios=(Scenario("iam-paginated"),), max_pool=1, **kwargs)
    run_iam(iam, "111122223333", PARTITION, None)
    lam = RecordingConnection(scenarios=(Scenario("lambda-recorded"),), max_pool=1, **kwargs)
    fetch_lambda(lam, "111122223333", PARTITION, REGION)

    called = full.calls | iam.calls | lam.calls
    actions = {ACTION_OF.get(call, f"{call[0]}:{call[1]}") for call in called}
    assert tuple(sorted(actions)) == all_permissions()
    for connection, spec_names in ((iam, ["iam"]), (lam, ["lambda"])):
        allowed = {p for name in spec_names for p in FETCHERS[name].permissions}
        assert {ACTION_OF.get(c, f"{c[0]}:{c[1]}") for c in connection.calls} <= allowed
