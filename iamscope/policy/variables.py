"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``, ``${*}``.

IAM User Guide, "IAM policy elements: Variables and tags":
- variables are substituted only in policies whose Version is 2012-10-17 (elsewhere the
  text is literal);
- they may appear in the resource part of a Resource ARN and in condition values;
- names are case-insensitive; a default follows a comma in single quotes;
- ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters ``*``, ``?`` and ``$``;
- a variable whose key is missing (and has no default) cannot be resolved: a Resource that
  uses it matches nothing, and a condition value that uses it equals nothing.
Multivalued keys cannot be used as variables, so they do not resolve either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from iamscope.policy.wildcard import Piece, pieces_of

LITERAL_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    key: str  # lower-cased context key
    default: str | None


@dataclass(frozen=True, slots=True)
class Escaped:
    """``${*}``, ``${?}`` or ``${$}``: a character that only matches itself."""

    char: str


Part = str | Variable | Escaped  # literal policy text, a variable, or an escaped character
Template = tuple[Part, ...]


def parse_template(text: str) -> Template:
    """Split text into literal runs and variables. Malformed ``${`` stays literal."""
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        if text.startswith("${", i):
            close = text.find("}", i + 2)
            if close > 0:
                body = text[i + 2 : close]
                if body in LITERAL_ESCAPES:
                    if literal:
                        parts.append("".join(literal))
                        literal = []
                    parts.append(Escaped(LITERAL_ESCAPES[body]))
                    i = close + 1
                    continue
                variable = _parse_variable(body)
                if variable is not None:
                    if literal:
                        parts.append("".join(literal))
                        literal = []
                    parts.append(variable)
                    i = close + 1
                    continue
        literal.append(text[i])
        i += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _parse_variable(body: str) -> Variable | None:
    key, sep, rest = body.partition(",")
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        return None
    default = None
    if sep:
        rest = rest.strip()
        if len(rest) < 2 or rest[0] != "'" or rest[-1] != "'":
            return None
        default = rest[1:-1]
    return Variable(key.lower(), default)


def has_variables(template: Template) -> bool:
    return any(isinstance(part, Variable | Escaped) for part in template)


class Unresolved(Exception):
    """A variable in the template has no value in the request context."""


def resolve_variable(variable: Variable, context: Mapping[str, object]) -> str:
    value = context.get(variable.key)
    if isinstance(value, str):
        return value
    if variable.default is not None and value is None:
        return variable.default
    raise Unresolved(variable.key)


def to_pieces(template: Template, context: Mapping[str, object] | None,
              *, wildcards: bool) -> list[Piece]:
    """Render a template to glob pieces. Literal policy text keeps ``*``/``?`` as wildcards
    when ``wildcards`` is set; substituted values and ``${*}`` escapes are always literal.
    Raises ``Unresolved``."""
    pieces: list[Piece] = []
    for part in template:
        if isinstance(part, Variable):
            if context is None:
                raise Unresolved(part.key)
            pieces.append(resolve_variable(part, context))
        elif isinstance(part, Escaped):
            pieces.append(part.char)
        elif wildcards:
            pieces.extend(pieces_of(part))
        else:
            pieces.append(part)
    return pieces


def render(template: Template, context: Mapping[str, object] | None) -> str:
    """Render a template to plain text (for exact comparisons). Raises ``Unresolved``."""
    return "".join(str(p) for p in to_pieces(template, context, wildcards=False))


def literal_text(template: Template) -> str:
    """The template's text with escapes undone and variables left as written."""
    out = []
    for part in template:
        if isinstance(part, Variable):
            default = f", '{part.default}'" if part.default is not None else ""
            out.append("${" + part.key + default + "}")
        elif isinstance(part, Escaped):
            out.append("${" + part.char + "}")
        else:
            out.append(part)
    return "".join(out)
