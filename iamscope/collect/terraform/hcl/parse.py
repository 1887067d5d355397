"""HCL text -> ``syntax`` trees, through python-hcl2's parser (``hcl2.parses_to_tree``).

python-hcl2 (8.x) parses with a Lark LALR grammar (``hcl2/hcl2.lark``); its raw parse tree
keeps every expression as structure with line numbers (``meta.line``), which is what this
module walks. Its dictionary form (``hcl2.loads``) flattens expressions back into source
text (``"${aws_iam_role.x.arn}"``), which would need a second parser, so it is not used.
Comments are not needed here: inline suppressions are read from the file text
(``suppressions.py``).

Bad input raises ``InputError`` naming the file and line; constructs the evaluator does not
support (and malformed template directives) become ``Unsupported`` nodes (with a warning)
rather than errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import process_escape_sequences

from iamscope.collect.terraform.hcl.syntax import (
    Attribute,
    Binary,
    Block,
    Body,
    Call,
    Conditional,
    Expr,
    ForExpr,
    GetAttr,
    Index,
    Literal,
    Name,
    ObjectExpr,
    SourceFile,
    Splat,
    Template,
    TupleExpr,
    Unary,
    Unsupported,
)
from iamscope.collect.terraform.hcl.templates import (
    MalformedTemplate,
    Mark,
    UnterminatedTemplate,
    nest,
    template_items,
)
from iamscope.errors import InputError

MAX_FILE_BYTES = 1024 * 1024  # python-hcl2 parses about 150 kB/s: 1 MiB is ~7 s
MAX_EXPRESSION_DEPTH = 200  # syntax nodes; about 100 levels of nested brackets
_HEREDOC = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n(.*)\2\s*\Z", re.S)
_KEYWORDS = {"true": True, "false": False, "null": None}


class _Context:
    """Per-file state: where we are (for messages) and the warnings gathered."""

    def __init__(self, path: str, warnings: list[str], line_offset: int = 0):
        self.path = path
        self.warnings = warnings
        self.line_offset = line_offset

    def line(self, node: Any, default: int = 0) -> int:
        line = getattr(getattr(node, "meta", None), "line", None)
        if line is None:
            line = getattr(node, "line", None)
        return (line or default) + self.line_offset

    def unsupported(self, what: str, line: int) -> Unsupported:
        warning = f"{self.path}:{line}: {what} is not evaluated; its value is treated as unknown"
        if warning not in self.warnings[-20:]:
            self.warnings.append(warning)
        return Unsupported(what, line)


def read_source_file(path: Path, relative: str, warnings: list[str]) -> SourceFile:
    """Read and parse one ``.tf`` file; ``relative`` names it in messages."""
    text = read_bounded_text(path, relative)
    return SourceFile(path=relative, body=parse_body(text, relative, warnings), text=text)


def read_bounded_text(path: Path, relative: str) -> str:
    """A configuration file's text (``.tf`` or ``.tf.json``), refused beyond the size limit
    or when it is not UTF-8, with a clear error naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{relative}: {size} bytes is larger than the HCL reader's limit "
                             f"of {MAX_FILE_BYTES} bytes; read a plan instead "
                             "(terraform show -json)")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{relative}: not UTF-8 text ({error.reason} at byte "
                         f"{error.start})") from None
    except OSError as error:
        raise InputError(f"{relative}: cannot read: {error.strerror}") from None
    return text


def parse_body(text: str, where: str, warnings: list[str]) -> Body:
    """Parse HCL text (a ``.tf`` or ``.tfvars`` file) into a ``Body``."""
    tree = _parse_tree(text, where)
    body = next((child for child in tree.children if _rule(child) == "body"), None)
    if body is None:
        return Body()
    return _body(body, _Context(where, warnings))


def parse_expression(text: str, where: str, warnings: list[str], line: int = 1) -> Expr:
    """Parse a single expression (a ``-var`` value, an interpolation inside a heredoc)."""
    tree = _parse_tree(f"value = {text}\n", where, line - 1)
    body = _body(tree.children[0], _Context(where, warnings, line - 1))
    if set(body.attributes) != {"value"} or body.blocks:
        raise InputError(f"{where}:{line}: not a single expression: {text[:60]!r}")
    return body.attributes["value"].expr


def _parse_tree(text: str, where: str, line_offset: int = 0) -> Any:
    try:
        return hcl2.parses_to_tree(text)
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to parse") from None
    except Exception as error:  # Lark raises UnexpectedInput subclasses with line/column
        line = getattr(error, "line", None)
        column = getattr(error, "column", None)
        place = f"{where}:{line + line_offset}" if isinstance(line, int) and line > 0 else where
        token = getattr(error, "token", None)
        if token is None:
            token = getattr(error, "char", None)
        found = f" near {str(token)[:40]!r}" if token is not None else ""
        if getattr(token, "type", None) == "$END":
            found = ": unexpected end of file"
        col = f", column {column}" if isinstance(column, int) and column > 0 else ""
        raise InputError(f"{place}: invalid HCL syntax{col}{found}") from None


def _rule(node: Any) -> str | None:
    return getattr(node, "data", None)


def _subtrees(node: Any) -> list[Any]:
    """Children that are rules, without newlines and comments."""
    return [child for child in node.children
            if hasattr(child, "data") and child.data != "new_line_or_comment"]


def _name(node: Any) -> str:
    """The text of an identifier, keyword or literal_value rule, or of a string label."""
    if _rule(node) == "string":
        return "".join(str(part.children[0]) for part in node.children
                       if _rule(part) == "string_part")
    return str(node.children[0])


def _body(node: Any, ctx: _Context) -> Body:
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for child in _subtrees(node):
        if child.data == "attribute":
            name = _name(child.children[0])
            line = ctx.line(child)
            if name in attributes:
                raise InputError(f"{ctx.path}:{line}: attribute {name!r} is set twice "
                                 f"(first at line {attributes[name].line})")
            attributes[name] = Attribute(name, _expr(child.children[-1], ctx, 0), line)
        elif child.data == "block":
            parts = _subtrees(child)
            inner = _body(parts[-1], ctx)
            line = ctx.line(child)
            end = getattr(child.meta, "end_line", line) + ctx.line_offset
            blocks.append(Block(type=_name(parts[0]), labels=tuple(_name(p) for p in parts[1:-1]),
                                body=inner, line=line, end_line=end))
    return Body(attributes=attributes, blocks=tuple(blocks))


def _expr(node: Any, ctx: _Context, depth: int) -> Expr:
    line = ctx.line(node)
    if depth > MAX_EXPRESSION_DEPTH:
        return ctx.unsupported(f"an expression nested more than {MAX_EXPRESSION_DEPTH} "
                               "levels deep", line)
    rule = _rule(node)
    convert = _CONVERTERS.get(rule or "")
    if convert is None:
        return ctx.unsupported(f"the HCL construct {rule or str(node)[:20]!r}", line)
    return convert(node, ctx, depth + 1, line)


def _only(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    return _expr(_subtrees(node)[0], ctx, depth)


def _literal(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    text = str(node.children[0])
    if node.data == "int_lit":
        return Literal(int(text), line)
    if node.data == "float_lit":
        return Literal(float(text), line)
    return Literal(_KEYWORDS.get(text, text), line)


def _identifier(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    return Name(str(node.children[0]), line)


def _string(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    items: list[str | Mark] = []
    for part in node.children:
        if _rule(part) != "string_part":
            continue
        content = part.children[0]
        kind = _rule(content)
        if kind == "interpolation":
            items.append(Mark("interpolation", line, expr=_expr(_subtrees(content)[0], ctx,
                                                                 depth)))
        elif kind is not None:
            items.append(_directive_mark(content, ctx, depth, line))
        elif content.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
            items.append(str(content)[1:])
        else:
            items.append(process_escape_sequences(str(content)))
    return Template(_nested(items, ctx, line), line)


def _directive_mark(node: Any, ctx: _Context, depth: int, line: int) -> Mark:
    """A directive of a quoted string: python-hcl2 gives flat template_if_start, ... rules."""
    kind = {"template_if_start": "if", "template_for_start": "for"}.get(
        node.data, str(node.data).removeprefix("template_"))
    tokens = [str(child) for child in node.children]
    left = len(tokens) > 1 and tokens[1] == "~"
    right = len(tokens) > 1 and tokens[-2] == "~"
    if kind not in ("if", "for"):
        return Mark(kind, line, left, right)
    parts = _subtrees(node)
    names = tuple(_name(part) for part in parts[:-1])
    return Mark(kind, line, left, right, _expr(parts[-1], ctx, depth), names)


def _nested(items: list[str | Mark], ctx: _Context, line: int) -> tuple[str | Expr, ...]:
    try:
        return nest(items)
    except MalformedTemplate as error:
        return (ctx.unsupported(f"a malformed template ({error.message})", error.line),)


def _heredoc(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    token = str(node.children[0])
    match = _HEREDOC.match(token)
    if match is None:
        return ctx.unsupported("a heredoc", line)
    text = re.sub(r"[ \t]*\Z", "", match.group(3))
    if match.group(1):  # <<- : remove the indentation common to all non-blank lines
        lines = text.split("\n")
        indents = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
        cut = min(indents, default=0)
        text = "\n".join(x[cut:] for x in lines)
    return Template(_template_parts(text, ctx, line + 1), line)


def parse_template(text: str, where: str, warnings: list[str], line: int = 1) -> Template:
    """Parse template text (a ``templatefile()`` file): literal text and interpolations."""
    return Template(_template_parts(text, _Context(where, warnings), line), line)


def _template_parts(text: str, ctx: _Context, line: int) -> tuple[str | Expr, ...]:
    """Literal text, ``${...}`` interpolations and ``%{...}`` directives of heredoc or
    template text."""
    try:
        items = template_items(text, line, lambda source, here: parse_expression(
            source, ctx.path, ctx.warnings, here))
    except UnterminatedTemplate as error:
        here = line + text.count("\n", 0, error.position)
        raise InputError(f"{ctx.path}:{here}: unterminated {error.marker} in a template"
                         ) from None
    except MalformedTemplate as error:
        return (ctx.unsupported(f"a malformed template ({error.message})", error.line),)
    return _nested(items, ctx, line)


def _tuple(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    return TupleExpr(tuple(_expr(item, ctx, depth) for item in _subtrees(node)), line)


def _object(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    items: list[tuple[Expr, Expr]] = []
    for element in _subtrees(node):
        key_node, value_node = _subtrees(element)
        items.append((_object_key(key_node, ctx, depth), _expr(value_node, ctx, depth)))
    return ObjectExpr(tuple(items), line)


def _object_key(node: Any, ctx: _Context, depth: int) -> Expr:
    """A bare name is a literal key; a string or parenthesised expression is evaluated."""
    inner = _subtrees(node)[0]
    line = ctx.line(inner, ctx.line(node))
    if _rule(inner) == "keyword":
        return Literal(_name(inner), line)
    if _rule(inner) == "expr_term" and not _is_parenthesised(inner):
        term = _subtrees(inner)[0]
        if _rule(term) in ("identifier", "literal_value"):
            return Literal(_name(term), line)
    return _expr(inner, ctx, depth)


def _is_parenthesised(node: Any) -> bool:
    first = node.children[0] if node.children else None
    return not hasattr(first, "data") and str(first) == "("


def _call(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    names = [_name(child) for child in node.children if _rule(child) == "identifier"]
    arguments = next((child for child in node.children if _rule(child) == "arguments"), None)
    args: tuple[Expr, ...] = ()
    expand = False
    if arguments is not None:
        args = tuple(_expr(arg, ctx, depth) for arg in _subtrees(arguments))
        expand = any(not hasattr(c, "data") and str(c) == "..." for c in arguments.children)
    return Call("::".join(names), args, expand, line)


def _index(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    target_node, index_node = _subtrees(node)
    return Index(_expr(target_node, ctx, depth), _index_key(index_node, ctx, depth), line)


def _index_key(node: Any, ctx: _Context, depth: int) -> Expr:
    if _rule(node) == "short_index":
        return Literal(int(str(node.children[-1])), ctx.line(node))
    return _expr(_subtrees(node)[0], ctx, depth)


def _get_attr(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    target_node, attr = _subtrees(node)
    return GetAttr(_expr(target_node, ctx, depth), _name(_subtrees(attr)[0]), line)


def _splat(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    target_node, splat = _subtrees(node)
    steps: list[tuple[str, Any]] = []
    for step in _subtrees(splat):
        if step.data == "get_attr":
            steps.append(("attr", _name(_subtrees(step)[0])))
        else:
            steps.append(("index", _index_key(step, ctx, depth)))
    return Splat(_expr(target_node, ctx, depth), tuple(steps), line)


def _conditional(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    condition, if_true, if_false = (_expr(n, ctx, depth) for n in _subtrees(node))
    return Conditional(condition, if_true, if_false, line)


def _binary(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    left_node, term = _subtrees(node)[:2]
    operator_node, right_node = _subtrees(term)[:2]
    operator = str(operator_node.children[0]).strip()
    return Binary(operator, _expr(left_node, ctx, depth), _expr(right_node, ctx, depth), line)


def _unary(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    return Unary(str(node.children[0]).strip(), _expr(_subtrees(node)[0], ctx, depth), line)


def _for(node: Any, ctx: _Context, depth: int, line: int) -> Expr:
    parts = _subtrees(node)
    intro = parts[0]
    names = [_name(child) for child in intro.children if _rule(child) == "identifier"]
    collection = _expr(_subtrees(intro)[-1], ctx, depth)
    condition = None
    if _rule(parts[-1]) == "for_cond":
        condition = _expr(_subtrees(parts[-1])[0], ctx, depth)
        parts = parts[:-1]
    key_var, value_var = (None, names[0]) if len(names) == 1 else (names[0], names[1])
    grouping = any(not hasattr(c, "data") and str(c) == "..." for c in node.children)
    if node.data == "for_object_expr":
        key, value = (_expr(n, ctx, depth) for n in parts[1:3])
        return ForExpr(key_var, value_var, collection, key, value, condition, grouping, line)
    return ForExpr(key_var, value_var, collection, None, _expr(parts[1], ctx, depth),
                   condition, False, line)


_CONVERTERS = {
    "expr_term": _only,
    "int_lit": _literal,
    "float_lit": _literal,
    "literal_value": _literal,
    "identifier": _identifier,
    "string": _string,
    "heredoc_template": _heredoc,
    "heredoc_template_trim": _heredoc,
    "tuple": _tuple,
    "object": _object,
    "function_call": _call,
    "index_expr_term": _index,
    "get_attr_expr_term": _get_attr,
    "attr_splat_expr_term": _splat,
    "full_splat_expr_term": _splat,
    "conditional": _conditional,
    "binary_op": _binary,
    "unary_op": _unary,
    "for_tuple_expr": _for,
    "for_object_expr": _for,
}
