"""The linter's diagnostic codes and the collector the checks report through.

Every code is stable and kebab-case; ``LINT_CODES`` gives its usual level and a one-line
summary (``missing-resource`` is the one code whose level depends on the policy kind).
ERROR is for what IAM (or Organizations) would reject when the policy is saved; WARNING
for what it accepts but that is probably not what the author meant.
"""

from __future__ import annotations

from iamscope.errors import Diagnostic, DiagnosticLevel

E = DiagnosticLevel.ERROR
W = DiagnosticLevel.WARNING

LINT_CODES: dict[str, tuple[DiagnosticLevel, str]] = {
    # policy
    "missing-version": (W, "no Version: defaults to 2008-10-17, variables are literal text"),
    "variables-without-version": (W, "policy variables in a policy that is not 2012-10-17"),
    "duplicate-sid": (E, "two statements share a Sid"),
    # Action / NotAction
    "malformed-action": (E, "an action is not of the form service:action"),
    "unknown-service": (W, "the service prefix is not in the action catalog"),
    "unknown-action": (W, "the action or pattern matches no catalogued action"),
    "allow-not-action": (W, "Allow with NotAction grants every other action"),
    # Resource / NotResource
    "malformed-arn": (E, "a resource is neither * nor a six-field ARN"),
    "missing-resource": (E, "the statement has neither Resource nor NotResource"),
    "variable-in-arn-prefix": (W, "a policy variable outside the resource part of an ARN"),
    "resource-mismatch": (W, "the ARN's service cannot be a resource of any listed action"),
    # Principal / NotPrincipal
    "principal-not-allowed": (E, "Principal or NotPrincipal in a policy that takes none"),
    "missing-principal": (E, "a resource or trust policy statement names no principal"),
    "not-principal-in-trust": (E, "NotPrincipal in a role trust policy"),
    "allow-not-principal": (W, "Allow with NotPrincipal grants everyone not listed"),
    "principal-wildcard": (E, "a wildcard inside a principal value other than a bare *"),
    "malformed-principal": (W, "an AWS principal that is not an account id or principal ARN"),
    "unresolved-principal-id": (W, "a unique id (AIDA.../AROA...) of a deleted principal"),
    # Condition
    "unknown-condition-key": (W, "the key is not global and not a key of the actions' services"),
    "operator-type-mismatch": (W, "the operator does not suit the key's type"),
    "set-operator-on-single-valued-key": (W, "ForAllValues/ForAnyValue on a single-valued key"),
    "missing-set-operator": (W, "a multivalued key used without ForAllValues/ForAnyValue"),
    "bad-condition-value": (E, "a value the operator cannot parse"),
    "forallvalues-without-null-check": (W, "Allow with ForAllValues is true when the key is "
                                           "missing"),
}


class Findings:
    """Collects the diagnostics of one policy, in the order the checks report them."""

    def __init__(self, policy_id: str | None):
        self.policy_id = policy_id
        self.items: list[Diagnostic] = []

    def add(self, code: str, message: str, where: str | None = None,
            element: str | None = None, *, level: DiagnosticLevel | None = None) -> None:
        default_level, _ = LINT_CODES[code]
        self.items.append(Diagnostic(level or default_level, code, message, self.policy_id,
                                     where, element))
