"""Roles whose trust policy admits every AWS principal ("*")."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import CheckContext, CheckMeta, finding
from iamscope.checks.trust import guards, inbound, names_everyone, statements
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_wildcard_trust",
    title="Role trusted by every AWS principal",
    severity=Severity.CRITICAL,
    description=(
        "The role's trust policy names \"*\" (or {\"AWS\": \"*\"}) and the engine allows an "
        "arbitrary principal of an arbitrary account to assume it, perhaps under "
        "conditions. Without a guarding condition anyone with an AWS account can assume "
        "the role (CRITICAL). With one (aws:PrincipalOrgID, aws:PrincipalAccount, "
        "aws:SourceIp, ...) the guard decides who gets in, and the finding names it "
        "(MEDIUM): a typo in the guard or a condition key the caller controls opens the "
        "role to everyone."),
    remediation=(
        "Name the principals that should assume the role; when a wildcard is needed, keep "
        "an aws:PrincipalOrgID or aws:PrincipalAccount condition and review it."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    ),
    limitations=(
        "Conditions on request facts are assumed satisfiable by the caller; whether a "
        "guard really keeps strangers out depends on its value, which is shown in the "
        "evidence but not judged."),
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    for edge in inbound(ctx, lambda node: node == "*"):
        role = edge.target
        guard = guards(edge)
        if guard:
            message = (f"{ctx.label(role)} trusts every AWS principal (\"*\"), guarded only "
                       f"by {', '.join(guard)}")
        else:
            message = (f"{ctx.label(role)} trusts every AWS principal (\"*\") with no "
                       "guarding condition: anyone with an AWS account can assume it")
        yield finding(META, Severity.MEDIUM if guard else Severity.CRITICAL, role,
                      message + ".", statements(ctx, role, names_everyone), (edge,),
                      ctx.location(role))
