"""Policy documents in Terraform values, with unknowns made conservative.

A document reaches the normalizer as JSON text, a decoded object, an ``Unknown`` or a
mixture (an object with ``Unknown`` leaves). ``conservative_document`` turns it into plain
JSON that the policy parser reads, following one rule: **an unknown never reduces the
access iamscope computes** (it over-approximates what is allowed, and under-approximates
what is denied):

- in an ``Allow`` statement, an unknown ``Action``/``Resource``/``Principal`` value (or
  one item of it) becomes ``"*"``; an unknown item of ``NotAction``/``NotResource``/
  ``NotPrincipal`` is dropped (an element left empty becomes ``Action``/``Resource``
  ``"*"``, or ``Principal`` ``"*"``); a condition whose operator, key or any value is
  unknown is dropped (it might hold); an unknown ``Effect`` counts as ``Allow``;
- a ``Deny`` statement that contains any unknown is dropped (it might not match);
- an unknown ``Sid`` is dropped and an unknown ``Version`` becomes ``2012-10-17``;
- a wholly unknown document, or an unknown statement, is not guessed: the caller records a
  coverage gap (a gap is never read as "no access").

Every replacement is reported as a note so that the user sees what was assumed.
"""

from __future__ import annotations

import json
from typing import Any

from iamscope.collect.terraform.resources import Unknown

MAX_DOCUMENT_DEPTH = 32


class UnknownDocument(Exception):
    """The document (or one whole statement) is not known: record a gap."""


def has_unknown(value: Any, depth: int = 0) -> bool:
    if isinstance(value, Unknown):
        return True
    if depth > MAX_DOCUMENT_DEPTH:
        return False
    if isinstance(value, dict):
        return any(has_unknown(v, depth + 1) or isinstance(k, Unknown) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_unknown(v, depth + 1) for v in value)
    return False


def conservative_document(document: Any) -> tuple[Any, list[str]]:
    """(plain document, notes on what was assumed); raises ``UnknownDocument``.

    JSON text is decoded first; text that is not JSON is returned as is, for the policy
    parser to report."""
    if isinstance(document, Unknown):
        raise UnknownDocument(str(document))
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except (json.JSONDecodeError, RecursionError):
            return document, []
    if not isinstance(document, dict) or not has_unknown(document):
        return document, []
    notes: list[str] = []
    result = {k: v for k, v in document.items() if not isinstance(v, Unknown)}
    if isinstance(document.get("Version"), Unknown):
        result["Version"] = "2012-10-17"
        notes.append("unknown Version taken as 2012-10-17")
    statements = document.get("Statement")
    if isinstance(statements, Unknown):
        raise UnknownDocument(f"Statement {statements}")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        kept = []
        for index, statement in enumerate(statements):
            if isinstance(statement, Unknown):
                raise UnknownDocument(f"statement {index} {statement}")
            made = _statement(statement, index, notes)
            if made is not None:
                kept.append(made)
        result["Statement"] = kept
    return result, notes


def _statement(statement: Any, index: int, notes: list[str]) -> dict[str, Any] | None:
    if not isinstance(statement, dict) or not has_unknown(statement):
        return statement
    label = f"statement {index}"
    effect = statement.get("Effect")
    if isinstance(effect, Unknown):
        notes.append(f"{label}: unknown Effect taken as Allow")
        effect = "Allow"
    if effect == "Deny":
        notes.append(f"{label}: Deny statement with unknown values dropped")
        return None
    result: dict[str, Any] = {"Effect": effect}
    for key, value in statement.items():
        if key == "Effect":
            continue
        if key == "Sid":
            if isinstance(value, Unknown):
                notes.append(f"{label}: unknown Sid dropped")
            else:
                result[key] = value
        elif key in ("Action", "Resource"):
            result[key] = _widened(value, f"{label}: {key}", notes)
        elif key == "Principal":
            result[key] = _principal(value, label, notes)
        elif key in ("NotAction", "NotResource", "NotPrincipal"):
            _narrowed_not(result, key, value, label, notes)
        elif key == "Condition":
            condition = _condition(value, label, notes)
            if condition:
                result[key] = condition
        else:
            result[key] = value
    return result


def _widened(value: Any, label: str, notes: list[str]) -> Any:
    if isinstance(value, Unknown):
        notes.append(f"{label} {value} taken as \"*\"")
        return "*"
    if isinstance(value, list) and has_unknown(value):
        notes.append(f"{label}: unknown items taken as \"*\"")
        return ["*" if has_unknown(item) else item for item in value]
    return value


def _principal(value: Any, label: str, notes: list[str]) -> Any:
    if isinstance(value, Unknown) or (isinstance(value, dict) and any(
            isinstance(k, Unknown) for k in value)):
        notes.append(f"{label}: unknown Principal taken as \"*\"")
        return "*"
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for kind, members in value.items():
            if has_unknown(members):
                notes.append(f"{label}: unknown {kind} principal taken as \"*\"")
                return "*"
            result[kind] = members
        return result
    return value


def _narrowed_not(result: dict[str, Any], key: str, value: Any, label: str,
                  notes: list[str]) -> None:
    positive = {"NotAction": "Action", "NotResource": "Resource", "NotPrincipal": "Principal"}
    if isinstance(value, dict):  # NotPrincipal {"AWS": [...]}
        kept = {k: [v for v in (m if isinstance(m, list) else [m]) if not has_unknown(v)]
                for k, m in value.items() if not isinstance(k, Unknown)}
        kept = {k: v for k, v in kept.items() if v}
        if has_unknown(value):
            notes.append(f"{label}: unknown {key} items dropped")
    else:
        items = value if isinstance(value, list) else [value]
        kept = [item for item in items if not has_unknown(item)]
        if len(kept) != len(items):
            notes.append(f"{label}: unknown {key} items dropped")
    if kept:
        result[key] = kept
    else:
        result[positive[key]] = "*"
        notes.append(f"{label}: {key} left empty, taken as {positive[key]} \"*\"")


def _condition(value: Any, label: str, notes: list[str]) -> dict[str, Any]:
    if isinstance(value, Unknown) or not isinstance(value, dict):
        notes.append(f"{label}: unknown Condition dropped")
        return {} if isinstance(value, Unknown) else value
    result: dict[str, Any] = {}
    for operator, pairs in value.items():
        if isinstance(operator, Unknown) or not isinstance(pairs, dict):
            notes.append(f"{label}: unknown condition operator dropped")
            continue
        kept = {}
        for key, values in pairs.items():
            if isinstance(key, Unknown) or has_unknown(values):
                notes.append(f"{label}: condition {operator} on {key} with unknown values "
                             "dropped")
                continue
            kept[key] = values
        if kept:
            result[operator] = kept
    return result
