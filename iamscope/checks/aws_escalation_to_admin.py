"""Principals that are not admin but can become admin."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import CheckContext, CheckMeta, describe_path, finding, path_evidence
from iamscope.model.edge import Confidence
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_escalation_to_admin",
    title="Privilege escalation path to admin",
    severity=Severity.CRITICAL,
    description=(
        "The principal is not admin-equivalent itself, but a chain of steps it can take "
        "(assuming roles, creating credentials for other users, passing a role to new "
        "compute, taking over compute that runs as a role, rewriting a trust or a policy) "
        "ends at an admin-equivalent principal. The shortest path is given. CRITICAL when "
        "every step is definite, HIGH when a step depends on a fact the data cannot prove "
        "(named in the path). Principals outside the inventory (other accounts, any AWS "
        "principal) are reported too when trust policies let them in."),
    remediation=(
        "Break the path at its first step: remove the permission the first hop relies on "
        "(see the evidence), or narrow it to the resources it is meant for; add a "
        "permissions boundary or an SCP that denies the technique."),
    references=(
        "https://github.com/nccgroup/PMapper",
        "https://github.com/RhinoSecurityLabs/AWS-IAM-Privilege-Escalation",
        "https://pathfinding.cloud",
    ),
    limitations=(
        "Only techniques in the technique catalog are followed; conditions on request "
        "facts are assumed satisfiable by the attacker and reported on the path."),
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    escalation = ctx.escalation
    admins = ctx.access.admins
    for node in ctx.acting():
        status = admins.get(node)
        if (status is not None and status.admin) or not escalation.reaches_admin(node):
            continue
        paths = escalation.admin_paths(node, limit=1)
        if not paths:
            continue
        path = paths[0]
        definite = path.confidence is Confidence.DEFINITE
        facts = sorted({c for hop in path.hops for c in hop.conditions})
        message = (f"{ctx.label(node)} can become admin in {len(path.hops)} "
                   f"step{'s' if len(path.hops) != 1 else ''}: {describe_path(ctx, path.hops)}")
        if facts:
            message += f" (if {'; '.join(facts)})"
        evidence = [f"technique {h.technique}: {h.source} -> {h.target}" for h in path.hops]
        yield finding(META, Severity.CRITICAL if definite else Severity.HIGH, node,
                      message + ".", [*evidence, *path_evidence(path.hops)], path.hops,
                      ctx.location(node))
