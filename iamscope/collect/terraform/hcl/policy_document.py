"""``data "aws_iam_policy_document"`` -> the policy document, as the AWS provider builds it.

Follows the provider's implementation (terraform-provider-aws,
``internal/service/iam/policy_document_data_source.go`` and ``policy_model.go``):

- ``source_policy_documents`` are merged first, in order, then the ``statement`` blocks, then
  ``override_policy_documents``; a statement whose ``Sid`` is already present replaces it,
  statements without ``Sid`` are appended; ``Version`` takes the highest seen.
- ``actions``, ``resources``, ``identifiers`` ... are sets: de-duplicated, a single element is
  written as a string, several as a list sorted in reverse lexical order.
- ``principals { type = "*", identifiers = ["*"] }`` alone is written ``"Principal": "*"``;
  ``{"AWS": "*"}`` stays as it is (the provider does not treat them as equal).
- conditions with the same test and variable accumulate their values (order kept).
- ``&{`` in resources, identifiers and condition values becomes ``${`` (policy variables).

Values the evaluator could not know stay ``Unknown`` inside the document; the document is
then returned as a dict (see ``functions.jsonencode``) instead of JSON text. When a whole
part is unknown (a dynamic block's ``for_each``, a source document), the result is Unknown.
"""

from __future__ import annotations

import json
from typing import Any

from iamscope.collect.terraform.hcl.functions import jsonencode
from iamscope.collect.terraform.hcl.values import Problem, contains_unknown
from iamscope.collect.terraform.resources import Unknown

DEFAULT_VERSION = "2012-10-17"
_LIST_FIELDS = (("actions", "Action"), ("not_actions", "NotAction"),
                ("resources", "Resource"), ("not_resources", "NotResource"))
_PRINCIPAL_FIELDS = (("principals", "Principal"), ("not_principals", "NotPrincipal"))


def policy_document_values(values: dict[str, Any], address: str) -> dict[str, Any]:
    """The computed attributes ``json``, ``minified_json`` (and ``id``) of the data source."""
    try:
        document = build_document(values)
    except Problem as problem:
        unknown = Unknown(f"{address}: {problem.message}", reference=f"{address}.json")
        return {"json": unknown, "minified_json": Unknown(unknown.reason, f"{address}"
                                                          ".minified_json")}
    if isinstance(document, Unknown):
        return {"json": Unknown(document.reason, f"{address}.json"),
                "minified_json": Unknown(document.reason, f"{address}.minified_json")}
    if contains_unknown(document):
        return {"json": document, "minified_json": document}
    pretty = json.dumps(document, indent=2, ensure_ascii=False)
    return {"json": _go_escape(pretty), "minified_json": jsonencode(document)}


def _go_escape(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build_document(values: dict[str, Any]) -> Any:
    merged: dict[str, Any] = {"Version": "", "Id": "", "Statement": []}
    for position, source in enumerate(_documents(values.get("source_policy_documents"))):
        if isinstance(source, Unknown):
            return Unknown(f"source_policy_documents[{position}] is not known "
                           f"({source.reference or source.reason})")
        _merge(merged, _parse_document(source, f"source_policy_documents[{position}]"))
    own = _own_document(values)
    if isinstance(own, Unknown):
        return own
    _merge(merged, own)
    for position, override in enumerate(_documents(values.get("override_policy_documents"))):
        if isinstance(override, Unknown):
            return Unknown(f"override_policy_documents[{position}] is not known "
                           f"({override.reference or override.reason})")
        _merge(merged, _parse_document(override, f"override_policy_documents[{position}]"))
    document: dict[str, Any] = {}
    if merged["Version"]:
        document["Version"] = merged["Version"]
    if merged["Id"]:
        document["Id"] = merged["Id"]
    if merged["Statement"]:
        document["Statement"] = [_marshal_statement(st) for st in merged["Statement"]]
    return document


def _documents(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return [value]
    if not isinstance(value, list):
        raise Problem("a policy document list must be a list of JSON strings")
    return [item for item in value if item is not None]


def _merge(merged: dict[str, Any], new: dict[str, Any]) -> None:
    if new.get("Id"):
        merged["Id"] = new["Id"]
    version = new.get("Version") or ""
    if isinstance(version, Unknown) or (isinstance(merged["Version"], str)
                                        and str(version) > merged["Version"]):
        merged["Version"] = version
    for statement in new.get("Statement") or []:
        sid = statement.get("Sid") or ""
        if sid:
            for position, existing in enumerate(merged["Statement"]):
                if existing.get("Sid") == sid:
                    merged["Statement"][position] = statement
                    break
            else:
                merged["Statement"].append(statement)
        else:
            merged["Statement"].append(statement)


def _own_document(values: dict[str, Any]) -> Any:
    statements = values.get("statement") or []
    if isinstance(statements, Unknown):
        return Unknown(f"the statements are not known ({statements.reason})")
    parsed = []
    for position, block in enumerate(statements):
        if isinstance(block, Unknown):
            return Unknown(block.reason)
        if not isinstance(block, dict):
            raise Problem(f"statement {position} is not a block")
        parsed.append(_statement_from_block(block))
    return {"Version": values.get("version") or DEFAULT_VERSION,
            "Id": values.get("policy_id") or "", "Statement": parsed}


def _statement_from_block(block: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": block.get("sid") or "",
                                 "Effect": block.get("effect") or "Allow"}
    for argument, element in _LIST_FIELDS:
        value = block.get(argument)
        if value is not None and value != []:
            statement[element] = _string_set(value, replace=argument.endswith("resources"))
    for argument, element in _PRINCIPAL_FIELDS:
        blocks = block.get(argument)
        if blocks:
            statement[element] = _principals_from_blocks(blocks)
    conditions = block.get("condition")
    if conditions:
        statement["Condition"] = _conditions_from_blocks(conditions)
    return statement


def _string_set(value: Any, replace: bool) -> Any:
    """A set of strings as the provider writes it: one -> the string, else reverse-sorted."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise Problem(f"a list of strings is required, not {value!r:.40}")
    strings = [_scalar_text(v) for v in value if not isinstance(v, Unknown) and v is not None]
    known = sorted({_replace_vars(v) if replace else v for v in strings}, reverse=True)
    unknown = [v for v in value if isinstance(v, Unknown)]
    items = known + unknown
    return items[0] if len(items) == 1 else items


def _scalar_text(value: Any) -> str:
    """Set elements are strings: numbers and bools convert as Terraform converts them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise Problem(f"a list of strings is required, not one holding a {type(value).__name__}")


def _replace_vars(text: str) -> str:
    return text.replace("&{", "${")


def _principals_from_blocks(blocks: Any) -> Any:
    if isinstance(blocks, Unknown):
        return blocks
    principals = []
    for block in blocks:
        if not isinstance(block, dict) or isinstance(block.get("type"), Unknown):
            return Unknown("a principals block is not known")
        identifiers = block.get("identifiers") or []
        principals.append((block["type"], _string_set(identifiers, replace=True)))
    return principals


def _conditions_from_blocks(blocks: Any) -> Any:
    if isinstance(blocks, Unknown):
        return blocks
    conditions = []
    for block in blocks:
        if not isinstance(block, dict):
            return Unknown("a condition block is not known")
        test, variable = block.get("test"), block.get("variable")
        if isinstance(test, Unknown) or isinstance(variable, Unknown):
            return Unknown("a condition's test or variable is not known")
        values = block.get("values")
        if isinstance(values, list):
            values = [v if isinstance(v, Unknown) else _replace_vars(_scalar_text(v))
                      for v in values if v is not None]
        conditions.append((test, variable, values))
    return conditions


def _parse_document(source: Any, where: str) -> dict[str, Any]:
    """A source/override document (JSON text, or a dict with unknown parts) -> statements."""
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as error:
            raise Problem(f"{where} is not valid JSON ({error.msg})") from None
    if not isinstance(source, dict):
        raise Problem(f"{where} is not a JSON policy document")
    statements = source.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise Problem(f"{where}: Statement is not known or not a list")
    parsed = []
    for statement in statements:
        if not isinstance(statement, dict):
            raise Problem(f"{where}: a statement is not known or not an object")
        entry = {key: statement[key] for key in ("Sid", "Effect", "Action", "NotAction",
                                                  "Resource", "NotResource")
                 if key in statement}
        for key in ("Principal", "NotPrincipal"):
            if key in statement:
                entry[key] = _principals_from_json(statement[key])
        if "Condition" in statement:
            entry["Condition"] = _conditions_from_json(statement["Condition"])
        parsed.append(entry)
    return {"Version": source.get("Version") or "", "Id": source.get("Id") or "",
            "Statement": parsed}


def _principals_from_json(value: Any) -> Any:
    if isinstance(value, str):
        return [("*", "*")]
    if not isinstance(value, dict):
        return value  # Unknown, or malformed: kept for the normalizer to judge
    return [(kind, ids if not isinstance(ids, list) else sorted(
        ids, key=lambda x: (isinstance(x, Unknown), str(x)), reverse=True))
        for kind, ids in value.items()]


def _conditions_from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    conditions = []
    for test, variables in value.items():
        if not isinstance(variables, dict):
            return value
        for variable, values in variables.items():
            if isinstance(values, bool):
                values = "true" if values else "false"
            conditions.append((test, variable, values))
    return conditions


def _marshal_statement(statement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"):
        value = statement.get(key)
        if value not in (None, "", []):
            out[key] = value
    for key in ("Principal", "NotPrincipal"):
        if statement.get(key):
            out[key] = _marshal_principals(statement[key])
    if statement.get("Condition"):
        out["Condition"] = _marshal_conditions(statement["Condition"])
    return out


def _marshal_principals(principals: Any) -> Any:
    if not isinstance(principals, list):
        return principals
    if len(principals) == 1 and principals[0][0] == "*" and principals[0][1] in ("*", ["*"]):
        return "*"
    raw: dict[str, Any] = {}
    for kind, identifiers in principals:
        current = raw.get(kind)
        if isinstance(identifiers, list):
            ordered = sorted((i for i in identifiers if isinstance(i, str)), reverse=True)
            ordered += [i for i in identifiers if not isinstance(i, str)]
            raw[kind] = ([] if current is None else [current] if not isinstance(
                current, list) else current) + ordered
        elif current is None:
            raw[kind] = identifiers
        else:
            raw[kind] = (current if isinstance(current, list) else [current]) + [identifiers]
    return {kind: raw[kind] for kind in sorted(raw)}


def _marshal_conditions(conditions: Any) -> Any:
    if not isinstance(conditions, list):
        return conditions
    raw: dict[str, dict[str, list[Any]]] = {}
    for test, variable, values in conditions:
        bucket = raw.setdefault(test, {}).setdefault(variable, [])
        bucket.extend(values if isinstance(values, list) else [values])
    return {test: {variable: (items[0] if len(items) == 1 else items)
                   for variable, items in sorted(raw[test].items())}
            for test in sorted(raw)}
