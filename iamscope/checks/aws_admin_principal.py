"""Principals that are admin-equivalent as they stand."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import ACTING, CheckContext, CheckMeta, finding
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_admin_principal",
    title="Admin-equivalent principal",
    severity=Severity.HIGH,
    description=(
        "The user or role can perform every action on every resource after all policy "
        "layers (identity policies, permissions boundary, SCPs), or can grant itself that "
        "in one step (a new default version of its own policy, attaching or putting a "
        "policy on itself). Its compromise is a compromise of the account. Reported HIGH; "
        "MEDIUM when it holds only under request facts the data cannot prove (for example "
        "an aws:RequestedRegion condition in an SCP)."),
    remediation=(
        "Keep admin access to a few break-glass roles that require MFA; give workloads and "
        "people scoped policies; remove the self-modification permissions (iam:Create"
        "PolicyVersion, iam:Attach*/Put* on itself)."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
        "https://github.com/RhinoSecurityLabs/AWS-IAM-Privilege-Escalation",
    ),
    limitations=(
        "Admin equivalence is probed on '*' with a set of sensitive actions; a principal "
        "denied one of them (an SCP denying IAM writes, say) is not reported here even if "
        "it holds almost everything."),
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    for principal_id, status in sorted(ctx.access.admins.items()):
        principal = ctx.inventory.principals.get(principal_id)
        if principal is None or principal.kind not in ACTING or not status.admin:
            continue
        message = f"{ctx.label(principal_id)} is admin-equivalent: {status.reason}"
        if status.conditions:
            message += f" (assuming {', '.join(status.conditions)})"
        yield finding(META, Severity.MEDIUM if status.conditions else Severity.HIGH,
                      principal_id, message + ".", ctx.admin_evidence(principal_id),
                      location=principal.source)
