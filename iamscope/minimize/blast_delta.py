"""Blast radius before and after the proposals (``graph.blast``): two access graphs, one of
the inventory as it is and one with every emitted proposal in place of its principal's
identity policies (group memberships dropped, since group policies are replaced too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from iamscope.evaluate.engine import Engine
from iamscope.graph.blast import BlastAnalysis, BlastRadius
from iamscope.graph.build import build_graph
from iamscope.minimize.result import Proposal
from iamscope.model.inventory import Inventory
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy


@dataclass(frozen=True, slots=True)
class BlastSummary:
    admin: bool
    reaches_admin: bool
    becomes: int
    sensitive: int
    other_accounts: int

    @classmethod
    def of(cls, blast: BlastRadius) -> BlastSummary:
        return cls(blast.admin, blast.reaches_admin, len(blast.becomes), len(blast.sensitive),
                   len(blast.other_accounts))

    def to_dict(self) -> dict[str, object]:
        return {"admin": self.admin, "reaches_admin": self.reaches_admin,
                "becomes": self.becomes, "sensitive": self.sensitive,
                "other_accounts": self.other_accounts}


def with_proposals(inventory: Inventory, proposals: Sequence[Proposal]) -> Inventory:
    principals = dict(inventory.principals)
    policies = dict(inventory.policies)
    for proposal in proposals:
        found = principals.get(proposal.principal)
        if proposal.policy is None or found is None:
            continue
        policy = parse_policy(proposal.policy, policy_id=f"{found.id}/inline/iamscope-minimized",
                              kind=PolicyKind.INLINE, name="iamscope-minimized")
        policies[policy.id] = policy
        principals[found.id] = replace(found, policy_ids=(policy.id,), group_ids=())
    return replace(inventory, principals=principals, policies=policies)


def blast_before_after(inventory: Inventory, proposals: Sequence[Proposal]
                       ) -> dict[str, tuple[BlastSummary, BlastSummary]]:
    """Per emitted proposal whose principal is in the inventory: (before, after)."""
    subjects = [p.principal for p in proposals
                if p.policy is not None and p.principal in inventory.principals]
    if not subjects:
        return {}
    engine = Engine(cache_size=max(4096, 2 * len(inventory.principals)))
    before = BlastAnalysis(build_graph(inventory, engine), engine)
    changed = with_proposals(inventory, proposals)
    after_engine = Engine(engine.catalog, cache_size=max(4096, 2 * len(inventory.principals)))
    after = BlastAnalysis(build_graph(changed, after_engine), after_engine)
    return {s: (BlastSummary.of(before.blast(s)), BlastSummary.of(after.blast(s)))
            for s in subjects}
