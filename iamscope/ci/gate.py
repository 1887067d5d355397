"""The CI gate: inventories (planned, and prior for a plan) -> every finding, the blast-radius
delta, suppressions and the verdict, as one ``CheckResult``.

Findings come from the audit checks (``iamscope/checks``, over the access graph of the
planned state), the policy rules (``ci/policy_rules.py``, ``ci/gcp_rules.py``: what the
documents say) and, for a plan with a prior state, the delta (``ci/delta.py``). With a
prior state each finding also says whether the plan introduces it (its fingerprint is not
among the prior state's findings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from iamscope.checks import CHECKS, load_checks
from iamscope.checks.base import CheckContext, CheckMeta
from iamscope.ci.baseline import BaselineEntry
from iamscope.ci.delta import DELTA_RULES, Changes, compute_delta, delta_findings
from iamscope.ci.policy_rules import PolicyContext, all_rules, run_policy_rules
from iamscope.ci.suppress import InlineSuppression, Suppressor
from iamscope.evaluate import Engine
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.build import build_graph, bulk_work
from iamscope.model.audit import AuditMetadata
from iamscope.model.check import CheckResult, RuleInfo
from iamscope.model.finding import Finding, Severity
from iamscope.model.inventory import Inventory
from iamscope.model.snapshot import iamscope_version
from iamscope.model.source import SourceRef
from iamscope.pipeline import rank

Progress = Callable[[str], None]
DEFAULT_FAIL_ON = Severity.HIGH


@dataclass(frozen=True)
class CheckInput:
    """What to check: the planned (or configured) inventory, the prior one for a plan, and
    what the Terraform collector knows about suppressions and addresses."""

    planned: Inventory
    prior: Inventory | None = None
    source: str = "inventory"  # "plan" | "terraform" | "inventory"
    suppressions: Mapping[str, Iterable[InlineSuppression]] = field(default_factory=dict)
    addresses: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    locations: Mapping[str, SourceRef] = field(default_factory=dict)  # attachments' file/line


def analyse(inventory: Inventory, engine: Engine, progress: Progress | None = None
            ) -> CheckContext:
    """The access graph and the analyses over it, as the audit checks see them."""
    access = build_graph(inventory, engine, progress=progress)
    return CheckContext(inventory, access, BlastAnalysis(access, engine))


SENSITIVE_CHECK = "aws_sensitive_blast_radius"


def audit_findings(ctx: CheckContext, progress: Progress | None = None,
                   skip: tuple[str, ...] = ()) -> list[Finding]:
    found: list[Finding] = []
    for check in load_checks(c for c in CHECKS if c not in skip):
        items = list(check.run(ctx))
        found.extend(items)
        if progress:
            progress(f"{check.meta.id}: {len(items)} findings")
    return found


def all_findings(ctx: CheckContext, engine: Engine, progress: Progress | None = None,
                 skip: tuple[str, ...] = ()) -> list[Finding]:
    found = audit_findings(ctx, progress, skip)
    policy = run_policy_rules(PolicyContext(ctx.inventory, engine.catalog))
    if progress:
        progress(f"policy rules: {len(policy)} findings")
    return found + policy


def rules() -> tuple[RuleInfo, ...]:
    """Every rule ``check`` can report: audit checks (named by their id), policy rules
    (named after their function), delta rules."""
    named: list[tuple[CheckMeta, str]] = [(c.meta, c.meta.id) for c in load_checks()]
    named.extend((r.meta, r.run.__name__) for r in all_rules())
    named.extend(DELTA_RULES)
    return tuple(RuleInfo(m.id, name, m.title, m.severity, m.description, m.remediation,
                          m.references) for m, name in named)


def run_check(request: CheckInput, *, baseline: Mapping[str, BaselineEntry] | None = None,
              fail_on: Severity | None = DEFAULT_FAIL_ON, engine: Engine | None = None,
              progress: Progress | None = None) -> CheckResult:
    with bulk_work():
        return _check(request, baseline, fail_on, engine, progress)


def _check(request: CheckInput, baseline: Mapping[str, BaselineEntry] | None,
           fail_on: Severity | None, engine: Engine | None,
           progress: Progress | None) -> CheckResult:
    planned = request.planned
    if engine is None:
        size = len(planned.principals) + len(request.prior.principals if request.prior else ())
        engine = Engine(cache_size=max(4096, 2 * size))
    after = analyse(planned, engine, progress)
    findings = all_findings(after, engine, progress)
    delta = None
    introduced: Callable[[Finding], bool | None] = _unknown
    if request.prior is not None:
        before = analyse(request.prior, engine, progress)
        changes = Changes(before, after, request.addresses, request.locations)
        # The prior state's sensitive reach is asked only where the plan changes its inputs
        # (Changes.own_before), not through the audit check over every principal.
        previous = {f.fingerprint for f in all_findings(before, engine,
                                                         skip=(SENSITIVE_CHECK,))}
        delta = compute_delta(changes)
        findings.extend(delta_findings(delta))
        if progress:
            progress(f"delta: {len(delta.items)} changes")
        introduced = _introduced_by(changes, previous)
    findings.sort(key=rank)
    suppressor = Suppressor(request.suppressions, request.addresses, baseline)
    checked = tuple(suppressor.check(f, introduced(f)) for f in findings)
    meta = planned.metadata
    metadata = AuditMetadata(
        tool_version=iamscope_version(), collector=meta.collector,
        collected_at=meta.collected_at, accounts=meta.accounts,
        organization_id=meta.organization_id, catalog_version=engine.catalog.version,
        checks=tuple(r.id for r in rules()),
        counts=(("principals", len(planned.principals)),
                ("policies", len(planned.policies)),
                ("resources", len(planned.resources)),
                ("edges", len(after.access.edges))),
        unmodelled_techniques=tuple(after.access.unmodelled))
    notes = [f"technique {t} has no detector yet: its paths are not followed"
             for t in after.access.unmodelled]
    if request.source == "plan" and request.prior is None:
        notes.append("the plan has no prior state: no blast-radius delta was computed")
    warnings = (*request.warnings, *suppressor.unknown_rules(r.id for r in rules()))
    return CheckResult(metadata, request.source, checked, rules(), delta, fail_on,
                       planned.gaps, warnings, tuple(notes))


def _unknown(found: Finding) -> bool | None:
    return None


def _introduced_by(changes: Changes, previous: set[str]) -> Callable[[Finding], bool | None]:
    """Whether the plan introduces a finding: its fingerprint is not among the prior
    state's findings (for the sensitive blast radius, which is not run over the prior
    state: the principal was not reported before)."""
    def introduced(found: Finding) -> bool | None:
        if found.rule_id == SENSITIVE_CHECK:
            return not changes.sensitive_finding_existed(found.subject)
        return found.fingerprint not in previous
    return introduced
