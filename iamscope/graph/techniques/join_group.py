"""AWS-IAM-12: add oneself to a group (IAM users only: roles cannot be members).

An edge user -> group. ``build`` marks a group admin when its own policies would make any
member admin, so joining it is a step to admin. The joiner keeps its own Denies, boundary
and SCPs: when those would stop it from being admin even with an ``Allow *:*`` policy, the
edge into an admin group is conditional and says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.catalog.techniques import Technique
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.common import Outgoing, pruned
from iamscope.graph.techniques.toolkit import covered, toolkit
from iamscope.model.edge import Edge
from iamscope.model.principal import Principal, PrincipalKind

LIMITED = "the user's own Deny, permissions boundary or SCPs limit what the group grants"


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    kit = toolkit(ctx)
    authorizer = ctx.authorizer
    action = technique.actions[0]
    groups = kit.group_ids
    admin_groups = 0
    for i, group in enumerate(groups):
        if group in ctx.admins:
            admin_groups |= 1 << i
    for principal in kit.holding(ctx.acting(technique), action):
        if principal.kind is not PrincipalKind.USER:
            continue
        only = kit.all_groups & ~kit.groups_of(principal) & \
            covered(ctx, principal, action, authorizer.group_universe)
        limited = 0
        if admin_groups & only and not kit.admin_after_grant(principal)[0]:
            limited = admin_groups

        def collect(out: Outgoing, mask: int, principal: Principal = principal,
                    limited: int = limited) -> None:
            for grant in authorizer.grants(principal, action, authorizer.group_universe,
                                           only=mask):
                out.add(grant.mask & ~limited, [grant])
                out.add(grant.mask & limited, [grant], [LIMITED])

        classes = [(~limited, frozenset()), (limited, frozenset({LIMITED}))]
        yield from pruned(ctx, technique, principal.id, groups, only, collect, classes)
