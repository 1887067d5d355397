"""Compute fetchers (EC2, ECS, CloudFormation, CodeBuild, Glue, SageMaker, SSM) against a
seeded moto server; recorded responses for SSM (moto lacks DescribeInstanceInformation)
and for denied calls."""

from __future__ import annotations

import json

from iamscope.collect.aws.fetch_compute import (
    fetch_cloudformation,
    fetch_codebuild,
    fetch_ec2,
    fetch_ecs,
    fetch_glue,
    fetch_sagemaker,
    fetch_ssm,
)
from tests.collect.conftest import ACCOUNT, PARTITION, REGION, Aws, trust


def _role(aws: Aws, name: str, service: str) -> str:
    return aws.client("iam").create_role(RoleName=name,
                                         AssumeRolePolicyDocument=trust(service))["Role"]["Arn"]


def test_ec2_instances_with_and_without_profiles(aws: Aws) -> None:
    iam = aws.client("iam")
    _role(aws, "app", "ec2.amazonaws.com")
    profile = iam.create_instance_profile(InstanceProfileName="app-profile",
                                          Path="/apps/")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    ec2 = aws.client("ec2")
    with_profile = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, IamInstanceProfile={"Arn": profile},
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": "Name", "Value": "app-1"}]}],
    )["Instances"][0]["InstanceId"]
    bare = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1,
                             MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[bare])

    result = fetch_ec2(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    expected = sorted([
        {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{with_profile}",
         "type": "aws:ec2:instance", "region": REGION, "name": with_profile,
         "tags": {"Name": "app-1"},
         "attributes": {"instance_profile_arn": profile, "state": "running"}},
        {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{bare}", "type": "aws:ec2:instance",
         "region": REGION, "name": bare, "tags": {},
         "attributes": {"instance_profile_arn": None, "state": "stopped"}},
    ], key=lambda r: r["arn"])
    assert result.resources == expected
    assert profile == "arn:aws:iam::123456789012:instance-profile/apps/app-profile"


def test_ecs_latest_active_task_definition_per_family(aws: Aws) -> None:
    task = _role(aws, "web-task", "ecs-tasks.amazonaws.com")
    execution = _role(aws, "web-exec", "ecs-tasks.amazonaws.com")
    ecs = aws.client("ecs")
    container = [{"name": "web", "image": "nginx", "memory": 128}]
    ecs.register_task_definition(family="web", containerDefinitions=container)
    ecs.register_task_definition(family="web", taskRoleArn=task, executionRoleArn=execution,
                                 containerDefinitions=container,
                                 tags=[{"key": "team", "value": "web"}])
    ecs.register_task_definition(family="batch", containerDefinitions=container)

    result = fetch_ecs(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert result.resources == [
        {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/batch:1",
         "type": "aws:ecs:task-definition", "region": REGION, "name": "batch:1", "tags": {},
         "attributes": {"task_role_arn": None, "execution_role_arn": None}},
        {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:2",
         "type": "aws:ecs:task-definition", "region": REGION, "name": "web:2",
         "tags": {"team": "web"},
         "attributes": {"task_role_arn": task, "execution_role_arn": execution}},
    ]


def test_cloudformation_stacks_with_service_roles(aws: Aws) -> None:
    role = _role(aws, "cfn-deploy", "cloudformation.amazonaws.com")
    cfn = aws.client("cloudformation")
    template = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
    with_role = cfn.create_stack(StackName="network", TemplateBody=template, RoleARN=role,
                                 Tags=[{"Key": "owner", "Value": "netops"}])["StackId"]
    plain = cfn.create_stack(StackName="plain", TemplateBody=template)["StackId"]

    result = fetch_cloudformation(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert with_role.startswith(f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/network/")
    assert result.resources == sorted([
        {"arn": with_role, "type": "aws:cloudformation:stack", "region": REGION,
         "name": "network", "tags": {"owner": "netops"},
         "attributes": {"role_arn": role, "state": "CREATE_COMPLETE"}},
        {"arn": plain, "type": "aws:cloudformation:stack", "region": REGION, "name": "plain",
         "tags": {}, "attributes": {"role_arn": None, "state": "CREATE_COMPLETE"}},
    ], key=lambda r: r["arn"])


def test_codebuild_projects_service_roles(aws: Aws) -> None:
    role = _role(aws, "builder", "codebuild.amazonaws.com")
    aws.client("codebuild").create_project(
        name="release", serviceRole=role, tags=[{"key": "team", "value": "ci"}],
        source={"type": "S3", "location": "artifacts/src.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"})

    result = fetch_codebuild(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert result.resources == [
        {"arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/release",
         "type": "aws:codebuild:project", "region": REGION, "name": "release",
         "tags": {"team": "ci"}, "attributes": {"role_arn": role}}]


def test_glue_jobs_and_dev_endpoints(aws: Aws) -> None:
    role = _role(aws, "glue-etl", "glue.amazonaws.com")
    glue = aws.client("glue")
    command = {"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"}
    glue.create_job(Name="by-arn", Role=role, Command=command)
    # Glue accepts a role name, with or without a path.
    glue.create_job(Name="by-name", Role="service-role/AWSGlueServiceRole-etl", Command=command)
    glue.create_dev_endpoint(EndpointName="notebook", RoleArn=role)

    result = fetch_glue(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert result.resources == [
        {"arn": f"arn:aws:glue:{REGION}:{ACCOUNT}:devEndpoint/notebook",
         "type": "aws:glue:devendpoint", "region": REGION, "name": "notebook",
         "attributes": {"role_arn": role, "state": "READY"}},
        {"arn": f"arn:aws:glue:{REGION}:{ACCOUNT}:job/by-arn", "type": "aws:glue:job",
         "region": REGION, "name": "by-arn", "attributes": {"role_arn": role}},
        {"arn": f"arn:aws:glue:{REGION}:{ACCOUNT}:job/by-name", "type": "aws:glue:job",
         "region": REGION, "name": "by-name", "attributes": {
             "role_arn": f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSGlueServiceRole-etl"}},
    ]


def test_sagemaker_notebook_instances(aws: Aws) -> None:
    role = _role(aws, "notebook", "sagemaker.amazonaws.com")
    arn = aws.client("sagemaker").create_notebook_instance(
        NotebookInstanceName="research", InstanceType="ml.t2.medium",
        RoleArn=role)["NotebookInstanceArn"]

    result = fetch_sagemaker(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/research"
    assert result.resources == [
        {"arn": arn, "type": "aws:sagemaker:notebook-instance", "region": REGION,
         "name": "research", "attributes": {"role_arn": role, "state": "InService"}}]


def test_sagemaker_denied_describe_keeps_the_notebook_without_its_role(aws: Aws) -> None:
    connection = aws.connection("sagemaker-describe-denied", max_pool=1)
    result = fetch_sagemaker(connection, "111122223333", PARTITION, REGION)
    connection.assert_consumed()

    arn = "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/research"
    assert result.resources == [
        {"arn": arn, "type": "aws:sagemaker:notebook-instance", "region": REGION,
         "name": "research", "attributes": {"state": "Stopped"}}]
    assert result.gaps == [{
        "scope": f"sagemaker notebook instance {arn}",
        "reason": "AccessDeniedException: permission missing",
        "permission": "sagemaker:DescribeNotebookInstance", "account": "111122223333",
        "region": REGION}]


def test_ssm_managed_nodes_recorded_two_pages(aws: Aws) -> None:
    """moto does not implement DescribeInstanceInformation: recorded answers."""
    connection = aws.connection("ssm-managed")
    result = fetch_ssm(connection, "111122223333", PARTITION, REGION)
    connection.assert_consumed()

    assert result.gaps == []
    assert result.ssm_instance_ids == frozenset({"i-0123456789abcdef0"})
    assert result.resources == [{
        "arn": "arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-0123456789abcdef0",
        "type": "aws:ssm:managed-instance", "region": REGION, "name": "onprem-db",
        "attributes": {
            "role_arn": "arn:aws:iam::111122223333:role/service-role/"
                        "AmazonEC2RunCommandRoleForManagedInstances",
            "state": "ConnectionLost", "ssm_managed": True}}]


def test_ssm_denied_leaves_managed_instances_unknown(aws: Aws) -> None:
    connection = aws.connection("ssm-denied")
    result = fetch_ssm(connection, "111122223333", PARTITION, REGION)
    connection.assert_consumed()

    assert result.ssm_instance_ids is None  # unknown, not "none managed"
    assert result.resources == []
    assert result.gaps == [{
        "scope": "ssm managed instance listing",
        "reason": "AccessDeniedException: permission missing",
        "permission": "ssm:DescribeInstanceInformation", "account": "111122223333",
        "region": REGION}]
