"""Edges from one source to the targets of a bitmask, with dominated ones left out.

``emit`` spreads one edge template over a bitmask of targets. ``pruned``/``Outgoing`` do the
same but ask about sinks (definite admins, and principals a definite step from one) first:
once a source has a step into a sink, edges that step makes redundant are neither computed
nor stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from iamscope.catalog.techniques import Technique
from iamscope.graph.authorizer import Grant, bits
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.toolkit import toolkit
from iamscope.model.edge import Edge


def emit(ctx: GraphContext, source: str, mask: int, targets: Sequence[str],
         technique: Technique, grants: Iterable[Grant], conditions: Iterable[str] = (),
         ) -> Iterator[Edge]:
    """One edge from ``source`` to each ``targets[i]`` for the bits of ``mask``, all sharing
    the confidence, conditions and evidence of ``grants`` and ``conditions``."""
    if mask:
        yield from _spread(ctx.edge(source, source, technique, grants, conditions=conditions),
                           mask, targets)


def sink_mask(ctx: GraphContext, ids: Sequence[str]) -> int:
    """Bitset over ``ids`` of the context's sinks."""
    return member_mask(ctx, ids, "sinks")


def member_mask(ctx: GraphContext, ids: Sequence[str], which: str) -> int:
    """Bitset over ``ids`` of the members of ``ctx.sinks`` or ``ctx.linked`` (memoised until
    that collection grows: both only ever grow)."""
    nodes: Collection[str] = ctx.sinks if which == "sinks" else ctx.linked
    memo: dict[tuple[str, int], tuple[int, Sequence[str], int]] = toolkit(ctx).memo(
        "members", dict)
    hit = memo.get((which, id(ids)))
    if hit is not None and hit[0] == len(nodes) and hit[1] is ids:
        return hit[2]
    mask = 0
    for i, node in enumerate(ids):
        if node in nodes:
            mask |= 1 << i
    memo[(which, id(ids))] = (len(nodes), ids, mask)
    return mask


class Outgoing:
    """The edges of one source for one technique, with the dominated ones left out.

    Parts (a target bitset sharing grants and conditions) are added as a family finds them.
    When some part reaches a sink (a definite admin, or a principal a definite step from
    one) under conditions C, one edge to the nearest such sink is kept for C, and every
    part whose conditions include C is dropped: whatever those targets could give, the
    sink gives under no more conditions (an admin can become any principal). This keeps
    a principal that may, say, create access keys for every user to one edge per
    condition set instead of thousands, without changing who reaches admin or how."""

    def __init__(self, ctx: GraphContext, technique: Technique, source: str,
                 ids: Sequence[str]):
        self.ctx = ctx
        self.technique = technique
        self.source = source
        self.ids = ids
        self.sinks = sink_mask(ctx, ids)
        # (targets, edge template, the conditions given, whether grants assumed facts)
        self.parts: list[tuple[int, Edge, frozenset[str], bool]] = []

    def add(self, mask: int, grants: Iterable[Grant], conditions: Iterable[str] = ()) -> None:
        if mask:
            grants = list(grants)
            given = frozenset(conditions)
            self.parts.append((mask, self.ctx.edge(self.source, self.source, self.technique,
                                                   grants, conditions=given),
                               given, any(g.assumed_keys for g in grants)))

    def dominated(self, classes: Sequence[tuple[int, frozenset[str]]]) -> int:
        """Targets whose edges a step into a sink already dominates, whatever their grants:
        the classes (targets sharing the conditions the target's own facts impose) whose
        conditions include those of a sink step that assumed nothing else."""
        out = 0
        for mask, _, given, keyed in self.parts:
            if mask & self.sinks and not keyed:
                for targets, conditions in classes:
                    if given <= conditions:
                        out |= targets
        return out

    def edges(self) -> Iterator[Edge]:
        hits = [(frozenset(t.conditions), mask & self.sinks, t)
                for mask, t, _, _ in self.parts if mask & self.sinks]
        kept: dict[frozenset[str], tuple[int, Edge]] = {}
        for conditions, mask, template in hits:
            if any(other < conditions for other, _, _ in hits) or conditions in kept:
                continue
            kept[conditions] = (mask, template)
        sinks = self.ctx.sinks
        for mask, template in kept.values():
            best = min(bits(mask), key=lambda i: (sinks[self.ids[i]], i))
            yield retarget(template, self.ids[best])
        for mask, template, _, _ in self.parts:
            conditions = frozenset(template.conditions)
            if not any(k <= conditions for k in kept):
                yield from _spread(template, mask, self.ids)


def dominant(edges: list[Edge], sinks: Mapping[str, int]) -> list[Edge]:
    """``Outgoing.edges`` for explicit edges of one source: for each least set of conditions
    under which it steps into a sink, one edge to the nearest such sink; then the edges no
    such step dominates."""
    nearest: dict[frozenset[str], Edge] = {}
    for edge in sorted((e for e in edges if e.target in sinks),
                       key=lambda e: (sinks[e.target], e.target)):
        nearest.setdefault(frozenset(edge.conditions), edge)
    kept = [c for c in nearest if not any(other < c for other in nearest)]
    rest = [e for e in edges if not any(k <= frozenset(e.conditions) for k in kept)]
    return [*(nearest[c] for c in kept), *rest]


Collect = Callable[[Outgoing, int], None]
NO_FACTS: tuple[tuple[int, frozenset[str]], ...] = ((-1, frozenset()),)


def pruned(ctx: GraphContext, technique: Technique, source: str, ids: Sequence[str], only: int,
           collect: Collect, classes: Sequence[tuple[int, frozenset[str]]] = NO_FACTS,
           ) -> Iterator[Edge]:
    """Edges from ``source`` to ``ids[only]``: ``collect(out, mask)`` adds the parts for the
    targets of ``mask``. Sinks are asked first, the nearest few before the rest; targets
    their steps dominate (see ``Outgoing.dominated``; ``classes`` partitions targets by the
    conditions their facts impose) are not asked at all."""
    out = Outgoing(ctx, technique, source, ids)
    sinks = out.sinks & only
    for batch in (_lowest(sinks, SINK_SAMPLE), sinks):
        batch &= only
        if batch:
            collect(out, batch)
            only &= ~batch & ~out.dominated(classes)
    if only:
        collect(out, only)
    yield from out.edges()


SINK_SAMPLE = 32  # sinks asked before the others: one definite step settles a source


def _lowest(mask: int, count: int) -> int:
    out = 0
    while mask and count:
        low = mask & -mask
        out |= low
        mask ^= low
        count -= 1
    return out


def retarget(template: Edge, target: str) -> Edge:
    return Edge(template.source, target, template.kind, template.technique,
                template.confidence, template.conditions, template.evidence)


def _spread(template: Edge, mask: int, ids: Sequence[str]) -> Iterator[Edge]:
    source, kind, name = template.source, template.kind, template.technique
    confidence, facts, evidence = template.confidence, template.conditions, template.evidence
    for i in bits(mask):
        target = ids[i]
        if target != source:
            yield Edge(source, target, kind, name, confidence, facts, evidence)


