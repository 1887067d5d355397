"""Policy rules for GCP allow bindings (see ``policy_rules`` for what a policy rule is).

Bindings are read as the collectors normalise them: Allow statements whose actions are
role names (``roles/owner``) until predefined roles are expanded, and whose principals are
the members (``PrincipalSpec.gcp``).
"""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import CheckMeta
from iamscope.ci.policy_rules import (
    PolicyContext,
    PolicyRule,
    allow_statements,
    rule_data,
    short_list,
    statement_finding,
)
from iamscope.model.finding import Finding, Severity
from iamscope.model.policy import Policy, PolicyKind, Statement

GCP_PUBLIC_BINDING = CheckMeta(
    id="IAMSCOPE-GCP-001",
    title="GCP binding to allUsers or allAuthenticatedUsers",
    severity=Severity.CRITICAL,
    description=(
        "An allow binding grants a role to allUsers (anyone on the internet) or "
        "allAuthenticatedUsers (anyone with a Google account). CRITICAL without an IAM "
        "condition, HIGH with one."),
    remediation="Grant the role to the groups or service accounts that need it.",
    references=("https://cloud.google.com/iam/docs/principal-identifiers",),
    limitations="Public access through ACLs or signed URLs is not seen.",
)
GCP_RISKY_ROLE = CheckMeta(
    id="IAMSCOPE-GCP-002",
    title="Risky GCP role binding",
    severity=Severity.HIGH,
    description=(
        "An allow binding grants a basic role (roles/owner, roles/editor) or a role that "
        "rewrites IAM or impersonates service accounts (roles/iam.serviceAccountUser, "
        "roles/iam.serviceAccountTokenCreator, ...) on a project, folder or organization "
        "(iamscope/ci/data/policy_rules.toml). One step lower with an IAM condition."),
    remediation=(
        "Use predefined or custom roles with the permissions needed; bind impersonation "
        "roles on the one service account concerned, not on the project."),
    references=(
        "https://cloud.google.com/iam/docs/roles-overview#basic",
        "https://cloud.google.com/iam/docs/service-account-impersonation",
    ),
    limitations=(
        "Roles are judged by name; custom roles with the same permissions are not "
        "recognised until predefined-role expansion arrives."),
)
GCP_RISKY_CUSTOM_ROLE = CheckMeta(
    id="IAMSCOPE-GCP-003",
    title="Custom GCP role with escalation permissions",
    severity=Severity.HIGH,
    description=(
        "A custom role bound on a project, folder or organization holds a permission that "
        "lets its members escalate: set the IAM policy, act as or mint tokens for service "
        "accounts, create their keys, or edit custom roles "
        "(iamscope/ci/data/policy_rules.toml). One step lower with an IAM condition."),
    remediation=(
        "Drop the permission from the role, or bind a role holding it on the one resource "
        "concerned (a single service account) instead of the project."),
    references=(
        "https://cloud.google.com/iam/docs/service-account-impersonation",
        "https://cloud.google.com/iam/docs/understanding-custom-roles",
    ),
    limitations="Only custom roles defined in the same input are expanded.",
)
PUBLIC_MEMBERS = ("allusers", "allauthenticatedusers")
HIERARCHY = "//cloudresourcemanager.googleapis.com/"


def on_hierarchy(policy: Policy) -> bool:
    """Bound on a project, folder or organization (inherited by everything below)."""
    return policy.id.startswith(HIERARCHY)


def _gcp_statements(ctx: PolicyContext) -> Iterator[tuple[Policy, Statement, list[str],
                                                              list[str], bool]]:
    """(policy, binding, members, roles, conditional) for every GCP allow binding."""
    for policy in sorted(ctx.inventory.policies.values(), key=lambda p: p.id):
        if policy.kind is not PolicyKind.GCP_ALLOW:
            continue
        for statement in allow_statements(policy):
            members = list(statement.principal.gcp) if statement.principal else []
            roles = [r for r in statement.actions or () if r.startswith("roles/")]
            conditional = bool(statement.gcp_condition or statement.conditions)
            yield policy, statement, members, roles, conditional


def gcp_public_binding(ctx: PolicyContext) -> Iterator[Finding]:
    for policy, statement, members, roles, conditional in _gcp_statements(ctx):
        public = [m for m in members if m.lower() in PUBLIC_MEMBERS]
        if not public:
            continue
        message = (f"The binding of {short_list(roles) or 'its permissions'} on "
                   f"{policy.name or policy.id} grants {', '.join(public)}")
        message += " under an IAM condition." if conditional else "."
        severity = Severity.HIGH if conditional else Severity.CRITICAL
        yield statement_finding(GCP_PUBLIC_BINDING, severity, policy, statement, message,
                                [f"member {m}" for m in public])


def gcp_risky_role(ctx: PolicyContext) -> Iterator[Finding]:
    risky = rule_data()["gcp_risky_roles"]
    for policy, statement, members, roles, conditional in _gcp_statements(ctx):
        if not on_hierarchy(policy):  # on one resource these roles are the recommended way
            continue
        for role in (r for r in roles if r in risky):
            severity = Severity(risky[role]["severity"])
            if conditional:
                severity = Severity.MEDIUM if severity is Severity.HIGH else Severity.LOW
            message = (f"The binding of {role} on {policy.name or policy.id} grants "
                       f"{short_list(members)} {risky[role]['reason']}")
            message += " (under an IAM condition)." if conditional else "."
            yield statement_finding(GCP_RISKY_ROLE, severity, policy, statement, message,
                           [f"role {role}", *(f"member {m}" for m in members)], key=role)


def gcp_risky_custom_role(ctx: PolicyContext) -> Iterator[Finding]:
    risky = rule_data()["gcp_risky_permissions"]
    for policy, statement, members, _roles, conditional in _gcp_statements(ctx):
        if not on_hierarchy(policy):
            continue
        found = sorted(p for p in statement.actions or () if p in risky)
        if not found:
            continue
        severity = Severity.MEDIUM if conditional else Severity.HIGH
        role = statement.sid or "a custom role"
        message = (f"The binding of {role} on {policy.name or policy.id} grants "
                   f"{short_list(members)} {', '.join(found)}: {risky[found[0]]}")
        message += " (under an IAM condition)." if conditional else "."
        yield statement_finding(GCP_RISKY_CUSTOM_ROLE, severity, policy, statement, message,
                                [*(f"permission {p}" for p in found),
                                 *(f"member {m}" for m in members)], key=role)


RULES: tuple[PolicyRule, ...] = (
    PolicyRule(GCP_PUBLIC_BINDING, gcp_public_binding),
    PolicyRule(GCP_RISKY_ROLE, gcp_risky_role),
    PolicyRule(GCP_RISKY_CUSTOM_ROLE, gcp_risky_custom_role),
)
