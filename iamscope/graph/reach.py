"""Queries over the access graph: who can become whom, shortest escalation paths, admin.

Closure ("everything a principal can become") is computed for every node at once: the
escalation graph is condensed into its strongly connected components, and reach sets are
propagated over the condensation in reverse topological order as Python-integer bitsets.
This stays near-linear in edges even for dense graphs (a BFS from every node does not).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

import networkx as nx

from iamscope.graph.build import BECOME_KINDS, AccessGraph
from iamscope.model.edge import Confidence, Edge, EdgeKind


@dataclass(frozen=True, slots=True)
class Path:
    hops: tuple[Edge, ...]

    @property
    def confidence(self) -> Confidence:
        if any(h.confidence is Confidence.CONDITIONAL for h in self.hops):
            return Confidence.CONDITIONAL
        return Confidence.DEFINITE


class Reachability:
    """Reach over BECOME edges; ``definite_only`` ignores conditional edges."""

    def __init__(self, access: AccessGraph, *, definite_only: bool = False):
        self.access = access
        self.definite_only = definite_only

    @cached_property
    def become(self) -> nx.DiGraph:
        """One edge per (source, target): the best one (definite before conditional)."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self.access.graph.nodes)
        for edge in self.access.edges:
            if edge.kind not in BECOME_KINDS or edge.source == edge.target:
                continue
            if self.definite_only and edge.confidence is Confidence.CONDITIONAL:
                continue
            current = graph.get_edge_data(edge.source, edge.target)
            if current is None or _better(edge, current["edge"]):
                graph.add_edge(edge.source, edge.target, edge=edge)
        return graph

    @cached_property
    def _index(self) -> dict[str, int]:
        return {node: i for i, node in enumerate(self.become.nodes)}

    @cached_property
    def _nodes(self) -> list[str]:
        return list(self.become.nodes)

    @cached_property
    def _closure_bits(self) -> dict[str, int]:
        """node -> bitset of nodes it can become (itself excluded unless on a cycle)."""
        graph = self.become
        condensed = nx.condensation(graph)
        members = condensed.graph["mapping"]  # node -> component
        component_bits: dict[int, int] = {}
        index = self._index
        own: dict[int, int] = {}
        for node, comp in members.items():
            own[comp] = own.get(comp, 0) | (1 << index[node])
        for comp in reversed(list(nx.topological_sort(condensed))):
            reach = 0
            for succ in condensed.successors(comp):
                reach |= component_bits[succ] | own[succ]
            if len(condensed.nodes[comp]["members"]) > 1:
                reach |= own[comp]  # a cycle: each member can become the others
            component_bits[comp] = reach
        return {node: component_bits[comp] for node, comp in members.items()}

    def closure(self, node: str) -> set[str]:
        mask = self._closure_bits.get(node, 0)
        nodes = self._nodes
        out = set()
        while mask:
            low = mask & -mask
            out.add(nodes[low.bit_length() - 1])
            mask ^= low
        out.discard(node)
        return out

    def closure_mask(self, node: str) -> int:
        return self._closure_bits.get(node, 0)

    def node_bit(self, node: str) -> int:
        i = self._index.get(node)
        return 0 if i is None else 1 << i

    # --- admin ---------------------------------------------------------------------------

    @cached_property
    def _admin_mask(self) -> int:
        mask = 0
        for node, status in self.access.admins.items():
            if status.admin and (not self.definite_only or not status.conditions):
                mask |= self.node_bit(node)
        return mask

    @cached_property
    def _modifiers(self) -> dict[str, int]:
        """target -> bitset of principals that can change the target's permissions."""
        out: dict[str, int] = {}
        for edge in self.access.edges:
            if edge.kind is EdgeKind.MODIFY_POLICY and edge.source != edge.target:
                if self.definite_only and edge.confidence is Confidence.CONDITIONAL:
                    continue
                out[edge.target] = out.get(edge.target, 0) | self.node_bit(edge.source)
        return out

    def reaches_admin(self, node: str) -> bool:
        """Admin itself, able to become an admin, or able to become both a principal and
        someone who can rewrite that principal's permissions."""
        reach = self.closure_mask(node) | self.node_bit(node)
        if reach & self._admin_mask:
            return True
        for target, modifiers in self._modifiers.items():
            if reach & self.node_bit(target) and reach & modifiers:
                return True
        return False

    def admin_targets(self, node: str) -> list[str]:
        """The nodes a path to admin ends at (admins, or principals the attacker can both
        become and rewrite)."""
        reach = self.closure_mask(node) | self.node_bit(node)
        targets = [n for n in self.closure(node) | {node}
                   if self.node_bit(n) & self._admin_mask]
        for target, modifiers in self._modifiers.items():
            if reach & self.node_bit(target) and reach & modifiers:
                targets.append(target)
        return sorted(set(targets))

    # --- paths ---------------------------------------------------------------------------

    def shortest_path(self, source: str, target: str) -> Path | None:
        """Fewest hops, preferring definite edges; None when unreachable."""
        if source == target:
            return Path(())
        graph = self.become
        if source not in graph or target not in graph:
            return None
        parents: dict[str, str] = {source: source}
        queue = deque([source])
        while queue:
            current = queue.popleft()
            for nxt in graph.successors(current):
                if nxt in parents:
                    continue
                parents[nxt] = current
                if nxt == target:
                    hops = []
                    node = target
                    while node != source:
                        prev = parents[node]
                        hops.append(graph.edges[prev, node]["edge"])
                        node = prev
                    return Path(tuple(reversed(hops)))
                queue.append(nxt)
        return None

    def paths_to_admin(self, node: str, limit: int = 3) -> list[Path]:
        paths = []
        for target in self.admin_targets(node):
            path = self.shortest_path(node, target)
            if path is not None:
                paths.append(path)
        paths.sort(key=lambda p: (len(p.hops), p.confidence is Confidence.CONDITIONAL,
                                  [h.target for h in p.hops]))
        return paths[:limit]


def _better(edge: Edge, current: Edge) -> bool:
    rank = {Confidence.DEFINITE: 0, Confidence.CONDITIONAL: 1}
    return (rank[edge.confidence], edge.technique) < (rank[current.confidence], current.technique)
