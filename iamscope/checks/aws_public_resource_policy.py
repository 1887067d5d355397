"""Resources whose resource-based policy lets anyone in."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import CheckContext, CheckMeta, finding
from iamscope.graph.exposure import PUBLIC
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_public_resource_policy",
    title="Public resource policy",
    severity=Severity.CRITICAL,
    description=(
        "The resource's policy allows an anonymous caller, or any authenticated principal "
        "of any AWS account, to perform actions on it (the engine decides the policy, and "
        "the RCPs over the resource, for such callers; facts of the caller's identity such "
        "as aws:PrincipalOrgID are given exactly, so a policy limited to the organisation "
        "is not public). CRITICAL without conditions, HIGH when the grant depends on "
        "request facts such as aws:SourceIp or aws:SourceVpce."),
    remediation=(
        "Remove the \"*\" principal or limit it with aws:PrincipalOrgID / "
        "aws:PrincipalAccount; for S3, turn on Block Public Access (RestrictPublicBuckets) "
        "at the account level."),
    references=(
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-concepts.html",
    ),
    limitations=(
        "Only resources collected with their policies are checked; ACLs, access points "
        "and presigned URLs are not. S3 Block Public Access with RestrictPublicBuckets "
        "(bucket or account level) suppresses the finding."),
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    for resource in sorted(ctx.inventory.resources.values(), key=lambda r: r.id):
        exposures = [e for e in ctx.exposure.of(resource)
                     if e.audience.kind in PUBLIC and not e.blocked]
        if not exposures:
            continue
        unconditional = [e for e in exposures if not e.conditions]
        chosen = (unconditional or exposures)[0]
        actions = sorted({a for e in exposures for a in e.actions})
        who = "anyone (anonymous callers included)" if any(
            e.audience.kind == "anonymous" for e in exposures) else \
            "any principal of any AWS account"
        message = f"{resource.type} {resource.name or resource.id} allows {who} " \
                  f"{_actions(actions)}"
        if not unconditional:
            message += f" if {', '.join(chosen.conditions)}"
        evidence = sorted({s for e in exposures for s in e.statements})
        yield finding(META, Severity.HIGH if not unconditional else Severity.CRITICAL,
                      resource.id, message + ".", [*evidence, *(f"action {a}" for a in actions)],
                      location=resource.source)


def _actions(actions: list[str]) -> str:
    if len(actions) <= 4:
        return ", ".join(actions)
    return f"{len(actions)} actions ({', '.join(actions[:3])}, ...)"
