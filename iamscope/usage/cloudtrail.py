"""CloudTrail records, read by DuckDB: the fields iamscope needs, how they are pulled out of
the JSON, and who a record is attributed to.

Parsing happens inside DuckDB (``read_json_objects`` + one multi-path
``json_extract_string`` per record, which parses each record once): a Python loop over
records is 3-5x slower (usage-logs.md section 5.3). This module only builds SQL text from
constants; values from logs are never spliced into SQL.

Attribution (usage-logs.md sections 0.7 and 2.6):
- ``AssumedRole``: the role that issued the session (``sessionContext.sessionIssuer.arn``,
  an IAM role ARN with its path); without an issuer, the role ARN rebuilt from the session
  ARN (path unknown).
- ``IAMUser``, ``Root``: ``userIdentity.arn``. ``FederatedUser``: the issuing IAM user.
- A forward-access call (``invokedBy`` set on a customer identity) is credited to that
  identity: the caller's permissions were checked.
- ``AWSService`` callers, web-identity/SAML users (on AssumeRoleWith* events) and records
  without a usable identity are not principals: counted, never used.
"""

from __future__ import annotations

import json
from typing import Any

# (column, JSON path) pulled out of every record. ``json_transform`` turns each record into a
# STRUCT of just these fields in one pass over the parsed document (no re-serialisation);
# fields of the wrong JSON type become NULL instead of failing the file.
RECORD_FIELDS: tuple[tuple[str, str], ...] = (
    ("event_time", "$.eventTime"),
    ("event_source", "$.eventSource"),
    ("event_name", "$.eventName"),
    ("region", "$.awsRegion"),
    ("error_code", "$.errorCode"),
    ("recipient_account", "$.recipientAccountId"),
    ("event_category", "$.eventCategory"),
    ("management_event", "$.managementEvent"),
    ("id_type", "$.userIdentity.type"),
    ("id_arn", "$.userIdentity.arn"),
    ("id_account", "$.userIdentity.accountId"),
    ("invoked_by", "$.userIdentity.invokedBy"),
    ("issuer_arn", "$.userIdentity.sessionContext.sessionIssuer.arn"),
    ("id_provider", "$.userIdentity.identityProvider"),
    ("id_principal", "$.userIdentity.principalId"),
)

# (column, key) of requestParameters, read from a case-sensitive MAP(VARCHAR, VARCHAR)
# (CloudFormation says ``roleARN`` where most services say ``roleArn``); a nested object
# comes out as its JSON text.
REQUEST_FIELDS: tuple[tuple[str, str], ...] = (
    ("rp_bucket", "bucketName"),
    ("rp_key", "key"),
    ("rp_copy_source", "x-amz-copy-source"),
    ("rp_table", "tableName"),
    ("rp_queue_url", "queueUrl"),
    ("rp_topic", "topicArn"),
    ("rp_target", "targetArn"),
    ("rp_function", "functionName"),
    ("rp_key_id", "keyId"),
    ("rp_source_key", "sourceKeyId"),
    ("rp_destination_key", "destinationKeyId"),
    ("rp_secret", "secretId"),
    ("rp_role_name", "roleName"),
    ("rp_user_name", "userName"),
    ("rp_group_name", "groupName"),
    ("rp_profile_name", "instanceProfileName"),
    ("rp_policy_arn", "policyArn"),
    ("rp_role_arn", "roleArn"),
    ("rp_name", "name"),
    ("rp_log_group", "logGroupName"),
    ("rp_log_stream", "logStreamName"),
    ("rp_repository", "repositoryName"),
    ("rp_registry", "registryId"),
    ("rp_stack", "stackName"),
    ("rp_cluster", "clusterName"),
)

# How read_json_objects reads a file: a {"Records": [...]} document or JSON lines.
UNSTRUCTURED = "format = 'unstructured'"

ASSUME_EVENTS = ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")

# errorCode values that prove the call was refused by authorisation (case-insensitive
# substrings): AccessDenied, AccessDeniedException, Client.UnauthorizedOperation,
# UnauthorizedException, AuthorizationError (SNS), Forbidden, NotAuthorized.
DENIED_SQL = ("regexp_matches(lower(error_code), "
              "'accessdenied|unauthorized|authorizationerror|forbidden|notauthorized')")

PRINCIPAL_SQL = """CASE
    WHEN id_type = 'AssumedRole' AND issuer_arn IS NOT NULL THEN issuer_arn
    WHEN id_type = 'AssumedRole' THEN regexp_replace(id_arn,
        '^arn:([^:]+):sts::([0-9]+):assumed-role/([^/]+)/.*$', 'arn:\\1:iam::\\2:role/\\3')
    WHEN id_type IN ('IAMUser', 'Root') THEN id_arn
    WHEN id_type = 'FederatedUser' THEN coalesce(issuer_arn, id_arn)
    ELSE NULL END"""

# Why a record has no principal (NULL when it has one).
UNATTRIBUTED_SQL = """CASE
    WHEN principal IS NOT NULL AND starts_with(principal, 'arn:') THEN NULL
    WHEN id_type = 'AWSService' THEN 'service'
    WHEN id_type IN ('WebIdentityUser', 'SAMLUser') THEN 'external'
    ELSE 'unattributed' END"""

# "management", or "data:<first label of the event source>" for data events.
KIND_SQL = """CASE
    WHEN event_category = 'Data' OR management_event = 'false'
        THEN 'data:' || split_part(event_source, '.', 1)
    ELSE 'management' END"""

TIME_SQL = ("coalesce(try_strptime(event_time, '%Y-%m-%dT%H:%M:%SZ'), "
            "try_strptime(event_time, '%Y-%m-%dT%H:%M:%S.%fZ'))")


def _record_shape() -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for _, path in RECORD_FIELDS:
        node = shape
        keys = path.removeprefix("$.").split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = "VARCHAR"
    shape["resources"] = [{"ARN": "VARCHAR"}]
    shape["requestParameters"] = "MAP(VARCHAR, VARCHAR)"
    return shape


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def request_path_sql(path: str) -> str:
    """SQL reading a ``$.requestParameters...`` path from the ``rp`` map."""
    keys = path.removeprefix("$.requestParameters.").split(".")
    head = f"rp[{_quote(keys[0])}]"
    if len(keys) == 1:
        return head
    return f"json_extract_string({head}, {_quote('$.' + '.'.join(keys[1:]))})"


def request_fields_sql(expression: str) -> str:
    """``expression`` with the ``rp_*`` names of REQUEST_FIELDS read from the ``rp`` map
    (only where the expression evaluates them: inside a CASE, rows of other services never
    pay for the lookup)."""
    for name, key in sorted(REQUEST_FIELDS, key=lambda item: -len(item[0])):
        expression = expression.replace(name, request_path_sql("$.requestParameters." + key))
    return expression


def staging_select(extra_paths: tuple[str, ...], extra_sources: frozenset[str]) -> str:
    """SELECT over ``read_json_objects(?)`` giving one row per record with the fields as
    columns, ``res`` (the ARNs of ``resources[]``), ``rp`` (requestParameters as a map) and
    ``extra`` (for records of ``extra_sources``, the values of ``extra_paths``, which are
    ``$.requestParameters...`` paths). Files may hold a ``{"Records": [...]}`` document (S3
    delivery) or one record per line (JSON lines)."""
    record = _record_shape()
    document = json.dumps({"Records": [record]})
    columns = ", ".join(f"r.{'.'.join(path.removeprefix('$.').split('.'))} AS {name}"
                        for name, path in RECORD_FIELDS)
    sources = ", ".join(sorted({_quote(s) for s in extra_sources}))
    extra = (f"CASE WHEN r.eventSource IN ({sources}) THEN ["
             + ", ".join(request_path_sql(p) for p in extra_paths) + "]::VARCHAR[] END"
             if extra_paths else "NULL::VARCHAR[]")
    return f"""
SELECT file, {columns}, list_transform(r.resources, lambda x: x.ARN) AS res, rp,
       {extra} AS extra
FROM (
  SELECT file, r, r.requestParameters AS rp FROM (
    SELECT filename AS file,
           unnest(coalesce(json_transform(json, {_quote(document)}).Records,
                           [json_transform(json, {_quote(json.dumps(record))})])) AS r
    FROM read_json_objects(?, {UNSTRUCTURED}, filename = true,
                           maximum_object_size = {{max_object}})))"""  # noqa: S608 (SQL text from constants)
