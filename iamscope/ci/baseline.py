"""Baseline files: the fingerprints of findings a team has accepted for now.

``iamscope check --write-baseline FILE`` writes the current findings; ``--baseline FILE``
marks findings whose fingerprint is listed as suppressed (SARIF suppression kind
"external"). Pure functions over dicts: the CLI reads and writes the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from iamscope.errors import InputError
from iamscope.model.finding import Finding

FORMAT = "iamscope-baseline"
VERSION = 1


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    rule_id: str
    subject: str
    reason: str


def to_dict(findings: Iterable[Finding], reason: str = "accepted in the baseline") -> dict:
    entries = sorted({f.fingerprint: f for f in findings}.values(),
                     key=lambda f: (f.rule_id, f.subject, f.fingerprint))
    return {"format": FORMAT, "version": VERSION, "findings": [
        {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "subject": f.subject,
         "severity": f.severity.value, "message": f.message, "reason": reason}
        for f in entries]}


def from_dict(data: Any, *, source: str = "baseline") -> dict[str, BaselineEntry]:
    """Baseline entries by fingerprint; a malformed file raises ``InputError``."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{source}: not an iamscope baseline (expected \"format\": "
                         f"\"{FORMAT}\"; write one with --write-baseline)")
    if data.get("version") != VERSION:
        raise InputError(f"{source}: unsupported baseline version {data.get('version')!r}")
    items = data.get("findings")
    if not isinstance(items, list):
        raise InputError(f"{source}: \"findings\" must be a list")
    out: dict[str, BaselineEntry] = {}
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str) \
                or not item["fingerprint"]:
            raise InputError(f"{source}: findings[{n}] has no \"fingerprint\" string")
        reason = item.get("reason")
        out[item["fingerprint"]] = BaselineEntry(
            item["fingerprint"], str(item.get("rule_id", "")), str(item.get("subject", "")),
            reason if isinstance(reason, str) and reason else "accepted in the baseline")
    return out
