"""Findings: one rule firing on one subject, with evidence and where to fix it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum

from iamscope.model.edge import Edge
from iamscope.model.source import SourceRef


class Severity(Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: Severity
    subject: str  # a principal or resource id
    message: str  # one specific sentence
    evidence: tuple[str, ...] = ()  # policy ids / statements / facts
    path: tuple[Edge, ...] = ()
    location: SourceRef | None = None
    fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint(self.rule_id, self.subject,
                                                                self.evidence))


def fingerprint(rule_id: str, subject: str, evidence: tuple[str, ...]) -> str:
    """Stable across runs and input order: rule, subject and sorted evidence."""
    digest = hashlib.sha256("\x1f".join([rule_id, subject, *sorted(evidence)]).encode())
    return digest.hexdigest()[:32]
