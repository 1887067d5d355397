"""The escalation graph as integers: who can become whom, who reaches admin, and how.

Nodes of the access graph get integer ids; each (source, target) pair of "become" edges
(assume, credentials, pass-role, run-as, trust rewrite, join group) keeps its best edge
(definite before conditional). Strongly connected components are found once (iterative
Tarjan, so a 2,000-role chain or a trust cycle costs no recursion), and anything that is a
union over "every principal this one can become" is propagated over the condensation in
one pass, as Python-integer bitsets: the closure itself, the targets whose permissions the
reachable principals can rewrite, and (in ``blast``) the sensitive resources they reach.

A principal reaches admin when it can become an admin-equivalent principal, or when it can
become both some principal T and one that can rewrite T's permissions (a modify-policy
edge; a group target stands for its members, a policy target for the principals it is
attached to). Shortest paths to admin for everyone come from one reverse breadth-first
search from the admins: each node keeps its next hop, preferring definite edges.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from functools import cached_property
from itertools import pairwise

from iamscope.graph.authorizer import bits as iter_bits
from iamscope.graph.build import BECOME_KINDS, AccessGraph
from iamscope.graph.reach import Path
from iamscope.model.edge import Confidence, Edge, EdgeKind
from iamscope.model.principal import PrincipalKind

RANK = {Confidence.DEFINITE: 0, Confidence.CONDITIONAL: 1}


class Escalation:
    def __init__(self, access: AccessGraph):
        self.access = access
        self.nodes: list[str] = list(access.graph.nodes)
        self.index: dict[str, int] = {node: i for i, node in enumerate(self.nodes)}
        index = self.index
        n = self._n = len(self.nodes)
        conditional = Confidence.CONDITIONAL
        kinds = tuple(BECOME_KINDS)
        best: dict[int, Edge] = {}  # key u * n + v
        for edge in access.edges:
            if edge.kind not in kinds or edge.source == edge.target:
                continue
            key = index[edge.source] * n + index[edge.target]
            current = best.get(key)
            if current is None or ((edge.confidence is conditional, edge.technique)
                                   < (current.confidence is conditional, current.technique)):
                best[key] = edge
        self._best = best
        definite: list[list[int]] = [[] for _ in self.nodes]
        maybe: list[list[int]] = [[] for _ in self.nodes]
        for key, edge in best.items():
            u, v = divmod(key, n)
            (maybe if edge.confidence is conditional else definite)[u].append(v)
        # Successors: definite edges first, each group by node index (deterministic).
        self.succ: list[list[int]] = [sorted(d) + sorted(m) for d, m in zip(
            definite, maybe, strict=True)]

    @cached_property
    def pred(self) -> list[list[int]]:
        pred: list[list[int]] = [[] for _ in self.nodes]
        for u, targets in enumerate(self.succ):
            for v in targets:
                pred[v].append(u)
        return pred

    def bit(self, node: str) -> int:
        i = self.index.get(node)
        return 0 if i is None else 1 << i

    def mask_of(self, nodes: Iterable[str]) -> int:
        return sum(self.bit(node) for node in set(nodes))

    def names(self, mask: int) -> list[str]:
        return [self.nodes[i] for i in iter_bits(mask)]

    # --- components and propagation ------------------------------------------------------

    @cached_property
    def _components(self) -> tuple[list[int], list[list[int]]]:
        """(component of each node, components in reverse topological order)."""
        succ = self.succ
        n = len(succ)
        order = [0] * n
        low = [0] * n
        on_stack = [False] * n
        comp = [-1] * n
        comps: list[list[int]] = []
        stack: list[int] = []
        counter = 1
        for root in range(n):
            if order[root]:
                continue
            order[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack[root] = True
            work = [(root, 0)]
            while work:
                v, i = work[-1]
                targets = succ[v]
                if i < len(targets):
                    work[-1] = (v, i + 1)
                    w = targets[i]
                    if not order[w]:
                        order[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on_stack[w] = True
                        work.append((w, 0))
                    elif on_stack[w] and order[w] < low[v]:
                        low[v] = order[w]
                    continue
                work.pop()
                if work and low[v] < low[work[-1][0]]:
                    low[work[-1][0]] = low[v]
                if low[v] == order[v]:
                    members = []
                    while True:
                        w = stack.pop()
                        on_stack[w] = False
                        comp[w] = len(comps)
                        members.append(w)
                        if w == v:
                            break
                    comps.append(members)
        return comp, comps

    @cached_property
    def _component_successors(self) -> list[tuple[int, ...]]:
        comp, comps = self._components
        succ = self.succ
        out = []
        for c, members in enumerate(comps):
            found = {comp[w] for v in members for w in succ[v]}
            found.discard(c)
            out.append(tuple(found))
        return out

    def propagate(self, own: Sequence[int]) -> list[int]:
        """Per component: the union of ``own[node]`` over every node it can become,
        itself included. ``own`` is indexed by node."""
        comps = self._components[1]
        successors = self._component_successors
        out: list[int] = []
        for c, members in enumerate(comps):
            value = 0
            for v in members:
                value |= own[v]
            for d in successors[c]:
                value |= out[d]
            out.append(value)
        return out

    def component(self, node: str) -> int:
        return self._components[0][self.index[node]]

    @cached_property
    def _reach(self) -> list[int]:
        return self.propagate([1 << i for i in range(len(self.nodes))])

    def reach_mask(self, node: str) -> int:
        """Nodes ``node`` can become, itself included."""
        i = self.index.get(node)
        return 0 if i is None else self._reach[self._components[0][i]]

    def closure(self, node: str) -> list[str]:
        return self.names(self.reach_mask(node) & ~self.bit(node))

    # --- admin ---------------------------------------------------------------------------

    @cached_property
    def admin_mask(self) -> int:
        return self.mask_of(n for n, status in self.access.admins.items() if status.admin)

    @cached_property
    def modify_targets(self) -> tuple[list[int], dict[tuple[int, int], Edge]]:
        """Per node: the principals whose permissions it can rewrite (targets expanded;
        itself included when it can rewrite its own), and the edge that does it, by
        (modifier, principal)."""
        own = [0] * len(self.nodes)
        edges: dict[tuple[int, int], Edge] = {}
        affected: dict[str, list[int]] = {}
        index = self.index
        for edge in self.access.edges:
            if edge.kind is not EdgeKind.MODIFY_POLICY:
                continue
            u = index[edge.source]
            targets = affected.get(edge.target)
            if targets is None:
                targets = affected[edge.target] = [index[t] for t in self._affected(
                    edge.target) if t in index]
            for v in targets:
                own[u] |= 1 << v
                current = edges.get((u, v))
                if current is None or _better(edge, current):
                    edges[(u, v)] = edge
        return own, edges

    def _affected(self, target: str) -> list[str]:
        inventory = self.access.inventory
        principal = inventory.principals.get(target)
        if principal is not None and principal.kind is PrincipalKind.GROUP:
            return [target, *self._members.get(target, ())]
        if principal is None and target in inventory.policies:
            return sorted(self._attached.get(target, ()))
        return [target]

    @cached_property
    def _members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for user in self.access.inventory.principals_of_kind(PrincipalKind.USER):
            for group in user.group_ids:
                out.setdefault(group, []).append(user.id)
        return out

    @cached_property
    def _attached(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for principal in self.access.inventory.principals.values():
            holders = [principal.id, *self._members.get(principal.id, ())]
            for policy_id in principal.policy_ids:
                out.setdefault(policy_id, set()).update(holders)
        return out

    @cached_property
    def _modifiers(self) -> int:
        """The nodes that can rewrite some principal's permissions."""
        mask = 0
        for i, targets in enumerate(self.modify_targets[0]):
            if targets:
                mask |= 1 << i
        return mask

    @cached_property
    def _modify_union(self) -> list[int]:
        own, _ = self.modify_targets
        return self.propagate(own) if any(own) else []

    def rewritable(self, node: str) -> int:
        """Principals ``node`` can become *and* whose permissions some principal it can
        become can rewrite."""
        if not self._modify_union:
            return 0
        i = self.index.get(node)
        if i is None:
            return 0
        c = self._components[0][i]
        return self._modify_union[c] & self._reach[c]

    def reaches_admin(self, node: str) -> bool:
        return bool(self.reach_mask(node) & self.admin_mask or self.rewritable(node))

    # --- paths ---------------------------------------------------------------------------

    def edge(self, u: int, v: int) -> Edge:
        return self._best[u * self._n + v]

    def _hops(self, chain: list[int]) -> Path:
        return Path(tuple(self.edge(a, b) for a, b in pairwise(chain)))

    def shortest_path(self, source: str, target: str) -> Path | None:
        found = self.paths_from(source, {target})
        return found.get(target)

    def paths_from(self, source: str, targets: set[str] | None = None,
                   limit: int | None = None) -> dict[str, Path]:
        """Shortest paths from ``source`` (breadth first, definite edges tried first) to
        ``targets`` (default: everything it can become); stops once all are found."""
        s = self.index.get(source)
        if s is None:
            return {}
        wanted = None if targets is None else {self.index[t] for t in targets
                                                if t in self.index}
        parent = {s: s}
        queue = deque([s])
        found: dict[str, Path] = {}
        if wanted is not None and s in wanted:
            found[source] = Path(())
            wanted.discard(s)
        while queue and (wanted is None or wanted):
            u = queue.popleft()
            for v in self.succ[u]:
                if v in parent:
                    continue
                parent[v] = u
                queue.append(v)
                if wanted is None or v in wanted:
                    chain = [v]
                    while chain[-1] != s:
                        chain.append(parent[chain[-1]])
                    found[self.nodes[v]] = self._hops(chain[::-1])
                    if wanted is not None:
                        wanted.discard(v)
                    if limit is not None and len(found) >= limit:
                        return found
        return found

    def toward(self, targets: int) -> dict[int, int]:
        """Reverse breadth-first search from the ``targets`` bitset: for every node that
        can become one of them, the next hop of a shortest path (targets map to
        themselves)."""
        nxt: dict[int, int] = {t: t for t in iter_bits(targets)}
        dist: dict[int, int] = dict.fromkeys(nxt, 0)
        queue = deque(nxt)
        pred = self.pred
        while queue:
            v = queue.popleft()
            d = dist[v] + 1
            for u in pred[v]:
                seen = dist.get(u)
                if seen is None:
                    dist[u] = d
                    nxt[u] = v
                    queue.append(u)
                elif (seen == d and nxt[u] != u and
                      self.edge(u, nxt[u]).confidence is Confidence.CONDITIONAL and
                      self.edge(u, v).confidence is Confidence.DEFINITE):
                    nxt[u] = v
        return nxt

    def follow(self, node: int, nxt: dict[int, int]) -> Path:
        chain = [node]
        while nxt[chain[-1]] != chain[-1]:
            chain.append(nxt[chain[-1]])
        return self._hops(chain)

    @cached_property
    def _admin_next(self) -> dict[int, int]:
        return self.toward(self.admin_mask)

    def admin_paths(self, node: str, limit: int = 3) -> list[Path]:
        """Shortest paths to admin (empty for an admin itself), up to ``limit`` ending at
        different principals."""
        i = self.index.get(node)
        if i is None or self.admin_mask >> i & 1:
            return []
        nxt = self._admin_next
        if i in nxt:
            paths = [self.follow(i, nxt)]
            ends = {paths[0].hops[-1].target}
            options = sorted((len(self.follow(v, nxt).hops), v) for v in self.succ[i]
                             if v in nxt and v != nxt[i])
            for _, v in options:
                if len(paths) >= limit:
                    break
                path = Path((self.edge(i, v), *self.follow(v, nxt).hops))
                if path.hops[-1].target not in ends:
                    ends.add(path.hops[-1].target)
                    paths.append(path)
            paths.sort(key=lambda p: (len(p.hops), p.confidence is Confidence.CONDITIONAL,
                                      [h.target for h in p.hops]))
            return paths
        return [path for _, path in self.rewrite_paths(i, limit)]

    def rewrite_paths(self, i: int, limit: int,
                      allowed: int | None = None) -> list[tuple[str, Path]]:
        """(rewritten principal, path): become a principal that can rewrite the
        permissions of one the node can also become (limited to ``allowed``), rewrite them,
        become it."""
        rewritable = self.rewritable(self.nodes[i])
        if allowed is not None:
            rewritable &= allowed
        if not rewritable:
            return []
        own, edges = self.modify_targets
        source = self.nodes[i]
        if own[i] & rewritable:  # it rewrites them itself
            to_modifiers = {source: Path(())}
        else:
            reach = self._reach[self._components[0][i]] & self._modifiers
            to_modifiers = self.paths_from(source, {self.nodes[m] for m in iter_bits(reach)
                                                    if own[m] & rewritable})
        out: list[tuple[str, Path]] = []
        for modifier, path in sorted(to_modifiers.items(), key=lambda kv: len(kv[1].hops)):
            m = self.index[modifier]
            for t in iter_bits(own[m] & rewritable):
                target = self.nodes[t]
                then = Path(()) if target == source else (
                    self.paths_from(modifier, {target}).get(target)
                    or self.paths_from(source, {target}).get(target) or Path(()))
                out.append((target, Path((*path.hops, edges[(m, t)], *then.hops))))
                if len(out) >= limit:
                    return out
        return out


def _better(edge: Edge, current: Edge) -> bool:
    return (RANK[edge.confidence], edge.technique) < (RANK[current.confidence],
                                                      current.technique)
