"""Inventory + technique catalog -> the access graph (networkx lives only in graph/)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import networkx as nx

from iamscope.catalog.techniques import Technique, aws_techniques
from iamscope.evaluate import Engine
from iamscope.graph.admin import AdminStatus, direct_admin, group_admin
from iamscope.graph.authorizer import Authorizer
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques import handler
from iamscope.model.edge import Confidence, Edge, EdgeKind
from iamscope.model.inventory import Inventory
from iamscope.model.principal import PrincipalKind

# Families run first because they decide who is admin (admins need no escalation edges).
FIRST_FAMILIES = ("self_policy",)
# Once admins are known, these families also run for the techniques of another family: the
# self-grant actions aimed at other principals.
FOLLOW_UPS = {"self_policy": "modify_policy"}
# Edges along which a principal *becomes* (or acts as) another: the escalation graph.
BECOME_KINDS = frozenset({EdgeKind.ASSUME, EdgeKind.CREDENTIALS, EdgeKind.PASS_ROLE,
                          EdgeKind.RUN_AS, EdgeKind.MODIFY_TRUST, EdgeKind.JOIN_GROUP,
                          EdgeKind.IMPERSONATE})


@dataclass
class AccessGraph:
    inventory: Inventory
    graph: nx.MultiDiGraph
    edges: list[Edge]
    admins: dict[str, AdminStatus]
    unmodelled: list[str] = field(default_factory=list)  # techniques without a handler
    authorizer: Authorizer | None = None  # reused by later analyses (blast radius, who-can)

    def node(self, node_id: str) -> dict:
        return self.graph.nodes[node_id]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [data["edge"] for _, _, data in self.graph.out_edges(node_id, data=True)]


def _add_node(graph: nx.MultiDiGraph, node_id: str, **attrs: object) -> None:
    if node_id not in graph:
        graph.add_node(node_id, **attrs)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause the cyclic garbage collector: the analysis allocates millions of small,
    long-lived objects (edges, bitsets) whose allocation bursts would otherwise trigger
    full collections that scan all of them for nothing. Restored on exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_graph(inventory: Inventory, engine: Engine | None = None, *,
                techniques: Iterable[Technique] | None = None,
                progress: Callable[[str], None] | None = None) -> AccessGraph:
    with bulk_work():
        return _build(inventory, engine, techniques, progress)


def _build(inventory: Inventory, engine: Engine | None,
           techniques: Iterable[Technique] | None,
           progress: Callable[[str], None] | None) -> AccessGraph:
    authorizer = Authorizer(inventory, engine)
    ctx = GraphContext(inventory, authorizer)
    admins: dict[str, AdminStatus] = {}
    for principal in authorizer.principals:
        status = direct_admin(authorizer, principal)
        if status.admin:
            admins[principal.id] = status
    for group in authorizer.groups:
        status = group_admin(authorizer, group)
        if status.admin:
            admins[group.id] = status
    ctx.admins = {pid: status.reason for pid, status in admins.items()}
    ctx.sinks = {pid: 0 for pid, status in admins.items() if not status.conditions}
    if progress:
        progress(f"admin check: {len(admins)} of {len(authorizer.principals)} principals "
                 f"and {len(authorizer.groups)} groups")

    catalog = list(techniques if techniques is not None else aws_techniques())
    ordered = ([(t, t.family) for t in catalog if t.family in FIRST_FAMILIES]
               + [(t, t.family) for t in catalog if t.family not in FIRST_FAMILIES]
               + [(t, FOLLOW_UPS[t.family]) for t in catalog if t.family in FOLLOW_UPS])
    edges: list[Edge] = []
    unmodelled: list[str] = []
    for technique, family in ordered:
        find = handler(family)
        if find is None:
            if family == technique.family:
                unmodelled.append(technique.id)
            continue
        found = list(find(ctx, technique))
        for edge in found:
            # One step to any permission: admin-equivalent (AWS-ADMIN).
            if edge.source == edge.target and edge.kind is EdgeKind.MODIFY_POLICY and (
                    edge.source not in admins or admins[edge.source].conditions):
                admins[edge.source] = AdminStatus(
                    True, f"can grant itself any permission ({technique.id}: "
                          f"{technique.name})", edge.conditions)
                ctx.admins[edge.source] = admins[edge.source].reason
                if not edge.conditions:
                    ctx.sinks[edge.source] = 0
        _track(ctx, found)
        edges.extend(found)
        if progress:
            progress(f"{technique.id} ({family}): {len(found)} edges")

    graph = nx.MultiDiGraph()
    for principal in inventory.principals.values():
        _add_node(graph, principal.id, kind=principal.kind.value, name=principal.name,
                  account=principal.account, node_type="principal")
    for resource in inventory.resources.values():
        _add_node(graph, resource.id, kind=resource.type, name=resource.name or resource.id,
                  account=resource.account, node_type="resource")
    for principal in inventory.principals_of_kind(PrincipalKind.USER):
        for group in principal.group_ids:
            edges.append(Edge(principal.id, group, EdgeKind.MEMBER_OF, "member-of"))
    for edge in edges:
        for end in (edge.source, edge.target):
            if end in graph:
                continue
            if end in inventory.policies:  # a modify-policy target: stands for its holders
                _add_node(graph, end, kind="policy", name=inventory.policies[end].name or end,
                          account=_account(end), node_type="policy")
            else:
                _add_node(graph, end, kind="external", name=end, account=_account(end),
                          node_type="principal")
        graph.add_edge(edge.source, edge.target, key=(edge.technique, edge.kind.value),
                       edge=edge)
    for principal_id, status in admins.items():
        graph.nodes[principal_id]["admin"] = status.admin
    return AccessGraph(inventory, graph, edges, admins, unmodelled, authorizer)


def _track(ctx: GraphContext, found: list[Edge]) -> None:
    """Record the ends of become edges (``ctx.linked``). A principal with a definite step
    into a sink reaches admin for sure: like an admin, it needs no further escalation edges
    (its path to admin is that step), so it becomes a sink itself."""
    linked = ctx.linked
    for edge in found:
        if edge.kind not in BECOME_KINDS or edge.source == edge.target:
            continue
        linked.add(edge.source)
        linked.add(edge.target)
        if edge.confidence is Confidence.DEFINITE and \
                edge.source not in ctx.sinks and edge.target in ctx.sinks and \
                edge.source in ctx.inventory.principals:
            ctx.sinks[edge.source] = ctx.sinks[edge.target] + 1
            ctx.admins.setdefault(edge.source, f"reaches admin in one step ({edge.technique} "
                                               f"to {edge.target})")


def _account(node_id: str) -> str | None:
    parts = node_id.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def definite(edge: Edge) -> bool:
    return edge.confidence is Confidence.DEFINITE
