"""Template text (heredocs, ``templatefile()`` files) split into text, interpolations and
directives, and template pieces nested into ``TemplateIf``/``TemplateFor`` structure.

Terraform language, "Strings and Templates" (developer.hashicorp.com/terraform/language/
expressions/strings#directives): ``%{ if }``/``%{ else }``/``%{ endif }``, ``%{ for }``/
``%{ endfor }``; a ``~`` just inside ``${``/``%{`` or ``}`` strips all whitespace (newlines
included) from the literal text on that side; ``$${`` and ``%%{`` are literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from iamscope.collect.terraform.hcl.syntax import Expr, TemplateFor, TemplateIf

_KEYWORD = re.compile(r"\s*(if|else|endif|for|endfor)(?![\w-])", re.S)
_FOR_NAMES = re.compile(r"\s*([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in(?![\w-])",
                        re.S)
_NO_ARGUMENT = ("else", "endif", "endfor")


class UnterminatedTemplate(ValueError):
    def __init__(self, marker: str, position: int):
        super().__init__(f"unterminated {marker}")
        self.marker = marker
        self.position = position


def split_template(text: str) -> list[tuple[str, str, int]]:
    """``(kind, content, offset)`` pieces: kind is "text", "interpolation" (the expression
    source inside ``${ }``) or "directive" (``%{ }``); ``$${`` and ``%%{`` are literal."""
    pieces: list[tuple[str, str, int]] = []
    literal: list[str] = []
    literal_start = 0
    position = 0
    while position < len(text):
        start = _next_marker(text, position)
        if start < 0:
            literal.append(text[position:])
            break
        literal.append(text[position:start])
        marker = text[start:start + 3]
        if marker in ("$${", "%%{"):
            literal.append(marker[1:])
            position = start + 3
            continue
        end = _closing_brace(text, start + 2)
        if end < 0:
            raise UnterminatedTemplate(marker[:2], start)
        if any(literal):
            pieces.append(("text", "".join(literal), literal_start))
        literal = []
        kind = "directive" if marker.startswith("%") else "interpolation"
        pieces.append((kind, text[start + 2:end], start))
        position = literal_start = end + 1
    if any(literal):
        pieces.append(("text", "".join(literal), literal_start))
    return pieces


def _next_marker(text: str, position: int) -> int:
    found = [i for i in (text.find("${", position), text.find("%{", position)) if i >= 0]
    if not found:
        return -1
    start = min(found)
    if start > position and text[start - 1] == text[start]:  # $${ or %%{: escaped
        return start - 1
    return start


def _closing_brace(text: str, position: int) -> int:
    """The index of the ``}`` closing an interpolation opened just before ``position``."""
    depth = 0
    quoted = False
    index = position
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1


class MalformedTemplate(ValueError):
    """Directives that do not nest (a missing ``%{ endfor }``, a stray ``%{ else }``) or
    that are not directives Terraform knows."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class Directive:
    """What a directive's text says: ``source`` is the expression of ``if``/``for``
    (``offset`` characters into the directive's text), ``names`` the ``for`` variables."""

    kind: str
    strip_left: bool
    strip_right: bool
    names: tuple[str, ...] = ()
    source: str = ""
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Mark:
    """An interpolation (kind "interpolation") or a directive, before nesting."""

    kind: str
    line: int
    strip_left: bool = False
    strip_right: bool = False
    expr: Expr | None = None
    names: tuple[str, ...] = ()


def strip_markers(content: str) -> tuple[bool, bool, str, int]:
    """``(strip_left, strip_right, inner, offset)`` of the text inside ``${ }``/``%{ }``."""
    left = content.startswith("~")
    right = content.endswith("~") and len(content) > int(left)
    inner = content[int(left):len(content) - int(right)]
    return left, right, inner, int(left)


def read_directive(content: str, line: int) -> Directive:
    """The text inside ``%{ }`` (a heredoc's or a template file's)."""
    left, right, inner, offset = strip_markers(content)
    keyword = _KEYWORD.match(inner)
    if keyword is None:
        raise MalformedTemplate(f"unknown template directive %{{{content[:30]}}}", line)
    kind = keyword.group(1)
    rest = keyword.end()
    if kind in _NO_ARGUMENT:
        if inner[rest:].strip():
            raise MalformedTemplate(f"%{{ {kind} }} takes no argument", line)
        return Directive(kind, left, right)
    names: tuple[str, ...] = ()
    if kind == "for":
        found = _FOR_NAMES.match(inner, rest)
        if found is None:
            raise MalformedTemplate("%{ for } needs the form %{ for NAME in EXPRESSION } or "
                                    "%{ for KEY, NAME in EXPRESSION }", line)
        names = tuple(name for name in found.groups() if name)
        rest = found.end()
    if not inner[rest:].strip():
        raise MalformedTemplate(f"%{{ {kind} }} needs an expression", line)
    return Directive(kind, left, right, names, inner[rest:], offset + rest)


def template_items(text: str, line: int, parse: Callable[[str, int], Expr]
                   ) -> list[str | Mark]:
    """The flat pieces of heredoc or template-file text starting at ``line``; ``parse``
    turns an expression's source and line into a syntax tree. Raises
    ``UnterminatedTemplate`` or ``MalformedTemplate``."""
    items: list[str | Mark] = []
    for kind, content, position in split_template(text):
        here = line + text.count("\n", 0, position)
        if kind == "text":
            items.append(content)
        elif kind == "interpolation":
            left, right, inner, offset = strip_markers(content)
            expr = parse(inner, here + content.count("\n", 0, offset))
            items.append(Mark("interpolation", here, left, right, expr))
        else:
            directive = read_directive(content, here)
            expr = None
            if directive.source:
                expr = parse(directive.source, here + content.count("\n", 0, directive.offset))
            items.append(Mark(directive.kind, here, directive.strip_left,
                              directive.strip_right, expr, directive.names))
    return items


def nest(items: list[str | Mark]) -> tuple[str | Expr, ...]:
    """Template parts from a flat sequence of literal text, interpolations and directives:
    strip markers applied to the adjacent text, directives nested into
    ``TemplateIf``/``TemplateFor``. Raises ``MalformedTemplate``."""
    merged: list[str | Mark] = []
    for item in items:  # adjacent text (an escape between literals) is one literal
        if isinstance(item, str) and merged and isinstance(merged[-1], str):
            merged[-1] += item
        else:
            merged.append(item)
    for position, item in enumerate(merged):
        if isinstance(item, str):
            continue
        if item.strip_left and position > 0 and isinstance(merged[position - 1], str):
            merged[position - 1] = str(merged[position - 1]).rstrip()
        following = merged[position + 1] if position + 1 < len(merged) else None
        if item.strip_right and isinstance(following, str):
            merged[position + 1] = following.lstrip()
    return _structure(merged)


def _structure(items: list[str | Mark]) -> tuple[str | Expr, ...]:
    # each open frame: the opening mark, the parts of its first branch, of its else branch
    stack: list[tuple[Mark, list[str | Expr], list[str | Expr] | None]] = []
    top: list[str | Expr] = []
    current = top
    for item in items:
        if isinstance(item, str):
            if item:
                current.append(item)
        elif item.kind == "interpolation":
            assert item.expr is not None
            current.append(item.expr)
        elif item.kind in ("if", "for"):
            stack.append((item, [], None))
            current = stack[-1][1]
        elif item.kind == "else":
            if not stack or stack[-1][0].kind != "if" or stack[-1][2] is not None:
                raise MalformedTemplate("%{ else } without a matching %{ if }", item.line)
            stack[-1] = (stack[-1][0], stack[-1][1], [])
            current = stack[-1][2]
        else:
            opening = "if" if item.kind == "endif" else "for"
            if not stack or stack[-1][0].kind != opening:
                raise MalformedTemplate(f"%{{ {item.kind} }} without a matching "
                                        f"%{{ {opening} }}", item.line)
            mark, first, second = stack.pop()
            current = stack[-1][2] if stack and stack[-1][2] is not None else (
                stack[-1][1] if stack else top)
            current.append(_node(mark, tuple(first), tuple(second or ())))
    if stack:
        mark = stack[-1][0]
        raise MalformedTemplate(f"%{{ {mark.kind} }} without %{{ end{mark.kind} }}", mark.line)
    return tuple(top)


def _node(mark: Mark, first: tuple[str | Expr, ...], second: tuple[str | Expr, ...]) -> Expr:
    assert mark.expr is not None
    if mark.kind == "if":
        return TemplateIf(mark.expr, first, second, mark.line)
    key_var, value_var = (None, mark.names[0]) if len(mark.names) == 1 else mark.names
    return TemplateFor(key_var, value_var, mark.expr, first, mark.line)
