"""What technique handlers see: the inventory, the authorizer, and edge construction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from iamscope.catalog.techniques import Technique
from iamscope.graph.authorizer import Authorizer, Grant, bits
from iamscope.model.edge import Confidence, Edge, EdgeKind, Evidence
from iamscope.model.inventory import Inventory
from iamscope.model.principal import Principal, PrincipalKind

PRINCIPAL_TYPE = {PrincipalKind.USER: "user", PrincipalKind.ROLE: "role"}


@dataclass
class GraphContext:
    inventory: Inventory
    authorizer: Authorizer
    admins: dict[str, str] = field(default_factory=dict)  # principal id -> reason
    # Where an escalation ends for sure: definite admins (0) and principals a definite step
    # away from one (1, 2, ...). A principal's edges beside a definite step into one of
    # these add nothing (see ``techniques.common.Outgoing``).
    sinks: dict[str, int] = field(default_factory=dict)
    # Ends of the "become" edges found so far. A principal outside it can neither be
    # become by another nor become another, so rewriting its permissions (or holding
    # that right) only matters to itself: see ``techniques.modify_policy``.
    linked: set[str] = field(default_factory=set)

    @cached_property
    def role_index(self) -> dict[str, int]:
        return {role.id: i for i, role in enumerate(self.authorizer.roles)}

    @cached_property
    def user_index(self) -> dict[str, int]:
        return {user.id: i for i, user in enumerate(self.authorizer.users)}

    def acting(self, technique: Technique) -> Iterable[Principal]:
        """Principals the technique can help, skipping admins (they need no escalation)."""
        wanted = set(technique.principal_types)
        for principal in self.authorizer.principals:
            if PRINCIPAL_TYPE.get(principal.kind) in wanted and principal.id not in self.admins:
                yield principal

    def edges(self, source: str, targets: Iterable[str], technique: Technique,
              grant: Grant, *, conditions: Iterable[str] = ()) -> Iterable[Edge]:
        """Edges to many targets that share one grant (one decision group)."""
        template = self.edge(source, source, technique, [grant], conditions=conditions)
        for target in targets:
            yield Edge(source, target, template.kind, template.technique, template.confidence,
                       template.conditions, template.evidence)

    def edge(self, source: str, target: str, technique: Technique,
             grants: Iterable[Grant] = (), *, conditions: Iterable[str] = ()) -> Edge:
        """An edge whose confidence follows from the facts it had to assume."""
        facts: list[str] = list(conditions)
        evidence: list[Evidence] = []
        for grant in grants:
            facts.extend(f"condition {key}" for key in grant.assumed_keys)
            evidence.extend(grant.evidence)
        facts = sorted(set(facts))
        return Edge(
            source=source, target=target, kind=EdgeKind(technique.edge_kind),
            technique=technique.id,
            confidence=Confidence.CONDITIONAL if facts else Confidence.DEFINITE,
            conditions=tuple(facts), evidence=tuple(dict.fromkeys(evidence)))


def grants_for(grants: list[Grant], index: int) -> list[Grant]:
    """The grants whose targets include ``index``."""
    return [g for g in grants if g.mask >> index & 1]


__all__ = ["GraphContext", "bits", "grants_for"]
