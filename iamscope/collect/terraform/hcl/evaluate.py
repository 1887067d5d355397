"""The static expression evaluator: syntax trees -> values, with unknowns and warnings.

Evaluation is bounded: ``MAX_STEPS`` expression nodes per reading, ``MAX_REFERENCE_DEPTH``
nested references (``local.a`` -> ``local.b`` -> ...), reference cycles detected by keeping
the references under evaluation. Every named value (a local, a variable, a resource, an
output) is evaluated once and memoised. Nothing raises out of ``value``: a problem becomes an
``Unknown`` plus a warning naming the file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from iamscope.collect.terraform.hcl import syntax as s
from iamscope.collect.terraform.hcl.directives import directive_alone, render
from iamscope.collect.terraform.hcl.functions import FUNCTIONS, SEES_UNKNOWN, CallContext
from iamscope.collect.terraform.hcl.operations import attribute, binary, index
from iamscope.collect.terraform.hcl.values import (
    Problem,
    contains_unknown,
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

MAX_STEPS = 1_000_000
MAX_REFERENCE_DEPTH = 60
MAX_ITERATIONS = 10_000


class Scope(Protocol):
    """What names mean in a module: ``var``, ``local``, resource types, ``path``, files."""

    def root(self, name: str, line: int) -> Any: ...

    def read_file(self, path: str, line: int) -> str: ...

    def render_template(self, path: str, variables: dict[str, Any], line: int) -> Any: ...


@dataclass(frozen=True, slots=True)
class Frame:
    """Where an expression is evaluated: its module, local names (count, each, for
    variables, dynamic iterators) and the file it is written in."""

    scope: Scope
    file: str
    names: dict[str, Any] = field(default_factory=dict)

    def with_names(self, **names: Any) -> Frame:
        return Frame(self.scope, self.file, {**self.names, **names})


class Evaluator:
    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        self._seen_warnings: set[str] = set()
        self.steps = 0
        self.cache: dict[str, Any] = {}
        self._active: list[str] = []
        self._active_set: set[str] = set()
        self._trying = 0
        self._dispatch: dict[type, Callable[[Any, Frame], Any]] = {
            s.Literal: lambda e, f: e.value,
            s.Template: self._template,
            s.Name: self._name,
            s.GetAttr: self._get_attr,
            s.Index: self._index,
            s.Splat: self._splat,
            s.Call: self._call,
            s.TupleExpr: self._tuple,
            s.ObjectExpr: self._object,
            s.Conditional: self._conditional,
            s.Binary: self._binary,
            s.Unary: self._unary,
            s.ForExpr: self._for,
            s.TemplateIf: lambda e, f: directive_alone(self, e, f),
            s.TemplateFor: lambda e, f: directive_alone(self, e, f),
            s.Unsupported: lambda e, f: Unknown(f"{e.what} is not evaluated"),
        }

    # -- entry points ---------------------------------------------------------------------

    def warn(self, message: str) -> None:
        if message not in self._seen_warnings:
            self._seen_warnings.add(message)
            self.warnings.append(message)

    def value(self, expr: s.Expr, frame: Frame) -> Any:
        """The value of ``expr``; problems become ``Unknown`` and a warning."""
        try:
            return self.eval(expr, frame)
        except Problem as problem:
            return self._unknown(problem, expr, frame)
        except RecursionError:
            return self._unknown(Problem("expression nested too deeply to evaluate"),
                                 expr, frame)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
                ZeroDivisionError, MemoryError) as error:  # hostile input must not escape
            return self._unknown(Problem(f"cannot evaluate ({type(error).__name__}: "
                                         f"{str(error)[:80]})"), expr, frame)

    def memo(self, key: str, compute: Callable[[], Any], where: str,
             failed: Callable[[Unknown], Any] = lambda unknown: unknown) -> Any:
        """Evaluate a named value once; detect cycles and over-long reference chains.

        ``failed`` turns the ``Unknown`` of a cycle into what ``compute`` would return.
        """
        if key in self.cache:
            return self.cache[key]
        if key in self._active_set:
            cycle = [*self._active[self._active.index(key):], key]
            self.warn(f"{where}: reference cycle: {' -> '.join(cycle)}; the values in the "
                      "cycle are unknown")
            return failed(Unknown(f"reference cycle through {key}"))
        if len(self._active) >= MAX_REFERENCE_DEPTH:
            self.warn(f"{where}: references nested more than {MAX_REFERENCE_DEPTH} deep "
                      f"(at {key}); the value is unknown")
            return failed(Unknown(f"references nested too deeply at {key}"))
        self._active.append(key)
        self._active_set.add(key)
        try:
            result = compute()
        except RecursionError:
            self.warn(f"{where}: {key}: references nested too deeply; the value is unknown")
            result = failed(Unknown(f"references nested too deeply at {key}"))
        finally:
            self._active.pop()
            self._active_set.discard(key)
        self.cache[key] = result
        return result

    def eval(self, expr: s.Expr, frame: Frame) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            if self.steps == MAX_STEPS + 1:
                self.warn(f"{frame.file}:{expr.line}: evaluation stopped after {MAX_STEPS} "
                          "steps; the values not yet evaluated are unknown")
            raise Problem("the evaluation budget is exhausted", expr.line)
        return self._dispatch[type(expr)](expr, frame)

    def _unknown(self, problem: Problem, expr: s.Expr, frame: Frame) -> Unknown:
        if self.steps <= MAX_STEPS:
            self.warn(f"{frame.file}:{problem.line or expr.line}: {problem.message}; "
                      "the value is unknown")
        return Unknown(problem.message)

    def plain(self, expr: s.Expr, frame: Frame) -> Any:
        """``value`` as plain data (lazy objects materialised), for records."""
        value = self.value(expr, frame)
        try:
            return materialize(value)
        except Problem as problem:
            return self._unknown(problem, expr, frame)

    def _item(self, expr: s.Expr, frame: Frame) -> Any:
        """An element of a list or object: a problem spoils only this element."""
        return self.eval(expr, frame) if self._trying else self.value(expr, frame)

    # -- expressions ----------------------------------------------------------------------

    def _template(self, expr: s.Template, frame: Frame) -> Any:
        if len(expr.parts) == 1 and not isinstance(expr.parts[0], (str, s.TemplateIf,
                                                                      s.TemplateFor)):
            return self.eval(expr.parts[0], frame)
        for part in expr.parts:  # a malformed template: its text has no meaning
            if isinstance(part, s.Unsupported):
                return Unknown(f"{part.what} is not evaluated")
        return render(self, expr, frame)

    def _name(self, expr: s.Name, frame: Frame) -> Any:
        if expr.name in frame.names:
            return frame.names[expr.name]
        return frame.scope.root(expr.name, expr.line)

    def _get_attr(self, expr: s.GetAttr, frame: Frame) -> Any:
        return attribute(self.eval(expr.target, frame), expr.name, expr.line)

    def _index(self, expr: s.Index, frame: Frame) -> Any:
        target = self.eval(expr.target, frame)
        key = self.eval(expr.key, frame)
        return index(target, key, expr.line)

    def _splat(self, expr: s.Splat, frame: Frame) -> Any:
        target = self.eval(expr.target, frame)
        if isinstance(target, Unknown):
            return target
        if target is None:
            return []
        items = target if isinstance(target, list) else [target]
        out = []
        for item in items:
            for kind, step in expr.steps:
                item = (attribute(item, step, expr.line) if kind == "attr"
                        else index(item, self.eval(step, frame), expr.line))
            out.append(item)
        return out

    def _call(self, expr: s.Call, frame: Frame) -> Any:
        if expr.name in ("try", "can"):
            return self._try(expr, frame)
        function = FUNCTIONS.get(expr.name)
        if function is None:
            raise Problem(f"the function {expr.name}() is not supported", expr.line)
        args = [materialize(self.eval(arg, frame)) for arg in expr.args]
        if expr.expand_last and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return derived(last, f"{expr.name}()")
            if not isinstance(last, list):
                raise Problem(f"{expr.name}(...): the expanded argument must be a list",
                              expr.line)
            args.extend(last)
        for arg in args:
            if isinstance(arg, Unknown):
                return derived(arg, f"the result of {expr.name}()")
        if expr.name not in SEES_UNKNOWN and contains_unknown(args):
            return Unknown(f"{expr.name}() of a value with unknown parts")
        context = CallContext(expr.line, frame.scope.read_file, frame.scope.render_template)
        try:
            return function(args, context)
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as error:
            raise Problem(f"{expr.name}(): {error}", expr.line) from None

    def _try(self, expr: s.Call, frame: Frame) -> Any:
        self._trying += 1
        try:
            for arg in expr.args:
                try:
                    value = self.eval(arg, frame)
                except Problem:
                    if self.steps > MAX_STEPS:
                        raise
                    continue
                if expr.name == "can":
                    return value if isinstance(value, Unknown) else True
                return value
        finally:
            self._trying -= 1
        if expr.name == "can":
            return False
        raise Problem("try(): no argument could be evaluated", expr.line)

    def _tuple(self, expr: s.TupleExpr, frame: Frame) -> Any:
        return [self._item(item, frame) for item in expr.items]

    def _object(self, expr: s.ObjectExpr, frame: Frame) -> Any:
        result: dict[str, Any] = {}
        for key_expr, value_expr in expr.items:
            key = self.eval(key_expr, frame)
            if isinstance(key, Unknown):
                return derived(key, "an object whose key is")
            result[to_string(key, key_expr.line)] = self._item(value_expr, frame)
        return result

    def _conditional(self, expr: s.Conditional, frame: Frame) -> Any:
        condition = self.eval(expr.condition, frame)
        if isinstance(condition, Unknown):
            if_true = self.eval(expr.if_true, frame)
            if_false = self.eval(expr.if_false, frame)
            if equal(materialize(if_true), materialize(if_false)):
                return if_true
            return derived(condition, "a choice depending on")
        chosen = expr.if_true if to_bool(condition, expr.line) else expr.if_false
        return self.eval(chosen, frame)

    def _binary(self, expr: s.Binary, frame: Frame) -> Any:
        left = self.eval(expr.left, frame)
        right = self.eval(expr.right, frame)
        return binary(expr.operator, left, right, expr.line)

    def _unary(self, expr: s.Unary, frame: Frame) -> Any:
        operand = self.eval(expr.operand, frame)
        if isinstance(operand, Unknown):
            return derived(operand, "a value computed")
        if expr.operator == "!":
            return not to_bool(operand, expr.line)
        return normal_number(-number(operand, expr.line))

    def _for(self, expr: s.ForExpr, frame: Frame) -> Any:
        collection = materialize(self.eval(expr.collection, frame))
        if isinstance(collection, Unknown):
            return derived(collection, "a for expression over")
        if isinstance(collection, list):
            pairs = list(enumerate(collection))
        elif isinstance(collection, dict):
            pairs = [(key, collection[key]) for key in sorted(collection)]
        else:
            raise Problem(f"a for expression needs a collection, not {type_name(collection)}",
                          expr.line)
        if len(pairs) > MAX_ITERATIONS:
            raise Problem(f"a for expression over more than {MAX_ITERATIONS} elements",
                          expr.line)
        items: list[Any] = []
        groups: dict[str, Any] = {}
        for key, element in pairs:
            names = {expr.value_var: element}
            if expr.key_var is not None:
                names[expr.key_var] = key
            inner = frame.with_names(**names)
            if expr.condition is not None:
                keep = self.eval(expr.condition, inner)
                if isinstance(keep, Unknown):
                    return derived(keep, "a filtered for expression depending on")
                if not to_bool(keep, expr.line):
                    continue
            if expr.key is None:
                items.append(self._item(expr.value, inner))
                continue
            group_key = self.eval(expr.key, inner)
            if isinstance(group_key, Unknown):
                return derived(group_key, "an object whose key is")
            group_key = to_string(group_key, expr.line)
            value = self._item(expr.value, inner)
            if expr.grouping:
                groups.setdefault(group_key, []).append(value)
            elif group_key in groups:
                raise Problem(f"duplicate key {group_key!r} in a for expression (add ... to "
                              "group)", expr.line)
            else:
                groups[group_key] = value
        return items if expr.key is None else groups
