"""Every catalogued action as a bit, so that sets of actions are integers.

Reach questions ("which actions can this principal perform?") would cost one decision per
action if asked naively: 22,000 actions times every principal. Instead each policy
statement's Action/NotAction element becomes a ``Cover``: per service, a bitset over that
service's actions (sorted by name). Covers are memoised by statement (statements of a
managed policy are compiled once and shared by every principal it is attached to) and by
pattern text, so expanding ``ReadOnlyAccess`` costs once per process.

Actions that no statement distinguishes (covered by exactly the same statements of every
layer) get the same decision on the same target, so one decision answers for all of them:
``refine`` splits a set of actions into such classes.

Resource types come from the catalog's ARN templates: ``ResourceKind`` names a type by the
service of its template and its catalog name (``aws:ec2:instance`` also for
``ssm:SendCommand``'s ``instance``), the same spelling the inventory uses for resources.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from iamscope.catalog.aws_actions import ActionCatalog, ActionInfo
from iamscope.evaluate.compiled import CompiledStatement
from iamscope.evaluate.decide import CompiledLayers
from iamscope.model.policy import Statement
from iamscope.policy.wildcard import compile_glob

PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
NO_TYPE = "*"  # the kind of actions that support no resource-level permissions


@dataclass(frozen=True, slots=True)
class Cover:
    """A set of actions: per service a bitset; with ``everywhere`` every service not listed
    in ``masks`` is covered completely."""

    everywhere: bool = False
    masks: dict[str, int] = field(default_factory=dict)

    def services(self, space: ActionSpace) -> Iterable[str]:
        return space.services if self.everywhere else self.masks.keys()

    def mask(self, service: str, space: ActionSpace) -> int:
        hit = self.masks.get(service)
        if hit is not None:
            return hit
        return space.full(service) if self.everywhere else 0

    @property
    def empty(self) -> bool:
        return not self.everywhere and not any(self.masks.values())


EMPTY = Cover()


class ResourceKind:
    """A catalog resource type with its ARN template as a regular expression (placeholders
    match any run of characters without ``/``, the last one any run at all)."""

    def __init__(self, key: str, template: str):
        self.key = key  # aws:<template service>:<type name>
        self.template = template

    def __repr__(self) -> str:
        return f"ResourceKind({self.key!r})"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return _kind_regex(self.template)

    def instantiate(self, account: str, partition: str = "aws") -> str:
        """A pattern-like ARN standing for every resource of the kind in ``account``."""
        def fill(match: re.Match[str]) -> str:
            name = match.group(0)[2:-1].lower()
            return {"partition": partition, "account": account}.get(name, "*")
        return PLACEHOLDER.sub(fill, self.template)

    def matches(self, arn: str) -> bool:
        return self.regex.fullmatch(arn) is not None


def _kind_regex(template: str) -> re.Pattern[str]:
    parts = PLACEHOLDER.split(template)
    out = []
    for i, literal in enumerate(parts):
        out.append(re.escape(literal))
        if i < len(parts) - 1:
            out.append(".+" if i == len(parts) - 2 and not parts[-1] else "[^/]+")
    return re.compile("".join(out))


class ActionSpace:
    def __init__(self, catalog: ActionCatalog):
        self.catalog = catalog
        self._patterns: dict[str, Cover] = {}
        self._statements: dict[int, tuple[object, Cover]] = {}
        self._kinds: dict[tuple[str, str], tuple[ResourceKind, ...]] = {}
        self._full: dict[str, int] = {}
        self._actions: dict[str, tuple[ActionInfo, ...]] = {}
        self._positions: dict[str, dict[str, int]] = {}
        self._sorted: dict[str, list[str]] = {}
        self._kind_cache: dict[str, ResourceKind] = {}

    @cached_property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted(self.catalog.services))

    def actions(self, service: str) -> tuple[ActionInfo, ...]:
        """The service's actions in bit order (sorted by lower-cased name)."""
        hit = self._actions.get(service)
        if hit is None:
            table = self.catalog.service_actions(service)
            names = sorted(table)
            hit = tuple(table[name] for name in names)
            self._actions[service] = hit
            self._sorted[service] = names
            self._positions[service] = {name: i for i, name in enumerate(names)}
        return hit

    def full(self, service: str) -> int:
        hit = self._full.get(service)
        if hit is None:
            hit = (1 << len(self.actions(service))) - 1
            self._full[service] = hit
        return hit

    def bit(self, action: str) -> tuple[str, int]:
        """(service, bitset of the single action); bitset 0 for an unknown action."""
        service, _, name = action.lower().partition(":")
        self.actions(service)
        position = self._positions[service].get(name)
        return service, 0 if position is None else 1 << position

    def members(self, service: str, mask: int) -> list[ActionInfo]:
        actions = self.actions(service)
        out = []
        while mask:
            low = mask & -mask
            out.append(actions[low.bit_length() - 1])
            mask ^= low
        return out

    # --- covers --------------------------------------------------------------------------

    def pattern(self, text: str) -> Cover:
        key = text.strip().lower()
        hit = self._patterns.get(key)
        if hit is not None:
            return hit
        if key == "*":
            cover = Cover(everywhere=True)
        else:
            service, sep, name = key.partition(":")
            masks: dict[str, int] = {}
            if sep:
                wild_service = "*" in service or "?" in service
                service_glob = compile_glob(service) if wild_service else None
                names = None if name == "*" else name
                targets = ([s for s in self.services if service_glob.matches(s)]
                           if service_glob is not None else [service])
                for svc in targets:
                    mask = self.full(svc) if names is None else self._name_mask(svc, name)
                    if mask:
                        masks[svc] = mask
            cover = Cover(masks=masks)
        self._patterns[key] = cover
        return cover

    def _name_mask(self, service: str, name: str) -> int:
        """Actions of ``service`` whose lower-cased name matches the glob ``name``: exact
        names are looked up, ``Prefix*`` found by bisection, the rest matched one by one."""
        self.actions(service)
        positions = self._positions[service]
        if "*" not in name and "?" not in name:
            i = positions.get(name)
            return 0 if i is None else 1 << i
        names = self._names(service)
        if name.endswith("*") and "*" not in name[:-1] and "?" not in name:
            prefix = name[:-1]
            lo = bisect.bisect_left(names, prefix)
            hi = lo
            while hi < len(names) and names[hi].startswith(prefix):
                hi += 1
            return ((1 << hi) - 1) ^ ((1 << lo) - 1)
        glob = compile_glob(name)
        mask = 0
        for i, text in enumerate(names):
            if glob.matches(text):
                mask |= 1 << i
        return mask

    def _names(self, service: str) -> list[str]:
        return self._sorted[service]

    def statement(self, stmt: CompiledStatement) -> Cover:
        """The actions a statement's Action (or NotAction) element covers."""
        hit = self._statements.get(id(stmt))
        if hit is not None and hit[0] is stmt:
            return hit[1]
        cover = union((self.pattern(p.text) for p in stmt.actions), self)
        if stmt.action_negated:
            cover = self.negate(cover)
        if len(self._statements) > 500_000:
            self._statements.clear()
        self._statements[id(stmt)] = (stmt, cover)
        return cover

    def written(self, stmt: Statement) -> Cover:
        """The same for a parsed statement (no compilation needed)."""
        hit = self._statements.get(id(stmt))
        if hit is not None and hit[0] is stmt:
            return hit[1]
        texts = stmt.actions if stmt.actions is not None else stmt.not_actions or ()
        cover = union((self.pattern(t) for t in texts), self)
        if stmt.actions is None:
            cover = self.negate(cover)
        self._statements[id(stmt)] = (stmt, cover)  # type: ignore[assignment]
        return cover

    def intersect(self, a: Cover, b: Cover) -> Cover:
        if a.everywhere and b.everywhere:
            keys = a.masks.keys() | b.masks.keys()
            return Cover(everywhere=True, masks={s: a.mask(s, self) & b.mask(s, self)
                                                 for s in keys})
        if not a.everywhere and not b.everywhere:
            keys = a.masks.keys() & b.masks.keys()
        else:
            keys = (b if a.everywhere else a).masks.keys()
        masks = {s: a.mask(s, self) & b.mask(s, self) for s in keys}
        return Cover(masks={s: m for s, m in masks.items() if m})

    def negate(self, cover: Cover) -> Cover:
        if cover.everywhere:
            return Cover(masks={s: self.full(s) & ~m for s, m in cover.masks.items()
                                if self.full(s) & ~m})
        return Cover(everywhere=True,
                     masks={s: self.full(s) & ~m for s, m in cover.masks.items()})

    # --- resource kinds ------------------------------------------------------------------

    def kinds(self, info: ActionInfo) -> tuple[ResourceKind, ...]:
        """The resource kinds an action acts on (empty: it supports none, only ``*``)."""
        key = (info.service, info.name)
        hit = self._kinds.get(key)
        if hit is None:
            types = self.catalog.resource_types(info.service)
            found = []
            for ref in info.resource_types:
                rtype = types.get(ref.name.lower())
                kind = self.kind_of(rtype.arn, ref.name) if rtype is not None else None
                if kind is not None:
                    found.append(kind)
            hit = tuple(dict.fromkeys(found))
            self._kinds[key] = hit
        return hit

    def kind_of(self, template: str, name: str) -> ResourceKind | None:
        fields = template.split(":", 5)
        if len(fields) != 6:
            return None
        key = f"aws:{fields[2]}:{name.lower()}"
        hit = self._kind_cache.get(key)
        if hit is None:
            hit = ResourceKind(key, template)
            self._kind_cache[key] = hit
        return hit

    def kind(self, key: str) -> ResourceKind | None:
        """A kind by its key (``aws:s3:object``), once some action has named it, or found in
        the catalog's resource types of the key's service."""
        hit = self._kind_cache.get(key)
        if hit is not None:
            return hit
        _, service, name = [*key.split(":", 2), "", ""][:3]
        rtype = self.catalog.resource_types(service).get(name)
        return self.kind_of(rtype.arn, name) if rtype is not None else None


def union(covers: Iterable[Cover], space: ActionSpace) -> Cover:
    everywhere = False
    masks: dict[str, int] = {}
    exceptions: dict[str, int] | None = None  # for the everywhere part
    for cover in covers:
        if cover.everywhere:
            if exceptions is None:
                exceptions = dict(cover.masks)
            else:
                exceptions = {s: m | cover.masks[s] for s, m in exceptions.items()
                              if s in cover.masks}
            everywhere = True
        else:
            for service, mask in cover.masks.items():
                masks[service] = masks.get(service, 0) | mask
    if not everywhere:
        return Cover(masks=masks)
    merged = {s: m | masks.get(s, 0) for s, m in (exceptions or {}).items()}
    return Cover(everywhere=True,
                 masks={s: m for s, m in merged.items() if m != space.full(s)})


def refine(candidates: int, splitters: Iterable[int]) -> list[int]:
    """Split ``candidates`` into classes that every splitter either contains or misses."""
    classes = [candidates]
    for mask in splitters:
        if not mask & candidates or mask & candidates == candidates:
            continue
        out = []
        for cls in classes:
            inside = cls & mask
            if inside and inside != cls:
                out.extend((inside, cls ^ inside))
            else:
                out.append(cls)
        classes = out
    return classes


def allows_of(statements: Iterable[CompiledStatement], space: ActionSpace) -> Cover:
    return union([space.statement(s) for s in statements if s.allow], space)


def all_statements(compiled: CompiledLayers) -> list[CompiledStatement]:
    out = list(compiled.identity.statements)
    for layer in (compiled.boundary, compiled.session, *compiled.scps):
        if layer is not None:
            out.extend(layer.statements)
    return out


def splitters(covers: list[Cover], space: ActionSpace) -> tuple[dict[str, list[int]],
                                                                  list[Cover]]:
    by_service: dict[str, set[int]] = {}
    everywhere: dict[tuple, Cover] = {}
    for cover in covers:
        if cover.everywhere:
            everywhere[tuple(sorted(cover.masks.items()))] = cover
        else:
            for service, mask in cover.masks.items():
                by_service.setdefault(service, set()).add(mask)
    return {s: list(m) for s, m in by_service.items()}, list(everywhere.values())
