"""Terraform's JSON configuration syntax (``*.tf.json``, what CDK for Terraform writes) ->
the same ``syntax`` trees as the HCL parser builds.

Rules from https://developer.hashicorp.com/terraform/language/syntax/json:

- the top-level object holds ``resource``/``data`` (type -> name -> body), ``variable``,
  ``output``, ``module``, ``provider`` (name -> body), ``locals`` and ``terraform`` (body);
  at every level an array of objects may stand for several objects;
- a JSON string is a string template (``"${aws_iam_role.x.arn}"``, ``%{...}`` directives),
  numbers, booleans and null are literals; a template that is exactly one interpolation
  gives that expression's value (so ``count``/``for_each``/``depends_on`` work as in HCL);
- in a ``variable`` block ``type`` is a string holding a type expression and ``default``
  a literal value (no templates);
- a property named ``"//"`` of an object that stands for a block (or its labels) is a
  comment and ignored.

JSON cannot tell a nested block from an object-valued argument without the provider schema:
the nested block types in ``NESTED_BLOCKS`` (those the evaluator and normalizer read) become
blocks; any other object is an argument. An array of objects gives the same list of objects
either way. An inline suppression is written ``"//": "iamscope:ignore RULE_ID reason"``
inside the resource's object.
"""

from __future__ import annotations

import re
from pathlib import Path

from iamscope.collect.terraform.hcl.json_scan import JsonNode, scan_json
from iamscope.collect.terraform.hcl.parse import (
    MAX_EXPRESSION_DEPTH,
    parse_expression,
    parse_template,
    read_bounded_text,
)
from iamscope.collect.terraform.hcl.syntax import (
    Attribute,
    Block,
    Body,
    Expr,
    GetAttr,
    Index,
    Literal,
    Name,
    ObjectExpr,
    SourceFile,
    Template,
    TupleExpr,
    Unsupported,
)
from iamscope.errors import InputError

# Number of labels of each top-level block type; other top-level keys (moved, import,
# check, removed) are not read by the evaluator.
TOP_LEVEL_LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1,
                    "provider": 1, "locals": 0, "terraform": 0}
# Nested block types whose values the reader uses (aws_iam_policy_document, role
# inline_policy, google_iam_policy binding/audit_config, conditions of google IAM resources).
NESTED_BLOCKS = frozenset({"statement", "principals", "not_principals", "condition",
                           "inline_policy", "binding", "audit_config", "audit_log_config"})
# Meta-arguments the evaluator never reads (modules.META_ARGUMENTS), given as objects.
SKIPPED = frozenset({"lifecycle", "provisioner", "connection"})
MAX_BLOCK_DEPTH = 32
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_-]*"
_SIMPLE_REFERENCE = re.compile(rf"\$\{{\s*({_IDENTIFIER}(?:\.{_IDENTIFIER}|\[[0-9]+\])*)\s*\}}")
_STEP = re.compile(rf"\.({_IDENTIFIER})|\[([0-9]+)\]")
_COMMENT_MARKER = re.compile(r'"//"\s*:\s*"\s*(iamscope:ignore\b[^"]*)"\s*,?')


def read_json_source_file(path: Path, relative: str, warnings: list[str]) -> SourceFile:
    """Read and convert one ``.tf.json`` file; ``relative`` names it in messages."""
    text = read_bounded_text(path, relative)
    return SourceFile(path=relative, body=parse_json_body(text, relative, warnings),
                      text=suppression_text(text))


def suppression_text(text: str) -> str:
    """The file text with ``"//": "iamscope:ignore ..."`` written as ``// iamscope:ignore
    ...`` comments (same lines), which is what ``suppressions.py`` scans for."""
    return _COMMENT_MARKER.sub(lambda m: "// " + m.group(1), text)


def parse_json_body(text: str, where: str, warnings: list[str]) -> Body:
    """Convert the text of a ``.tf.json`` file into a ``Body`` of top-level blocks."""
    return _Converter(where, warnings).root(scan_json(text, where))


def traversal(text: str, line: int) -> Expr:
    """``a.b[0].c`` (matched by ``_SIMPLE_REFERENCE``) as the HCL parser builds it."""
    head = re.match(_IDENTIFIER, text)
    assert head is not None
    expr: Expr = Name(head.group(), line)
    for step in _STEP.finditer(text, head.end()):
        if step.group(1) is not None:
            expr = GetAttr(expr, step.group(1), line)
        else:
            expr = Index(expr, Literal(int(step.group(2)), line), line)
    return expr


class _Converter:
    def __init__(self, path: str, warnings: list[str]):
        self.path = path
        self.warnings = warnings

    def root(self, node: JsonNode) -> Body:
        blocks: list[Block] = []
        for key, line, value in node.pairs:
            labels = TOP_LEVEL_LABELS.get(key)
            if labels is not None:
                blocks.extend(self._blocks(key, value, labels, (), line, 0))
        return Body(blocks=tuple(blocks))

    def _blocks(self, kind: str, node: JsonNode, remaining: int, labels: tuple[str, ...],
                line: int, depth: int) -> list[Block]:
        """Blocks of type ``kind``: ``remaining`` label levels, then a body (each level an
        object, or an array of objects)."""
        if depth > MAX_BLOCK_DEPTH:
            raise InputError(f"{self.path}:{node.line}: blocks nested more than "
                             f"{MAX_BLOCK_DEPTH} deep")
        if node.kind == "array":
            return [block for item in node.items for block in
                    self._blocks(kind, item, remaining, labels, item.line, depth + 1)]
        if node.kind != "object":
            raise InputError(f"{self.path}:{node.line}: {kind} {'.'.join(labels)}".rstrip()
                             + ": expected a JSON object")
        if remaining == 0:
            body = self._body(kind, node, depth)
            return [Block(kind, labels, body, line, node.end_line)]
        return [block for key, key_line, child in node.pairs if key != "//"
                for block in self._blocks(kind, child, remaining - 1, (*labels, key),
                                          key_line, depth)]

    def _body(self, kind: str, node: JsonNode, depth: int) -> Body:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for name, line, value in node.pairs:
            if name == "//" or name in SKIPPED:
                continue
            if kind in ("resource", "data", "content", *NESTED_BLOCKS):
                if name == "dynamic":
                    blocks.extend(self._blocks("dynamic", value, 1, (), line, depth + 1))
                    continue
                if name in NESTED_BLOCKS and value.kind in ("object", "array"):
                    blocks.extend(self._blocks(name, value, 0, (), line, depth + 1))
                    continue
            if kind == "dynamic" and name == "content":
                blocks.extend(self._blocks("content", value, 0, (), line, depth + 1))
                continue
            if name in attributes:
                raise InputError(f"{self.path}:{line}: attribute {name!r} is set twice "
                                 f"(first at line {attributes[name].line})")
            attributes[name] = Attribute(name, self._argument(kind, name, value), line)
        return Body(attributes=attributes, blocks=tuple(blocks))

    def _argument(self, kind: str, name: str, node: JsonNode) -> Expr:
        if kind == "variable":
            if name == "type" and node.kind == "scalar" and isinstance(node.value, str):
                return parse_expression(node.value, self.path, self.warnings, node.line)
            return self._literal(node, 0)
        if kind == "dynamic" and name == "iterator" and isinstance(node.value, str):
            return Name(node.value, node.line)
        return self._expr(node, 0)

    def _expr(self, node: JsonNode, depth: int) -> Expr:
        if depth > MAX_EXPRESSION_DEPTH:
            return self._unsupported(f"an expression nested more than {MAX_EXPRESSION_DEPTH} "
                                     "levels deep", node.line)
        if node.kind == "array":
            return TupleExpr(tuple(self._expr(item, depth + 1) for item in node.items),
                             node.line)
        if node.kind == "object":
            return ObjectExpr(tuple((self._key(key, line), self._expr(value, depth + 1))
                                    for key, line, value in node.pairs), node.line)
        if isinstance(node.value, str):
            return self._template(node.value, node.line)
        return Literal(node.value, node.line)

    def _key(self, key: str, line: int) -> Expr:
        return self._template(key, line) if "${" in key else Literal(key, line)

    def _template(self, text: str, line: int) -> Expr:
        if "${" not in text and "%{" not in text:
            return Template((text,) if text else (), line)
        simple = _SIMPLE_REFERENCE.fullmatch(text)
        if simple is not None and simple.group(1) not in ("true", "false", "null"):
            # "${a.b[0].c}", most of what CDKTF writes: built without an HCL parse
            return Template((traversal(simple.group(1), line),), line)
        return parse_template(text, self.path, self.warnings, line)

    def _literal(self, node: JsonNode, depth: int) -> Expr:
        """A value taken literally (a variable's default): strings are not templates."""
        if depth > MAX_EXPRESSION_DEPTH:
            return self._unsupported(f"a value nested more than {MAX_EXPRESSION_DEPTH} "
                                     "levels deep", node.line)
        if node.kind == "array":
            return TupleExpr(tuple(self._literal(i, depth + 1) for i in node.items), node.line)
        if node.kind == "object":
            return ObjectExpr(tuple((Literal(key, line), self._literal(value, depth + 1))
                                    for key, line, value in node.pairs), node.line)
        return Literal(node.value, node.line)

    def _unsupported(self, what: str, line: int) -> Unsupported:
        warning = f"{self.path}:{line}: {what} is not evaluated; its value is treated as unknown"
        if warning not in self.warnings[-20:]:
            self.warnings.append(warning)
        return Unsupported(what, line)
