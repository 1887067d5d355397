"""What a check is and what it sees.

A check has ``META`` (what it looks for, how bad, how to fix it, what it cannot see) and a
``run(ctx)`` that yields findings from a ``CheckContext``: the inventory, the access graph,
and the analyses over it (escalation, blast radius, resource-policy exposure), each
computed once per audit and shared by every check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple

from iamscope.evaluate import Decision
from iamscope.graph.admin import SYNTHETIC_ACTION
from iamscope.graph.blast import BlastAnalysis, evidence_label
from iamscope.graph.build import AccessGraph
from iamscope.graph.escalation import Escalation
from iamscope.graph.exposure import ExposureAnalysis
from iamscope.model.edge import Edge, EdgeKind
from iamscope.model.finding import Finding, Severity, fingerprint
from iamscope.model.inventory import Inventory
from iamscope.model.principal import PrincipalKind
from iamscope.model.source import SourceRef

ACTING = (PrincipalKind.USER, PrincipalKind.ROLE)


@dataclass(frozen=True, slots=True)
class CheckMeta:
    id: str
    title: str
    severity: Severity  # the highest severity the check reports
    description: str
    remediation: str
    references: tuple[str, ...] = ()
    limitations: str = ""


class Check(NamedTuple):
    meta: CheckMeta
    run: Callable[[CheckContext], Iterable[Finding]]


@dataclass
class CheckContext:
    inventory: Inventory
    access: AccessGraph
    analysis: BlastAnalysis

    @property
    def escalation(self) -> Escalation:
        return self.analysis.escalation

    @property
    def exposure(self) -> ExposureAnalysis:
        return self.analysis.exposure

    def acting(self) -> Iterator[str]:
        """Users and roles of the inventory, then principals outside it that edges start
        from (other accounts, ``*``), sorted by id."""
        inventory = self.inventory
        yield from sorted(p.id for p in inventory.principals.values() if p.kind in ACTING)
        yield from self.outside

    @cached_property
    def outside(self) -> list[str]:
        graph = self.access.graph
        return sorted(n for n, data in graph.nodes(data=True)
                      if data.get("kind") == "external" and graph.out_degree(n))

    def kind(self, node: str) -> str:
        principal = self.inventory.principals.get(node)
        if principal is not None:
            return principal.kind.value
        return "any principal" if node == "*" else "external principal"

    def name(self, node: str) -> str:
        principal = self.inventory.principals.get(node)
        if principal is not None:
            return principal.name
        resource = self.inventory.resources.get(node)
        if resource is not None:
            return resource.name or resource.id
        return node

    def label(self, node: str) -> str:
        """How messages name a node: ``role ops-automation (account 111122223333)``."""
        if node == "*":
            return "any AWS principal (*)"
        principal = self.inventory.principals.get(node)
        if principal is None:
            return f"external principal {node}"
        return f"{principal.kind.value} {principal.name} (account {principal.account})"

    def location(self, element_id: str) -> SourceRef | None:
        inventory = self.inventory
        for table in (inventory.principals, inventory.resources, inventory.policies):
            element = table.get(element_id)
            if element is not None:
                return element.source
        return None

    def admin_evidence(self, principal_id: str) -> tuple[str, ...]:
        """The statements that make a principal admin: those allowing ``*`` on ``*``, or
        the evidence of its one-step self-grant."""
        principal = self.inventory.principals.get(principal_id)
        if principal is None:
            return ()
        loops = self.access.graph.get_edge_data(principal_id, principal_id) or {}
        for data in loops.values():
            edge = data["edge"]
            if edge.kind is EdgeKind.MODIFY_POLICY:
                return (f"technique {edge.technique}", *path_evidence((edge,)))
        authorizer = self.analysis.authorizer
        caller = authorizer.caller(principal)
        request = replace(caller.request, action=SYNTHETIC_ACTION, resource="*")
        evaluation = authorizer.engine.evaluate(request, caller.base, assume_absent=True)
        if evaluation.decision is not Decision.ALLOW:
            return ()
        return tuple(sorted({r.label for r in evaluation.deciding
                             if r.effect == "Allow" and r.policy_kind not in ("scp", "rcp")}))


def path_evidence(hops: Iterable[Edge]) -> list[str]:
    """The policy statements behind each hop, once each, in path order."""
    seen: dict[str, None] = {}
    for hop in hops:
        for evidence in hop.evidence:
            seen[evidence_label(evidence)] = None
    return list(seen)


def describe_path(ctx: CheckContext, hops: Iterable[Edge]) -> str:
    parts = []
    for hop in hops:
        parts.append(f"{ctx.name(hop.target)} ({hop.technique})")
    return " -> ".join(parts)


def finding(meta: CheckMeta, severity: Severity, subject: str, message: str,
            evidence: Iterable[str] = (), path: Iterable[Edge] = (),
            location: SourceRef | None = None, key: Iterable[str] = ()) -> Finding:
    """A finding whose fingerprint depends on the rule, the subject and ``key`` only (what
    the finding is about), not on the path or evidence of the day: a shorter path found
    tomorrow is the same finding."""
    return Finding(rule_id=meta.id, severity=severity, subject=subject, message=message,
                   evidence=tuple(evidence), path=tuple(path), location=location,
                   fingerprint=fingerprint(meta.id, subject, tuple(key)))
