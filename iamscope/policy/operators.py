"""The condition operators of the AWS policy language, as data.

IAM User Guide, "IAM JSON policy elements: Condition operators" and "Set operators for
multivalued context keys". An operator is ``[ForAllValues:|ForAnyValue:]Base[IfExists]``;
``Null`` takes no IfExists suffix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class Family(Enum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IPAddress"
    ARN = "ARN"
    NULL = "Null"


class Comparison(Enum):
    EQUALS = "equals"
    EQUALS_IGNORE_CASE = "equals-ignore-case"
    LIKE = "like"
    LESS = "less"
    LESS_EQUALS = "less-equals"
    GREATER = "greater"
    GREATER_EQUALS = "greater-equals"
    IN_RANGE = "in-range"  # IpAddress
    NULL = "null"


@dataclass(frozen=True, slots=True)
class BaseOperator:
    name: str
    family: Family
    comparison: Comparison
    negated: bool = False


BASE_OPERATORS: dict[str, BaseOperator] = {
    op.name: op
    for op in (
        BaseOperator("StringEquals", Family.STRING, Comparison.EQUALS),
        BaseOperator("StringNotEquals", Family.STRING, Comparison.EQUALS, True),
        BaseOperator("StringEqualsIgnoreCase", Family.STRING, Comparison.EQUALS_IGNORE_CASE),
        BaseOperator("StringNotEqualsIgnoreCase", Family.STRING, Comparison.EQUALS_IGNORE_CASE,
                     True),
        BaseOperator("StringLike", Family.STRING, Comparison.LIKE),
        BaseOperator("StringNotLike", Family.STRING, Comparison.LIKE, True),
        BaseOperator("NumericEquals", Family.NUMERIC, Comparison.EQUALS),
        BaseOperator("NumericNotEquals", Family.NUMERIC, Comparison.EQUALS, True),
        BaseOperator("NumericLessThan", Family.NUMERIC, Comparison.LESS),
        BaseOperator("NumericLessThanEquals", Family.NUMERIC, Comparison.LESS_EQUALS),
        BaseOperator("NumericGreaterThan", Family.NUMERIC, Comparison.GREATER),
        BaseOperator("NumericGreaterThanEquals", Family.NUMERIC, Comparison.GREATER_EQUALS),
        BaseOperator("DateEquals", Family.DATE, Comparison.EQUALS),
        BaseOperator("DateNotEquals", Family.DATE, Comparison.EQUALS, True),
        BaseOperator("DateLessThan", Family.DATE, Comparison.LESS),
        BaseOperator("DateLessThanEquals", Family.DATE, Comparison.LESS_EQUALS),
        BaseOperator("DateGreaterThan", Family.DATE, Comparison.GREATER),
        BaseOperator("DateGreaterThanEquals", Family.DATE, Comparison.GREATER_EQUALS),
        BaseOperator("Bool", Family.BOOL, Comparison.EQUALS),
        BaseOperator("BinaryEquals", Family.BINARY, Comparison.EQUALS),
        BaseOperator("IpAddress", Family.IP, Comparison.IN_RANGE),
        BaseOperator("NotIpAddress", Family.IP, Comparison.IN_RANGE, True),
        BaseOperator("ArnEquals", Family.ARN, Comparison.LIKE),
        BaseOperator("ArnLike", Family.ARN, Comparison.LIKE),
        BaseOperator("ArnNotEquals", Family.ARN, Comparison.LIKE, True),
        BaseOperator("ArnNotLike", Family.ARN, Comparison.LIKE, True),
        BaseOperator("Null", Family.NULL, Comparison.NULL),
    )
}


class SetQualifier(Enum):
    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True, slots=True)
class Operator:
    text: str
    base: BaseOperator
    qualifier: SetQualifier | None
    if_exists: bool

    @property
    def negated(self) -> bool:
        return self.base.negated


class OperatorSyntaxError(ValueError):
    pass


@lru_cache(maxsize=512)
def parse_operator(text: str) -> Operator:
    """Parse an operator name. Names are case-sensitive, as IAM's parser treats them."""
    qualifier = None
    rest = text
    for candidate in SetQualifier:
        prefix = candidate.value + ":"
        if rest.startswith(prefix):
            qualifier = candidate
            rest = rest[len(prefix) :]
            break
    if_exists = False
    if rest.endswith("IfExists") and rest != "IfExists":
        if_exists = True
        rest = rest[: -len("IfExists")]
    base = BASE_OPERATORS.get(rest)
    if base is None:
        raise OperatorSyntaxError(f"unknown condition operator {text!r}")
    if base.family is Family.NULL and if_exists:
        raise OperatorSyntaxError("the Null operator has no IfExists form")
    return Operator(text, base, qualifier, if_exists)
