"""Compute that runs as a role (privesc.md 3.2, "PassRole to service" and "use existing
resource"): EC2 instances and their instance profiles, ECS task definitions, CloudFormation
stacks, CodeBuild projects, Glue jobs and dev endpoints, SageMaker notebook instances, and
SSM managed instances.

EC2 instances carry ``instance_profile_arn``; the profile's ``role_arns`` and the
instance's ``ssm_managed`` are filled in by ``account.collect_account`` once the IAM and
SSM fetchers have run (from the authorization details' ``InstanceProfileList`` and this
region's SSM inventory), and only when those were read completely.
"""

from __future__ import annotations

from typing import Any

from iamscope.collect.aws.fetching import (
    Fetch,
    FetchResult,
    field_of,
    resource,
    role_arn,
    tag_dict,
)
from iamscope.collect.aws.session import AwsConnection

EC2_PERMISSIONS: tuple[str, ...] = ("ec2:DescribeInstances",)
ECS_PERMISSIONS: tuple[str, ...] = ("ecs:ListTaskDefinitionFamilies",
                                    "ecs:DescribeTaskDefinition")
CLOUDFORMATION_PERMISSIONS: tuple[str, ...] = ("cloudformation:DescribeStacks",)
CODEBUILD_PERMISSIONS: tuple[str, ...] = ("codebuild:ListProjects",
                                          "codebuild:BatchGetProjects")
GLUE_PERMISSIONS: tuple[str, ...] = ("glue:GetJobs", "glue:GetDevEndpoints")
SAGEMAKER_PERMISSIONS: tuple[str, ...] = ("sagemaker:ListNotebookInstances",
                                          "sagemaker:DescribeNotebookInstance")
SSM_PERMISSIONS: tuple[str, ...] = ("ssm:DescribeInstanceInformation",)
PERMISSIONS: tuple[str, ...] = (
    *EC2_PERMISSIONS, *ECS_PERMISSIONS, *CLOUDFORMATION_PERMISSIONS, *CODEBUILD_PERMISSIONS,
    *GLUE_PERMISSIONS, *SAGEMAKER_PERMISSIONS, *SSM_PERMISSIONS,
)

CODEBUILD_BATCH = 100  # BatchGetProjects takes at most 100 names


def fetch_ec2(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    fetch = Fetch(connection, "ec2", account_id, partition, region)
    reservations, _ = fetch.items("ec2 instance listing", "ec2:DescribeInstances",
                                  "describe_instances", "Reservations")
    for reservation in reservations:
        for instance in reservation.get("Instances") or []:
            instance_id = instance["InstanceId"]
            profile = (instance.get("IamInstanceProfile") or {}).get("Arn")
            fetch.add(resource(
                fetch.arn("ec2", f"instance/{instance_id}"), "aws:ec2:instance", region,
                instance_id, tags=tag_dict(instance.get("Tags")),
                attributes={"instance_profile_arn": profile,
                            "state": (instance.get("State") or {}).get("Name")}))
    return fetch.finish()


def fetch_ecs(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    """The latest ACTIVE revision of every active task definition family."""
    fetch = Fetch(connection, "ecs", account_id, partition, region)
    families, _ = fetch.items("ecs task definition family listing",
                              "ecs:ListTaskDefinitionFamilies",
                              "list_task_definition_families", "families", status="ACTIVE")
    fetch.each(families, lambda family: _ecs_family(fetch, family))
    return fetch.finish()


def _ecs_family(fetch: Fetch, family: str) -> None:
    response = fetch.call(f"ecs task definition family {family}",
                          "ecs:DescribeTaskDefinition", "describe_task_definition",
                          taskDefinition=family, include=["TAGS"])
    definition = field_of(response, "taskDefinition")
    if not isinstance(definition, dict):
        return
    arn = definition["taskDefinitionArn"]
    fetch.add(resource(arn, "aws:ecs:task-definition", fetch.region, arn.rsplit("/", 1)[-1],
                       tags=tag_dict(response.get("tags"), "key", "value"),
                       attributes={"task_role_arn": definition.get("taskRoleArn"),
                                   "execution_role_arn": definition.get("executionRoleArn")}))


def fetch_cloudformation(connection: AwsConnection, account_id: str, partition: str,
                         region: str | None) -> FetchResult:
    fetch = Fetch(connection, "cloudformation", account_id, partition, region)
    stacks, _ = fetch.items("cloudformation stack listing", "cloudformation:DescribeStacks",
                            "describe_stacks", "Stacks")
    for stack in stacks:
        fetch.add(resource(stack["StackId"], "aws:cloudformation:stack", region,
                           stack["StackName"], tags=tag_dict(stack.get("Tags")),
                           attributes={"role_arn": stack.get("RoleARN"),
                                       "state": stack.get("StackStatus")}))
    return fetch.finish()


def fetch_codebuild(connection: AwsConnection, account_id: str, partition: str,
                    region: str | None) -> FetchResult:
    fetch = Fetch(connection, "codebuild", account_id, partition, region)
    names, _ = fetch.items("codebuild project listing", "codebuild:ListProjects",
                           "list_projects", "projects")
    batches = [names[i:i + CODEBUILD_BATCH] for i in range(0, len(names), CODEBUILD_BATCH)]
    for batch in batches:
        response = fetch.call(f"codebuild projects {batch[0]}..{batch[-1]}",
                              "codebuild:BatchGetProjects", "batch_get_projects", names=batch)
        for project in field_of(response, "projects") or []:
            fetch.add(resource(project["arn"], "aws:codebuild:project", region,
                               project["name"], tags=tag_dict(project.get("tags"), "key",
                                                              "value"),
                               attributes={"role_arn": role_arn(
                                   partition, account_id, project.get("serviceRole"))}))
    return fetch.finish()


def fetch_glue(connection: AwsConnection, account_id: str, partition: str,
               region: str | None) -> FetchResult:
    """Jobs and (legacy) dev endpoints. A job's ``Role`` may be a role name; it becomes an
    ARN in this account (a name with a path such as ``service-role/x`` keeps its path)."""
    fetch = Fetch(connection, "glue", account_id, partition, region)
    jobs, _ = fetch.items("glue job listing", "glue:GetJobs", "get_jobs", "Jobs")
    for job in jobs:
        fetch.add(resource(fetch.arn("glue", f"job/{job['Name']}"), "aws:glue:job", region,
                           job["Name"],
                           attributes={"role_arn": role_arn(partition, account_id,
                                                            job.get("Role"))}))
    endpoints, _ = fetch.items("glue dev endpoint listing", "glue:GetDevEndpoints",
                               "get_dev_endpoints", "DevEndpoints")
    for endpoint in endpoints:
        name = endpoint["EndpointName"]
        fetch.add(resource(fetch.arn("glue", f"devEndpoint/{name}"), "aws:glue:devendpoint",
                           region, name,
                           attributes={"role_arn": role_arn(partition, account_id,
                                                            endpoint.get("RoleArn")),
                                       "state": endpoint.get("Status")}))
    return fetch.finish()


def fetch_sagemaker(connection: AwsConnection, account_id: str, partition: str,
                    region: str | None) -> FetchResult:
    fetch = Fetch(connection, "sagemaker", account_id, partition, region)
    notebooks, _ = fetch.items("sagemaker notebook instance listing",
                               "sagemaker:ListNotebookInstances", "list_notebook_instances",
                               "NotebookInstances")
    fetch.each(notebooks, lambda notebook: _notebook(fetch, notebook))
    return fetch.finish()


def _notebook(fetch: Fetch, notebook: dict[str, Any]) -> None:
    arn = notebook["NotebookInstanceArn"]
    name = notebook["NotebookInstanceName"]
    described = fetch.call(f"sagemaker notebook instance {arn}",
                           "sagemaker:DescribeNotebookInstance", "describe_notebook_instance",
                           NotebookInstanceName=name)
    fetch.add(resource(arn, "aws:sagemaker:notebook-instance", fetch.region, name,
                       attributes={"role_arn": field_of(described, "RoleArn"),
                                   "state": notebook.get("NotebookInstanceStatus")}))


def fetch_ssm(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    """SSM's managed nodes. EC2 instances among them become ``ssm_instance_ids`` (the
    account collector marks those instances ``ssm_managed``); hybrid nodes (``mi-``) are
    resources of their own, with the role they were activated with.

    moto does not implement DescribeInstanceInformation: tests replay recorded responses.
    """
    fetch = Fetch(connection, "ssm", account_id, partition, region)
    nodes, complete = fetch.items("ssm managed instance listing",
                                  "ssm:DescribeInstanceInformation",
                                  "describe_instance_information", "InstanceInformationList")
    ec2_ids: set[str] = set()
    for node in nodes:
        node_id = node["InstanceId"]
        if node.get("ResourceType") == "EC2Instance" or node_id.startswith("i-"):
            ec2_ids.add(node_id)
            continue
        fetch.add(resource(fetch.arn("ssm", f"managed-instance/{node_id}"),
                           "aws:ssm:managed-instance", region, node.get("Name") or node_id,
                           attributes={"role_arn": role_arn(partition, account_id,
                                                            node.get("IamRole")),
                                       "state": node.get("PingStatus"),
                                       "ssm_managed": True}))
    fetch.result.ssm_instance_ids = frozenset(ec2_ids) if complete else None
    return fetch.finish()

