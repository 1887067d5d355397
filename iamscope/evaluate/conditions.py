"""Evaluate ``Condition`` blocks against a request context.

IAM User Guide, "IAM JSON policy elements: Condition operators", "Condition with
multiple context keys or values" and "Set operators for multivalued context keys":
- operators in a block, and keys under an operator, are ANDed; the values of one key are
  ORed for positive operators; a negated operator is true when the context value matches
  none of the values (a NOR);
- a key missing from the context makes a positive operator false and a negated operator
  (StringNotEquals, StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress,
  ArnNotEquals, ArnNotLike) true; ``...IfExists`` makes any operator true on a missing key;
- ``ForAllValues`` is true when every context value matches (vacuously true for a missing
  key or an empty set); ``ForAnyValue`` is true when at least one does (false for a
  missing key or an empty set); a negated inner operator is applied to each value;
- ``Null: true`` holds when the key is absent, ``Null: false`` when it is present.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from iamscope.model.policy import Condition
from iamscope.policy.operators import Comparison, Family, Operator, SetQualifier, parse_operator
from iamscope.policy.variables import (
    Template,
    Unresolved,
    has_variables,
    parse_template,
    render,
    to_pieces,
)
from iamscope.policy.wildcard import compile_glob, glob_from_pieces

_UNRESOLVED = object()
_EPOCH = re.compile(r"^[+-]?\d+(\.\d+)?$")


# --- value parsing -----------------------------------------------------------------------


def parse_number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


@lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """The W3C profile of ISO 8601 that IAM documents for Date operators (YYYY-MM,
    YYYY-MM-DD, date-times with Z or an offset and optional fractions; naive times are UTC)
    or epoch seconds, as seconds since the epoch on one timeline. A bare number is read as
    epoch seconds (so a year-only "2025" is an epoch value)."""
    text = text.strip()
    if not text:
        return None
    if _EPOCH.match(text):
        try:
            seconds = float(text)
        except ValueError:
            return None
        return seconds if math.isfinite(seconds) else None
    try:
        if len(text) == 7 and text[4] == "-":  # W3C ISO 8601 profile: YYYY-MM
            return datetime(int(text[:4]), int(text[5:]), 1, tzinfo=UTC).timestamp()
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@lru_cache(maxsize=4096)
def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _binary(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


def _arn_fields(text: str) -> list[str] | None:
    fields = text.split(":", 5)
    return fields if len(fields) == 6 else None


# --- one comparison between a context value and a policy value ---------------------------

Comparer = Callable[[str, object], bool]


def _prepare(family: Family, comparison: Comparison, value: str) -> object:
    """Pre-parse a policy value for its operator family (None when it cannot be parsed)."""
    if family is Family.STRING:
        if comparison is Comparison.LIKE:
            return compile_glob(value)
        if comparison is Comparison.EQUALS_IGNORE_CASE:
            return value.lower()
        return value
    if family is Family.NUMERIC:
        return parse_number(value)
    if family is Family.DATE:
        return parse_date(value)
    if family is Family.BOOL:
        return value.lower()
    if family is Family.BINARY:
        return _binary(value)
    if family is Family.IP:
        return parse_network(value)
    if family is Family.ARN:
        if value == "*":
            return "*"
        fields = _arn_fields(value)
        return None if fields is None else tuple(compile_glob(f) for f in fields)
    return value


def _prepare_like_pieces(family: Family, pieces: list) -> object:
    """Prepare a StringLike/Arn value that came from a template (variables substituted)."""
    if family is Family.STRING:
        return glob_from_pieces(pieces)
    # ARN: split rendered pieces on ':' within literal text only.
    fields: list[list] = [[]]
    for piece in pieces:
        if isinstance(piece, str):
            chunks = piece.split(":")
            fields[-1].append(chunks[0])
            for chunk in chunks[1:]:
                if len(fields) < 6:
                    fields.append([chunk])
                else:
                    fields[-1].extend([":", chunk])
        else:
            fields[-1].append(piece)
    if len(fields) != 6:
        return None
    return tuple(glob_from_pieces(field) for field in fields)


def _compare(family: Family, comparison: Comparison, ctx: str, prepared: object) -> bool:
    if prepared is None or prepared is _UNRESOLVED:
        return False
    if family is Family.STRING:
        if comparison is Comparison.LIKE:
            return prepared.matches(ctx)  # type: ignore[attr-defined]
        if comparison is Comparison.EQUALS_IGNORE_CASE:
            return ctx.lower() == prepared
        return ctx == prepared
    if family is Family.NUMERIC or family is Family.DATE:
        left = parse_number(ctx) if family is Family.NUMERIC else parse_date(ctx)
        if left is None:
            return False
        right = prepared
        if family is Family.DATE:
            left = float(left)
        return _order(comparison, left, right)
    if family is Family.BOOL:
        return ctx.lower() == prepared
    if family is Family.BINARY:
        return _binary(ctx) == prepared
    if family is Family.IP:
        address = parse_address(ctx)
        return address is not None and address in prepared  # type: ignore[operator]
    if family is Family.ARN:
        if prepared == "*":
            return True
        fields = _arn_fields(ctx)
        return fields is not None and all(
            glob.matches(part) for glob, part in zip(prepared, fields, strict=True)  # type: ignore[call-overload]
        )
    return False


def _order(comparison: Comparison, left, right) -> bool:  # type: ignore[no-untyped-def]
    if comparison is Comparison.EQUALS:
        return left == right
    if comparison is Comparison.LESS:
        return left < right
    if comparison is Comparison.LESS_EQUALS:
        return left <= right
    if comparison is Comparison.GREATER:
        return left > right
    if comparison is Comparison.GREATER_EQUALS:
        return left >= right
    return False


# --- compiled conditions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    condition: Condition
    operator: Operator
    key: str  # lower-cased
    templates: tuple[Template, ...]  # values with variables (empty when none)
    prepared: tuple[object, ...]  # pre-parsed values when no value uses variables
    uses_variables: bool

    def values_for(self, context: Mapping[str, object]) -> tuple[object, ...]:
        if not self.uses_variables:
            return self.prepared
        base = self.operator.base
        out: list[object] = []
        for template in self.templates:
            try:
                if base.comparison is Comparison.LIKE and base.family in (Family.STRING,
                                                                         Family.ARN):
                    out.append(_prepare_like_pieces(
                        base.family, to_pieces(template, context, wildcards=True)))
                else:
                    out.append(_prepare(base.family, base.comparison, render(template, context)))
            except Unresolved:
                out.append(_UNRESOLVED)
        return tuple(out)

    def evaluate(self, context: Mapping[str, object]) -> bool:
        operator = self.operator
        base = operator.base
        raw = context.get(self.key)
        present = raw is not None
        if base.family is Family.NULL:
            wanted = {v.lower() for v in self.condition.values}
            return ("true" in wanted and not present) or ("false" in wanted and present)
        if not present:
            if operator.if_exists or operator.qualifier is SetQualifier.FOR_ALL_VALUES:
                return True
            if operator.qualifier is SetQualifier.FOR_ANY_VALUE:
                return False
            return base.negated
        values: tuple[str, ...] = (raw,) if isinstance(raw, str) else raw  # type: ignore[assignment]
        prepared = self.values_for(context)
        family, comparison = base.family, base.comparison

        def positive(ctx_value: str) -> bool:
            return any(_compare(family, comparison, ctx_value, p) for p in prepared)

        if operator.qualifier is SetQualifier.FOR_ALL_VALUES:
            if base.negated:
                return all(not positive(v) for v in values)
            return all(positive(v) for v in values)
        if operator.qualifier is SetQualifier.FOR_ANY_VALUE:
            if base.negated:
                return any(not positive(v) for v in values)
            return any(positive(v) for v in values)
        if base.negated:
            return not any(positive(v) for v in values)
        return any(positive(v) for v in values)


def compile_condition(condition: Condition, *, variables: bool) -> CompiledCondition:
    operator = parse_operator(condition.operator)
    base = operator.base
    templates: tuple[Template, ...] = ()
    uses_variables = False
    # Policy variables are supported by the String, Bool and ARN operator families and not
    # by Numeric, Date, Binary or IP address operators (IAM User Guide,
    # reference_policies_elements_condition_operators, "Policy variables" per category);
    # elsewhere ${...} stays literal text.
    if variables and base.family in (Family.STRING, Family.BOOL, Family.ARN):
        templates = tuple(parse_template(v) for v in condition.values)
        uses_variables = any(has_variables(t) for t in templates)
    prepared: tuple[object, ...] = ()
    if not uses_variables:
        prepared = tuple(_prepare(base.family, base.comparison, v) for v in condition.values)
    return CompiledCondition(
        condition=condition,
        operator=operator,
        key=condition.key.lower(),
        templates=templates,
        prepared=prepared,
        uses_variables=uses_variables,
    )
