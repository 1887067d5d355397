"""Policy documents that Terraform builds from arguments rather than JSON text.

- ``data "aws_iam_policy_document"``: when the plan defers reading it (its inputs are
  known only after apply), the plan still holds its ``statement`` blocks with the known
  parts; they are rendered here the way the AWS provider does (Terraform Registry,
  "aws_iam_policy_document": ``source_policy_documents`` first, then this document's
  statements replacing same-``sid`` ones, then ``override_policy_documents`` replacing
  same-``sid`` statements);
- ``aws_lambda_permission``: the statement ``lambda:AddPermission`` adds to the function
  policy (Lambda Developer Guide, "Working with resource-based IAM policies in Lambda").

Values may contain ``Unknown``; they are kept for ``documents.conservative_document``.
"""

from __future__ import annotations

import json
from typing import Any

from iamscope.collect.terraform.resources import Unknown

PRINCIPAL_TYPES = {"AWS": "AWS", "Service": "Service", "Federated": "Federated",
                   "CanonicalUser": "CanonicalUser", "*": "*"}


def _one_or_many(values: Any) -> Any:
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    return sorted(values, key=str) if isinstance(values, list) else values


def _principals(blocks: Any) -> Any:
    if isinstance(blocks, Unknown):
        return blocks
    merged: dict[str, list[Any]] = {}
    for block in blocks or []:
        if isinstance(block, Unknown) or not isinstance(block, dict):
            return Unknown("principal block not known")
        kind = block.get("type")
        identifiers = block.get("identifiers")
        if isinstance(kind, Unknown):
            return kind
        if kind == "*":
            return "*"
        if isinstance(identifiers, Unknown):
            merged.setdefault(str(kind), []).append(identifiers)
            continue
        merged.setdefault(str(kind), []).extend(identifiers or [])
    return {kind: _one_or_many(ids) for kind, ids in merged.items()}


def _conditions(blocks: Any) -> Any:
    if isinstance(blocks, Unknown):
        return blocks
    result: dict[Any, dict[Any, Any]] = {}
    for block in blocks or []:
        if not isinstance(block, dict):
            return Unknown("condition block not known")
        values = block.get("values")
        operator, key = block.get("test"), block.get("variable")
        if isinstance(operator, Unknown) or isinstance(key, Unknown):
            result.setdefault("(unknown)", {})[Unknown("condition")] = values
            continue
        result.setdefault(operator, {})[key] = _one_or_many(values)
    return result


def _statement(block: Any) -> Any:
    if not isinstance(block, dict):
        return block if isinstance(block, Unknown) else Unknown("statement block not known")
    statement: dict[str, Any] = {}
    if block.get("sid"):
        statement["Sid"] = block["sid"]
    statement["Effect"] = block.get("effect") or "Allow"
    for key, element in (("actions", "Action"), ("not_actions", "NotAction"),
                         ("resources", "Resource"), ("not_resources", "NotResource")):
        value = block.get(key)
        if isinstance(value, Unknown) or value:
            statement[element] = value if isinstance(value, Unknown) else _one_or_many(value)
    for key, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        value = block.get(key)
        if isinstance(value, Unknown) or value:
            statement[element] = _principals(value)
    conditions = block.get("condition")
    if isinstance(conditions, Unknown) or conditions:
        statement["Condition"] = _conditions(conditions)
    return statement


def _statements_of(text: Any) -> list[Any]:
    if isinstance(text, Unknown):
        return [text]
    try:
        document = json.loads(text) if isinstance(text, str) else text
    except (json.JSONDecodeError, RecursionError):
        return [Unknown("source document is not JSON")]
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        return [statements]
    return list(statements) if isinstance(statements, list) else []


def _merge(base: list[Any], overriding: list[Any]) -> list[Any]:
    result = list(base)
    for statement in overriding:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        for index, existing in enumerate(result):
            if sid and isinstance(existing, dict) and existing.get("Sid") == sid:
                result[index] = statement
                break
        else:
            result.append(statement)
    return result


def render_policy_document(values: dict[str, Any]) -> dict[str, Any]:
    """The document of an ``aws_iam_policy_document`` data source from its arguments."""
    statements: list[Any] = []
    for text in values.get("source_policy_documents") or []:
        statements = _merge(statements, _statements_of(text))
    blocks = values.get("statement")
    own = [blocks] if isinstance(blocks, Unknown) else [_statement(b) for b in blocks or []]
    statements = _merge(statements, own)
    for text in values.get("override_policy_documents") or []:
        statements = _merge(statements, _statements_of(text))
    document: dict[str, Any] = {"Version": values.get("version") or "2012-10-17",
                                "Statement": statements}
    if values.get("policy_id"):
        document["Id"] = values["policy_id"]
    return document


def lambda_permission_statement(values: dict[str, Any], function_arn: str,
                                partition: str) -> dict[str, Any]:
    """The statement ``AddPermission`` writes for one ``aws_lambda_permission``."""
    principal = values.get("principal")
    if isinstance(principal, Unknown):
        principal_element: Any = principal
    elif principal == "*":
        principal_element = "*"
    elif isinstance(principal, str) and principal.isdigit() and len(principal) == 12:
        principal_element = {"AWS": f"arn:{partition}:iam::{principal}:root"}
    elif isinstance(principal, str) and principal.endswith(".amazonaws.com"):
        principal_element = {"Service": principal}
    else:
        principal_element = {"AWS": principal}
    qualifier = values.get("qualifier")
    resource = (f"{function_arn}:{qualifier}" if isinstance(qualifier, str) and qualifier
                else function_arn)
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal_element,
                                 "Action": values.get("action") or "lambda:InvokeFunction",
                                 "Resource": resource}
    if isinstance(values.get("statement_id"), str):
        statement["Sid"] = values["statement_id"]
    condition: dict[str, dict[str, Any]] = {}
    for key, operator, condition_key in (
            ("source_arn", "ArnLike", "AWS:SourceArn"),
            ("source_account", "StringEquals", "AWS:SourceAccount"),
            ("principal_org_id", "StringEquals", "aws:PrincipalOrgID"),
            ("function_url_auth_type", "StringEquals", "lambda:FunctionUrlAuthType"),
            ("event_source_token", "StringEquals", "lambda:EventSourceToken")):
        value = values.get(key)
        if value is not None and value != "":
            condition.setdefault(operator, {})[condition_key] = value
    if condition:
        statement["Condition"] = condition
    return statement
