"""``after_unknown`` and the configuration's expressions -> values with ``Unknown`` leaves.

Terraform's JSON plan ("JSON Output Format", https://developer.hashicorp.com/terraform/
internals/json-format) gives a changed instance's ``change.after`` (the known values) and
``change.after_unknown`` (the same structure, ``true`` where a value is known only after
apply), and the ``configuration`` gives each resource's ``expressions``: an attribute maps to
an expression representation (``references``, ``constant_value``) and a nested block type to
a list of block bodies ("block expressions representation").

Every unknown place becomes ``Unknown("known after apply", reference)``. The reference is the
attribute's first reference for a top-level attribute (``policy_arn =
aws_iam_policy.deploy.arn``). Below the top level (``statement[0].principals[0].identifiers``
of a deferred ``aws_iam_policy_document``) it is kept only when the expression references
exactly one attribute (its other references are that attribute's prefixes) and the block is
matched unambiguously: as many blocks in the configuration as in the instance, and exactly
one block body whose constant values agree with the instance's (sets of blocks are
unordered). The expression text is not in the plan, so ``x.arn`` and ``"${x.arn}/*"`` look
alike: a nested reference is a lead that the normalizer follows only where a whole ARN is
expected (``aws_context.AwsContext.resolve_document``).

Pure; a structure nested deeper than any provider schema is an ``InputError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from iamscope.collect.terraform.resources import Unknown
from iamscope.errors import InputError

KNOWN_AFTER_APPLY = "known after apply"
# An attribute the configuration does not set, which the provider fills in at apply
# (an optional+computed attribute such as aws_s3_bucket.policy): nothing this configuration
# writes, so the normalizer may read it as "not set here".
COMPUTED_BY_PROVIDER = "computed by the provider; not set in the configuration"
MAX_UNKNOWN_DEPTH = 64  # after_unknown follows a provider schema: a few levels in practice


def with_unknowns(values: Any, unknown: Any, expression: Any,
                  refer: Callable[[Any, bool], str | None], where: str, depth: int = 0) -> Any:
    """``values`` with every place ``after_unknown`` marks true replaced by an ``Unknown``.

    ``after_unknown`` mirrors the value's structure: ``true`` where unknown, objects and
    lists where only some nested parts are. ``expression`` is the configuration's
    expression for the same place (a block body, a list of block bodies, or an expression
    with ``references``); ``refer`` turns it into the reference the ``Unknown`` carries
    (any first reference for a top-level attribute, an exact one below)."""
    if depth > MAX_UNKNOWN_DEPTH:
        raise InputError(f"{where}: nested more than {MAX_UNKNOWN_DEPTH} deep")
    if unknown is True:
        return Unknown(KNOWN_AFTER_APPLY, refer(expression, depth > 1))
    if isinstance(unknown, dict):
        result = dict(values) if isinstance(values, dict) else {}
        body = expression if isinstance(expression, dict) and not _is_expression(
            expression) else {}
        configured = depth == 0 and isinstance(expression, dict) and bool(expression)
        for key, marker in unknown.items():
            if marker is True and configured and key not in body:
                result[key] = Unknown(COMPUTED_BY_PROVIDER)
                continue
            if marker is True or (isinstance(marker, dict | list) and marker):
                result[key] = with_unknowns(result.get(key), marker, body.get(key), refer,
                                            f"{where}.{key}", depth + 1)
        return result
    if isinstance(unknown, list):
        items = list(values) if isinstance(values, list) else []
        known = list(items)
        for index, marker in enumerate(unknown):
            if marker is True or (isinstance(marker, dict | list) and marker):
                current = items[index] if index < len(items) else None
                replaced = with_unknowns(current, marker, _block_for(expression, known, index),
                                         refer, f"{where}[{index}]", depth + 1)
                if index < len(items):
                    items[index] = replaced
                else:
                    items.append(replaced)
        return items
    return values


def _is_expression(expression: Any) -> bool:
    """An expression representation (``references``/``constant_value``), not a block body."""
    return isinstance(expression, dict) and bool(expression) and set(expression) <= {
        "references", "constant_value"}


def _block_for(expression: Any, items: list[Any], index: int) -> Any:
    """The block body configuring ``items[index]``: the configuration must have as many
    blocks as the instance, and exactly one whose constant values agree with the item
    (sets of blocks are unordered, so the position alone is not trusted)."""
    if not isinstance(expression, list) or len(expression) != len(items) or index >= len(items):
        return None
    item = items[index]
    candidates = [body for body in expression if isinstance(body, dict)
                  and not _is_expression(body) and _agrees(body, item)]
    return candidates[0] if len(candidates) == 1 else None


def _agrees(body: dict[str, Any], item: Any) -> bool:
    if not isinstance(item, dict):
        return True
    for key, expression in body.items():
        if isinstance(expression, dict) and "constant_value" in expression:
            value = item.get(key)
            if value is not None and _canonical(value) != _canonical(
                    expression["constant_value"]):
                return False
    return True


def _canonical(value: Any) -> Any:
    """Lists compared as sets (a set attribute's order is the provider's)."""
    if isinstance(value, list):
        return sorted(json.dumps(item, sort_keys=True, default=str) for item in value)
    return value
