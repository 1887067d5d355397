"""Regional resources with resource-based policies: KMS keys, SQS queues, SNS topics,
Lambda functions, Secrets Manager secrets, ECR repositories and DynamoDB tables.
(S3 is in ``fetch_s3``: it is listed once per account.)

Each fetcher lists the resources of one region, then reads each resource's policy and
facts with bounded parallelism. A policy that could not be read is left out of the
resource (a gap says why); ``None`` means the resource has none.
"""

from __future__ import annotations

from typing import Any

from iamscope.collect.aws.fetching import (
    FAILED,
    Fetch,
    FetchResult,
    field_of,
    resource,
    tag_dict,
)
from iamscope.collect.aws.session import AwsConnection

KMS_PERMISSIONS: tuple[str, ...] = (
    "kms:ListKeys", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants",
    "kms:ListResourceTags",
)
SQS_PERMISSIONS: tuple[str, ...] = (
    "sqs:ListQueues", "sqs:GetQueueAttributes", "sqs:ListQueueTags",
)
SNS_PERMISSIONS: tuple[str, ...] = (
    "sns:ListTopics", "sns:GetTopicAttributes", "sns:ListTagsForResource",
)
LAMBDA_PERMISSIONS: tuple[str, ...] = (
    "lambda:ListFunctions", "lambda:GetFunctionConfiguration", "lambda:GetPolicy",
    "lambda:GetFunctionUrlConfig", "lambda:ListTags",
)
SECRETSMANAGER_PERMISSIONS: tuple[str, ...] = (
    "secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy",
)
ECR_PERMISSIONS: tuple[str, ...] = (
    "ecr:DescribeRepositories", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
)
DYNAMODB_PERMISSIONS: tuple[str, ...] = (
    "dynamodb:ListTables", "dynamodb:GetResourcePolicy", "dynamodb:ListTagsOfResource",
)
PERMISSIONS: tuple[str, ...] = (
    *KMS_PERMISSIONS, *SQS_PERMISSIONS, *SNS_PERMISSIONS, *LAMBDA_PERMISSIONS,
    *SECRETSMANAGER_PERMISSIONS, *ECR_PERMISSIONS, *DYNAMODB_PERMISSIONS,
)


def fetch_kms(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    """Every key; for customer-managed keys also the ``default`` key policy, grants and
    tags. AWS-managed keys are recorded (manager, state) without their policy: AWS owns it
    and it only allows use through the integrated service."""
    fetch = Fetch(connection, "kms", account_id, partition, region)
    keys, _ = fetch.items("kms key listing", "kms:ListKeys", "list_keys", "Keys")
    fetch.each(keys, lambda key: _kms_key(fetch, key))
    return fetch.finish()


def _kms_key(fetch: Fetch, key: dict[str, Any]) -> None:
    key_id = key["KeyId"]
    arn = key.get("KeyArn") or fetch.arn("kms", f"key/{key_id}")
    scope = f"kms key {arn}"
    described = fetch.call(scope, "kms:DescribeKey", "describe_key", KeyId=arn)
    metadata = field_of(described, "KeyMetadata")
    manager = field_of(metadata, "KeyManager")
    attributes: dict[str, Any] = {"key_manager": manager,
                                  "key_state": field_of(metadata, "KeyState")}
    if manager != "CUSTOMER":
        fetch.add(resource(arn, "aws:kms:key", fetch.region, key_id, attributes=attributes))
        return
    policy = field_of(fetch.call(f"{scope} policy", "kms:GetKeyPolicy", "get_key_policy",
                                 KeyId=arn, PolicyName="default"), "Policy")
    grants, grants_complete = fetch.items(f"{scope} grants", "kms:ListGrants", "list_grants",
                                          "Grants", KeyId=arn)
    attributes["grants"] = [_grant(g) for g in grants] if grants_complete else FAILED
    tags, tags_complete = fetch.items(f"{scope} tags", "kms:ListResourceTags",
                                      "list_resource_tags", "Tags", KeyId=arn)
    fetch.add(resource(arn, "aws:kms:key", fetch.region, key_id, policy=policy,
                       tags=tag_dict(tags, "TagKey", "TagValue") if tags_complete else FAILED,
                       attributes=attributes))


def _grant(grant: dict[str, Any]) -> dict[str, Any]:
    return {
        "grantee_principal": grant.get("GranteePrincipal"),
        "operations": list(grant.get("Operations") or []),
        "retiring_principal": grant.get("RetiringPrincipal"),
        "constraints": grant.get("Constraints"),
    }


def fetch_sqs(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    fetch = Fetch(connection, "sqs", account_id, partition, region)
    urls, _ = fetch.items("sqs queue listing", "sqs:ListQueues", "list_queues", "QueueUrls")
    fetch.each(urls, lambda url: _sqs_queue(fetch, url))
    return fetch.finish()


def _sqs_queue(fetch: Fetch, url: str) -> None:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    built = fetch.arn("sqs", name)
    attributes = field_of(
        fetch.call(f"sqs queue {built}", "sqs:GetQueueAttributes", "get_queue_attributes",
                   QueueUrl=url, AttributeNames=["QueueArn", "Policy", "KmsMasterKeyId"]),
        "Attributes")
    known = attributes if isinstance(attributes, dict) else {}
    arn = known.get("QueueArn") or built
    tags = field_of(fetch.call(f"sqs queue {arn} tags", "sqs:ListQueueTags", "list_queue_tags",
                               QueueUrl=url), "Tags")
    fetch.add(resource(arn, "aws:sqs:queue", fetch.region, name,
                       policy=FAILED if attributes is FAILED else known.get("Policy"),
                       tags=FAILED if tags is FAILED else dict(tags or {}),
                       attributes={"kms_key_id": FAILED if attributes is FAILED
                                   else known.get("KmsMasterKeyId")}))


def fetch_sns(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    fetch = Fetch(connection, "sns", account_id, partition, region)
    topics, _ = fetch.items("sns topic listing", "sns:ListTopics", "list_topics", "Topics")
    fetch.each(topics, lambda topic: _sns_topic(fetch, topic["TopicArn"]))
    return fetch.finish()


def _sns_topic(fetch: Fetch, arn: str) -> None:
    attributes = field_of(fetch.call(f"sns topic {arn}", "sns:GetTopicAttributes",
                                     "get_topic_attributes", TopicArn=arn), "Attributes")
    known = attributes if isinstance(attributes, dict) else {}
    tags = field_of(fetch.call(f"sns topic {arn} tags", "sns:ListTagsForResource",
                               "list_tags_for_resource", ResourceArn=arn), "Tags")
    fetch.add(resource(arn, "aws:sns:topic", fetch.region, arn.rsplit(":", 1)[-1],
                       policy=FAILED if attributes is FAILED else known.get("Policy"),
                       tags=tag_dict(tags),
                       attributes={"kms_key_id": FAILED if attributes is FAILED
                                   else known.get("KmsMasterKeyId")}))


def fetch_lambda(connection: AwsConnection, account_id: str, partition: str,
                 region: str | None) -> FetchResult:
    """Functions (unqualified): execution role, state, function policy, URL auth type.
    ``ListFunctions`` omits ``State``, so it is read with ``GetFunctionConfiguration``
    (not ``GetFunction``, which would also hand out a code download URL)."""
    fetch = Fetch(connection, "lambda", account_id, partition, region)
    functions, _ = fetch.items("lambda function listing", "lambda:ListFunctions",
                               "list_functions", "Functions")
    fetch.each(functions, lambda function: _lambda_function(fetch, function))
    return fetch.finish()


def _lambda_function(fetch: Fetch, function: dict[str, Any]) -> None:
    arn = function["FunctionArn"]
    scope = f"lambda function {arn}"
    state = function.get("State") or field_of(
        fetch.call(scope, "lambda:GetFunctionConfiguration", "get_function_configuration",
                   FunctionName=arn), "State")
    policy = field_of(fetch.call(f"{scope} policy", "lambda:GetPolicy", "get_policy",
                                 FunctionName=arn), "Policy")
    # moto serves GetFunctionUrlConfig but not ListFunctionUrlConfigs, and only the
    # unqualified URL is read, like the unqualified function policy.
    url = fetch.call(f"{scope} url config", "lambda:GetFunctionUrlConfig",
                     "get_function_url_config", FunctionName=arn)
    tags = field_of(fetch.call(f"{scope} tags", "lambda:ListTags", "list_tags", Resource=arn),
                    "Tags")
    fetch.add(resource(arn, "aws:lambda:function", fetch.region, function["FunctionName"],
                       policy=policy, tags=FAILED if tags is FAILED else dict(tags or {}),
                       attributes={"role_arn": function.get("Role"), "state": state,
                                   "function_url_auth_type": field_of(url, "AuthType")}))


def fetch_secretsmanager(connection: AwsConnection, account_id: str, partition: str,
                         region: str | None) -> FetchResult:
    fetch = Fetch(connection, "secretsmanager", account_id, partition, region)
    secrets, _ = fetch.items("secretsmanager secret listing", "secretsmanager:ListSecrets",
                             "list_secrets", "SecretList")
    fetch.each(secrets, lambda secret: _secret(fetch, secret))
    return fetch.finish()


def _secret(fetch: Fetch, secret: dict[str, Any]) -> None:
    arn = secret["ARN"]
    # No policy is not an error here: the answer simply has no ``ResourcePolicy``.
    response = fetch.call(f"secretsmanager secret {arn} policy",
                          "secretsmanager:GetResourcePolicy", "get_resource_policy",
                          SecretId=arn)
    fetch.add(resource(arn, "aws:secretsmanager:secret", fetch.region, secret["Name"],
                       policy=field_of(response, "ResourcePolicy"),
                       tags=tag_dict(secret.get("Tags")),
                       attributes={"kms_key_id": secret.get("KmsKeyId")}))


def fetch_ecr(connection: AwsConnection, account_id: str, partition: str,
              region: str | None) -> FetchResult:
    fetch = Fetch(connection, "ecr", account_id, partition, region)
    repositories, _ = fetch.items("ecr repository listing", "ecr:DescribeRepositories",
                                  "describe_repositories", "repositories")
    fetch.each(repositories, lambda repository: _ecr_repository(fetch, repository))
    return fetch.finish()


def _ecr_repository(fetch: Fetch, repository: dict[str, Any]) -> None:
    arn = repository["repositoryArn"]
    name = repository["repositoryName"]
    policy = field_of(fetch.call(f"ecr repository {arn} policy", "ecr:GetRepositoryPolicy",
                                 "get_repository_policy", repositoryName=name,
                                 registryId=repository.get("registryId") or fetch.account_id),
                      "policyText")
    tags = field_of(fetch.call(f"ecr repository {arn} tags", "ecr:ListTagsForResource",
                               "list_tags_for_resource", resourceArn=arn), "tags")
    fetch.add(resource(arn, "aws:ecr:repository", fetch.region, name, policy=policy,
                       tags=tag_dict(tags)))


def fetch_dynamodb(connection: AwsConnection, account_id: str, partition: str,
                   region: str | None) -> FetchResult:
    fetch = Fetch(connection, "dynamodb", account_id, partition, region)
    names, _ = fetch.items("dynamodb table listing", "dynamodb:ListTables", "list_tables",
                           "TableNames")
    fetch.each(names, lambda name: _dynamodb_table(fetch, name))
    return fetch.finish()


def _dynamodb_table(fetch: Fetch, name: str) -> None:
    arn = fetch.arn("dynamodb", f"table/{name}")
    policy = field_of(fetch.call(f"dynamodb table {arn} policy", "dynamodb:GetResourcePolicy",
                                 "get_resource_policy", ResourceArn=arn), "Policy")
    tags, complete = fetch.items(f"dynamodb table {arn} tags", "dynamodb:ListTagsOfResource",
                                 "list_tags_of_resource", "Tags", ResourceArn=arn)
    fetch.add(resource(arn, "aws:dynamodb:table", fetch.region, name, policy=policy,
                       tags=tag_dict(tags) if complete else FAILED))
