"""AWS-IAM-03/04/05: obtain long-term credentials of another IAM user.

- ``iam:CreateAccessKey``: a user holds at most two access keys, so a target that already
  has two also needs ``iam:DeleteAccessKey``; when the key count was not collected the
  edge is definite with DeleteAccessKey, else conditional on "fewer than two keys".
- ``iam:CreateLoginProfile`` only works on a user without a console password,
  ``iam:UpdateLoginProfile`` only on one with a password; unknown -> conditional. A target
  with an MFA device also needs its code to sign in to the console (a condition).

Targets are split into fact classes once (bitsets over users), so each principal needs
one batch decision per action over all users.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from iamscope.catalog.techniques import Technique
from iamscope.graph.authorizer import Grant
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.common import Outgoing, pruned
from iamscope.graph.techniques.toolkit import Toolkit, covered, toolkit
from iamscope.model.edge import Edge
from iamscope.model.principal import Principal

KEY_LIMIT = 2
DELETE_KEY = "iam:DeleteAccessKey"
UNKNOWN_KEYS = "the target has fewer than two access keys (key count not collected)"
UNKNOWN_NO_LOGIN = "the target has no console password (login profile not collected)"
UNKNOWN_LOGIN = "the target has a console password (login profile not collected)"
MFA = "the target has an MFA device: console sign-in also needs its code"


@dataclass(frozen=True, slots=True)
class Classes:
    """Bitsets over ``Authorizer.users``."""

    keys_room: int  # fewer than two keys (known)
    keys_full: int  # two keys (known)
    keys_unknown: int
    login: int  # has a console password (known)
    no_login: int  # has none (known)
    login_unknown: int
    mfa: int  # at least one MFA device (known)


def classes(kit: Toolkit) -> Classes:
    return kit.memo("credential-classes", lambda: _classes(kit))


def _classes(kit: Toolkit) -> Classes:
    room = full = keys_unknown = login = no_login = login_unknown = mfa = 0
    for i, user in enumerate(kit.authorizer.users):
        bit = 1 << i
        facts = user.credentials
        total = facts.access_keys_total if facts else None
        if total is None:
            keys_unknown |= bit
        elif total >= KEY_LIMIT:
            full |= bit
        else:
            room |= bit
        has_login = facts.has_login_profile if facts else None
        if has_login is None:
            login_unknown |= bit
        elif has_login:
            login |= bit
        else:
            no_login |= bit
        if facts and facts.mfa_devices:
            mfa |= bit
    return Classes(room, full, keys_unknown, login, no_login, login_unknown, mfa)


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    kit = toolkit(ctx)
    action = technique.actions[0]
    facts = classes(kit)
    for principal in kit.holding(ctx.acting(technique), action):
        by_facts = fact_classes(action, facts,
                                can_delete=principal.id in kit.holders(DELETE_KEY))
        possible = 0
        for mask, _ in by_facts:
            possible |= mask
        only = possible & ~kit.user_bit.get(principal.id, 0) & \
            covered(ctx, principal, action, ctx.authorizer.user_universe)

        def collect(out: Outgoing, mask: int, principal: Principal = principal) -> None:
            grants = ctx.authorizer.grants(principal, action, ctx.authorizer.user_universe,
                                           only=mask)
            if action == "iam:CreateAccessKey":
                _access_key(ctx, kit, out, principal, grants, facts)
            else:
                _login(out, grants, facts, update=action == "iam:UpdateLoginProfile")

        yield from pruned(ctx, technique, principal.id, kit.user_ids, only, collect, by_facts)


def fact_classes(action: str, facts: Classes, *,
                 can_delete: bool) -> list[tuple[int, frozenset[str]]]:
    """Targets by the least conditions their credential facts impose on the edge (with
    iam:DeleteAccessKey an unknown key count imposes none)."""
    if action == "iam:CreateAccessKey":
        if can_delete:
            return [(facts.keys_room | facts.keys_full | facts.keys_unknown, frozenset())]
        return [(facts.keys_room, frozenset()),
                (facts.keys_unknown, frozenset({UNKNOWN_KEYS}))]
    known, unknown = (facts.login, UNKNOWN_LOGIN) if action == "iam:UpdateLoginProfile" \
        else (facts.no_login, UNKNOWN_NO_LOGIN)
    return [(known & ~facts.mfa, frozenset()), (known & facts.mfa, frozenset({MFA})),
            (facts.login_unknown & ~facts.mfa, frozenset({unknown})),
            (facts.login_unknown & facts.mfa, frozenset({unknown, MFA}))]


def _access_key(ctx: GraphContext, kit: Toolkit, out: Outgoing, principal: Principal,
                grants: list[Grant], facts: Classes) -> None:
    need_delete = 0
    for grant in grants:
        need_delete |= grant.mask & (facts.keys_full | facts.keys_unknown)
    deletes: list[Grant] = []
    if need_delete and principal.id in kit.holders(DELETE_KEY):
        deletes = ctx.authorizer.grants(principal, DELETE_KEY, ctx.authorizer.user_universe,
                                        only=need_delete)
    deletable = 0
    for delete in deletes:
        deletable |= delete.mask
    for grant in grants:
        out.add(grant.mask & facts.keys_room, [grant])
        out.add(grant.mask & facts.keys_unknown & ~deletable, [grant], [UNKNOWN_KEYS])
        for delete in deletes:
            out.add(grant.mask & delete.mask & need_delete, [grant, delete])


def _login(out: Outgoing, grants: list[Grant], facts: Classes, *, update: bool) -> None:
    known, unknown_text = (facts.login, UNKNOWN_LOGIN) if update else \
        (facts.no_login, UNKNOWN_NO_LOGIN)
    for grant in grants:
        for mask, conditions in ((known, []), (facts.login_unknown, [unknown_text])):
            selected = grant.mask & mask
            out.add(selected & ~facts.mfa, [grant], conditions)
            out.add(selected & facts.mfa, [grant], [*conditions, MFA])
