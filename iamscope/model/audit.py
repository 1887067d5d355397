"""What an audit hands to reports: plain data, no graph."""

from __future__ import annotations

from dataclasses import dataclass, field

from iamscope.model.edge import Edge
from iamscope.model.finding import Finding
from iamscope.model.source import CoverageGap


@dataclass(frozen=True, slots=True)
class PrincipalSummary:
    """One principal: admin as it stands, whether it can reach admin, and how."""

    id: str  # ARN, GCP member, or "*" / an external account root for outside principals
    name: str
    type: str  # user | role | external
    account: str | None
    admin: bool
    admin_reason: str | None
    reaches_admin: bool
    paths: tuple[tuple[Edge, ...], ...] = ()  # shortest paths to admin, shortest first
    admin_conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditMetadata:
    tool_version: str
    collector: str
    collected_at: str | None
    accounts: tuple[str, ...]
    organization_id: str | None
    catalog_version: str | None
    checks: tuple[str, ...]
    counts: tuple[tuple[str, int], ...] = ()  # principals, policies, resources, edges, ...
    unmodelled_techniques: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditResult:
    metadata: AuditMetadata
    principals: tuple[PrincipalSummary, ...]
    findings: tuple[Finding, ...]  # ranked: severity, then subject
    gaps: tuple[CoverageGap, ...] = ()
    notes: tuple[str, ...] = field(default=())
