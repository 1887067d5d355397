"""Attribute access, indexing and operators on evaluated values (Terraform semantics)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from iamscope.collect.terraform.hcl.values import (
    InstanceValue,
    ModuleOutputs,
    Namespace,
    Problem,
    derived,
    equal,
    materialize,
    normal_number,
    number,
    to_bool,
    to_string,
    type_name,
)
from iamscope.collect.terraform.resources import Unknown


def reference_of(base: str | None, key: Any) -> str | None:
    if base is None:
        return None
    return (f"{base}[{json.dumps(key, ensure_ascii=False)}]" if isinstance(key, str)
            else f"{base}[{key}]")


def attribute(target: Any, name: str, line: int) -> Any:
    if isinstance(target, Unknown):
        reference = f"{target.reference}.{name}" if target.reference else None
        return Unknown(target.reason, reference)
    if isinstance(target, Namespace):
        return target.lookup(name)
    if isinstance(target, InstanceValue):
        return target.attribute(name)
    if isinstance(target, ModuleOutputs):
        return target.output(name)
    if isinstance(target, dict):
        if name in target:
            return target[name]
        raise Problem(f"the object has no attribute {name!r}", line)
    raise Problem(f"cannot read attribute {name!r} of a {type_name(target)}", line)


def index(target: Any, key: Any, line: int) -> Any:
    if isinstance(target, Unknown):
        return Unknown(target.reason, reference_of(target.reference, key)
                       if not isinstance(key, Unknown) else None)
    if isinstance(key, Unknown):
        return derived(key, "an element selected by")
    if isinstance(target, list):
        position = number(key, line)
        if not isinstance(position, int) or not 0 <= position < len(target):
            raise Problem(f"index {key!r} is out of range for a list of {len(target)}", line)
        return target[position]
    if isinstance(target, (dict, Namespace, InstanceValue, ModuleOutputs)):
        name = to_string(key, line)
        if isinstance(target, dict) and name not in target:
            raise Problem(f"the map has no key {name!r}", line)
        return attribute(target, name, line)
    raise Problem(f"cannot index a {type_name(target)}", line)


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "%": lambda a, b: a % b,
    "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def binary(operator: str, left: Any, right: Any, line: int) -> Any:
    if operator in ("&&", "||"):
        known = [v for v in (left, right) if not isinstance(v, Unknown)]
        decisive = operator == "||"
        if any(to_bool(v, line) is decisive for v in known):
            return decisive
        if len(known) < 2:
            return derived(left if isinstance(left, Unknown) else right, "a condition")
        return to_bool(left, line) and to_bool(right, line) if operator == "&&" else False
    for value in (left, right):
        if isinstance(value, Unknown):
            return derived(value, "a value computed")
    if operator == "==":
        return equal(materialize(left), materialize(right))
    if operator == "!=":
        return not equal(materialize(left), materialize(right))
    function = _ARITHMETIC.get(operator)
    if function is None:
        raise Problem(f"the operator {operator!r} is not supported", line)
    a, b = number(left, line), number(right, line)
    if operator in ("/", "%") and b == 0:
        raise Problem("division by zero", line)
    result = function(a, b)
    return result if isinstance(result, bool) else normal_number(result)
