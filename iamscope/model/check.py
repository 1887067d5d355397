"""What ``iamscope check`` hands to its reports: findings with their suppression state, the
blast-radius delta of a plan, the rules that ran and the verdict. Plain data, no graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from iamscope.model.audit import AuditMetadata
from iamscope.model.edge import Edge
from iamscope.model.finding import Finding, Severity
from iamscope.model.source import CoverageGap, SourceRef


class SuppressionKind(Enum):
    BASELINE = "external"  # a fingerprint in a --baseline file (SARIF kind "external")
    INLINE = "inSource"  # an "# iamscope:ignore RULE reason" comment (SARIF "inSource")


@dataclass(frozen=True, slots=True)
class AppliedSuppression:
    kind: SuppressionKind
    justification: str
    location: SourceRef | None = None  # where the inline comment is


@dataclass(frozen=True, slots=True)
class CheckedFinding:
    finding: Finding
    suppression: AppliedSuppression | None = None
    introduced: bool | None = None  # plans with a prior state: new in this plan?

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as reports describe it (SARIF ``reportingDescriptor``)."""

    id: str
    name: str  # a slug: the module or function name
    title: str
    severity: Severity  # the highest severity it reports
    description: str
    remediation: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cause:
    """The Terraform resource (or inventory element) that brings a change about."""

    element: str  # policy / principal id
    address: str | None = None  # aws_iam_role_policy.deploy
    location: SourceRef | None = None
    change: str = "changed"  # "added" | "changed" | "attached"

    @property
    def label(self) -> str:
        where = ""
        if self.location is not None and self.location.file:
            where = f" at {self.location.file}"
            if self.location.line:
                where += f":{self.location.line}"
        return f"{self.address or self.element}{where}"


@dataclass(frozen=True, slots=True)
class DeltaItem:
    """One change of one principal's blast radius between the prior and planned state."""

    rule_id: str  # IAMSCOPE-DELTA-00x
    kind: str  # "new-admin" | "new-escalation" | "new-sensitive-access" | "new-permissions"
    principal: str
    principal_label: str  # role deploy (account 111122223333)
    headline: str  # one sentence, cause included
    severity: Severity
    gained: tuple[str, ...] = ()  # actions, or "category: action on target", gained
    path: tuple[Edge, ...] = ()
    causes: tuple[Cause, ...] = ()


@dataclass(frozen=True, slots=True)
class Delta:
    items: tuple[DeltaItem, ...]
    principals_before: int
    principals_after: int
    changed_policies: tuple[str, ...] = ()
    limitations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckResult:
    metadata: AuditMetadata
    source: str  # what was checked: "plan", "terraform", "inventory"
    findings: tuple[CheckedFinding, ...]  # ranked: severity, then subject
    rules: tuple[RuleInfo, ...]
    delta: Delta | None = None
    fail_on: Severity | None = None
    gaps: tuple[CoverageGap, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def active(self) -> tuple[CheckedFinding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)

    @property
    def suppressed(self) -> tuple[CheckedFinding, ...]:
        return tuple(f for f in self.findings if f.suppressed)

    @property
    def failed(self) -> bool:
        """Whether an unsuppressed finding is at or above ``fail_on``."""
        if self.fail_on is None:
            return False
        threshold = self.fail_on.rank
        return any(f.finding.severity.rank <= threshold for f in self.active)
