"""Per-build facts the technique families share (one ``Toolkit`` per authorizer).

- which principals hold an identity Allow for an action at all (decided per policy, through
  an index of the services each policy names, so a managed policy shared by a thousand
  principals is looked at once);
- bit indexes of users, roles and groups, group members, service-linked roles;
- ``admin_after_grant``: would a principal be admin-equivalent once it holds an
  ``Allow *:*`` policy? Its Denies, its permissions boundary and its SCPs still apply;
- ``covered``: the targets some identity Allow of a principal covers at all.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import TypeVar

from iamscope.evaluate import PolicyLayers, Request
from iamscope.evaluate.batch import TargetUniverse
from iamscope.evaluate.compiled import CompiledStatement
from iamscope.evaluate.matchers import split_action
from iamscope.graph.admin import probe
from iamscope.graph.authorizer import Authorizer
from iamscope.graph.context import GraphContext
from iamscope.model.ids import SERVICE_LINKED_ROLE_PATH
from iamscope.model.policy import Effect, Policy, PolicyKind
from iamscope.model.principal import Principal
from iamscope.policy.parse import parse_policy

ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
T = TypeVar("T")


@cache
def allow_all() -> Policy:
    """The policy an attacker grants itself."""
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        policy_id="iamscope:granted-by-attacker", kind=PolicyKind.INLINE)


def trust_naming(principal_arn: str) -> Policy:
    """A trust policy that names one principal (what a rewritten or new trust says)."""
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}]},
        policy_id=f"iamscope:trust-naming/{principal_arn}", kind=PolicyKind.TRUST)


def has_deny(policy: Policy) -> bool:
    return any(s.effect is Effect.DENY for s in policy.statements)


def is_service_linked(role: Principal) -> bool:
    return bool(role.path and role.path.startswith(SERVICE_LINKED_ROLE_PATH)) or \
        f":role{SERVICE_LINKED_ROLE_PATH}" in role.id


@dataclass
class PolicyIndex:
    holders: dict[int, list[str]] = field(default_factory=dict)  # id(policy) -> principals
    compiled: dict[int, tuple[CompiledStatement, ...]] = field(default_factory=dict)
    by_service: dict[str, set[int]] = field(default_factory=dict)
    any_service: set[int] = field(default_factory=set)


@dataclass(eq=False)
class Toolkit:
    authorizer: Authorizer

    def __post_init__(self) -> None:
        self._memo: dict[str, object] = {}
        self._holders: dict[str, frozenset[str]] = {}
        self._admin_cache: dict[tuple[object, ...], tuple[bool, tuple[str, ...]]] = {}

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A value a family computes once per build (fact classes, indexes)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[return-value]

    # --- who holds an action at all --------------------------------------------------------

    def holders(self, action: str) -> frozenset[str]:
        """Principals (ids) with an identity-policy Allow whose Action covers ``action``:
        without one, nothing in their own account can allow them an IAM action."""
        key = action.lower()
        hit = self._holders.get(key)
        if hit is not None:
            return hit
        service, name = split_action(key)
        index = self._policy_index
        out: set[str] = set()
        for policy_key in index.by_service.get(service, set()) | index.any_service:
            if any(s.allow and s.covers_action(service, name)
                   for s in index.compiled[policy_key]):
                out.update(index.holders[policy_key])
        result = frozenset(out)
        self._holders[key] = result
        return result

    @cached_property
    def _policy_index(self) -> PolicyIndex:
        """Every identity policy in force, who holds it, and the services its Allow
        statements name (or ``any_service`` for wildcards and NotAction)."""
        index = PolicyIndex()
        compile_policy = self.authorizer.engine.compile_policy
        for principal in self.authorizer.principals:
            for policy in self.authorizer.caller(principal).base.identity:
                key = id(policy)
                holders = index.holders.get(key)
                if holders is None:
                    holders = index.holders[key] = []
                    compiled = index.compiled[key] = compile_policy(policy)
                    for stmt in compiled:
                        if not stmt.allow:
                            continue
                        if stmt.action_negated or any(p.any_service for p in stmt.actions):
                            index.any_service.add(key)
                        for pattern in stmt.actions:
                            index.by_service.setdefault(pattern.service, set()).add(key)
                holders.append(principal.id)
        return index

    def holding(self, candidates: Iterable[Principal], *actions: str) -> Iterator[Principal]:
        """The candidates that hold an identity Allow for every one of ``actions``."""
        sets = [self.holders(a) for a in actions]
        for principal in candidates:
            if all(principal.id in s for s in sets):
                yield principal

    # --- indexes ---------------------------------------------------------------------------

    @cached_property
    def user_ids(self) -> list[str]:
        return [u.id for u in self.authorizer.users]

    @cached_property
    def role_ids(self) -> list[str]:
        return [r.id for r in self.authorizer.roles]

    @cached_property
    def group_ids(self) -> list[str]:
        return [g.id for g in self.authorizer.groups]

    @cached_property
    def user_bit(self) -> dict[str, int]:
        return {uid: 1 << i for i, uid in enumerate(self.user_ids)}

    @cached_property
    def role_bit(self) -> dict[str, int]:
        return {rid: 1 << i for i, rid in enumerate(self.role_ids)}

    @cached_property
    def group_bit(self) -> dict[str, int]:
        return {gid: 1 << i for i, gid in enumerate(self.group_ids)}

    @cached_property
    def all_users(self) -> int:
        return (1 << len(self.user_ids)) - 1

    @cached_property
    def all_groups(self) -> int:
        return (1 << len(self.group_ids)) - 1

    @cached_property
    def usable_roles(self) -> int:
        """Roles an IAM action may change: every role but the service-linked ones, which
        only their service can modify."""
        mask = 0
        for i, role in enumerate(self.authorizer.roles):
            if not is_service_linked(role):
                mask |= 1 << i
        return mask

    @cached_property
    def members(self) -> dict[str, int]:
        """Group id -> bitset of its member users."""
        out: dict[str, int] = {}
        for user in self.authorizer.users:
            for group in user.group_ids:
                out[group] = out.get(group, 0) | self.user_bit[user.id]
        return out

    def groups_of(self, user: Principal) -> int:
        mask = 0
        for group in user.group_ids:
            mask |= self.group_bit.get(group, 0)
        return mask

    # --- admin after a self-grant --------------------------------------------------------------

    def admin_after_grant(self, principal: Principal, *, drop: frozenset[str] = frozenset()
                          ) -> tuple[bool, tuple[str, ...]]:
        """Would ``principal`` be admin (AWS-ADMIN probes) with ``Allow *:*`` added to its
        identity policies (and the policies in ``drop`` replaced)? Its remaining Denies,
        boundary and SCPs decide; returns (admin, conditions it relied on)."""
        caller = self.authorizer.caller(principal)
        kept = tuple(p for p in caller.base.identity if p.id not in drop and has_deny(p))
        base = caller.base
        limits = (*kept, *((base.boundary,) if base.boundary else ()),
                  *(p for level in base.scps for p in level))
        key: tuple[object, ...] | None = None
        if not any(s.conditions for p in limits for s in p.statements):
            key = (tuple(id(p) for p in kept), id(base.boundary),
                   tuple(tuple(id(p) for p in level) for level in base.scps),
                   is_service_linked(principal))  # SCPs do not bind service-linked roles
            hit = self._admin_cache.get(key)
            if hit is not None:
                return hit
        layers = replace(base, identity=(allow_all(), *kept))
        result = self.probe_admin(caller.request, layers)
        if key is not None:
            self._admin_cache[key] = result
        return result

    def probe_admin(self, request: Request, layers: PolicyLayers) -> tuple[bool, tuple[str, ...]]:
        status = probe(self.authorizer.engine, request, layers)
        return status.admin, status.conditions


_KITS: weakref.WeakKeyDictionary[Authorizer, Toolkit] = weakref.WeakKeyDictionary()


def toolkit(ctx: GraphContext) -> Toolkit:
    kit = _KITS.get(ctx.authorizer)
    if kit is None:
        kit = _KITS[ctx.authorizer] = Toolkit(ctx.authorizer)
    return kit


def covered(ctx: GraphContext, principal: Principal, action: str,
            universe: TargetUniverse) -> int:
    """Targets of ``universe`` that some identity Allow of ``principal`` for ``action``
    covers: for targets without resource-based policies (IAM users, roles, groups,
    policies) nothing else can be allowed, so batches need not look at the rest."""
    authorizer = ctx.authorizer
    caller = authorizer.caller(principal)
    compiled = authorizer.engine.compile(caller.base)
    mask = 0
    for stmt in compiled.identity.for_action(action.lower()):
        if stmt.allow:
            mask |= universe.coverage(stmt, caller.request.context)
    return mask
