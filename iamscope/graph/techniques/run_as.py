"""Take over existing compute that runs as a role: RUN_AS edges principal -> role.

The technique's ``target`` names a resource type; each resource of that type whose
``role_attribute`` names a role (``role_arn``, or ``role_arns`` as a JSON list) is a way
into that role. The principal must be allowed every one of the technique's ``actions`` on
the resource (identity policies or the resource's own policy; one batch per action over
the resources), and the ``create`` actions on something it names itself (a lifecycle
configuration, ...), and then:

- ``requires``: a resource attribute that must be true (``ssm_managed``); false drops the
  resource, absent makes the edge conditional;
- ``extra.state``: the state the resource must be in (``running``); another state drops
  it, absent makes the edge conditional;
- ``trigger_any``: one of these (on the resource) runs the changed code, else the edge is
  conditional ("needs a way to run it");
- ``extra.condition``: a fact the inventory cannot show, always named on the edge.

Several resources running as the same role give one edge: the best-founded one.
Resources that run as a sink (an admin, or a principal a definite step from one) are asked
about first: a definite step into one settles the principal, and edges a step into a sink
dominates are left out (``common.dominant``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from iamscope.catalog.techniques import Technique
from iamscope.evaluate.batch import TargetUniverse
from iamscope.evaluate.principals import CompiledPrincipal
from iamscope.graph.authorizer import Grant, bits
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.common import dominant, retarget
from iamscope.graph.techniques.probes import creatable_all
from iamscope.graph.techniques.toolkit import toolkit
from iamscope.model.edge import Confidence, Edge
from iamscope.model.principal import Principal
from iamscope.model.resource import Resource

NEEDS_TRIGGER = "needs a way to run it: none of {actions} is allowed on the resource (an " \
                "existing trigger would do)"
UNKNOWN_FACT = "the resource's {name} is {value} (not collected)"


@dataclass(frozen=True, slots=True)
class Candidate:
    resource: Resource
    roles: tuple[str, ...]
    facts: tuple[str, ...]  # unprovable facts for this resource


def roles_of(resource: Resource, attribute: str) -> tuple[str, ...]:
    value = dict(resource.attributes).get(attribute)
    if not value:
        return ()
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return ()
        return tuple(str(v) for v in items if isinstance(v, str) and v)
    return (value,)


def candidates(ctx: GraphContext, technique: Technique) -> list[Candidate]:
    out = []
    state = technique.extra.get("state", "")
    for resource in ctx.authorizer.resources_of_type(technique.target):
        roles = roles_of(resource, technique.role_attribute)
        if not roles:
            continue
        attributes = dict(resource.attributes)
        facts = []
        if technique.requires:
            value = attributes.get(technique.requires)
            if value is None:
                facts.append(UNKNOWN_FACT.format(name=technique.requires, value="true"))
            elif value.lower() != "true":
                continue
        if state:
            value = attributes.get("state")
            if value is None:
                facts.append(UNKNOWN_FACT.format(name="state", value=state))
            elif value.lower() != state:
                continue
        if technique.extra.get("condition"):
            facts.append(technique.extra["condition"])
        out.append(Candidate(resource, roles, tuple(facts)))
    return out


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    found = candidates(ctx, technique)
    if not found:
        return
    kit = toolkit(ctx)
    universe = ctx.authorizer.resource_universe([c.resource for c in found])
    everything = (1 << len(found)) - 1
    with_policy = _granting(ctx, technique.actions, found)
    trigger_policy = _granting(ctx, technique.trigger_any, found, any_action=True)
    sinks = 0
    for i, candidate in enumerate(found):
        if any(role in ctx.sinks for role in candidate.roles):
            sinks |= 1 << i
    no_trigger = NEEDS_TRIGGER.format(actions=", ".join(technique.trigger_any))
    # The least conditions an edge through each resource can have, with a trigger at hand
    # and without any.
    least_triggered = [frozenset(c.facts) for c in found]
    least_untriggered = [facts | {no_trigger} for facts in least_triggered]
    for principal in ctx.acting(technique):
        holds = all(principal.id in kit.holders(a) for a in technique.actions)
        only = everything if holds else with_policy
        if not only:
            continue
        creates = creatable_all(ctx, principal, technique.create) if technique.create else []
        if creates is None:
            continue
        untriggered = 0
        if technique.trigger_any and not any(principal.id in kit.holders(a)
                                             for a in technique.trigger_any):
            untriggered = everything & ~trigger_policy
        best: dict[str, tuple[Edge, bool]] = {}
        _collect(ctx, technique, principal, found, universe, sinks & only, creates, best)
        steps = {frozenset(e.conditions) for role, (e, keyed) in best.items()
                 if role in ctx.sinks and not keyed}
        rest = only & ~sinks
        for i in bits(rest) if steps else ():
            least = least_untriggered[i] if untriggered >> i & 1 else least_triggered[i]
            if any(step <= least for step in steps):
                rest &= ~(1 << i)  # whatever it gives, the sink step gives for less
        if rest:
            _collect(ctx, technique, principal, found, universe, rest, creates, best)
        yield from dominant([edge for edge, _ in best.values()], ctx.sinks)


def _collect(ctx: GraphContext, technique: Technique, principal: Principal,
             found: list[Candidate], universe: TargetUniverse, only: int, creates: list[Grant],
             best: dict[str, tuple[Edge, bool]]) -> None:
    """The best edge to each role run by the resources of ``only`` (and whether its grants
    assumed request facts), into ``best``."""
    if not only:
        return
    authorizer = ctx.authorizer
    per_resource: dict[int, list[Grant]] = {}
    for action in technique.actions:
        allowed = 0
        for grant in authorizer.grants(principal, action, universe, only=only):
            allowed |= grant.mask
            for i in bits(grant.mask):
                per_resource.setdefault(i, []).append(grant)
        only &= allowed
        if not only:
            return
    triggers: dict[int, Grant] = {}
    for action in technique.trigger_any:
        for grant in authorizer.grants(principal, action, universe, only=only):
            for i in bits(grant.mask):
                triggers.setdefault(i, grant)
    no_trigger = NEEDS_TRIGGER.format(actions=", ".join(technique.trigger_any))
    templates: dict[tuple[object, ...], tuple[Edge, bool]] = {}  # resources alike share one
    for i in bits(only):
        candidate = found[i]
        grants = [*per_resource[i], *creates]
        facts = candidate.facts
        if technique.trigger_any:
            if i in triggers:
                grants.append(triggers[i])
            else:
                facts = (*facts, no_trigger)
        key = (*(id(g) for g in grants), *facts)
        template = templates.get(key)
        if template is None:
            template = templates[key] = (
                ctx.edge(principal.id, principal.id, technique, grants, conditions=facts),
                any(g.assumed_keys for g in grants))
        for role in candidate.roles:
            if role == principal.id:
                continue
            current = best.get(role)
            if current is None or _rank(template[0]) < _rank(current[0]):
                best[role] = (retarget(template[0], role), template[1])


def _granting(ctx: GraphContext, actions: tuple[str, ...],
              found: list[Candidate], *, any_action: bool = False) -> int:
    """Resources whose own policy may grant every one of ``actions`` (or, with
    ``any_action``, one of them) to an IAM principal (an Allow naming an account, a user, a
    role or ``*``): only on these can a principal without an identity Allow be allowed."""
    if not actions:
        return 0
    test = any if any_action else all
    engine = ctx.authorizer.engine
    mask = 0
    for i, candidate in enumerate(found):
        policy = ctx.inventory.policies.get(candidate.resource.policy_id or "")
        if policy is None:
            continue
        layer = engine.compile_single(policy)
        if test(any(s.allow and s.principal is not None and _names_iam(s.principal)
                    for s in layer.for_action(action.lower()))
                for action in actions):
            mask |= 1 << i
    return mask


def _names_iam(principal: CompiledPrincipal) -> bool:
    return bool(principal.everyone or principal.accounts or principal.users or
                principal.roles or principal.sessions)


def _rank(edge: Edge) -> tuple[int, int, tuple[str, ...]]:
    return (edge.confidence is Confidence.CONDITIONAL, len(edge.conditions), edge.conditions)
