"""Resources whose resource-based policy grants other accounts access."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.aws_public_resource_policy import _actions
from iamscope.checks.base import CheckContext, CheckMeta, finding
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_cross_account_resource_policy",
    title="Cross-account resource policy",
    severity=Severity.MEDIUM,
    description=(
        "The resource's policy allows principals of another account to act on it (the "
        "engine decides the policy for a caller of each account the policy names, and for "
        "a member of the organisation outside the inventory when the policy admits the "
        "organisation). MEDIUM when an account outside the inventory gets access, LOW when "
        "only other accounts of the inventory do."),
    remediation=(
        "Check that each account is meant to have this access; name the exact role rather "
        "than the account; drop actions the other side does not use."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html",
    ),
    limitations=(
        "The other account's identity policies are not visible: the finding states what "
        "the resource policy admits. Public access is reported by aws_public_resource_policy."),
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    for resource in sorted(ctx.inventory.resources.values(), key=lambda r: r.id):
        exposures = [e for e in ctx.exposure.of(resource)
                     if e.audience.kind in ("account", "organization") and not e.blocked]
        if not exposures:
            continue
        outside = sorted({e.audience.account or "?" for e in exposures
                          if not e.audience.in_inventory})
        inside = sorted({e.audience.account or "?" for e in exposures
                         if e.audience.in_inventory})
        actions = sorted({a for e in exposures for a in e.actions})
        parts = []
        if outside:
            parts.append(f"account{'s' if len(outside) > 1 else ''} {', '.join(outside)} "
                         "outside the inventory")
        if inside:
            parts.append(f"account{'s' if len(inside) > 1 else ''} {', '.join(inside)} of "
                         "the inventory")
        message = (f"{resource.type} {resource.name or resource.id} allows "
                   f"{' and '.join(parts)} {_actions(actions)}")
        conditions = sorted({c for e in exposures for c in e.conditions})
        if conditions:
            message += f" (if {', '.join(conditions)})"
        evidence = [*(f"account {a}" for a in outside + inside),
                    *sorted({s for e in exposures for s in e.statements})]
        yield finding(META, Severity.MEDIUM if outside else Severity.LOW, resource.id,
                      message + ".", evidence, location=resource.source,
                      key=tuple(outside + inside))
