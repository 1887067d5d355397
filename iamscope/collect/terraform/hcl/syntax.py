"""The HCL syntax tree the evaluator works on, independent of the parser library.

``parse.py`` builds it from python-hcl2's parse tree; every node carries the 1-based line it
starts on, so that anything the evaluator cannot handle is reported at its place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # str, int, float, bool or None
    line: int


@dataclass(frozen=True, slots=True)
class Template:
    """A quoted string or heredoc: literal text and interpolated expressions.

    A template that is exactly one interpolation (``"${x}"``) yields the value of ``x``
    unconverted, as in Terraform.
    """

    parts: tuple[str | Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Name:
    """A bare identifier: ``var``, ``local``, ``aws_iam_role``, an iteration variable."""

    name: str
    line: int


@dataclass(frozen=True, slots=True)
class GetAttr:
    target: Expr
    name: str
    line: int


@dataclass(frozen=True, slots=True)
class Index:
    target: Expr
    key: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Splat:
    """``target[*].a.b`` or ``target.*.a``: ``steps`` (GetAttr/Index on ``Name("")``) applied
    to each element."""

    target: Expr
    steps: tuple[tuple[str, Any], ...]  # ("attr", name) or ("index", Expr)
    line: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    expand_last: bool
    line: int


@dataclass(frozen=True, slots=True)
class TupleExpr:
    items: tuple[Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ObjectExpr:
    items: tuple[tuple[Expr, Expr], ...]  # key expression (a Literal for bare names), value
    line: int


@dataclass(frozen=True, slots=True)
class Conditional:
    condition: Expr
    if_true: Expr
    if_false: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str
    left: Expr
    right: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Unary:
    operator: str  # "-" or "!"
    operand: Expr
    line: int


@dataclass(frozen=True, slots=True)
class ForExpr:
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # None for a tuple-producing for expression
    value: Expr
    condition: Expr | None
    grouping: bool  # the ``...`` of an object for expression
    line: int


@dataclass(frozen=True, slots=True)
class TemplateIf:
    """``%{ if condition }then%{ else }otherwise%{ endif }`` inside a template."""

    condition: Expr
    then: tuple[str | Expr, ...]
    otherwise: tuple[str | Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class TemplateFor:
    """``%{ for key_var, value_var in collection }body%{ endfor }`` inside a template."""

    key_var: str | None
    value_var: str
    collection: Expr
    body: tuple[str | Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A construct the reader does not evaluate (malformed directives, too deep nesting)."""

    what: str
    line: int


Expr = (Literal | Template | Name | GetAttr | Index | Splat | Call | TupleExpr | ObjectExpr
        | Conditional | Binary | Unary | ForExpr | TemplateIf | TemplateFor | Unsupported)


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()

    def blocks_of(self, kind: str) -> tuple[Block, ...]:
        return tuple(block for block in self.blocks if block.type == kind)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed ``.tf`` file: ``path`` relative to the directory the user gave."""

    path: str
    body: Body
    text: str
