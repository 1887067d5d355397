"""The proposal, cut down per replayed call to the Resource entries that can match it.

A proposal for a busy principal lists thousands of resources, and the engine tries every
Resource entry of a statement in turn, so replaying every observed call against the whole
document is quadratic (157,000 calls x 1,000 entries for one role of the benchmark trail).
The replay instead decides each call against a *pruned* proposal: every Deny statement and
every statement without a Resource list (NotResource) whole, and each Allow statement with
only the entries that can match the call's resource. That is sound: the pruned document's
Allows are a subset of the proposal's and its Denies are the same, so whatever it allows
the proposal allows (the other layers are identical). It is also complete, so no call is
refused for want of an entry: an entry can match a resource only if its literal prefix
(the text before its first ``*``, ``?`` or ``${``) is a prefix of the resource, compared
case-insensitively (the engine matches ARN fields on their own, some of them without
case; a case-insensitive prefix keeps every entry any of them could match).

Entries without a wildcard match one resource each; they are grouped in chunks of
``CHUNK`` (in sorted order) so that neighbouring calls share one pruned document, which
the engine then compiles once. The replay (replay_groups.py) only asks for the pruned
document of one representative per group of calls, with chunks of one entry and only the
statements whose Action covers the call's action (the engine looks at no other).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from iamscope.model.policy import Effect, Policy

CHUNK = 16
MAX_CACHED = 20_000
_WILD = ("*", "?", "$")


def literal_prefix(text: str) -> str:
    """``text`` up to its first wildcard or policy variable, lower-cased."""
    cut = min((i for i in (text.find(c) for c in _WILD) if i >= 0), default=len(text))
    return text[:cut].lower()


@dataclass(slots=True)
class ProposalIndex:
    proposal: Policy
    fixed: frozenset[int] = frozenset()  # statements kept whole
    general: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()
    exact: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # -> (stmt, chunk)
    chunks: list[list[tuple[int, str]]] = field(default_factory=list)
    cache: dict[tuple[tuple[tuple[int, str], ...], frozenset[int] | None], Policy] = field(
        default_factory=dict)

    @classmethod
    def of(cls, proposal: Policy, chunk: int = CHUNK) -> ProposalIndex:
        index = cls(proposal)
        fixed = set()
        exact: list[tuple[str, int, str]] = []
        for i, statement in enumerate(proposal.statements):
            if statement.effect is Effect.DENY or statement.resources is None:
                fixed.add(i)
                continue
            for text in statement.resources:
                prefix = literal_prefix(text)
                if len(prefix) == len(text):
                    exact.append((prefix, i, text))
                else:
                    index.general.setdefault(prefix, []).append((i, text))
        index.fixed = frozenset(fixed)
        index.lengths = tuple(sorted({len(p) for p in index.general}))
        for n, (lowered, i, text) in enumerate(sorted(exact)):
            if n % chunk == 0:
                index.chunks.append([])
            index.chunks[-1].append((i, text))
            index.exact.setdefault(lowered, []).append((i, len(index.chunks) - 1))
        return index

    def candidates(self, resource: str) -> tuple[tuple[int, str], ...]:
        lowered = resource.lower()
        found: set[tuple[int, str]] = set()
        for n in self.lengths:
            if n > len(lowered):
                break
            hit = self.general.get(lowered[:n])
            if hit:
                found.update(hit)
        for _, chunk in self.exact.get(lowered, ()):
            found.update(self.chunks[chunk])
        return tuple(sorted(found))

    def for_resource(self, resource: str, only: frozenset[int] | None = None) -> Policy:
        """The pruned proposal for a call on ``resource`` (memoised per entry set). With
        ``only``, just those statements (by position) are considered: the replay passes the
        ones whose Action covers the call's action, the only ones the engine looks at."""
        key = self.candidates(resource)
        if only is not None:
            key = tuple(c for c in key if c[0] in only)
        cache_key = (key, only)
        found = self.cache.get(cache_key)
        if found is not None:
            return found
        kept: dict[int, list[str]] = {}
        for i, text in key:
            kept.setdefault(i, []).append(text)
        statements = tuple(
            statement if i in self.fixed else replace(statement, resources=tuple(kept[i]))
            for i, statement in enumerate(self.proposal.statements)
            if (only is None or i in only) and (i in self.fixed or i in kept))
        found = replace(self.proposal, statements=statements)
        if len(self.cache) >= MAX_CACHED:
            self.cache.clear()
        self.cache[cache_key] = found
        return found
