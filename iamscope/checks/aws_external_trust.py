"""Roles that accounts outside the inventory can assume."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import CheckContext, CheckMeta, finding
from iamscope.checks.trust import account_of, guards, inbound, names_account, statements
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_external_trust",
    title="Role trusted by an account outside the inventory",
    severity=Severity.CRITICAL,
    description=(
        "The role's trust policy lets principals of an account that the inventory does not "
        "cover assume it (the engine decides the trust policy with a caller from that "
        "account whose own policies allow sts:AssumeRole). Whoever controls that account "
        "controls the role. HIGH without a guarding condition, MEDIUM with one (for "
        "example sts:ExternalId for a vendor, or an MFA condition); CRITICAL when the "
        "role is, or can become, admin."),
    remediation=(
        "Confirm the account belongs to a partner you intend to trust; require "
        "sts:ExternalId for third parties; name the exact role instead of the account "
        "root; remove trusts that are no longer used."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    ),
    limitations=(
        "What the other account's identity policies allow is not visible: the finding "
        "states what the trust policy admits."),
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    inside = set(ctx.inventory.metadata.accounts)

    def outside(node: str) -> bool:
        account = account_of(node)
        return node != "*" and account is not None and account not in inside

    for edge in inbound(ctx, outside):
        account = account_of(edge.source) or "?"
        guard = guards(edge)
        role = edge.target
        if ctx.escalation.reaches_admin(role):
            severity = Severity.CRITICAL
        else:
            severity = Severity.MEDIUM if guard else Severity.HIGH
        message = f"{ctx.label(role)} can be assumed from account {account}, outside the " \
                  "inventory"
        message += f", guarded by {', '.join(guard)}" if guard else ", with no guarding condition"
        if ctx.escalation.reaches_admin(role):
            message += "; the role is or can become admin"
        yield finding(META, severity, role, message + ".",
                      [f"trusted principal {edge.source}",
                       *statements(ctx, role, names_account(account))],
                      (edge,), ctx.location(role), key=(account,))
