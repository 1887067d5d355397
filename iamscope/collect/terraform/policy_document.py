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


# A plan is input: an argument of the wrong type (a number where the provider's schema says
# string, a string where it says a set of strings) is read as unknown, which the
# conservative reading widens, rather than trusted or crashed on.

def _text(value: Any, what: str) -> Any:
    return value if isinstance(value, str | Unknown) else Unknown(f"{what} is not a string")


def _texts(value: Any, what: str) -> Any:
    """A set or list of strings (absent: empty), or an ``Unknown``."""
    if value is None or isinstance(value, Unknown):
        return [] if value is None else value
    if isinstance(value, list) and all(isinstance(v, str | Unknown) for v in value):
        return value
    return Unknown(f"{what} is not a list of strings")


def _blocks(value: Any, what: str) -> Any:
    if value is None or isinstance(value, Unknown | list):
        return [] if value is None else value
    return Unknown(f"the {what} blocks are not a list")


def _principals(blocks: Any) -> Any:
    blocks = _blocks(blocks, "principals")
    if isinstance(blocks, Unknown):
        return blocks
    merged: dict[str, list[Any]] = {}
    for block in blocks:
        if isinstance(block, Unknown) or not isinstance(block, dict):
            return Unknown("principal block not known")
        kind = _text(block.get("type"), "a principal type")
        if isinstance(kind, Unknown):
            return kind
        if kind == "*":
            return "*"
        identifiers = _texts(block.get("identifiers"), "principal identifiers")
        if isinstance(identifiers, Unknown):
            merged.setdefault(kind, []).append(identifiers)
            continue
        merged.setdefault(kind, []).extend(identifiers)
    return {kind: _one_or_many(ids) for kind, ids in merged.items()}


def _conditions(blocks: Any) -> Any:
    blocks = _blocks(blocks, "condition")
    if isinstance(blocks, Unknown):
        return blocks
    result: dict[Any, dict[Any, Any]] = {}
    for block in blocks:
        if not isinstance(block, dict):
            return Unknown("condition block not known")
        values = _texts(block.get("values"), "condition values")
        operator = _text(block.get("test"), "a condition test")
        key = _text(block.get("variable"), "a condition variable")
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
        statement["Sid"] = _text(block["sid"], "sid")
    statement["Effect"] = _text(block.get("effect") or "Allow", "effect")
    for key, element in (("actions", "Action"), ("not_actions", "NotAction"),
                         ("resources", "Resource"), ("not_resources", "NotResource")):
        value = block.get(key)
        if isinstance(value, Unknown) or value:
            value = _texts(value, key)
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


def render_policy_document(values: dict[str, Any]) -> Any:
    """The document of an ``aws_iam_policy_document`` data source from its arguments, built
    exactly as the provider does (``hcl/policy_document.py``: accumulated conditions, ``&{``
    variables, set ordering); arguments of the wrong type (a hand-edited or corrupt plan)
    are rendered leniently instead, their bad parts unknown and read conservatively."""
    # Imported here: the hcl package's reader imports this package's AWS context, which
    # imports this module.
    from iamscope.collect.terraform.hcl.policy_document import build_document
    from iamscope.collect.terraform.hcl.values import Problem

    try:
        return build_document(values)
    except Problem:
        return _lenient_document(values)


def _lenient_document(values: dict[str, Any]) -> dict[str, Any]:
    statements: list[Any] = []
    for text in _documents(values.get("source_policy_documents"), "source_policy_documents"):
        statements = _merge(statements, _statements_of(text))
    blocks = _blocks(values.get("statement"), "statement")
    own = [blocks] if isinstance(blocks, Unknown) else [_statement(b) for b in blocks]
    statements = _merge(statements, own)
    for text in _documents(values.get("override_policy_documents"),
                           "override_policy_documents"):
        statements = _merge(statements, _statements_of(text))
    document: dict[str, Any] = {"Version": _text(values.get("version") or "2012-10-17",
                                                 "version"),
                                "Statement": statements}
    if values.get("policy_id"):
        document["Id"] = _text(values["policy_id"], "policy_id")
    return document


def _documents(value: Any, what: str) -> list[Any]:
    """The JSON texts of source/override documents; an unknown list is one unknown."""
    texts = _texts(value, what)
    return [texts] if isinstance(texts, Unknown) else texts


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
