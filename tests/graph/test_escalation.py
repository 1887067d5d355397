"""Escalation semantics on hand-made access graphs: rewriting another principal's
permissions, groups and policies as targets, best edges, paths."""

from __future__ import annotations

import networkx as nx

from iamscope.graph.admin import AdminStatus
from iamscope.graph.build import AccessGraph
from iamscope.graph.escalation import Escalation
from iamscope.model.edge import Confidence, Edge, EdgeKind
from iamscope.model.inventory import Inventory
from tests.graph.builders import (
    ACCT,
    account,
    allow,
    arn,
    collection,
    doc,
    group,
    inventory,
    managed,
    role,
    trust,
    user,
)

SHARED = f"arn:aws:iam::{ACCT}:policy/shared"


def small() -> Inventory:
    return inventory(collection(account(
        users=[user("u"), user("m"), user("g1", groups=("team",)), user("w")],
        groups=[group("team")],
        roles=[role(name, trust({"AWS": f"arn:aws:iam::{ACCT}:root"}))
               for name in ("r", "t", "admin", "p")],
        policies=[managed(SHARED, doc(allow("s3:ListBucket")))])))


def graph(inv: Inventory, edges: list[Edge], admins: tuple[str, ...] = ()) -> Escalation:
    g = nx.MultiDiGraph()
    for node in inv.principals:
        g.add_node(node, node_type="principal", account=ACCT)
    for edge in edges:
        g.add_edge(edge.source, edge.target, key=(edge.technique, edge.kind.value), edge=edge)
    status = {a: AdminStatus(True, "test") for a in admins}
    return Escalation(AccessGraph(inv, g, edges, status))


def edge(source: str, target: str, kind: EdgeKind = EdgeKind.ASSUME, technique: str = "T",
         confidence: Confidence = Confidence.DEFINITE) -> Edge:
    return Edge(source, target, kind, technique, confidence)


U, M, R, T, ADM = (arn("user", "u"), arn("user", "m"), arn("role", "r"), arn("role", "t"),
                   arn("role", "admin"))


def test_becoming_both_a_principal_and_its_rewriter_reaches_admin() -> None:
    inv = small()
    esc = graph(inv, [edge(U, M), edge(U, T),
                      edge(M, T, EdgeKind.MODIFY_POLICY, "AWS-IAM-09")])
    assert esc.reaches_admin(U)
    assert not esc.reaches_admin(M)  # m can rewrite t but cannot become it
    [path] = esc.admin_paths(U)
    assert [(h.source, h.target, h.technique) for h in path.hops] == [
        (U, M, "T"), (M, T, "AWS-IAM-09"), (U, T, "T")]


def test_a_group_target_stands_for_its_members() -> None:
    inv = small()
    member = arn("user", "g1")
    team = f"arn:aws:iam::{ACCT}:group/team"
    esc = graph(inv, [edge(member, M), edge(M, team, EdgeKind.MODIFY_POLICY, "AWS-IAM-11")])
    # g1 becomes m, m rewrites the group's policy, g1 is a member: g1 reaches admin.
    assert esc.reaches_admin(member)
    assert not esc.reaches_admin(M)


def test_a_policy_target_stands_for_the_principals_it_is_attached_to() -> None:
    inv = inventory(collection(account(
        users=[user("w", managed=(SHARED,)), user("m")],
        policies=[managed(SHARED, doc(allow("s3:ListBucket")))])))
    w, m = arn("user", "w"), arn("user", "m")
    esc = graph(inv, [edge(w, m), edge(m, SHARED, EdgeKind.MODIFY_POLICY, "AWS-IAM-01")])
    assert esc.reaches_admin(w)  # m rewrites the policy attached to w, and w becomes m
    assert not esc.reaches_admin(m)


def test_definite_edges_are_preferred_and_paths_end_at_distinct_admins() -> None:
    inv = small()
    p = arn("role", "p")
    esc = graph(inv, [edge(U, R, confidence=Confidence.CONDITIONAL, technique="A"),
                      edge(U, R, technique="B"), edge(R, ADM), edge(U, p), edge(p, T)],
                admins=(ADM, T))
    assert esc.edge(esc.index[U], esc.index[R]).technique == "B"  # definite wins
    paths = esc.admin_paths(U)
    assert [[h.target for h in path.hops] for path in paths] == [[p, T], [R, ADM]]
    assert all(path.confidence is Confidence.DEFINITE for path in paths)
    assert esc.admin_paths(ADM) == []


def test_propagation_unions_over_everything_reachable() -> None:
    inv = small()
    esc = graph(inv, [edge(U, R), edge(R, T), edge(T, R)])
    own = [0] * len(esc.nodes)
    own[esc.index[T]] = 0b100
    own[esc.index[U]] = 0b001
    union = esc.propagate(own)
    assert union[esc.component(U)] == 0b101
    assert union[esc.component(R)] == 0b100 == union[esc.component(T)]
    assert union[esc.component(M)] == 0
