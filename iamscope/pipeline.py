"""The audit: inventory -> access graph -> analyses -> checks -> an ``AuditResult``.

This is where the stages meet; each stays ignorant of the others. Reports take the
``AuditResult`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from iamscope.checks import load_checks
from iamscope.checks.base import CheckContext
from iamscope.evaluate import Engine
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.build import AccessGraph, build_graph, bulk_work
from iamscope.model.audit import AuditMetadata, AuditResult, PrincipalSummary
from iamscope.model.finding import Finding
from iamscope.model.inventory import Inventory
from iamscope.model.snapshot import iamscope_version

Progress = Callable[[str], None]




def run_audit(inventory: Inventory, *, engine: Engine | None = None,
              progress: Progress | None = None,
              checks: Iterable[str] | None = None) -> AuditResult:
    """Audit an inventory. ``checks`` limits the checks run (default: all registered)."""
    with bulk_work():
        return _audit(inventory, engine, progress, checks)


def _audit(inventory: Inventory, engine: Engine | None, progress: Progress | None,
           checks: Iterable[str] | None) -> AuditResult:
    if engine is None:
        # Room for every principal's compiled layers: each is asked many questions.
        engine = Engine(cache_size=max(4096, 2 * len(inventory.principals)))
    access = build_graph(inventory, engine, progress=progress)
    analysis = BlastAnalysis(access, engine)
    ctx = CheckContext(inventory, access, analysis)
    selected = load_checks(checks)
    findings: list[Finding] = []
    for check in selected:
        found = list(check.run(ctx))
        findings.extend(found)
        if progress:
            progress(f"{check.meta.id}: {len(found)} findings")
    findings.sort(key=rank)
    meta = inventory.metadata
    metadata = AuditMetadata(
        tool_version=iamscope_version(), collector=meta.collector,
        collected_at=meta.collected_at, accounts=meta.accounts,
        organization_id=meta.organization_id,
        catalog_version=analysis.authorizer.engine.catalog.version,
        checks=tuple(c.meta.id for c in selected),
        counts=(("principals", len(inventory.principals)),
                ("policies", len(inventory.policies)),
                ("resources", len(inventory.resources)),
                ("edges", len(access.edges))),
        unmodelled_techniques=tuple(access.unmodelled))
    notes = tuple(f"technique {t} has no detector yet: its paths are not followed"
                  for t in access.unmodelled)
    return AuditResult(metadata, tuple(summaries(ctx)), tuple(findings), inventory.gaps, notes)


def rank(finding: Finding) -> tuple[int, str, str, str]:
    return (finding.severity.rank, finding.subject, finding.rule_id, finding.message)


def summaries(ctx: CheckContext) -> list[PrincipalSummary]:
    access: AccessGraph = ctx.access
    escalation = ctx.escalation
    out = []
    for node in ctx.acting():
        principal = ctx.inventory.principals.get(node)
        status = access.admins.get(node)
        admin = bool(status and status.admin)
        reaches = escalation.reaches_admin(node)
        paths = () if admin or not reaches else tuple(
            p.hops for p in escalation.admin_paths(node))
        out.append(PrincipalSummary(
            id=node, name=principal.name if principal else node,
            type=principal.kind.value if principal else "external",
            account=principal.account if principal else access.graph.nodes[node].get(
                "account"),
            admin=admin, admin_reason=status.reason if status and status.admin else None,
            reaches_admin=reaches, paths=paths,
            admin_conditions=status.conditions if status and status.admin else ()))
    return out
