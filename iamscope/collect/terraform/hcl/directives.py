"""Rendering templates: literal text, interpolations and ``%{ if }``/``%{ for }`` directives.

Terraform language, "Strings and Templates" (developer.hashicorp.com/terraform/language/
expressions/strings#directives): ``%{ if }`` needs a bool condition; ``%{ for }`` iterates a
list (index, value) or a map or object (key, value, in lexical key order).

Static reading: a condition or collection that is unknown makes the whole template unknown
(with a warning naming the file and line), since any text could depend on it; an unknown
interpolated value makes the result unknown as before. The work is bounded by the value
limits of ``values.py``: at most ``MAX_VALUE_NODES`` pieces and loop iterations per
template, and ``MAX_STRING`` characters.
"""

from __future__ import annotations

from typing import Any, Protocol

from iamscope.collect.terraform.hcl import syntax as s
from iamscope.collect.terraform.hcl.values import (
    MAX_VALUE_NODES,
    Problem,
    check_string_length,
    derived,
    materialize,
    to_bool,
    to_string,
    type_name,
)
from iamscope.collect.terraform.resources import Unknown


class Frame(Protocol):
    file: str

    def with_names(self, **names: Any) -> Frame: ...


class Evaluator(Protocol):
    def eval(self, expr: s.Expr, frame: Any) -> Any: ...

    def warn(self, message: str) -> None: ...


class _UnknownControl(Exception):
    """A directive's condition or collection is unknown: the template is unknown."""

    def __init__(self, unknown: Unknown):
        super().__init__(unknown.reason)
        self.unknown = unknown


def render(evaluator: Evaluator, template: s.Template, frame: Frame) -> Any:
    """The string ``template`` produces, or an ``Unknown``; problems raise ``Problem``."""
    renderer = _Renderer(evaluator, template.line)
    try:
        renderer.parts(template.parts, frame)
    except _UnknownControl as stop:
        return stop.unknown
    if renderer.unknown is not None:
        return derived(renderer.unknown, "a string built")
    return "".join(renderer.pieces)


def directive_alone(evaluator: Evaluator, expr: s.TemplateIf | s.TemplateFor,
                    frame: Frame) -> Any:
    """A directive evaluated as an expression: the template of that directive alone."""
    return render(evaluator, s.Template((expr,), expr.line), frame)


class _Renderer:
    def __init__(self, evaluator: Evaluator, line: int):
        self.evaluator = evaluator
        self.line = line
        self.pieces: list[str] = []
        self.length = 0
        self.nodes = 0
        self.unknown: Unknown | None = None

    def _count(self, line: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_VALUE_NODES:
            raise Problem(f"a template producing more than {MAX_VALUE_NODES} pieces", line)

    def _add(self, text: str, line: int) -> None:
        self.length += len(text)
        check_string_length(self.length, line)
        self.pieces.append(text)

    def parts(self, parts: tuple[str | s.Expr, ...], frame: Frame) -> None:
        for part in parts:
            line = self.line if isinstance(part, str) else part.line
            self._count(line)
            if isinstance(part, str):
                self._add(part, line)
            elif isinstance(part, s.TemplateIf):
                self._if(part, frame)
            elif isinstance(part, s.TemplateFor):
                self._for(part, frame)
            else:
                value = self.evaluator.eval(part, frame)
                if isinstance(value, Unknown):
                    self.unknown = self.unknown or value
                    continue
                value = materialize(value)
                if isinstance(value, Unknown):
                    self.unknown = self.unknown or value
                    continue
                self._add(to_string(value, line), line)

    def _if(self, part: s.TemplateIf, frame: Frame) -> None:
        condition = materialize(self.evaluator.eval(part.condition, frame))
        if isinstance(condition, Unknown):
            self._stop(frame, part.line, "the condition of a %{ if } directive", condition)
        try:
            chosen = to_bool(condition, part.line)
        except Problem as problem:
            raise Problem(f"%{{ if }} directive: {problem.message}", part.line) from None
        self.parts(part.then if chosen else part.otherwise, frame)

    def _for(self, part: s.TemplateFor, frame: Frame) -> None:
        collection = materialize(self.evaluator.eval(part.collection, frame))
        if isinstance(collection, Unknown):
            self._stop(frame, part.line, "the collection of a %{ for } directive", collection)
        if isinstance(collection, list):
            pairs: list[tuple[Any, Any]] = list(enumerate(collection))
        elif isinstance(collection, dict):
            pairs = [(key, collection[key]) for key in sorted(collection)]
        else:
            raise Problem(f"a %{{ for }} directive needs a list, set, map or object, not "
                          f"{type_name(collection)}", part.line)
        for key, element in pairs:
            self._count(part.line)
            names = {part.value_var: element}
            if part.key_var is not None:
                names[part.key_var] = key
            self.parts(part.body, frame.with_names(**names))

    def _stop(self, frame: Frame, line: int, what: str, unknown: Unknown) -> None:
        self.evaluator.warn(f"{frame.file}:{line}: {what} is unknown ({unknown.reason}); "
                            "the template's value is unknown")
        raise _UnknownControl(derived(unknown, "a template depending on"))
