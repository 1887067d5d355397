"""``iamscope check --format json``: the check result as a documented, stable contract
(docs/output.md, "check"). Findings keep the audit's finding object and add their
suppression and whether the plan introduces them; the delta comes first among the results
a reader looks at. Every string goes through ``json`` encoding.
"""

from __future__ import annotations

import json
from typing import Any

from iamscope.model.check import (
    AppliedSuppression,
    Cause,
    CheckedFinding,
    CheckResult,
    DeltaItem,
    RuleInfo,
)
from iamscope.model.finding import Severity
from iamscope.report.audit_json import finding, gap, hop, location

FORMAT = "iamscope-check"
VERSION = 1


def suppression(item: AppliedSuppression | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"kind": item.kind.value, "justification": item.justification,
            "location": location(item.location)}


def checked(item: CheckedFinding) -> dict[str, Any]:
    return {**finding(item.finding), "suppressed": item.suppressed,
            "suppression": suppression(item.suppression), "introduced": item.introduced}


def cause(item: Cause) -> dict[str, Any]:
    return {"element": item.element, "address": item.address, "change": item.change,
            "location": location(item.location)}


def delta_item(item: DeltaItem) -> dict[str, Any]:
    return {"rule_id": item.rule_id, "kind": item.kind, "principal": item.principal,
            "severity": item.severity.value, "headline": item.headline,
            "gained": list(item.gained), "path": [hop(h) for h in item.path],
            "causes": [cause(c) for c in item.causes]}


def rule(item: RuleInfo) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "title": item.title,
            "severity": item.severity.value, "description": item.description,
            "remediation": item.remediation, "references": list(item.references)}


def counts(findings: tuple[CheckedFinding, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in findings:
        key = item.finding.severity.value
        out[key] = out.get(key, 0) + 1
    return {s.value: out[s.value] for s in Severity if s.value in out}


def to_dict(result: CheckResult) -> dict[str, Any]:
    meta = result.metadata
    delta = result.delta
    return {
        "format": FORMAT,
        "version": VERSION,
        "metadata": {
            "tool_version": meta.tool_version, "source": result.source,
            "collector": meta.collector, "accounts": list(meta.accounts),
            "catalog_version": meta.catalog_version, "counts": dict(meta.counts),
            "unmodelled_techniques": list(meta.unmodelled_techniques),
        },
        "verdict": {
            "failed": result.failed,
            "fail_on": result.fail_on.value if result.fail_on else None,
        },
        "summary": {
            "findings": len(result.findings),
            "active": len(result.active),
            "suppressed": len(result.suppressed),
            "by_severity": counts(result.active),
            "introduced": None if delta is None else sum(
                1 for f in result.active if f.introduced),
        },
        "delta": None if delta is None else {
            "principals_before": delta.principals_before,
            "principals_after": delta.principals_after,
            "changed_policies": list(delta.changed_policies),
            "items": [delta_item(i) for i in delta.items],
            "limitations": list(delta.limitations),
        },
        "findings": [checked(f) for f in result.findings],
        "rules": [rule(r) for r in result.rules],
        "gaps": [gap(g) for g in result.gaps],
        "warnings": list(result.warnings),
        "notes": list(result.notes),
    }


def render(result: CheckResult, *, indent: int | None = 2) -> str:
    return json.dumps(to_dict(result), indent=indent, ensure_ascii=True) + "\n"
