"""Lint the ``Principal`` and ``NotPrincipal`` elements of one statement.

Sources:
- IAM User Guide, "AWS JSON policy elements: Principal" (reference_policies_elements_
  principal): Principal must be used in resource-based policies (a role trust policy is
  one) and cannot be used in identity-based policies; ``"*"`` and ``{"AWS": "*"}`` mean
  everyone; a wildcard cannot stand for part of a principal name or ARN (Access Analyzer
  check "Error – Unsupported wildcard in principal"); when a principal named by ARN is
  deleted, the policy shows its unique id (``AIDA...`` for a user, ``AROA...`` for a role)
  instead, which matches no one (see also "IAM identifiers", reference_identifiers).
- "AWS JSON policy elements: NotPrincipal" (reference_policies_elements_notprincipal):
  NotPrincipal must be used with Deny ("Allow" is not supported) and cannot be used in an
  identity-based policy nor in a role trust policy.
- AWS Organizations User Guide, "SCP syntax" (orgs_manage_policies_scps_syntax): SCPs
  have no Principal element.
"""

from __future__ import annotations

import re

from iamscope.model.ids import is_account_id, parse_arn
from iamscope.model.policy import Effect, Policy, PolicyKind, PrincipalSpec, Statement
from iamscope.validate.findings import Findings

# Policies attached to (or passed for) the caller: the principal is implicit.
NO_PRINCIPAL_KINDS = frozenset({PolicyKind.MANAGED, PolicyKind.INLINE, PolicyKind.SESSION,
                                PolicyKind.SCP})
PRINCIPAL_REQUIRED_KINDS = frozenset({PolicyKind.RESOURCE, PolicyKind.TRUST})

# Unique ids of users (AIDA) and roles (AROA): "IAM identifiers", unique IDs section.
_UNIQUE_ID = re.compile(r"^(AIDA|AROA)[A-Z0-9]{12,}$")


def _is_principal_arn(text: str) -> bool:
    """An IAM user, role, account root, assumed-role session or federated-user ARN."""
    arn = parse_arn(text)
    if arn is None or not arn.partition or arn.region or not is_account_id(arn.account):
        return False
    resource = arn.resource
    if arn.service == "iam":
        return resource == "root" or (
            resource.startswith(("user/", "role/")) and not resource.endswith("/")
        )
    if arn.service == "sts":
        if resource.startswith("assumed-role/"):
            parts = resource.split("/", 2)
            return len(parts) == 3 and all(parts[1:])
        return resource.startswith("federated-user/") and len(resource) > len("federated-user/")
    return False


def _entries(spec: PrincipalSpec) -> list[tuple[str, str]]:
    return ([("AWS", v) for v in spec.aws] + [("Service", v) for v in spec.service]
            + [("Federated", v) for v in spec.federated]
            + [("CanonicalUser", v) for v in spec.canonical_user])


def _lint_spec(spec: PrincipalSpec, element: str, where: str, out: Findings) -> None:
    for kind, value in _entries(spec):
        if value != "*" and ("*" in value or "?" in value):
            out.add("principal-wildcard",
                    f"{kind} principal {value!r}: a wildcard cannot match part of a principal; "
                    "use \"*\" with a condition on aws:PrincipalArn instead", where, element)
            continue
        if kind != "AWS" or value == "*" or is_account_id(value) or _is_principal_arn(value):
            continue
        if _UNIQUE_ID.match(value):
            out.add("unresolved-principal-id",
                    f"AWS principal {value!r} is a unique id: the user or role it named was "
                    "deleted, so this entry matches no one", where, element)
        else:
            out.add("malformed-principal",
                    f"AWS principal {value!r} is not a 12-digit account id or the ARN of an "
                    "account root, user, role, assumed-role session or federated user",
                    where, element)


def lint_principals(policy: Policy, statement: Statement, out: Findings) -> None:
    where = statement.label
    present = [(name, spec) for name, spec in (("Principal", statement.principal),
                                               ("NotPrincipal", statement.not_principal))
               if spec is not None]
    if policy.kind in NO_PRINCIPAL_KINDS:
        for name, _ in present:
            out.add("principal-not-allowed",
                    f"{name} cannot be used in a {policy.kind.value} policy: the policy applies "
                    "to the identity it is attached to", where, name)
        return
    if policy.kind in PRINCIPAL_REQUIRED_KINDS and not present:
        out.add("missing-principal",
                f"a {policy.kind.value} policy statement must name who it applies to "
                "(Principal)", where, "Principal")
    if statement.not_principal is not None:
        if policy.kind is PolicyKind.TRUST:
            out.add("not-principal-in-trust",
                    "NotPrincipal cannot be used in a role trust policy", where, "NotPrincipal")
        if statement.effect is Effect.ALLOW:
            out.add("allow-not-principal",
                    "NotPrincipal with Allow is not supported and would grant access to every "
                    "principal not listed, anonymous callers included", where, "NotPrincipal")
    for name, spec in present:
        _lint_spec(spec, name, where, out)
