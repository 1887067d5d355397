"""Which resource an observed call acted on, as SQL over the staged CloudTrail columns.

Order (issue 6, usage-logs.md section 2.5):
1. ``resources[].ARN`` of the record whose ARN kind (``mapping.arn_kind``) is one of the
   action's resource types (an S3 object event lists the object and its bucket: s3:GetObject
   takes the object, s3:ListBucket the bucket);
2. ARNs built from ``requestParameters``, per service (S3 bucket/key, DynamoDB table, SQS
   queue URL -> ARN, SNS topic, Lambda function name/partial ARN, KMS key id, Secrets
   Manager secret, IAM role/user/group/policy/instance profile, STS target role, SSM
   parameter, log group/stream, ECR repository, CloudFormation stack, EKS cluster), with the
   same kind filter;
3. otherwise ``*``. With ``resource_patterns`` on, the action's ARN pattern instead
   (``mapping.MappedAction.pattern``: its single required resource type with partition,
   region and account filled in, ``*`` for the unknown parts); still ``*`` for actions
   without a resource type.

Patterns are opt-in because a consumer must then read ``*`` inside a resource as a
wildcard for an unknown part, not as a character of a concrete ARN. The same holds for the
names step 2 can only turn into patterns: a secret name (its random suffix is unknown:
``name-*``), a stack name (``stack/name/*``) and an IAM role, user, group or instance
profile name (its path is not in the log: ``role/*name``, which also matches other names
ending in ``name``). A KMS alias names no key and is skipped.
"""

from __future__ import annotations

from iamscope.usage.cloudtrail import request_fields_sql

# SQL twin of mapping.arn_kind (a macro over one ARN; string functions and one regular
# expression, as it runs for every candidate ARN of every call).
ARN_KIND_SQL = """CREATE OR REPLACE TEMP MACRO arn_kind(a) AS CASE
    WHEN a IS NULL OR NOT (a LIKE 'arn:%:%:%:%:%') THEN NULL
    WHEN split_part(a, ':', 3) = 's3' AND split_part(a, ':', 4) = ''
         AND split_part(a, ':', 5) = ''
        THEN CASE WHEN contains(a, '/') THEN 's3/object' ELSE 's3/bucket' END
    ELSE split_part(a, ':', 3) || '/'
         || regexp_extract(a, '^(?:[^:]*:){5}([A-Za-z0-9-]+)[/:]', 1)
    END"""

PARTITION_SQL = """CASE WHEN region LIKE 'cn-%' THEN 'aws-cn'
    WHEN region LIKE 'us-gov-%' THEN 'aws-us-gov' ELSE 'aws' END"""

_NOT_NAME = "(? IS NULL OR ? = '' OR ? = 'HIDDEN_DUE_TO_SECURITY_REASONS')"


def _given(column: str) -> str:
    return "NOT " + _NOT_NAME.replace("?", column)


# One SQL expression per ARN candidate built from requestParameters; NULL when the record
# does not carry it. ``part``, ``region`` and ``account`` are staged columns.
_RP_ARNS = (
    ("s3.amazonaws.com", f"{_given('rp_bucket')}",
     "'arn:' || part || ':s3:::' || rp_bucket"),
    ("s3.amazonaws.com", f"{_given('rp_bucket')} AND {_given('rp_key')}",
     "'arn:' || part || ':s3:::' || rp_bucket || '/' || rp_key"),
    ("dynamodb.amazonaws.com", _given("rp_table"),
     "CASE WHEN starts_with(rp_table, 'arn:') THEN rp_table ELSE 'arn:' || part || ':dynamodb:'"
     " || region || ':' || account || ':table/' || rp_table END"),
    ("sqs.amazonaws.com", "regexp_matches(rp_queue_url, '^https?://[^/]+/[0-9]{12}/[^/?]+')",
     "'arn:' || part || ':sqs:' || region || ':' || regexp_extract(rp_queue_url,"
     " '^https?://[^/]+/([0-9]{12})/([^/?]+)', 1) || ':' || regexp_extract(rp_queue_url,"
     " '^https?://[^/]+/([0-9]{12})/([^/?]+)', 2)"),
    ("sns.amazonaws.com", "starts_with(rp_topic, 'arn:')", "rp_topic"),
    ("sns.amazonaws.com", "starts_with(rp_target, 'arn:')", "rp_target"),
    ("lambda.amazonaws.com", _given("rp_function"),
     "CASE WHEN starts_with(rp_function, 'arn:') THEN 'arn:' || split_part(rp_function, ':', 2)"
     " || ':lambda:' || split_part(rp_function, ':', 4) || ':' || split_part(rp_function, ':', 5)"
     " || ':function:' || split_part(rp_function, ':', 7)"
     " WHEN contains(rp_function, ':function:') THEN 'arn:' || part || ':lambda:' || region"
     " || ':' || split_part(rp_function, ':', 1) || ':function:' || split_part(rp_function, ':', 3)"
     " ELSE 'arn:' || part || ':lambda:' || region || ':' || account || ':function:'"
     " || split_part(rp_function, ':', 1) END"),
    ("kms.amazonaws.com", f"{_given('rp_key_id')} AND NOT starts_with(rp_key_id, 'alias/')",
     "CASE WHEN starts_with(rp_key_id, 'arn:') THEN rp_key_id ELSE 'arn:' || part || ':kms:'"
     " || region || ':' || account || ':key/' || rp_key_id END"),
    ("secretsmanager.amazonaws.com", _given("rp_secret"),
     "CASE WHEN starts_with(rp_secret, 'arn:') THEN rp_secret WHEN $patterns THEN 'arn:' || part"
     " || ':secretsmanager:' || region || ':' || account || ':secret:' || rp_secret || '-*' END"),
    ("iam.amazonaws.com", _given("rp_role_name") + " AND $patterns",
     "'arn:' || part || ':iam::' || account || ':role/*' || rp_role_name"),
    ("iam.amazonaws.com", _given("rp_user_name") + " AND $patterns",
     "'arn:' || part || ':iam::' || account || ':user/*' || rp_user_name"),
    ("iam.amazonaws.com", _given("rp_group_name") + " AND $patterns",
     "'arn:' || part || ':iam::' || account || ':group/*' || rp_group_name"),
    ("iam.amazonaws.com", _given("rp_profile_name") + " AND $patterns",
     "'arn:' || part || ':iam::' || account || ':instance-profile/*' || rp_profile_name"),
    ("iam.amazonaws.com", "starts_with(rp_policy_arn, 'arn:')", "rp_policy_arn"),
    ("sts.amazonaws.com", "starts_with(rp_role_arn, 'arn:')", "rp_role_arn"),
    ("ssm.amazonaws.com", _given("rp_name") + " AND NOT starts_with(rp_name, '[')",
     "CASE WHEN starts_with(rp_name, 'arn:') THEN rp_name ELSE 'arn:' || part || ':ssm:'"
     " || region || ':' || account || ':parameter'"
     " || CASE WHEN starts_with(rp_name, '/') THEN '' ELSE '/' END || rp_name END"),
    ("logs.amazonaws.com", _given("rp_log_group"),
     "'arn:' || part || ':logs:' || region || ':' || account || ':log-group:' || rp_log_group"
     " || CASE WHEN rp_log_stream IS NULL THEN '' ELSE ':log-stream:' || rp_log_stream END"),
    ("ecr.amazonaws.com", _given("rp_repository"),
     "'arn:' || part || ':ecr:' || region || ':' || coalesce(rp_registry, account)"
     " || ':repository/' || rp_repository"),
    ("cloudformation.amazonaws.com", _given("rp_stack"),
     "CASE WHEN starts_with(rp_stack, 'arn:') THEN rp_stack WHEN $patterns THEN 'arn:' || part"
     " || ':cloudformation:' || region || ':' || account || ':stack/' || rp_stack || '/*' END"),
    ("eks.amazonaws.com", f"{_given('rp_cluster')} OR {_given('rp_name')}",
     "'arn:' || part || ':eks:' || region || ':' || account || ':cluster/'"
     " || coalesce(rp_cluster, rp_name)"),
)


def request_arns_sql() -> str:
    """A VARCHAR[] expression: the ARNs requestParameters name for this record."""
    by_source: dict[str, list[str]] = {}
    for source, condition, arn in _RP_ARNS:
        by_source.setdefault(source, []).append(f"CASE WHEN {condition} THEN {arn} END")
    branches = "\n  ".join(f"WHEN '{source}' THEN list_filter([{', '.join(items)}], "
                           "lambda x: x IS NOT NULL)" for source, items in by_source.items())
    return request_fields_sql(f"CASE event_source {branches} ELSE []::VARCHAR[] END")


# Resources that come from a rule of the override table, not from the event's resources.
RULE_ARNS_SQL = """CASE rule
    WHEN 'copy-source' THEN CASE WHEN copy_source IS NOT NULL THEN 'arn:' || part || ':s3:::'
        || url_decode(ltrim(split_part(copy_source, '?', 1), '/')) END
    WHEN 'kms-source-key' THEN CASE WHEN starts_with(source_key, 'arn:') THEN source_key
        WHEN source_key IS NOT NULL AND NOT starts_with(source_key, 'alias/')
        THEN 'arn:' || part || ':kms:' || region || ':' || account || ':key/' || source_key END
    WHEN 'kms-destination-key' THEN CASE WHEN starts_with(destination_key, 'arn:')
        THEN destination_key
        WHEN destination_key IS NOT NULL AND NOT starts_with(destination_key, 'alias/')
        THEN 'arn:' || part || ':kms:' || region || ':' || account || ':key/'
        || destination_key END
    END"""

# The resources of one (record, action) row: a VARCHAR[] over the staged record columns
# ``res`` and ``req`` (candidate ARNs) and the mapping columns.
SELECT_RESOURCES_SQL = f"""CASE
    WHEN wildcard_only THEN ['*']
    WHEN rule IS NOT NULL THEN [coalesce({RULE_ARNS_SQL}, fallback)]
    ELSE coalesce(
        nullif(list_filter(res, lambda x: list_contains(kinds, arn_kind(x))), []),
        nullif(list_filter(req, lambda x: list_contains(kinds, arn_kind(x))), []),
        [fallback])
    END"""

FALLBACK_SQL = """CASE WHEN pattern = '*' OR NOT use_patterns THEN '*' ELSE
    replace(replace(replace(pattern, '{partition}', part), '{region}', coalesce(region, '*')),
            '{account}', coalesce(account, '*')) END"""
