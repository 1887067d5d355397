"""``iamscope check --format sarif``: SARIF 2.1.0 for code-scanning services.

One run; the driver lists every rule (``reportingDescriptor``: id, name, descriptions,
help, default level, and ``properties.security-severity`` as GitHub code scanning reads
it). Each finding is a result with its rule, level, message, the file and line of the
Terraform resource it points at (``artifactLocation.uri`` relative to the base directory,
``region.startLine``) and the finding's stable fingerprint in ``partialFingerprints``.
Suppressed findings stay, with a ``suppressions`` entry (kind ``external`` for a baseline,
``inSource`` for an inline comment) and its justification. Valid against the official
schema (tests/data/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from iamscope.model.check import CheckedFinding, CheckResult, RuleInfo
from iamscope.model.finding import Finding, Severity
from iamscope.model.source import SourceRef

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "iamscope/v1"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.1"}
TOOL_URI = "https://github.com/iamscope/iamscope"


def uri(path: str, base: str | None, root: str | None = None) -> str:
    """A URI reference for a file path: relative to ``base`` when inside it, with forward
    slashes and percent-encoding; an absolute path outside the base becomes ``file://``.
    A relative path is taken relative to ``root`` (the Terraform directory the inventory's
    file names are relative to) when one is given."""
    pure = PurePosixPath(path.replace("\\", "/"))
    if root and not pure.is_absolute():
        pure = PurePosixPath(root.replace("\\", "/")) / pure
    if base and pure.is_absolute():
        base_path = PurePosixPath(base.replace("\\", "/"))
        if pure.is_relative_to(base_path):
            pure = pure.relative_to(base_path)
    text = quote(str(pure), safe="/")
    return "file://" + text if pure.is_absolute() else text


def rule(item: RuleInfo) -> dict[str, Any]:
    refs = "\n".join(f"- {r}" for r in item.references)
    descriptor: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "shortDescription": {"text": item.title},
        "fullDescription": {"text": item.description},
        "help": {"text": f"{item.remediation}\n\nReferences:\n{refs}" if refs
                 else item.remediation,
                 "markdown": f"**Remediation.** {item.remediation}" + (
                     f"\n\n**References**\n{refs}" if refs else "")},
        "defaultConfiguration": {"level": LEVEL[item.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[item.severity],
                       "tags": ["security", "iam"], "precision": "high"},
    }
    if item.references:
        descriptor["helpUri"] = item.references[0]
    return descriptor


def locations(found: Finding, to_uri: Callable[[str], str]) -> list[dict[str, Any]]:
    ref: SourceRef | None = found.location
    logical = {"fullyQualifiedName": (ref.address if ref and ref.address else found.subject),
               "kind": "resource"}
    if ref is None or not ref.file:
        return [{"logicalLocations": [logical]}]
    physical: dict[str, Any] = {"artifactLocation": {"uri": to_uri(ref.file)}}
    if ref.line and ref.line >= 1:
        physical["region"] = {"startLine": ref.line}
    return [{"physicalLocation": physical, "logicalLocations": [logical]}]


def result(item: CheckedFinding, index: dict[str, int], to_uri: Callable[[str], str]
           ) -> dict[str, Any]:
    found = item.finding
    out: dict[str, Any] = {
        "ruleId": found.rule_id,
        "level": LEVEL[found.severity],
        "message": {"text": found.message},
        "locations": locations(found, to_uri),
        "partialFingerprints": {FINGERPRINT_KEY: found.fingerprint},
        "properties": {"severity": found.severity.value, "subject": found.subject,
                       "evidence": list(found.evidence),
                       "security-severity": SECURITY_SEVERITY[found.severity]},
    }
    if found.rule_id in index:
        out["ruleIndex"] = index[found.rule_id]
    if item.introduced is not None:
        out["properties"]["introduced"] = item.introduced
    if item.suppression is not None:
        suppression: dict[str, Any] = {"kind": item.suppression.kind.value,
                                       "state": "accepted",
                                       "justification": item.suppression.justification}
        where = item.suppression.location
        if where is not None and where.file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": to_uri(where.file)}}
            if where.line and where.line >= 1:
                physical["region"] = {"startLine": where.line}
            suppression["location"] = {"physicalLocation": physical}
        out["suppressions"] = [suppression]
    return out


def to_dict(result_: CheckResult, *, base: str | None = None,
            root: str | None = None) -> dict[str, Any]:
    rules = list(result_.rules)

    def to_uri(path: str) -> str:
        return uri(path, base, root)

    index = {r.id: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "iamscope", "version": result_.metadata.tool_version,
                            "semanticVersion": result_.metadata.tool_version,
                            "informationUri": TOOL_URI,
                            "rules": [rule(r) for r in rules]}},
        "results": [result(f, index, to_uri) for f in result_.findings],
        "invocations": [{"executionSuccessful": True,
                         "toolExecutionNotifications": [
                             {"level": "warning", "message": {"text": w}}
                             for w in result_.warnings]}],
        "properties": {"source": result_.source, "failed": result_.failed,
                       "fail_on": result_.fail_on.value if result_.fail_on else None,
                       "catalog_version": result_.metadata.catalog_version,
                       "delta": [i.headline for i in result_.delta.items]
                       if result_.delta else None},
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result_: CheckResult, *, base: str | None = None, root: str | None = None) -> str:
    return json.dumps(to_dict(result_, base=base, root=root), indent=2,
                      ensure_ascii=True) + "\n"
