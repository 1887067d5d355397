"""A path through the access graph: the hops an attacker takes, and how sure we are.

Reachability itself (closures, who reaches admin, shortest paths) lives in
``graph/escalation.py``, which computes it for every principal at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from iamscope.model.edge import Confidence, Edge


@dataclass(frozen=True, slots=True)
class Path:
    hops: tuple[Edge, ...]

    @property
    def confidence(self) -> Confidence:
        if any(h.confidence is Confidence.CONDITIONAL for h in self.hops):
            return Confidence.CONDITIONAL
        return Confidence.DEFINITE
