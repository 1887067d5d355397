"""AWS-IAM-13: rewrite a role's trust policy to name oneself, then assume the role.

Service-linked roles are left out (only their service may change them). After the rewrite
the trust names the attacker's own ARN, so ``sts:AssumeRole`` is decided by the engine
against exactly that trust: in the same account naming the caller is enough, across
accounts the caller's identity policies must allow too, and Denies, boundaries and SCPs
still apply. The roles the attacker may rewrite are partitioned into the groups the batch
evaluator would decide alike, and one decision per group is made with the rewritten trust.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from iamscope.catalog.techniques import Technique
from iamscope.evaluate import Decision
from iamscope.evaluate.batch import decide_targets
from iamscope.graph.authorizer import Grant, allowed_mask_of
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.common import Outgoing, pruned
from iamscope.graph.techniques.toolkit import covered, toolkit, trust_naming
from iamscope.model.edge import Edge, Evidence
from iamscope.model.principal import Principal

ASSUME = "sts:AssumeRole"


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    kit = toolkit(ctx)
    authorizer = ctx.authorizer
    action = technique.actions[0]
    for principal in kit.holding(ctx.acting(technique), action):
        only = kit.usable_roles & ~kit.role_bit.get(principal.id, 0) & \
            covered(ctx, principal, action, authorizer.role_universe)

        def collect(out: Outgoing, mask: int, principal: Principal = principal) -> None:
            rewrites = authorizer.grants(principal, action, authorizer.role_universe,
                                         only=mask)
            allowed = allowed_mask_of(rewrites)
            if not allowed:
                return
            for assume in assume_with_trust(ctx, principal, allowed):
                for rewrite in rewrites:
                    out.add(rewrite.mask & assume.mask, [rewrite, assume])

        yield from pruned(ctx, technique, principal.id, kit.role_ids, only, collect)


def assume_with_trust(ctx: GraphContext, principal: Principal, mask: int) -> list[Grant]:
    """Roles of ``mask`` that ``principal`` could assume once their trust names it."""
    authorizer = ctx.authorizer
    universe = authorizer.role_universe
    caller = authorizer.caller(principal)
    request = replace(caller.request, action=ASSUME)
    groups = decide_targets(authorizer.engine, request, caller.base, universe,
                            rcps_for=authorizer.rcp_chain, only=mask)
    trust = trust_naming(principal.id)
    out = []
    for group in groups:
        target = replace(universe.targets[group.representative], policy=trust)
        evaluation = authorizer.explain(caller, request, target)
        if evaluation.decision is not Decision.ALLOW:
            continue
        evidence = tuple(Evidence(ref.policy_id, ref.index, ref.sid, ASSUME)
                         for ref in evaluation.deciding
                         if ref.effect == "Allow" and ref.policy_kind in ("managed", "inline"))
        out.append(Grant(group.mask, evaluation.assumed_keys, evidence))
    return out
