"""Runtime values of the HCL evaluator, besides plain JSON-like data and ``Unknown``.

Values are plain Python data (str, int, float, bool, None, list, dict) in which anything not
known statically is an ``Unknown``. A Terraform set is a list (sorted when of strings). The
lazy objects below stand for things that are only meaningful behind ``.`` or ``[...]``:
a resource instance (unset attributes are computed by the provider), a module's outputs, a
namespace such as ``var`` or ``data.aws_iam_role``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iamscope.collect.terraform.resources import Unknown


class Problem(Exception):
    """An expression cannot be evaluated (type error, unknown name, unsupported function).

    Internal to the evaluator: it becomes an ``Unknown`` and a warning naming file and line.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class InstanceValue:
    """A resource or data source instance: its arguments, and unknown computed attributes."""

    address: str
    values: dict[str, Any]

    def attribute(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return Unknown(f"{self.address}.{name} is computed by the provider",
                       reference=f"{self.address}.{name}")


@dataclass(frozen=True, slots=True)
class Namespace:
    """``var``, ``local``, ``data``, ``module``, a resource type: resolved by ``lookup``."""

    path: str  # for messages: "var", "data.aws_iam_role", "aws_iam_role"
    lookup: Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class ModuleOutputs:
    """A module instance as a value: ``module.x.name`` reads an output lazily."""

    address: str
    output: Callable[[str], Any]
    names: Callable[[], tuple[str, ...]]


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def contains_unknown(value: Any, depth: int = 0) -> bool:
    if isinstance(value, Unknown):
        return True
    if depth > 100:
        return False
    if isinstance(value, list):
        return any(contains_unknown(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(contains_unknown(item, depth + 1) for item in value.values())
    return False


def first_unknown(values: Any) -> Unknown | None:
    for value in values:
        if isinstance(value, Unknown):
            return value
    return None


def derived(unknown: Unknown, what: str | None = None) -> Unknown:
    """An unknown computed from another one (it no longer *is* the referenced attribute)."""
    source = unknown.reference or unknown.reason
    if unknown.reference is None and what is None:
        return unknown
    return Unknown(f"{what or 'derived'} from {source}" if unknown.reference else unknown.reason)


MAX_VALUE_NODES = 200_000  # elements of one value, counted as if shared parts were copies
MAX_STRING = 4 * 1024 * 1024


def materialize(value: Any) -> Any:
    """Lazy objects -> plain data (what records and functions see).

    Bounded: a value of more than ``MAX_VALUE_NODES`` elements (easily built by referring
    to a large local several times over) is a ``Problem``, not hours of copying.
    """
    return _materialize(value, 0, [0])


def _materialize(value: Any, depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > MAX_VALUE_NODES:
        raise Problem(f"a value with more than {MAX_VALUE_NODES} elements")
    if depth > 64:
        return Unknown("value nested too deeply")
    if isinstance(value, InstanceValue):
        return {key: _materialize(item, depth + 1, counter)
                for key, item in value.values.items()}
    if isinstance(value, ModuleOutputs):
        return {name: _materialize(value.output(name), depth + 1, counter)
                for name in value.names()}
    if isinstance(value, Namespace):
        return Unknown(f"{value.path} is not a value")
    if isinstance(value, list):
        if not any(isinstance(item, (list, dict, InstanceValue, ModuleOutputs, Namespace))
                   for item in value):
            counter[0] += len(value)
            return value
        return [_materialize(item, depth + 1, counter) for item in value]
    if isinstance(value, dict):
        return {key: _materialize(item, depth + 1, counter) for key, item in value.items()}
    return value


def check_string_length(length: int, line: int | None = None) -> None:
    if length > MAX_STRING:
        raise Problem(f"a string longer than {MAX_STRING} characters", line)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def number(value: Any, line: int | None = None) -> int | float:
    """A number, converting numeric strings as Terraform does."""
    if isinstance(value, bool) or value is None:
        raise Problem(f"a number is required, not {type_name(value)}", line)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            raise Problem(f"a number is required, not the string {value[:40]!r}", line) from None
        return normal_number(result)
    raise Problem(f"a number is required, not {type_name(value)}", line)


def normal_number(value: float | int) -> int | float:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def to_string(value: Any, line: int | None = None) -> str:
    """Terraform's conversion to string (for templates and string functions)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(normal_number(value))
    if value is None:
        raise Problem("a null value cannot be used as a string", line)
    raise Problem(f"a {type_name(value)} cannot be used as a string", line)


def to_bool(value: Any, line: int | None = None) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Problem(f"a bool is required, not {type_name(value)}", line)


def equal(left: Any, right: Any) -> bool:
    """Terraform equality: types must match (``1 == "1"`` is false)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(
            equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    return bool(left == right)
