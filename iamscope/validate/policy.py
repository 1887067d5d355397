"""The policy linter: checks a parsed AWS policy the way a linter checks code.

``parse_policy`` has already rejected what cannot be evaluated (unknown elements, a bad
Effect, Action with NotAction, unknown operators); this module reports the rest as
``Diagnostic`` objects: ERROR for what IAM would refuse to save, WARNING for what it accepts
but that probably does not do what was meant. Warnings never stop analysis. Every
diagnostic names the policy, the statement (``Sid 'X'`` or ``statement N``) and the
element. Codes and levels are listed in ``iamscope.validate.findings.LINT_CODES``.

Principals are checked in ``principals``, conditions in ``conditions``. GCP policies are
not linted here (their grammar is not the AWS one).
"""

from __future__ import annotations

import re

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.errors import Diagnostic, DiagnosticLevel
from iamscope.model.policy import Effect, Policy, PolicyKind, Statement
from iamscope.policy.variables import Variable, has_variables, parse_template
from iamscope.validate.conditions import KeyIndex, lint_conditions
from iamscope.validate.findings import Findings
from iamscope.validate.principals import lint_principals

GCP_KINDS = frozenset({PolicyKind.GCP_ALLOW, PolicyKind.GCP_DENY})
# IAM refuses identity-based policies (and session policies, which follow the same grammar)
# whose statements lack both Resource and NotResource (reference_policies_elements_resource:
# "Statements must include either a Resource or a NotResource element"; Access Analyzer
# "Error – Missing resource").
RESOURCE_REQUIRED_KINDS = frozenset({PolicyKind.MANAGED, PolicyKind.INLINE,
                                     PolicyKind.SESSION})
# For SCPs the same rule is only reported as a warning: not verified against Organizations.
RESOURCE_EXPECTED_KINDS = frozenset({PolicyKind.SCP})

# service:action, where both parts may use * and ? (reference_policies_elements_action:
# "prefix:action"; action names in the Service Authorization Reference are letters, digits,
# '-' and '_').
_ACTION = re.compile(r"^[A-Za-z0-9*?-]+:[A-Za-z0-9_*?-]+$")


def lint_policy(policy: Policy, catalog: ActionCatalog) -> list[Diagnostic]:
    """Every problem found in ``policy``: policy-level ones first, then statement by
    statement in document order (within a statement: Action, Resource, Principal,
    Condition, variables, Sid). Pure and deterministic."""
    if policy.kind in GCP_KINDS:
        return []
    out = Findings(policy.id)
    # reference_policies_elements_version: without Version the policy is read as
    # 2008-10-17, in which ${...} is literal text.
    if policy.version is None:
        out.add("missing-version",
                "no Version element: the policy is read as 2008-10-17 and policy variables "
                "are not substituted; add \"Version\": \"2012-10-17\"", element="Version")
    index = KeyIndex(catalog)
    first_by_sid: dict[str, Statement] = {}
    for statement in policy.statements:
        _lint_actions(statement, catalog, out)
        _lint_resources(policy, statement, catalog, out)
        lint_principals(policy, statement, out)
        lint_conditions(policy, statement, catalog, index, out)
        _lint_variable_version(policy, statement, out)
        _lint_sid(statement, first_by_sid, out)
    return out.items


# --- Action / NotAction ------------------------------------------------------------------


def _lint_actions(statement: Statement, catalog: ActionCatalog, out: Findings) -> None:
    where = statement.label
    for element, entries in (("Action", statement.actions),
                             ("NotAction", statement.not_actions)):
        for action in entries or ():
            if action == "*":
                continue
            # reference_policies_elements_action; Access Analyzer "Error – Invalid action".
            if not _ACTION.match(action):
                out.add("malformed-action",
                        f"{action!r} is not of the form service:action (for example "
                        "s3:GetObject)", where, element)
                continue
            service = action.partition(":")[0]
            wild = "*" in action or "?" in action
            if "*" not in service and "?" not in service \
                    and not catalog.is_known_service(service):
                out.add("unknown-service",
                        f"{service!r} is not a service prefix in the action catalog",
                        where, element)
                continue
            known = bool(catalog.expand(action)) if wild else catalog.is_known_action(action)
            if not known:
                what = "matches no catalogued action" if wild else "is not a catalogued action"
                out.add("unknown-action", f"{action!r} {what}", where, element)
    # reference_policies_elements_notaction: with Allow, every applicable action not listed
    # is allowed; "be careful ... can result in granting users more permissions than you
    # intended".
    if statement.effect is Effect.ALLOW and statement.not_actions is not None:
        out.add("allow-not-action",
                "Allow with NotAction grants every action not listed (in every service that "
                "applies to the resources); list the allowed actions instead", where,
                "NotAction")


# --- Resource / NotResource --------------------------------------------------------------


def split_arn(text: str) -> list[str] | None:
    """Split an ARN pattern into its six fields, not splitting inside ``${...}`` (a
    variable such as ``${aws:PrincipalAccount}`` contains a colon). None when there are
    fewer than six fields; the last field keeps any further colons."""
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text) and len(fields) < 5:
        if text.startswith("${", i):
            close = text.find("}", i + 2)
            if close > 0:
                current.append(text[i : close + 1])
                i = close + 1
                continue
        if text[i] == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    if len(fields) < 5:
        return None
    fields.append(text[i:])
    return fields


def _is_wild(text: str) -> bool:
    return "*" in text or "?" in text or "${" in text


def _lint_resources(policy: Policy, statement: Statement, catalog: ActionCatalog,
                    out: Findings) -> None:
    where = statement.label
    if statement.resources is None and statement.not_resources is None:
        if policy.kind in RESOURCE_REQUIRED_KINDS:
            out.add("missing-resource",
                    "the statement has neither Resource nor NotResource; identity policies "
                    "require one (use \"*\" for all resources)", where, "Resource")
        elif policy.kind in RESOURCE_EXPECTED_KINDS:
            out.add("missing-resource",
                    "the statement has neither Resource nor NotResource; add \"Resource\": "
                    "\"*\"", where, "Resource", level=DiagnosticLevel.WARNING)
        return
    served = _served_arn_services(statement, catalog)
    for element, entries in (("Resource", statement.resources),
                             ("NotResource", statement.not_resources)):
        for resource in entries or ():
            if resource == "*":
                continue
            # API Gateway resource policies accept the shorthand execute-api:/stage/verb/path
            # (API Gateway Developer Guide, "API Gateway resource policy examples").
            if policy.kind is PolicyKind.RESOURCE and resource.startswith("execute-api:/"):
                continue
            fields = split_arn(resource)
            # reference_policies_elements_resource and reference-arns: arn:partition:service:
            # region:account:resource; Access Analyzer "Missing ARN field", "Invalid ARN prefix".
            if fields is None or fields[0] != "arn" or not all(fields[i] for i in (1, 2, 5)):
                out.add("malformed-arn",
                        f"{resource!r} is neither \"*\" nor an ARN of the form arn:partition:"
                        "service:region:account:resource", where, element)
                continue
            _lint_arn_variables(policy, resource, fields, where, element, out)
            if element == "Resource" and served and not _is_wild(fields[2]) \
                    and fields[2].lower() not in served:
                out.add("resource-mismatch",
                        f"{resource!r} is a {fields[2]} resource, but none of the statement's "
                        f"actions acts on one (they take {', '.join(sorted(served))} "
                        "resources)", where, element)


def _lint_arn_variables(policy: Policy, resource: str, fields: list[str], where: str,
                        element: str, out: Findings) -> None:
    """reference_policies_elements_resource: policy variables belong in the part of the ARN
    that identifies the resource (the trailing part). Only judged where variables exist at
    all (Version 2012-10-17); elsewhere ``variables-without-version`` covers it."""
    if not policy.supports_variables:
        return
    if any(isinstance(part, Variable) for field in fields[:5] for part in parse_template(field)):
        out.add("variable-in-arn-prefix",
                f"{resource!r} uses a policy variable before the resource part of the ARN, "
                "where it is not substituted", where, element)


def _served_arn_services(statement: Statement, catalog: ActionCatalog) -> frozenset[str]:
    """The ARN service fields the statement's actions can act on, from the catalog's ARN
    templates. Empty (no judgement) unless every action is concrete, catalogued, and all of
    its resource types have an ARN template with a literal service field."""
    if not statement.actions:
        return frozenset()
    services: set[str] = set()
    for action in statement.actions:
        if _is_wild(action):
            return frozenset()
        info = catalog.action(action)
        if info is None:
            return frozenset()
        types = catalog.resource_types(info.service)
        for ref in info.resource_types:
            resource_type = types.get(ref.name.lower())
            fields = split_arn(resource_type.arn) if resource_type is not None else None
            if fields is None or "${" in fields[2] or not fields[2]:
                return frozenset()
            services.add(fields[2].lower())
    return frozenset(services)


# --- Version and Sid ---------------------------------------------------------------------


def _lint_variable_version(policy: Policy, statement: Statement, out: Findings) -> None:
    """reference_policies_variables: variables are substituted only in 2012-10-17 policies;
    elsewhere ``${aws:username}`` is matched as literal text."""
    if policy.supports_variables:
        return
    shown = "no Version" if policy.version is None else f"Version {policy.version}"
    for element, values in (
        ("Resource", statement.resources or ()),
        ("NotResource", statement.not_resources or ()),
        ("Condition", tuple(v for c in statement.conditions for v in c.values)),
    ):
        found = next((v for v in values if has_variables(parse_template(v))), None)
        if found is not None:
            out.add("variables-without-version",
                    f"{found!r} uses a policy variable, but with {shown} it is literal text; "
                    "set \"Version\": \"2012-10-17\"", statement.label, element)


def _lint_sid(statement: Statement, first_by_sid: dict[str, Statement],
              out: Findings) -> None:
    """reference_policies_elements_sid: "In IAM, the Sid value must be unique within a
    JSON policy" (Access Analyzer "Error – Unique Sids required")."""
    if statement.sid is None:
        return
    first = first_by_sid.setdefault(statement.sid, statement)
    if first is not statement:
        out.add("duplicate-sid",
                f"Sid {statement.sid!r} of statement {statement.index} is already used by "
                f"statement {first.index}; Sids must be unique within a policy",
                statement.label, "Sid")
