"""The audit as JSON: a documented, stable contract (docs/output.md,
docs/schemas/audit.schema.json).

Every string comes from ``json`` encoding, so names, tags and ARNs that carry quotes,
control characters or markup stay inert data. Keys are fixed; optional values are
``null`` rather than absent; lists are ordered (findings by severity then subject,
principals by id, external principals last).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from iamscope.model.audit import AuditResult, PrincipalSummary
from iamscope.model.edge import Edge
from iamscope.model.finding import Finding
from iamscope.model.source import CoverageGap, SourceRef

FORMAT = "iamscope-audit"
VERSION = 1


def hop(edge: Edge) -> dict[str, Any]:
    return {
        "from": edge.source,
        "to": edge.target,
        "technique": edge.technique,
        "kind": edge.kind.value,
        "confidence": edge.confidence.value,
        "conditions": list(edge.conditions),
    }


def principal(summary: PrincipalSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "name": summary.name,
        "type": summary.type,
        "account": summary.account,
        "admin": summary.admin,
        "admin_reason": summary.admin_reason,
        "admin_conditions": list(summary.admin_conditions),
        "reaches_admin": summary.reaches_admin,
        "paths": [[hop(h) for h in path] for path in summary.paths],
    }


def location(ref: SourceRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {k: v for k, v in asdict(ref).items() if v is not None}


def finding(item: Finding) -> dict[str, Any]:
    return {
        "rule_id": item.rule_id,
        "severity": item.severity.value,
        "subject": item.subject,
        "message": item.message,
        "evidence": list(item.evidence),
        "location": location(item.location),
        "path": [hop(h) for h in item.path],
        "fingerprint": item.fingerprint,
    }


def gap(item: CoverageGap) -> dict[str, Any]:
    return {"scope": item.scope, "reason": item.reason, "permission": item.permission,
            "account": item.account, "region": item.region}


def to_dict(result: AuditResult) -> dict[str, Any]:
    meta = result.metadata
    by_severity: dict[str, int] = {}
    for item in result.findings:
        by_severity[item.severity.value] = by_severity.get(item.severity.value, 0) + 1
    return {
        "format": FORMAT,
        "version": VERSION,
        "metadata": {
            "tool_version": meta.tool_version,
            "collector": meta.collector,
            "collected_at": meta.collected_at,
            "accounts": list(meta.accounts),
            "organization_id": meta.organization_id,
            "catalog_version": meta.catalog_version,
            "checks": list(meta.checks),
            "counts": dict(meta.counts),
            "unmodelled_techniques": list(meta.unmodelled_techniques),
        },
        "summary": {
            "findings": len(result.findings),
            "by_severity": by_severity,
            "principals": len(result.principals),
            "admins": sum(1 for p in result.principals if p.admin),
            "reach_admin": sum(1 for p in result.principals if p.reaches_admin and not p.admin),
        },
        "principals": [principal(p) for p in result.principals],
        "findings": [finding(f) for f in result.findings],
        "gaps": [gap(g) for g in result.gaps],
        "notes": list(result.notes),
    }


def render(result: AuditResult, *, indent: int | None = 2) -> str:
    return json.dumps(to_dict(result), indent=indent, ensure_ascii=True) + "\n"
