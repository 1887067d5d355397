"""Which findings are suppressed, and why: inline comments and baseline fingerprints.

An inline ``# iamscope:ignore RULE_ID reason`` is written on a Terraform resource; the
collector attaches it to the inventory elements that resource defines. It suppresses a
finding of that rule whose subject is such an element, or whose location is the same
Terraform resource (address). A baseline entry suppresses the finding with its fingerprint.
Suppressed findings stay in the result, marked, and are counted; only the verdict
(``--fail-on``) ignores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from iamscope.ci.baseline import BaselineEntry
from iamscope.model.check import AppliedSuppression, CheckedFinding, SuppressionKind
from iamscope.model.finding import Finding
from iamscope.model.source import SourceRef


class InlineSuppression(Protocol):
    """What the Terraform collector records (``collect.terraform.resources.Suppression``)."""

    @property
    def rule_id(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def source(self) -> SourceRef | None: ...


class Suppressor:
    def __init__(self, inline: Mapping[str, Iterable[InlineSuppression]] | None = None,
                 addresses: Mapping[str, str] | None = None,
                 baseline: Mapping[str, BaselineEntry] | None = None):
        self.inline = {k: tuple(v) for k, v in (inline or {}).items()}
        self.baseline = dict(baseline or {})
        by_address: dict[str, list[InlineSuppression]] = {}
        for element, items in self.inline.items():
            address = (addresses or {}).get(element)
            if address:
                by_address.setdefault(address, []).extend(items)
            for item in items:
                if item.source is not None and item.source.address:
                    by_address.setdefault(item.source.address, []).append(item)
        self.by_address = by_address

    def unknown_rules(self, known: Iterable[str]) -> list[str]:
        """Warnings for inline suppressions naming no rule ``check`` knows (a typo would
        otherwise silently suppress nothing)."""
        ids = {k.lower() for k in known}
        seen: set[tuple[str, str]] = set()
        out = []
        for items in self.inline.values():
            for item in items:
                where = item.source
                place = (f"{where.file}:{where.line}" if where and where.file and where.line
                         else (where.address if where and where.address else "?"))
                if item.rule_id.lower() in ids or (item.rule_id, place) in seen:
                    continue
                seen.add((item.rule_id, place))
                out.append(f"{place}: iamscope:ignore names {item.rule_id!r}, which is not a "
                           "rule id (see `docs/ci.md`); it suppresses nothing")
        return out

    def check(self, finding: Finding, introduced: bool | None = None) -> CheckedFinding:
        return CheckedFinding(finding, self.applied(finding), introduced)

    def applied(self, finding: Finding) -> AppliedSuppression | None:
        rule = finding.rule_id.lower()
        candidates = list(self.inline.get(finding.subject, ()))
        if finding.location is not None and finding.location.address:
            candidates.extend(self.by_address.get(finding.location.address, ()))
        for item in candidates:
            if item.rule_id.lower() == rule:
                return AppliedSuppression(SuppressionKind.INLINE,
                                          item.reason or "(no reason given)", item.source)
        entry = self.baseline.get(finding.fingerprint)
        if entry is not None:
            return AppliedSuppression(SuppressionKind.BASELINE, entry.reason)
        return None
