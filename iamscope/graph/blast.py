"""Blast radius (what a compromise of one principal gives) and its inverse, who can.

Blast radius of P: the principals P can become (the closure over assume, credential,
pass-role, run-as, trust-rewrite and join-group edges, each with a shortest path), whether
that includes an admin, and the union of their sensitive reach (``sensitive.PROBES``:
secrets, KMS keys, data stores, IAM write) and the other accounts they are in or reach.
For one principal it is computed on demand from the members of its closure; for every
principal at once the per-principal sensitive reach is turned into bitsets and propagated
over the condensation of the escalation graph (``Escalation.propagate``), one union per
DAG edge instead of one per reachable pair.

``who_can(action, resource)``: every acting principal is decided exactly (identity
policies read through memoised per-policy answers first, so only principals with an
identity allow, or in the resource's account when it has a resource policy, reach the
engine); the outside callers its resource policy admits come from ``exposure``; everyone
who can become a direct principal is found by one reverse breadth-first search from the
direct set, with the next hop of a shortest path for each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from iamscope.evaluate import Decision, Engine, PolicyLayers, Request
from iamscope.evaluate.batch import Target, TargetUniverse
from iamscope.graph.authorizer import Authorizer
from iamscope.graph.build import AccessGraph
from iamscope.graph.effective import TRUST_ACTIONS, EffectiveReach
from iamscope.graph.escalation import Escalation, iter_bits
from iamscope.graph.exposure import ALLOW_ALL, Exposure, ExposureAnalysis
from iamscope.graph.reach import Path
from iamscope.graph.sensitive import CATEGORIES, SensitiveHit, SensitiveReach
from iamscope.model.edge import Evidence
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.model.reach import ReachRow, merge_items, summarize


@dataclass(frozen=True, slots=True)
class Becoming:
    principal: str
    path: Path


@dataclass(frozen=True, slots=True)
class SensitiveAccess:
    hit: SensitiveHit
    via: str  # the principal that holds it (the subject itself when direct)


@dataclass(frozen=True)
class BlastRadius:
    principal: str
    admin: bool
    reaches_admin: bool
    admin_paths: tuple[Path, ...]
    becomes: tuple[Becoming, ...]
    sensitive: tuple[SensitiveAccess, ...]
    other_accounts: tuple[str, ...]
    reach: tuple[ReachRow, ...] = ()  # union of reach, when asked for

    def highlights(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {c: [] for c in CATEGORIES}
        for item in self.sensitive:
            if item.hit.target not in out[item.hit.category]:
                out[item.hit.category].append(item.hit.target)
        out["other-accounts"] = list(self.other_accounts)
        return out


@dataclass(frozen=True, slots=True)
class DirectAccess:
    principal: str
    conditions: tuple[str, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndirectAccess:
    principal: str
    via: str  # the principal it becomes (or whose permissions it rewrites)
    path: Path


@dataclass(frozen=True)
class WhoCan:
    action: str
    resource: str
    direct: tuple[DirectAccess, ...]
    outside: tuple[Exposure, ...]
    indirect: tuple[IndirectAccess, ...]


@dataclass
class BlastAnalysis:
    access: AccessGraph
    engine: Engine | None = None
    escalation: Escalation = field(default=None)  # type: ignore[assignment]
    effective: EffectiveReach = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.escalation is None:
            self.escalation = Escalation(self.access)
        if self.effective is None:
            authorizer = self.access.authorizer or Authorizer(
                self.access.inventory, self.engine)
            self.effective = EffectiveReach(authorizer)
        self.sensitive = SensitiveReach(self.effective)
        self._policy_allows: dict[tuple[int, str], bool] = {}

    @property
    def authorizer(self) -> Authorizer:
        return self.effective.authorizer

    @cached_property
    def exposure(self) -> ExposureAnalysis:
        return ExposureAnalysis(self.authorizer, self.effective.space)

    def principal(self, node: str) -> Principal | None:
        found = self.access.inventory.principals.get(node)
        return found if found is not None and found.kind in (
            PrincipalKind.USER, PrincipalKind.ROLE) else None

    def hits(self, node: str) -> tuple[SensitiveHit, ...]:
        principal = self.principal(node)
        return self.sensitive.of(principal) if principal is not None else ()

    # --- one principal -------------------------------------------------------------------

    def blast(self, node: str, *, with_reach: bool = False) -> BlastRadius:
        esc = self.escalation
        paths = esc.paths_from(node)
        paths.pop(node, None)
        becomes = tuple(Becoming(p, paths[p]) for p in sorted(
            paths, key=lambda p: (len(paths[p].hops), p)))
        sensitive: dict[tuple[str, str, str], SensitiveAccess] = {}
        for member in (node, *(b.principal for b in becomes)):
            for hit in self.hits(member):
                sensitive.setdefault(hit.key, SensitiveAccess(hit, member))
        status = self.access.admins.get(node)
        reach: tuple[ReachRow, ...] = ()
        if with_reach:
            reach = tuple(self.reach_union([node, *(b.principal for b in becomes)]))
        return BlastRadius(
            principal=node, admin=bool(status and status.admin),
            reaches_admin=esc.reaches_admin(node), admin_paths=tuple(esc.admin_paths(node)),
            becomes=becomes, sensitive=tuple(sensitive.values()),
            other_accounts=tuple(self.other_accounts(node, sensitive.values())),
            reach=reach)

    def reach_union(self, nodes: Iterable[str]) -> list[ReachRow]:
        """The union of the members' reach. An admin member's reach contains the others'
        in its account, so only admins are asked when there are some."""
        principals = [p for p in (self.principal(n) for n in nodes) if p is not None]
        admins = [p for p in principals if p.id in self.escalation.access.admins]
        items = []
        for principal in admins or principals:
            items.extend(self.effective.reach(principal).items)
        if admins:  # admins may not cover other members' other-account grants
            for principal in principals:
                if principal not in admins and principal.account not in {
                        a.account for a in admins}:
                    items.extend(self.effective.reach(principal).items)
        return summarize(merge_items(items))

    def other_accounts(self, node: str, sensitive: Iterable[SensitiveAccess]) -> list[str]:
        own = self._account(node)
        accounts = {self._account(n) for n in self.escalation.names(
            self.escalation.reach_mask(node))}
        accounts.update(s.hit.account for s in sensitive)
        accounts.discard(own)
        accounts.discard(None)
        return sorted(a for a in accounts if a)

    def _account(self, node: str) -> str | None:
        data = self.access.graph.nodes.get(node)
        return data.get("account") if data is not None else None

    # --- every principal -----------------------------------------------------------------

    @cached_property
    def _sensitive_index(self) -> tuple[list[tuple[str, str, str]], list[int], list[int]]:
        """(the sensitive items; each node's own items as a bitset, by node index; for each
        item, the nodes holding it as a bitset)."""
        keys: dict[tuple[str, str, str], int] = {}
        own = [0] * len(self.escalation.nodes)
        holders: list[int] = []
        for node, i in self.escalation.index.items():
            mask = 0
            for hit in self.hits(node):
                bit = keys.get(hit.key)
                if bit is None:
                    bit = keys[hit.key] = len(keys)
                    holders.append(0)
                holders[bit] |= 1 << i
                mask |= 1 << bit
            own[i] = mask
        return list(keys), own, holders

    @cached_property
    def _sensitive_union(self) -> list[int]:
        return self.escalation.propagate(self._sensitive_index[1])

    @cached_property
    def _key_bits(self) -> dict[tuple[str, str, str], int]:
        return {key: i for i, key in enumerate(self._sensitive_index[0])}

    def sensitive_summary(self, node: str) -> tuple[list[tuple[str, str, str]],
                                                    list[tuple[str, str, str]]]:
        """(items the principal holds itself, items it gains by becoming others)."""
        keys, own, _ = self._sensitive_index
        i = self.escalation.index[node]
        mine = own[i]
        gained = self._sensitive_union[self.escalation.component(node)] & ~mine
        return [keys[b] for b in iter_bits(mine)], [keys[b] for b in iter_bits(gained)]

    def holder(self, node: str, key: tuple[str, str, str]) -> str | None:
        """The first principal (in graph order) ``node`` can become that holds the item."""
        holders = self._sensitive_index[2][self._key_bits[key]]
        found = self.escalation.reach_mask(node) & holders
        if not found:
            return None
        return self.escalation.nodes[(found & -found).bit_length() - 1]

    # --- who can -------------------------------------------------------------------------

    def who_can(self, action: str, resource: str) -> WhoCan:
        authorizer = self.authorizer
        trust = action.lower().partition(":")[2] in TRUST_ACTIONS
        target = self.effective.target(resource, trust=trust)
        universe = TargetUniverse((target,))
        same_account = target.policy is not None
        direct: list[DirectAccess] = []
        for principal in authorizer.principals:
            if not (self._identity_allows(principal, action) or (
                    same_account and principal.account == target.account)):
                continue
            for grant in authorizer.grants(principal, action, universe):
                direct.append(DirectAccess(principal.id, tuple(sorted(grant.assumed_keys)),
                                           tuple(evidence_label(e) for e in grant.evidence)))
        inventory = self.access.inventory
        known = inventory.resources.get(resource)
        if known is None and resource.startswith("arn:aws:s3:::") and "/" in resource:
            known = inventory.resources.get(resource.split("/", 1)[0])  # an object's bucket
        outside = tuple(e for e in (self.exposure.of(known) if known is not None else ())
                        if action.lower() in {a.lower() for a in e.actions})
        esc = self.escalation
        direct_mask = esc.mask_of(d.principal for d in direct)
        nxt = esc.toward(direct_mask)
        indirect = []
        for i in sorted(nxt, key=lambda j: esc.nodes[j]):
            if direct_mask >> i & 1:
                continue
            path = esc.follow(i, nxt)
            indirect.append(IndirectAccess(esc.nodes[i], path.hops[-1].target, path))
        indirect.extend(self._by_rewriting(action, target, direct_mask | esc.mask_of(
            a.principal for a in indirect)))
        return WhoCan(action, resource, tuple(direct), outside,
                      tuple(sorted(indirect, key=lambda a: (len(a.path.hops), a.principal))))

    def _identity_allows(self, principal: Principal, action: str) -> bool:
        engine = self.authorizer.engine
        service, _, name = action.lower().partition(":")
        for policy in self.access.inventory.policies_of(principal):
            key = (id(policy), action.lower())
            hit = self._policy_allows.get(key)
            if hit is None:
                hit = any(s.allow and s.covers_action(service, name)
                          for s in engine.compile_policy(policy))
                self._policy_allows[key] = hit
            if hit:
                return True
        return False

    def _by_rewriting(self, action: str, target: Target, done: int) -> list[IndirectAccess]:
        """Principals that can become someone whose permissions they can rewrite, and who
        could then perform the action (decided with an allow-all identity policy, keeping
        the target principal's boundary and SCPs)."""
        esc = self.escalation
        own, _ = esc.modify_targets
        targets = _or(own) & ~done
        if not targets:
            return []
        potential = 0
        engine = self.authorizer.engine
        for t in iter_bits(targets):
            principal = self.principal(esc.nodes[t])
            if principal is None:
                continue
            caller = self.authorizer.caller(principal)
            layers = PolicyLayers(identity=(ALLOW_ALL,), boundary=caller.base.boundary,
                                  scps=caller.base.scps, resource=target.policy,
                                  rcps=self.authorizer.rcp_chain(target.account))
            request = Request(caller.request.principal, action, target.resource,
                              target.account, {**caller.request.context,
                                               **dict(target.context)},
                              caller.request.principal_arn)
            if engine.decide_assuming(request, layers).decision is Decision.ALLOW:
                potential |= 1 << t
        out = []
        if not potential:
            return out
        for node, i in esc.index.items():
            if done >> i & 1 or not esc.rewritable(node) & potential:
                continue
            paths = esc.rewrite_paths(i, 1, allowed=potential)
            if paths:
                out.append(IndirectAccess(node, *paths[0]))
        return out


def evidence_label(evidence: Evidence) -> str:
    where = f"Sid {evidence.sid!r}" if evidence.sid else f"statement {evidence.statement_index}"
    return f"{evidence.policy_id} ({where})"


def _or(masks: Iterable[int]) -> int:
    out = 0
    for mask in masks:
        out |= mask
    return out


