"""New compute that runs as a passed role: iam:PassRole + the technique's ``create`` actions.

- The role must trust the technique's ``service`` (``Authorizer.service_can_assume``) and
  not be service-linked; ``iam:PassRole`` is decided with ``iam:PassedToService`` set to
  that service, over all candidate roles in one batch.
- Creation actions target a resource that does not exist yet: they are decided on ``*``
  and on probe ARNs made from the principal's own Allow statements for the action (with
  literals for wildcards), so Resource-scoped creation rights count.
- ``trigger_any``: one of these runs the new code; without any, the edge is conditional
  ("needs a way to run it").
- ``extra.instance_profile``: the role must sit in an instance profile, or these actions
  (all required) must let the attacker make one.
- ``extra.condition``: a fact the inventory cannot show, always named on the edge.
"""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.catalog.techniques import Technique
from iamscope.graph.authorizer import Grant
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.common import Outgoing, pruned
from iamscope.graph.techniques.probes import creatable_all, creatable_any
from iamscope.graph.techniques.toolkit import covered, toolkit
from iamscope.model.edge import Edge
from iamscope.model.principal import Principal

PASS_ROLE = "iam:PassRole"  # noqa: S105 - an action name
NEEDS_TRIGGER = "needs a way to run it: none of {actions} is allowed (an existing trigger " \
                "would do)"


def split(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()]


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    kit = toolkit(ctx)
    authorizer = ctx.authorizer
    passable = authorizer.service_can_assume(technique.service) & kit.usable_roles
    if not passable:
        return
    profile_actions = split(technique.extra.get("instance_profile", ""))
    with_profile = kit.memo("roles-with-profile", lambda: sum(
        1 << i for i, r in enumerate(authorizer.roles) if r.instance_profile_ids))
    facts = [technique.extra["condition"]] if technique.extra.get("condition") else []
    context = {"iam:PassedToService": technique.service}
    for principal in kit.holding(ctx.acting(technique), PASS_ROLE, *technique.create):
        creates = creatable_all(ctx, principal, technique.create)
        if creates is None:
            continue
        only = passable & ~kit.role_bit.get(principal.id, 0) & \
            covered(ctx, principal, PASS_ROLE, authorizer.role_universe)
        profiles = None
        if profile_actions:
            profiles = creatable_all(ctx, principal, profile_actions)
            if profiles is None:
                only &= with_profile
        if not only:
            continue
        conditions = list(facts)
        trigger = None
        if technique.trigger_any:
            trigger = creatable_any(ctx, principal, technique.trigger_any)
            if trigger is None:
                conditions.append(NEEDS_TRIGGER.format(actions=", ".join(technique.trigger_any)))
        used = [*creates, *([trigger] if trigger else [])]

        def collect(out: Outgoing, mask: int, principal: Principal = principal,
                    used: list[Grant] = used, profiles: list[Grant] | None = profiles,
                    conditions: list[str] = conditions) -> None:
            for grant in authorizer.grants(principal, PASS_ROLE, authorizer.role_universe,
                                           context=context, only=mask):
                ready = grant.mask & with_profile if profile_actions else grant.mask
                out.add(ready, [grant, *used], conditions)
                if profiles:
                    out.add(grant.mask & ~with_profile, [grant, *used, *profiles], conditions)

        yield from pruned(ctx, technique, principal.id, kit.role_ids, only, collect,
                          [(-1, frozenset(conditions))])
