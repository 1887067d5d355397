"""The self-grant actions aimed at other principals: MODIFY_POLICY edges P -> target.

Run by ``build`` for every ``self_policy`` technique after admins are known (admins need no
escalation and are never targets: changing an admin's policy gains nothing). P may change
the permissions of:

- users (Attach/PutUserPolicy) and roles (Attach/PutRolePolicy; not service-linked ones);
- groups (Attach/PutGroupPolicy): an edge to the group, which stands for its members;
- every holder of a customer-managed policy (CreatePolicyVersion, SetDefaultPolicyVersion,
  the latter conditional on a more permissive version existing): an edge to the policy,
  which stands for the users, roles and groups (with their members) it is attached to.
  When some member or holder would not become admin that way, the edge goes to the ones
  that would instead.

A target only counts when an ``Allow *:*`` policy would make it admin (its Denies, boundary
and SCPs still apply), because ``escalation`` reads "can become X and someone who can modify
X" as admin. Whether the target's boundary pins ``iam:PermissionsBoundary`` is not known per
target in a batch, so such conditions are assumed (and named).

Such an edge P -> X matters only to someone who can become both P and X. Another principal
can become P only along a become edge into P, and P itself can only use the edge by
becoming X along an edge out of P; the same holds for X. So sources and targets that no
become edge touches (``ctx.linked``, complete once every other family has run) are left
out: for them the right is a dangerous permission, not a step of any escalation path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from iamscope.catalog.techniques import Technique
from iamscope.graph.authorizer import Grant, bits
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.common import emit, member_mask
from iamscope.graph.techniques.self_policy import grant_context
from iamscope.graph.techniques.toolkit import Toolkit, covered, toolkit
from iamscope.model.edge import Edge
from iamscope.model.principal import PrincipalKind

OTHER_VERSION = "a non-default version of a policy the target holds grants more (policy " \
                "versions not collected)"


@dataclass(frozen=True, slots=True)
class Able:
    """Non-admin principals that an ``Allow *:*`` policy would make admin (bitsets over
    users and roles), and the conditions that relied on, where any."""

    users: int
    roles: int
    conditional_users: int  # the subsets whose check relied on conditions
    conditional_roles: int
    conditions: dict[str, tuple[str, ...]]
    admin_users: int
    admin_roles: int


def able(ctx: GraphContext, kit: Toolkit) -> Able:
    def build() -> Able:
        users = roles = conditional_users = conditional_roles = 0
        admin_users = admin_roles = 0
        conditions: dict[str, tuple[str, ...]] = {}
        for principals, index, is_user in ((kit.authorizer.users, kit.user_bit, True),
                                           (kit.authorizer.roles, kit.role_bit, False)):
            for principal in principals:
                if principal.id in ctx.admins:
                    if is_user:
                        admin_users |= index[principal.id]
                    else:
                        admin_roles |= index[principal.id]
                    continue
                ok, facts = kit.admin_after_grant(principal)
                if not ok:
                    continue
                bit = index[principal.id]
                if facts:
                    conditions[principal.id] = facts
                if is_user:
                    users |= bit
                    conditional_users |= bit if facts else 0
                else:
                    roles |= bit
                    conditional_roles |= bit if facts else 0
        return Able(users, roles & kit.usable_roles, conditional_users, conditional_roles,
                    conditions, admin_users, admin_roles)
    return kit.memo("admin-able", build)


@dataclass(frozen=True, slots=True)
class Holders:
    users: int
    roles: int
    groups: int


def holders_of(kit: Toolkit) -> dict[str, Holders]:
    """Customer-managed policy id -> who it is attached to."""
    def build() -> dict[str, Holders]:
        users: dict[str, int] = {}
        roles: dict[str, int] = {}
        groups: dict[str, int] = {}
        for principal in kit.authorizer.inventory.principals.values():
            table, index = {PrincipalKind.USER: (users, kit.user_bit),
                            PrincipalKind.ROLE: (roles, kit.role_bit),
                            PrincipalKind.GROUP: (groups, kit.group_bit)}.get(
                principal.kind, (None, None))
            if table is None or index is None or principal.id not in index:
                continue
            for policy in principal.policy_ids:
                table[policy] = table.get(policy, 0) | index[principal.id]
        return {pid: Holders(users.get(pid, 0), roles.get(pid, 0), groups.get(pid, 0))
                for pid in kit.authorizer.customer_policies}
    return kit.memo("policy-holders", build)


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    if technique.target not in ("user", "role", "group", "policy"):
        return
    kit = toolkit(ctx)
    authorizer = ctx.authorizer
    action = technique.actions[0]
    targets = able(ctx, kit)
    universe = {"user": authorizer.user_universe, "role": authorizer.role_universe,
                "group": authorizer.group_universe,
                "policy": authorizer.policy_universe}[technique.target]
    linked = Linked(member_mask(ctx, kit.user_ids, "linked"),
                    member_mask(ctx, kit.role_ids, "linked"))
    full = {"user": targets.users & linked.users, "role": targets.roles & linked.roles,
            "group": _relevant(ctx, kit, "group", linked),
            "policy": _relevant(ctx, kit, "policy", linked)}[technique.target]
    extra = [OTHER_VERSION] if action == "iam:SetDefaultPolicyVersion" else []
    sources = (p for p in authorizer.principals
               if p.id not in ctx.admins and p.id in ctx.linked)
    for principal in kit.holding(sources, action):
        own_user = kit.user_bit.get(principal.id, 0)
        own_role = kit.role_bit.get(principal.id, 0)
        own = {"user": own_user, "role": own_role}.get(technique.target, 0)
        only = full & ~own & covered(ctx, principal, action, universe)
        if not only:
            continue
        grants = authorizer.grants(principal, action, universe, only=only,
                                   context=grant_context(action))
        for grant in grants:
            if technique.target == "user":
                yield from _to(ctx, kit, technique, principal.id, grant, targets,
                               grant.mask & linked.users, 0, extra)
            elif technique.target == "role":
                yield from _to(ctx, kit, technique, principal.id, grant, targets, 0,
                               grant.mask & linked.roles, extra)
            else:
                yield from _to_holders(ctx, kit, technique, principal.id, grant, targets,
                                       linked, extra)


@dataclass(frozen=True, slots=True)
class Linked:
    """Users and roles (bitsets) that some become edge touches."""

    users: int
    roles: int


def _relevant(ctx: GraphContext, kit: Toolkit, target: str, linked: Linked) -> int:
    """Groups (or policies) through which some linked principal's permissions change, or
    that a linked principal can join."""
    names = kit.group_ids if target == "group" else kit.authorizer.customer_policies
    mask = 0
    for i, name in enumerate(names):
        users, roles = _reached(kit, target, name)
        if users & linked.users or roles & linked.roles or name in ctx.linked:
            mask |= 1 << i
    return mask


def _to_holders(ctx: GraphContext, kit: Toolkit, technique: Technique, source: str,
                grant: Grant, targets: Able, linked: Linked,
                extra: list[str]) -> Iterator[Edge]:
    """Edges to groups or policies, which ``escalation`` expands to their members and
    holders; a group or policy some of whose holders an ``Allow *:*`` would not make admin
    is replaced by edges to the holders it would."""
    own_user = kit.user_bit.get(source, 0)
    own_role = kit.role_bit.get(source, 0)
    names = kit.group_ids if technique.target == "group" else kit.authorizer.customer_policies
    whole = 0
    users = roles = 0
    for i in bits(grant.mask):
        reached_users, reached_roles = _reached(kit, technique.target, names[i])
        if not reached_users & ~targets.users & ~targets.admin_users and \
                not reached_roles & ~targets.roles & ~targets.admin_roles:
            whole |= 1 << i
        else:
            users |= reached_users
            roles |= reached_roles
    yield from emit(ctx, source, whole, names, technique, [grant], extra)
    yield from _to(ctx, kit, technique, source, grant, targets,
                   users & ~own_user & linked.users, roles & ~own_role & linked.roles, extra)


def _reached(kit: Toolkit, target: str, name: str) -> tuple[int, int]:
    """(users, roles) whose permissions change with the group or policy ``name``."""
    cache: dict[str, tuple[int, int]] = kit.memo("reached", dict)
    hit = cache.get(name)
    if hit is not None:
        return hit
    if target == "group":
        users, roles, groups = 0, 0, kit.group_bit[name]
    else:
        found = holders_of(kit)[name]
        users, roles, groups = found.users, found.roles, found.groups
    for i in bits(groups):
        users |= kit.members.get(kit.group_ids[i], 0)
    cache[name] = (users, roles)
    return users, roles


def _to(ctx: GraphContext, kit: Toolkit, technique: Technique, source: str, grant: Grant,
        targets: Able, users: int, roles: int, extra: list[str]) -> Iterator[Edge]:
    """Edges to the users and roles an ``Allow *:*`` would make admin."""
    for mask, able_mask, conditional, ids in (
            (users, targets.users, targets.conditional_users, kit.user_ids),
            (roles, targets.roles, targets.conditional_roles, kit.role_ids)):
        mask &= able_mask
        for i in bits(mask & conditional):
            yield ctx.edge(source, ids[i], technique, [grant],
                           conditions=[*targets.conditions[ids[i]], *extra])
        yield from emit(ctx, source, mask & ~conditional, ids, technique, [grant], extra)
