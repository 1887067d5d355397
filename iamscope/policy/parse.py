"""Parse AWS policy JSON into the normalised ``Policy`` model.

Grammar from the IAM User Guide, "IAM JSON policy element reference" and "Grammar of the
IAM JSON policy language". Structural problems that make a policy impossible to evaluate
faithfully are errors (``PolicyParseError``); everything else is left to the linter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iamscope.errors import Diagnostic, DiagnosticLevel, PolicyParseError
from iamscope.model.policy import Condition, Effect, Policy, PolicyKind, PrincipalSpec, Statement
from iamscope.model.source import SourceRef
from iamscope.policy.operators import OperatorSyntaxError, parse_operator

TOP_LEVEL_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
     "NotPrincipal", "Condition"}
)
VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
PRINCIPAL_TYPES = {"AWS": "aws", "Service": "service", "Federated": "federated",
                   "CanonicalUser": "canonical_user"}


class _Collector:
    def __init__(self, policy_id: str | None):
        self.policy_id = policy_id
        self.errors: list[Diagnostic] = []

    def error(self, code: str, message: str, where: str | None = None,
              element: str | None = None) -> None:
        self.errors.append(
            Diagnostic(DiagnosticLevel.ERROR, code, message, self.policy_id, where, element)
        )


def load_policy_json(text: str, *, policy_id: str | None = None) -> Any:
    """Decode policy JSON text, turning decoder errors into a ``PolicyParseError``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyParseError([
            Diagnostic(DiagnosticLevel.ERROR, "invalid-json",
                       f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                       policy_id)
        ]) from None


def parse_policy(
    document: Any,
    *,
    policy_id: str,
    kind: PolicyKind,
    name: str | None = None,
    source: SourceRef | None = None,
    aws_managed: bool = False,
    default_version_id: str | None = None,
) -> Policy:
    """Parse a policy document (a dict, or JSON text) into a ``Policy``.

    Raises ``PolicyParseError`` listing every structural error found.
    """
    if isinstance(document, str | bytes):
        document = load_policy_json(
            document.decode() if isinstance(document, bytes) else document, policy_id=policy_id
        )
    out = _Collector(policy_id)
    if not isinstance(document, Mapping):
        out.error("not-an-object", "a policy document must be a JSON object")
        raise PolicyParseError(out.errors)
    for key in document:
        if key not in TOP_LEVEL_ELEMENTS:
            out.error("unknown-element", f"unknown top-level element {key!r}", element=key)
    version = document.get("Version")
    if version is not None and (not isinstance(version, str) or version not in VERSIONS):
        out.error("bad-version", f"Version must be 2012-10-17 or 2008-10-17, not {version!r}",
                  element="Version")
        version = None
    raw_statements = document.get("Statement")
    if raw_statements is None:
        out.error("missing-statement", "the policy has no Statement element")
        raw_statements = []
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        out.error("bad-statement", "Statement must be an object or a list of objects",
                  element="Statement")
        raw_statements = []
    statements = []
    for index, raw in enumerate(raw_statements):
        statement = _parse_statement(raw, index, out)
        if statement is not None:
            statements.append(statement)
    if out.errors:
        raise PolicyParseError(out.errors)
    return Policy(
        id=policy_id,
        kind=kind,
        statements=tuple(statements),
        name=name,
        version=version,
        document=dict(document),
        source=source,
        aws_managed=aws_managed,
        default_version_id=default_version_id,
    )


def _where(raw: Mapping, index: int) -> str:
    sid = raw.get("Sid")
    return f"Sid {sid!r}" if isinstance(sid, str) and sid else f"statement {index}"


def _parse_statement(raw: Any, index: int, out: _Collector) -> Statement | None:
    if not isinstance(raw, Mapping):
        out.error("bad-statement", "a statement must be a JSON object", f"statement {index}")
        return None
    where = _where(raw, index)
    errors_before = len(out.errors)
    for key in raw:
        if key not in STATEMENT_ELEMENTS:
            out.error("unknown-element", f"unknown statement element {key!r}", where, key)
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        out.error("bad-sid", "Sid must be a string", where, "Sid")
        sid = None
    effect_text = raw.get("Effect")
    effect = None
    if effect_text == "Allow":
        effect = Effect.ALLOW
    elif effect_text == "Deny":
        effect = Effect.DENY
    elif effect_text is None:
        out.error("missing-effect", "the statement has no Effect", where, "Effect")
    else:
        out.error("bad-effect", f"Effect must be \"Allow\" or \"Deny\", not {effect_text!r}",
                  where, "Effect")
    actions = _pair(raw, "Action", "NotAction", where, out, required=True)
    resources = _pair(raw, "Resource", "NotResource", where, out, required=False)
    principal = not_principal = None
    if "Principal" in raw and "NotPrincipal" in raw:
        out.error("both-principal", "a statement cannot have both Principal and NotPrincipal",
                  where)
    if "Principal" in raw:
        principal = _principal(raw["Principal"], where, "Principal", out)
    if "NotPrincipal" in raw:
        not_principal = _principal(raw["NotPrincipal"], where, "NotPrincipal", out)
    conditions = _conditions(raw.get("Condition"), where, out)
    if len(out.errors) != errors_before or effect is None:
        return None
    return Statement(
        effect=effect,
        index=index,
        sid=sid,
        actions=actions[0],
        not_actions=actions[1],
        resources=resources[0],
        not_resources=resources[1],
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
    )


def _string_list(value: Any, where: str, element: str, out: _Collector) -> tuple[str, ...] | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        out.error("bad-value", f"{element} must be a string or a list of strings", where, element)
        return None
    return tuple(items)


def _pair(
    raw: Mapping, positive: str, negative: str, where: str, out: _Collector, *, required: bool
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    has_pos, has_neg = positive in raw, negative in raw
    if has_pos and has_neg:
        out.error("both-elements", f"a statement cannot have both {positive} and {negative}",
                  where)
        return None, None
    if required and not (has_pos or has_neg):
        out.error("missing-element", f"the statement has neither {positive} nor {negative}",
                  where)
        return None, None
    name = positive if has_pos else negative
    if not (has_pos or has_neg):
        return None, None
    values = _string_list(raw[name], where, name, out)
    if values is not None and not values:
        out.error("empty-element", f"{name} is an empty list", where, name)
    return (values, None) if has_pos else (None, values)


def _principal(value: Any, where: str, element: str, out: _Collector) -> PrincipalSpec | None:
    if value == "*":
        return PrincipalSpec(wildcard=True)
    if not isinstance(value, Mapping):
        out.error("bad-principal", f"{element} must be \"*\" or an object such as "
                  "{\"AWS\": ...}", where, element)
        return None
    fields: dict[str, tuple[str, ...]] = {}
    for key, entries in value.items():
        attr = PRINCIPAL_TYPES.get(key)
        if attr is None:
            out.error("bad-principal", f"unknown principal type {key!r} (expected AWS, "
                      "Service, Federated or CanonicalUser)", where, element)
            continue
        items = _string_list(entries, where, f"{element}.{key}", out)
        if items is not None:
            fields[attr] = items
    return PrincipalSpec(**fields)


def condition_value(value: Any) -> str | None:
    """IAM compares condition values as strings: JSON booleans become true/false and
    numbers their decimal text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return None


def _conditions(value: Any, where: str, out: _Collector) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        out.error("bad-condition", "Condition must be an object", where, "Condition")
        return ()
    result = []
    for operator, block in value.items():
        try:
            parse_operator(operator)
        except OperatorSyntaxError as exc:
            out.error("bad-operator", str(exc), where, "Condition")
            continue
        if not isinstance(block, Mapping) or not block:
            out.error("bad-condition", f"{operator} must map condition keys to values",
                      where, "Condition")
            continue
        for key, raw_values in block.items():
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            values = [condition_value(v) for v in items]
            if any(v is None for v in values):
                out.error("bad-condition-value",
                          f"{operator} {key}: values must be strings, numbers or booleans",
                          where, "Condition")
                continue
            result.append(Condition(operator, key, tuple(v for v in values if v is not None)))
    return tuple(result)
