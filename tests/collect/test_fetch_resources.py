"""Resource fetchers (S3, KMS, SQS, SNS, Lambda, Secrets Manager, ECR, DynamoDB) against a
seeded moto server; recorded responses for what moto cannot serve or never answers."""

from __future__ import annotations

import io
import json
import zipfile

from iamscope.collect.aws.fetch_resources import (
    fetch_dynamodb,
    fetch_ecr,
    fetch_kms,
    fetch_lambda,
    fetch_secretsmanager,
    fetch_sns,
    fetch_sqs,
)
from iamscope.collect.aws.fetch_s3 import bucket_region, fetch_s3
from tests.collect.conftest import ACCOUNT, PARTITION, REGION, Aws, doc, trust

BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
ANYONE = {"AWS": "*"}


def _by_arn(resources: list[dict]) -> dict[str, dict]:
    return {r["arn"]: r for r in resources}


# ------------------------------------------------------------------------------- S3

def test_s3_buckets_with_policies_blocks_ownership_and_tags(aws: Aws) -> None:
    s3 = aws.client("s3")
    policy = doc({"Sid": "Read", "Effect": "Allow", "Principal": ANYONE,
                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-logs/*"})
    s3.create_bucket(Bucket="acme-logs")
    s3.put_bucket_policy(Bucket="acme-logs", Policy=json.dumps(policy))
    s3.put_public_access_block(Bucket="acme-logs", PublicAccessBlockConfiguration={
        **BLOCK_ALL, "RestrictPublicBuckets": False})
    s3.put_bucket_ownership_controls(Bucket="acme-logs", OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_tagging(Bucket="acme-logs", Tagging={"TagSet": [
        {"Key": "team", "Value": "sec"}]})
    s3.create_bucket(Bucket="acme-eu", CreateBucketConfiguration={
        "LocationConstraint": "eu-west-1"})

    # moto's server cannot serve S3 Control (account id in the host name): replayed.
    connection = aws.connection("s3-account-block")
    result = fetch_s3(connection, ACCOUNT, PARTITION, None)
    connection.assert_consumed()

    assert result.gaps == []
    assert result.resources == [
        {"arn": "arn:aws:s3:::acme-eu", "type": "aws:s3:bucket", "region": "eu-west-1",
         "name": "acme-eu", "policy": None, "tags": {},
         "attributes": {"public_access_block": None, "account_public_access_block": BLOCK_ALL,
                        "object_ownership": None}},
        {"arn": "arn:aws:s3:::acme-logs", "type": "aws:s3:bucket", "region": "us-east-1",
         "name": "acme-logs", "policy": json.dumps(policy), "tags": {"team": "sec"},
         "attributes": {"public_access_block": {**BLOCK_ALL, "RestrictPublicBuckets": False},
                        "account_public_access_block": BLOCK_ALL,
                        "object_ownership": "BucketOwnerEnforced"}},
    ]


def test_s3_account_without_public_access_block(aws: Aws) -> None:
    aws.client("s3").create_bucket(Bucket="plain-bucket")
    connection = aws.connection("s3-no-account-block")
    result = fetch_s3(connection, ACCOUNT, PARTITION, None)
    assert result.gaps == []
    [bucket] = result.resources
    assert bucket["attributes"]["account_public_access_block"] is None


def test_s3_denied_bucket_policy_is_a_gap_and_collection_goes_on(aws: Aws) -> None:
    connection = aws.connection("s3-denied", max_pool=1)
    result = fetch_s3(connection, "111122223333", PARTITION, None)
    connection.assert_consumed()

    site_policy = doc({"Sid": "Public", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site-assets/*"})
    assert result.resources == [
        # No "policy" key: it was not read (a gap says why) - not "no policy".
        {"arn": "arn:aws:s3:::logs-111122223333", "type": "aws:s3:bucket",
         "region": "us-east-1", "name": "logs-111122223333", "tags": {},
         "attributes": {"public_access_block": BLOCK_ALL,
                        "object_ownership": "BucketOwnerEnforced"}},
        {"arn": "arn:aws:s3:::site-assets", "type": "aws:s3:bucket", "region": "us-east-1",
         "name": "site-assets", "policy": json.dumps(site_policy), "tags": {"env": "prod"},
         "attributes": {"public_access_block": None, "object_ownership": None}},
    ]
    assert result.gaps == [
        {"scope": "s3 account public access block", "reason": "AccessDenied: permission missing",
         "permission": "s3:GetAccountPublicAccessBlock", "account": "111122223333",
         "region": None},
        {"scope": "s3 bucket arn:aws:s3:::logs-111122223333 policy",
         "reason": "AccessDenied: permission missing", "permission": "s3:GetBucketPolicy",
         "account": "111122223333", "region": None},
    ]


def test_bucket_region_from_location_constraint() -> None:
    assert bucket_region(None) == "us-east-1"
    assert bucket_region("") == "us-east-1"
    assert bucket_region("EU") == "eu-west-1"
    assert bucket_region("ap-south-1") == "ap-south-1"


# ------------------------------------------------------------------------------ KMS

def test_kms_customer_key_policy_grants_and_tags(aws: Aws) -> None:
    kms = aws.client("kms")
    policy = doc({"Sid": "Admins", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
                  "Resource": "*"})
    key = kms.create_key(Policy=json.dumps(policy),
                         Tags=[{"TagKey": "team", "TagValue": "data"}])["KeyMetadata"]
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/app",
                     RetiringPrincipal=f"arn:aws:iam::{ACCOUNT}:role/admin",
                     Operations=["Decrypt", "GenerateDataKey"],
                     Constraints={"EncryptionContextSubset": {"dept": "it"}})

    result = fetch_kms(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert result.resources == [{
        "arn": key["Arn"], "type": "aws:kms:key", "region": REGION, "name": key["KeyId"],
        "policy": json.dumps(policy), "tags": {"team": "data"},
        "attributes": {
            "key_manager": "CUSTOMER", "key_state": "Enabled",
            "grants": [{"grantee_principal": f"arn:aws:iam::{ACCOUNT}:role/app",
                        "operations": ["Decrypt", "GenerateDataKey"],
                        "retiring_principal": f"arn:aws:iam::{ACCOUNT}:role/admin",
                        "constraints": {"EncryptionContextSubset": {"dept": "it"}}}]},
    }]


def test_kms_aws_managed_keys_are_recorded_without_policy(aws: Aws) -> None:
    """moto cannot create AWS-managed keys (they come out CUSTOMER): recorded answers."""
    connection = aws.connection("kms-aws-managed", max_pool=1)
    result = fetch_kms(connection, "111122223333", PARTITION, REGION)
    connection.assert_consumed()

    aws_key = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    cmk = "arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert result.resources == [
        {"arn": aws_key, "type": "aws:kms:key", "region": REGION,
         "name": "11111111-2222-3333-4444-555555555555",
         "attributes": {"key_manager": "AWS", "key_state": "Enabled"}},
        {"arn": cmk, "type": "aws:kms:key", "region": REGION,
         "name": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
         "policy": json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
             "Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
             "Resource": "*"}]}),
         "tags": {},
         # grants were denied: left out, never read as "no grants"
         "attributes": {"key_manager": "CUSTOMER", "key_state": "PendingDeletion"}},
    ]
    assert result.gaps == [{
        "scope": f"kms key {cmk} grants", "reason": "AccessDeniedException: permission missing",
        "permission": "kms:ListGrants", "account": "111122223333", "region": REGION}]


# ------------------------------------------------------------------------ SQS / SNS

def test_sqs_queue_policies(aws: Aws) -> None:
    sqs = aws.client("sqs")
    policy = doc({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                  "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"})
    sqs.create_queue(QueueName="jobs", tags={"app": "batch"}, Attributes={
        "Policy": json.dumps(policy), "KmsMasterKeyId": "alias/jobs"})
    sqs.create_queue(QueueName="plain")

    result = fetch_sqs(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    jobs, plain = result.resources
    # The policy text is kept as SQS returned it.
    assert json.loads(jobs.pop("policy")) == policy
    assert jobs == {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs", "type": "aws:sqs:queue",
                    "region": REGION, "name": "jobs", "tags": {"app": "batch"},
                    "attributes": {"kms_key_id": "alias/jobs"}}
    assert plain == {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:plain", "type": "aws:sqs:queue",
                     "region": REGION, "name": "plain", "policy": None, "tags": {},
                     "attributes": {"kms_key_id": None}}


def test_sns_topic_policies(aws: Aws) -> None:
    sns = aws.client("sns")
    arn = sns.create_topic(Name="alerts", Tags=[{"Key": "team", "Value": "ops"}],
                           Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    policy = doc({"Sid": "cross", "Effect": "Allow",
                  "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                  "Action": "sns:Publish", "Resource": arn})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                             AttributeValue=json.dumps(policy))

    result = fetch_sns(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    [topic] = result.resources
    assert json.loads(topic.pop("policy")) == policy
    assert topic == {"arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", "type": "aws:sns:topic",
                     "region": REGION, "name": "alerts", "tags": {"team": "ops"},
                     "attributes": {"kms_key_id": "alias/aws/sns"}}


# --------------------------------------------------------------------------- Lambda

def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def test_lambda_functions_roles_policies_and_urls(aws: Aws) -> None:
    role = aws.client("iam").create_role(
        RoleName="fn-exec", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"]["Arn"]
    lam = aws.client("lambda")
    lam.create_function(FunctionName="public-api", Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": _zip()},
                        Tags={"app": "api"})
    lam.add_permission(FunctionName="public-api", StatementId="uploads",
                       Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                       SourceArn="arn:aws:s3:::uploads")
    lam.create_function_url_config(FunctionName="public-api", AuthType="NONE")
    lam.create_function(FunctionName="worker", Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": _zip()})

    result = fetch_lambda(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    api = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:public-api"
    worker = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:worker"
    resources = _by_arn(result.resources)
    assert sorted(resources) == [api, worker]
    assert resources[worker] == {
        "arn": worker, "type": "aws:lambda:function", "region": REGION, "name": "worker",
        "policy": None, "tags": {},
        "attributes": {"role_arn": role, "state": "Active", "function_url_auth_type": None}}
    assert {k: v for k, v in resources[api].items() if k != "policy"} == {
        "arn": api, "type": "aws:lambda:function", "region": REGION, "name": "public-api",
        "tags": {"app": "api"},
        "attributes": {"role_arn": role, "state": "Active", "function_url_auth_type": "NONE"}}
    assert json.loads(resources[api]["policy"]) == {
        "Version": "2012-10-17", "Id": "default", "Statement": [{
            "Action": "lambda:InvokeFunction", "Principal": {"Service": "s3.amazonaws.com"},
            "Effect": "Allow", "Resource": api, "Sid": "uploads",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}}]}


def test_lambda_state_from_configuration_and_denied_policy_recorded(aws: Aws) -> None:
    """Real ListFunctions omits State (moto includes it), and moto never denies."""
    connection = aws.connection("lambda-recorded", max_pool=1)
    result = fetch_lambda(connection, "111122223333", PARTITION, REGION)
    connection.assert_consumed()

    arn = "arn:aws:lambda:us-east-1:111122223333:function:resize"
    assert result.resources == [{
        "arn": arn, "type": "aws:lambda:function", "region": REGION, "name": "resize",
        "tags": {"app": "images"},
        "attributes": {"role_arn": "arn:aws:iam::111122223333:role/service-role/resize-exec",
                       "state": "Active", "function_url_auth_type": "AWS_IAM"}}]
    assert result.gaps == [{
        "scope": f"lambda function {arn} policy",
        "reason": "AccessDeniedException: permission missing", "permission": "lambda:GetPolicy",
        "account": "111122223333", "region": REGION}]


# ---------------------------------------------------- Secrets Manager / ECR / DynamoDB

def test_secrets_with_and_without_resource_policy(aws: Aws) -> None:
    sm = aws.client("secretsmanager")
    shared = sm.create_secret(Name="db/password", SecretString="x", KmsKeyId="alias/db",
                              Tags=[{"Key": "env", "Value": "prod"}])["ARN"]
    policy = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                  "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=json.dumps(policy))
    private = sm.create_secret(Name="api-key", SecretString="y")["ARN"]

    result = fetch_secretsmanager(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    assert _by_arn(result.resources) == {
        shared: {"arn": shared, "type": "aws:secretsmanager:secret", "region": REGION,
                 "name": "db/password", "policy": json.dumps(policy),
                 "tags": {"env": "prod"}, "attributes": {"kms_key_id": "alias/db"}},
        private: {"arn": private, "type": "aws:secretsmanager:secret", "region": REGION,
                  "name": "api-key", "policy": None, "tags": {},
                  "attributes": {"kms_key_id": None}},
    }


def test_ecr_repository_policies(aws: Aws) -> None:
    ecr = aws.client("ecr")
    shared = ecr.create_repository(repositoryName="base-images",
                                   tags=[{"Key": "team", "Value": "platform"}])
    policy = doc({"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "*"},
                  "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]})
    ecr.set_repository_policy(repositoryName="base-images", policyText=json.dumps(policy))
    private = ecr.create_repository(repositoryName="app")

    result = fetch_ecr(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    shared_arn = shared["repository"]["repositoryArn"]
    private_arn = private["repository"]["repositoryArn"]
    assert shared_arn == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/base-images"
    assert _by_arn(result.resources) == {
        shared_arn: {"arn": shared_arn, "type": "aws:ecr:repository", "region": REGION,
                     "name": "base-images", "policy": json.dumps(policy),
                     "tags": {"team": "platform"}},
        private_arn: {"arn": private_arn, "type": "aws:ecr:repository", "region": REGION,
                      "name": "app", "policy": None, "tags": {}},
    }


def test_dynamodb_table_resource_policies(aws: Aws) -> None:
    ddb = aws.client("dynamodb")
    for name in ("orders", "sessions"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    orders = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    policy = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                  "Action": "dynamodb:GetItem", "Resource": orders})
    ddb.put_resource_policy(ResourceArn=orders, Policy=json.dumps(policy))
    ddb.tag_resource(ResourceArn=orders, Tags=[{"Key": "pii", "Value": "yes"}])

    result = fetch_dynamodb(aws.connection(), ACCOUNT, PARTITION, REGION)

    assert result.gaps == []
    sessions = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/sessions"
    assert result.resources == [
        {"arn": orders, "type": "aws:dynamodb:table", "region": REGION, "name": "orders",
         "policy": json.dumps(policy), "tags": {"pii": "yes"}},
        {"arn": sessions, "type": "aws:dynamodb:table", "region": REGION, "name": "sessions",
         "policy": None, "tags": {}},
    ]


def test_regional_fetchers_only_see_their_region(aws: Aws) -> None:
    aws.client("sqs", "eu-west-1").create_queue(QueueName="elsewhere")
    assert fetch_sqs(aws.connection(), ACCOUNT, PARTITION, REGION).resources == []
    [queue] = fetch_sqs(aws.connection(), ACCOUNT, PARTITION, "eu-west-1").resources
    assert queue["arn"] == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:elsewhere"
    assert queue["region"] == "eu-west-1"

