"""Seed one account of a scenario: IAM (customer-managed policies, groups, roles with
instance profiles, users) and resources with their policies, in dependency order.
See ``iamscope.demo.seed`` for the scenario format."""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamscope.demo.seed import Seeder

DEMO_PASSWORD = "Demo-only-Passw0rd!"  # noqa: S105 - a fixed password for a local demo
LAMBDA_SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo deploy\n"


class AccountSeeder:
    """Seeds one account's IAM and resources with one session."""

    def __init__(self, seeder: Seeder, session: Any, name: str, account_id: str):
        self.seeder = seeder
        self.session = session
        self.name = name
        self.account_id = account_id
        self.iam = seeder.client(session, "iam")

    def client(self, service: str) -> Any:
        return self.seeder.client(self.session, service)

    def doc(self, value: Any) -> str:
        return self.seeder.document(value, self.account_id)

    def text(self, value: str) -> str:
        return str(self.seeder.resolve(value, self.account_id))

    def record(self, kind: str, name: str, value: str) -> None:
        self.seeder.ids[f"{self.name}:{kind}:{name}"] = value

    def role_arn(self, role: str) -> str:
        return self.seeder.ids[f"{self.name}:role:{role}"]

    def seed(self, spec: dict[str, Any]) -> None:
        for policy in spec.get("policies") or []:
            self.policy(policy)
        for group in spec.get("groups") or []:
            self.principal("group", group)
        for role in spec.get("roles") or []:
            self.principal("role", role)
        for user in spec.get("users") or []:
            self.principal("user", user)
        for kind, method in (("buckets", self.bucket), ("kms_keys", self.kms_key),
                             ("queues", self.queue), ("topics", self.topic),
                             ("secrets", self.secret), ("ecr_repositories", self.repository),
                             ("functions", self.function), ("instances", self.instance),
                             ("task_definitions", self.task_definition),
                             ("codebuild_projects", self.codebuild_project),
                             ("stacks", self.stack)):
            for item in spec.get(kind) or []:
                method(item)

    # -- IAM ------------------------------------------------------------------------------

    def policy(self, spec: dict[str, Any]) -> None:
        arn = self.iam.create_policy(
            PolicyName=spec["name"], Path=spec.get("path", "/"),
            Description=spec.get("description", ""),
            PolicyDocument=self.doc(spec["document"]))["Policy"]["Arn"]
        for version in spec.get("versions") or []:
            self.iam.create_policy_version(PolicyArn=arn,
                                           PolicyDocument=self.doc(version["document"]),
                                           SetAsDefault=bool(version.get("default")))
        self.record("policy", spec["name"], arn)

    def principal(self, kind: str, spec: dict[str, Any]) -> None:
        name = spec["name"]
        params: dict[str, Any] = {f"{kind.capitalize()}Name": name, "Path": spec.get("path", "/")}
        if spec.get("permissions_boundary"):
            params["PermissionsBoundary"] = self.text(spec["permissions_boundary"])
        if kind == "role":
            params["AssumeRolePolicyDocument"] = self.doc(spec["trust"])
            params["Description"] = spec.get("description", "")
            arn = self.iam.create_role(**params)["Role"]["Arn"]
        elif kind == "user":
            arn = self.iam.create_user(**params)["User"]["Arn"]
        else:
            params.pop("PermissionsBoundary", None)
            arn = self.iam.create_group(**params)["Group"]["Arn"]
        self.record(kind, name, arn)
        put = {"role": self.iam.put_role_policy, "user": self.iam.put_user_policy,
               "group": self.iam.put_group_policy}[kind]
        for policy_name, document in (spec.get("inline_policies") or {}).items():
            put(**{f"{kind.capitalize()}Name": name, "PolicyName": policy_name,
                   "PolicyDocument": self.doc(document)})
        for policy_arn in spec.get("managed_policies") or []:
            self.seeder.attach(self.iam, kind, name, self.text(policy_arn))
        if kind == "user":
            self.user_extras(name, spec)
        if kind == "role" and spec.get("instance_profile"):
            profile = spec["instance_profile"]
            created = self.iam.create_instance_profile(InstanceProfileName=profile)
            self.iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=name)
            self.record("instance_profile", profile, created["InstanceProfile"]["Arn"])

    def user_extras(self, name: str, spec: dict[str, Any]) -> None:
        for group in spec.get("groups") or []:
            self.iam.add_user_to_group(GroupName=group, UserName=name)
        if spec.get("login_profile"):
            self.iam.create_login_profile(UserName=name, Password=DEMO_PASSWORD)
        if spec.get("access_key"):
            key = self.iam.create_access_key(UserName=name)["AccessKey"]
            self.record("access_key", name, key["AccessKeyId"])

    # -- resources ------------------------------------------------------------------------

    def bucket(self, spec: dict[str, Any]) -> None:
        s3 = self.client("s3")
        name = spec["name"]
        params: dict[str, Any] = {"Bucket": name}
        if self.seeder.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.seeder.region}
        s3.create_bucket(**params)
        if spec.get("public_access_block") is not None:
            s3.put_public_access_block(Bucket=name,
                                       PublicAccessBlockConfiguration=spec["public_access_block"])
        if spec.get("policy"):
            s3.put_bucket_policy(Bucket=name, Policy=self.doc(spec["policy"]))
        self.record("bucket", name, f"arn:{self.seeder.partition}:s3:::{name}")

    def kms_key(self, spec: dict[str, Any]) -> None:
        kms = self.client("kms")
        key = kms.create_key(Description=spec.get("description", ""),
                             Policy=self.doc(spec["policy"]))["KeyMetadata"]
        kms.create_alias(AliasName=spec["alias"], TargetKeyId=key["KeyId"])
        self.record("kms_key", spec["alias"], key["Arn"])

    def queue(self, spec: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=spec["name"],
                               Attributes={"Policy": self.doc(spec["policy"])})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self.record("queue", spec["name"], arn["Attributes"]["QueueArn"])

    def topic(self, spec: dict[str, Any]) -> None:
        sns = self.client("sns")
        arn = sns.create_topic(Name=spec["name"])["TopicArn"]
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                                 AttributeValue=self.doc(spec["policy"]))
        self.record("topic", spec["name"], arn)

    def secret(self, spec: dict[str, Any]) -> None:
        secrets = self.client("secretsmanager")
        arn = secrets.create_secret(Name=spec["name"], SecretString="demo-only")["ARN"]
        secrets.put_resource_policy(SecretId=arn, ResourcePolicy=self.doc(spec["policy"]))
        self.record("secret", spec["name"], arn)

    def repository(self, spec: dict[str, Any]) -> None:
        ecr = self.client("ecr")
        created = ecr.create_repository(repositoryName=spec["name"])["repository"]
        ecr.set_repository_policy(repositoryName=spec["name"], policyText=self.doc(spec["policy"]))
        self.record("ecr_repository", spec["name"], created["repositoryArn"])

    def function(self, spec: dict[str, Any]) -> None:
        aws_lambda = self.client("lambda")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.py", LAMBDA_SOURCE)
        arn = aws_lambda.create_function(
            FunctionName=spec["name"], Runtime=spec.get("runtime", "python3.12"),
            Role=self.role_arn(spec["role"]), Handler=spec.get("handler", "index.handler"),
            Code={"ZipFile": buffer.getvalue()})["FunctionArn"]
        for permission in spec.get("permissions") or []:
            params = {"FunctionName": spec["name"], "StatementId": permission["statement_id"],
                      "Action": permission["action"], "Principal": permission["principal"]}
            if permission.get("source_arn"):
                params["SourceArn"] = self.text(permission["source_arn"])
            if permission.get("source_account"):
                params["SourceAccount"] = self.text(permission["source_account"])
            aws_lambda.add_permission(**params)
        self.record("function", spec["name"], arn)

    def instance(self, spec: dict[str, Any]) -> None:
        params: dict[str, Any] = {
            "ImageId": spec["image_id"], "InstanceType": spec.get("instance_type", "t3.micro"),
            "MinCount": 1, "MaxCount": 1,
            "TagSpecifications": [{"ResourceType": "instance",
                                   "Tags": [{"Key": "Name", "Value": spec["name"]}]}]}
        if spec.get("instance_profile"):
            params["IamInstanceProfile"] = {"Name": spec["instance_profile"]}
        instance_id = self.client("ec2").run_instances(**params)["Instances"][0]["InstanceId"]
        self.record("instance", spec["name"],
                    f"arn:{self.seeder.partition}:ec2:{self.seeder.region}:{self.account_id}"
                    f":instance/{instance_id}")

    def task_definition(self, spec: dict[str, Any]) -> None:
        params: dict[str, Any] = {
            "family": spec["family"],
            "containerDefinitions": [{"name": spec["family"], "image": self.text(spec["image"]),
                                      "memory": 512, "essential": True}]}
        if spec.get("task_role"):
            params["taskRoleArn"] = self.role_arn(spec["task_role"])
        if spec.get("execution_role"):
            params["executionRoleArn"] = self.role_arn(spec["execution_role"])
        created = self.client("ecs").register_task_definition(**params)
        self.record("task_definition", spec["family"],
                    created["taskDefinition"]["taskDefinitionArn"])

    def codebuild_project(self, spec: dict[str, Any]) -> None:
        created = self.client("codebuild").create_project(
            name=spec["name"],
            source={"type": "S3", "location": self.text(spec["source"]), "buildspec": BUILDSPEC},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                         "computeType": "BUILD_GENERAL1_SMALL"},
            serviceRole=self.role_arn(spec["service_role"]))
        self.record("codebuild_project", spec["name"], created["project"]["arn"])

    def stack(self, spec: dict[str, Any]) -> None:
        created = self.client("cloudformation").create_stack(
            StackName=spec["name"], TemplateBody=self.doc(spec["template"]),
            RoleARN=self.role_arn(spec["role"]))
        self.record("stack", spec["name"], created["StackId"])
