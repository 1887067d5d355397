"""Proposals and the minimize report (JSON contract: docs/output.md, minimize.schema.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from iamscope.minimize.removed import Removed

FORMAT = "iamscope-minimize"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Replayed:
    allowed: int
    total: int


@dataclass(frozen=True, slots=True)
class Proposal:
    """One principal's proposal. ``policy`` is None when the proposal was refused (a proof
    failed) or could not be built; ``refused`` then says why."""

    principal: str
    policy: dict[str, object] | None
    no_new_access: bool | None
    replay: Replayed
    removed: tuple[Removed, ...] = ()
    notes: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    observed_actions: int = 0
    observed_calls: int = 0
    blast: dict[str, object] | None = None  # {"before": {...}, "after": {...}} when asked

    @property
    def emitted(self) -> bool:
        return self.policy is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "principal": self.principal,
            "emitted": self.emitted,
            "policy": self.policy,
            "proof": {
                "no_new_access": self.no_new_access,
                "replay": {"allowed": self.replay.allowed, "total": self.replay.total},
            },
            "observed": {
                "actions": self.observed_actions,
                "calls": self.observed_calls,
                "first_seen": _iso(self.first_seen),
                "last_seen": _iso(self.last_seen),
            },
            "removed": [r.to_dict() for r in self.removed],
            "notes": list(self.notes),
            "refused": list(self.refused),
            **({"blast_radius": self.blast} if self.blast is not None else {}),
        }


@dataclass(frozen=True, slots=True)
class MinimizeReport:
    proposals: tuple[Proposal, ...]
    inventory: bool  # proof (a) was possible
    threshold: int
    since: datetime | None = None
    until: datetime | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "window": {"since": _iso(self.since), "until": _iso(self.until)},
            "threshold": self.threshold,
            "proof_a_possible": self.inventory,
            "notes": list(self.notes),
            "proposals": [p.to_dict() for p in self.proposals],
        }

    def to_json(self) -> str:
        """Indented around the proposals, one compact proposal per line (thousands of
        proposals render in a fraction of a second; ``jq`` pretty-prints one)."""
        data = self.to_dict()
        proposals = data.pop("proposals")
        head = json.dumps(data, indent=2, ensure_ascii=True)[:-2]
        lines = [json.dumps(p, ensure_ascii=True) for p in proposals]  # type: ignore[union-attr]
        body = ",\n    ".join(lines)
        return head + ',\n  "proposals": [' + ("\n    " + body + "\n  " if lines else "") + "]\n}\n"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
