"""The Terraform functions the static evaluator implements, as a name -> function table.

Each function takes ``(args, call)``: evaluated arguments and the ``CallContext`` (line,
file access). A function not in ``FUNCTIONS`` yields an unknown value with a warning.
Functions in ``SEES_UNKNOWN`` handle unknown elements themselves (``concat`` keeps them in
place); for the others any unknown argument makes the result unknown.
Reference: https://developer.hashicorp.com/terraform/language/functions
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iamscope.collect.terraform.hcl.values import (
    Problem,
    check_string_length,
    contains_unknown,
    equal,
    normal_number,
    number,
    to_bool,
    to_string,
    type_name,
)
from iamscope.collect.terraform.resources import Unknown

MAX_COLLECTION = 10_000  # elements a function may produce (range, flatten, ...)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}  # as Go's encoding/json


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a function may need besides its arguments."""

    line: int
    read_file: Callable[[str, int], str]  # path as written, line -> text (checked, bounded)
    render_template: Callable[[str, dict[str, Any], int], Any]  # path, variables, line


def _list(value: Any, line: int, what: str = "a list") -> list[Any]:
    if isinstance(value, list):
        return value
    raise Problem(f"{what} is required, not {type_name(value)}", line)


def _map(value: Any, line: int) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise Problem(f"a map or object is required, not {type_name(value)}", line)


def _arity(args: list[Any], low: int, high: int | None, name: str, line: int) -> None:
    if len(args) < low or (high is not None and len(args) > high):
        expected = str(low) if high == low else f"{low} to {high if high is not None else 'n'}"
        raise Problem(f"{name}() takes {expected} arguments, not {len(args)}", line)


def _bounded(items: list[Any], line: int) -> list[Any]:
    if len(items) > MAX_COLLECTION:
        raise Problem(f"a collection of more than {MAX_COLLECTION} elements", line)
    return items


def to_set(values: list[Any]) -> list[Any]:
    """A Terraform set: distinct elements; strings in lexical order, as Terraform orders them."""
    result = distinct(values)
    if all(isinstance(value, str) for value in result):
        result.sort()
    return result


def distinct(values: list[Any]) -> list[Any]:
    """Distinct elements in first-seen order; linear for scalars."""
    result: list[Any] = []
    scalars: set[tuple[str, Any]] = set()
    for value in values:
        if isinstance(value, (str, int, float, bool)) or value is None:
            tag = (type_name(value), value)
            if tag not in scalars:
                scalars.add(tag)
                result.append(value)
        elif not any(equal(value, seen) for seen in result):
            result.append(value)
    return result


def jsonencode(value: Any) -> Any:
    """JSON text as Terraform writes it (keys sorted, compact, ``<>&`` escaped).

    A value with unknown parts cannot be written as text: the decoded structure itself is
    returned (a dict or list with ``Unknown`` leaves), which the normalizer reads as a document.
    """
    if contains_unknown(value):
        return value
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def jsondecode(value: Any, line: int) -> Any:
    if isinstance(value, (dict, list)):
        return value  # a document with unknown parts (see jsonencode)
    try:
        return json.loads(to_string(value, line))
    except json.JSONDecodeError as error:
        raise Problem(f"jsondecode(): invalid JSON ({error.msg} at line {error.lineno})",
                      line) from None


def _format(spec: str, args: list[Any], line: int) -> str:
    out: list[str] = []
    index = 0
    position = 0
    while position < len(spec):
        char = spec[position]
        if char != "%":
            out.append(char)
            position += 1
            continue
        end = position + 1
        while end < len(spec) and spec[end] in "0123456789.-+# ":
            end += 1
        if end >= len(spec):
            raise Problem("format(): unterminated verb", line)
        verb, flags = spec[end], spec[position + 1:end]
        position = end + 1
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            raise Problem("format(): not enough arguments", line)
        value = args[index]
        index += 1
        if verb in "sv":
            out.append(to_string(value, line) if verb == "s" or not isinstance(value, (
                list, dict)) else jsonencode(value))
        elif verb == "q":
            out.append(json.dumps(to_string(value, line)))
        elif verb == "d":
            out.append(str(int(number(value, line))))
        elif verb in "fg":
            out.append(("%" + flags + verb) % float(number(value, line)))
        elif verb == "t":
            out.append("true" if to_bool(value, line) else "false")
        else:
            raise Problem(f"format(): the verb %{verb} is not supported", line)
    return "".join(out)


def _lookup(args: list[Any], call: CallContext) -> Any:
    _arity(args, 2, 3, "lookup", call.line)
    table = _map(args[0], call.line)
    key = args[1]
    if isinstance(key, Unknown):
        return key
    key = to_string(key, call.line)
    if key in table:
        return table[key]
    if len(args) == 3:
        return args[2]
    raise Problem(f"lookup(): no key {key!r} and no default", call.line)


def _element(args: list[Any], call: CallContext) -> Any:
    items = _list(args[0], call.line)
    if not items:
        raise Problem("element(): the list is empty", call.line)
    return items[int(number(args[1], call.line)) % len(items)]


def _flatten(value: Any, line: int, depth: int = 0) -> list[Any]:
    if depth > 32:
        raise Problem("flatten(): lists nested too deeply", line)
    out: list[Any] = []
    for item in _list(value, line):
        out.extend(_flatten(item, line, depth + 1) if isinstance(item, list) else [item])
    return _bounded(out, line)


def _merge(args: list[Any], call: CallContext) -> Any:
    result: dict[str, Any] = {}
    for arg in args:
        if arg is None:
            continue
        if isinstance(arg, Unknown):
            return Unknown("merge() of an unknown map", None)
        result.update(_map(arg, call.line))
    return result


def _coalesce(args: list[Any], call: CallContext) -> Any:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
        if arg is not None and arg != "":
            return arg
    raise Problem("coalesce(): no non-null, non-empty argument", call.line)


def _replace(args: list[Any], call: CallContext) -> str:
    text, old, new = (to_string(arg, call.line) for arg in args)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        raise Problem("replace() with a regular expression is not supported", call.line)
    if old:
        check_string_length(len(text) + text.count(old) * len(new), call.line)
    return text.replace(old, new)


def _join(args: list[Any], call: CallContext) -> str:
    separator = to_string(args[0], call.line)
    items = [to_string(item, call.line) for arg in args[1:] for item in _list(arg, call.line)]
    check_string_length(sum(map(len, items)) + len(separator) * len(items), call.line)
    return separator.join(items)


def _range(args: list[Any], call: CallContext) -> list[Any]:
    bounds = [number(arg, call.line) for arg in args]
    start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else (
        bounds[0], bounds[1], bounds[2] if len(bounds) > 2 else (1 if bounds[1] >= bounds[0]
                                                                  else -1))
    if step == 0 or (stop - start) / step > MAX_COLLECTION:
        raise Problem("range(): too many elements", call.line)
    out = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        out.append(normal_number(value))
        value += step
    return out


def _slice(args: list[Any], call: CallContext) -> list[Any]:
    items = _list(args[0], call.line)
    start, end = int(number(args[1], call.line)), int(number(args[2], call.line))
    if not 0 <= start <= end <= len(items):
        raise Problem("slice(): indexes out of range", call.line)
    return items[start:end]


def _one(args: list[Any], call: CallContext) -> Any:
    items = _list(args[0], call.line)
    if len(items) > 1:
        raise Problem("one(): the list has more than one element", call.line)
    return items[0] if items else None


def _templatefile(args: list[Any], call: CallContext) -> Any:
    return call.render_template(to_string(args[0], call.line), _map(args[1], call.line),
                                call.line)


def _strings(name: str, function: Callable[..., Any]) -> Callable[[list[Any], CallContext], Any]:
    def apply(args: list[Any], call: CallContext) -> Any:
        return function(*(to_string(arg, call.line) for arg in args))
    apply.__name__ = name
    return apply


def _substr(args: list[Any], call: CallContext) -> str:
    text = to_string(args[0], call.line)
    offset, length = int(number(args[1], call.line)), int(number(args[2], call.line))
    start = offset if offset >= 0 else max(len(text) + offset, 0)
    return text[start:] if length < 0 else text[start:start + length]


def _strict(name: str, low: int, high: int | None,
            function: Callable[[list[Any], CallContext], Any]
            ) -> Callable[[list[Any], CallContext], Any]:
    def apply(args: list[Any], call: CallContext) -> Any:
        _arity(args, low, high, name, call.line)
        return function(args, call)
    return apply


FUNCTIONS: dict[str, Callable[[list[Any], CallContext], Any]] = {
    "jsonencode": _strict("jsonencode", 1, 1, lambda a, c: jsonencode(a[0])),
    "jsondecode": _strict("jsondecode", 1, 1, lambda a, c: jsondecode(a[0], c.line)),
    "format": _strict("format", 1, None,
                      lambda a, c: _format(to_string(a[0], c.line), a[1:], c.line)),
    "formatlist": _strict("formatlist", 1, None, lambda a, c: [
        _format(to_string(a[0], c.line), [arg[i] if isinstance(arg, list) else arg
                                          for arg in a[1:]], c.line)
        for i in range(max((len(x) for x in a[1:] if isinstance(x, list)), default=1))]),
    "join": _strict("join", 2, None, _join),
    "split": _strict("split", 2, 2, lambda a, c: _bounded(
        to_string(a[1], c.line).split(to_string(a[0], c.line)), c.line)),
    "concat": lambda a, c: _bounded([item for arg in a for item in _list(arg, c.line)],
                                    c.line),
    "merge": _merge,
    "lookup": _lookup,
    "element": _strict("element", 2, 2, _element),
    "length": _strict("length", 1, 1, lambda a, c: len(a[0]) if isinstance(
        a[0], (list, dict, str)) else len(_list(a[0], c.line))),
    "tolist": _strict("tolist", 1, 1, lambda a, c: list(_list(a[0], c.line, "a list or set"))),
    "toset": _strict("toset", 1, 1, lambda a, c: to_set(_list(a[0], c.line))),
    "tomap": _strict("tomap", 1, 1, lambda a, c: dict(_map(a[0], c.line))),
    "tostring": _strict("tostring", 1, 1,
                        lambda a, c: None if a[0] is None else to_string(a[0], c.line)),
    "tonumber": _strict("tonumber", 1, 1,
                        lambda a, c: None if a[0] is None else number(a[0], c.line)),
    "tobool": _strict("tobool", 1, 1, lambda a, c: None if a[0] is None else to_bool(a[0])),
    "lower": _strict("lower", 1, 1, _strings("lower", str.lower)),
    "upper": _strict("upper", 1, 1, _strings("upper", str.upper)),
    "title": _strict("title", 1, 1, _strings("title", str.title)),
    "trimspace": _strict("trimspace", 1, 1, _strings("trimspace", str.strip)),
    "chomp": _strict("chomp", 1, 1, _strings("chomp", lambda s: s.rstrip("\r\n"))),
    "trimprefix": _strict("trimprefix", 2, 2, _strings("trimprefix", str.removeprefix)),
    "trimsuffix": _strict("trimsuffix", 2, 2, _strings("trimsuffix", str.removesuffix)),
    "trim": _strict("trim", 2, 2, _strings("trim", str.strip)),
    "startswith": _strict("startswith", 2, 2, _strings("startswith", str.startswith)),
    "endswith": _strict("endswith", 2, 2, _strings("endswith", str.endswith)),
    "strcontains": _strict("strcontains", 2, 2, _strings("strcontains", str.__contains__)),
    "replace": _strict("replace", 3, 3, _replace),
    "substr": _strict("substr", 3, 3, _substr),
    "coalesce": _coalesce,
    "coalescelist": lambda a, c: next((x for x in a if not isinstance(x, list) or x), []),
    "flatten": _strict("flatten", 1, 1, lambda a, c: _flatten(a[0], c.line)),
    "distinct": _strict("distinct", 1, 1, lambda a, c: distinct(_list(a[0], c.line))),
    "compact": _strict("compact", 1, 1, lambda a, c: [
        x for x in _list(a[0], c.line) if x is not None and x != ""]),
    "keys": _strict("keys", 1, 1, lambda a, c: sorted(_map(a[0], c.line))),
    "values": _strict("values", 1, 1, lambda a, c: [
        _map(a[0], c.line)[k] for k in sorted(a[0])]),
    "contains": _strict("contains", 2, 2, lambda a, c: any(
        equal(x, a[1]) for x in _list(a[0], c.line))),
    "zipmap": _strict("zipmap", 2, 2, lambda a, c: {
        to_string(k, c.line): v for k, v in zip(_list(a[0], c.line), _list(a[1], c.line),
                                                    strict=False)}),
    "setunion": lambda a, c: to_set([x for arg in a for x in _list(arg, c.line)]),
    "setintersection": lambda a, c: to_set([
        x for x in _list(a[0], c.line) if all(
            any(equal(x, y) for y in _list(arg, c.line)) for arg in a[1:])]),
    "sort": _strict("sort", 1, 1, lambda a, c: sorted(
        to_string(x, c.line) for x in _list(a[0], c.line))),
    "reverse": _strict("reverse", 1, 1, lambda a, c: list(reversed(_list(a[0], c.line)))),
    "slice": _strict("slice", 3, 3, _slice),
    "one": _strict("one", 1, 1, _one),
    "range": _strict("range", 1, 3, _range),
    "min": lambda a, c: min(number(x, c.line) for x in a),
    "max": lambda a, c: max(number(x, c.line) for x in a),
    "sum": _strict("sum", 1, 1, lambda a, c: normal_number(sum(
        number(x, c.line) for x in _list(a[0], c.line)))),
    "alltrue": _strict("alltrue", 1, 1, lambda a, c: all(
        to_bool(x, c.line) for x in _list(a[0], c.line))),
    "anytrue": _strict("anytrue", 1, 1, lambda a, c: any(
        to_bool(x, c.line) for x in _list(a[0], c.line))),
    "file": _strict("file", 1, 1, lambda a, c: c.read_file(to_string(a[0], c.line), c.line)),
    "templatefile": _strict("templatefile", 2, 2, _templatefile),
}

SEES_UNKNOWN = frozenset({
    "jsonencode", "jsondecode", "concat", "merge", "lookup", "element", "length", "tolist",
    "tomap", "coalesce", "coalescelist", "flatten", "compact", "keys", "values", "reverse",
    "slice", "one", "zipmap", "templatefile",
})
