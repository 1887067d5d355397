"""Self-grants: one step to any permission (AWS-ADMIN by PMapper's ``is_admin`` rules).

Emitted as MODIFY_POLICY self-loops P -> P, which ``build`` reads as admin-equivalence:

- AWS-IAM-06/09 Attach/PutUserPolicy on itself (users), AWS-IAM-08/11 Attach/PutRolePolicy
  on itself (roles), AWS-IAM-07/10 Attach/PutGroupPolicy on a group it belongs to (users);
  a role holding a user action (or the reverse) gains nothing (privesc.md 7.3);
- AWS-IAM-01 CreatePolicyVersion on a customer-managed policy attached to itself or its
  groups (AWS-managed policies are not in the policy universe: they cannot be versioned),
  AWS-IAM-02 SetDefaultPolicyVersion likewise, conditional on a more permissive version;
- AWS-IAM-14: create a principal, give it a policy and use it (the catalog's ``variants``).

Attach* is asked with ``iam:PolicyARN`` = AdministratorAccess (PMapper does the same), so
statements pinning other policies do not count. A self-grant only counts when the
principal would then pass the admin probes: its other Denies, its boundary and its SCPs
still apply (a boundary caps what any policy can add).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from iamscope.catalog.techniques import Technique
from iamscope.evaluate import PolicyLayers, Request
from iamscope.evaluate.batch import TargetUniverse
from iamscope.graph.authorizer import Grant, bits
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.probes import PROBE_NAME, decide_one, probe_arns
from iamscope.graph.techniques.toolkit import (
    ADMIN_POLICY_ARN,
    Toolkit,
    allow_all,
    is_service_linked,
    toolkit,
    trust_naming,
)
from iamscope.model.edge import Edge
from iamscope.model.ids import parse_arn
from iamscope.model.principal import Principal, PrincipalKind

OTHER_VERSION = "another version of {policy} grants more (policy versions not collected)"


def grant_context(action: str, boundary: str | None = None) -> dict[str, str]:
    """Request facts: the policy the attacker attaches, and the target's permissions
    boundary (``iam:PermissionsBoundary``) when it is known."""
    context = {}
    if action.lower().startswith("iam:attach"):
        context["iam:PolicyARN"] = ADMIN_POLICY_ARN
    if boundary:
        context["iam:PermissionsBoundary"] = boundary
    return context


def policy_bits(kit: Toolkit) -> dict[str, int]:
    return kit.memo("policy-bits", lambda: {
        pid: 1 << i for i, pid in enumerate(kit.authorizer.customer_policies)})


@dataclass(frozen=True, slots=True)
class Scope:
    universe: TargetUniverse
    only: int


def own_scope(kit: Toolkit, technique: Technique, principal: Principal) -> Scope | None:
    """Where the principal's own permissions live, for the technique's target type."""
    authorizer = kit.authorizer
    target = technique.target
    if target == "user" and principal.kind is PrincipalKind.USER:
        return Scope(authorizer.user_universe, kit.user_bit[principal.id])
    if target == "role" and principal.kind is PrincipalKind.ROLE and \
            not is_service_linked(principal):
        return Scope(authorizer.role_universe, kit.role_bit[principal.id])
    if target == "group" and principal.kind is PrincipalKind.USER:
        mask = kit.groups_of(principal)
        return Scope(authorizer.group_universe, mask) if mask else None
    if target == "policy":
        index = policy_bits(kit)
        mask = 0
        for policy in authorizer.caller(principal).base.identity:
            mask |= index.get(policy.id, 0)
        return Scope(authorizer.policy_universe, mask) if mask else None
    return None


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    kit = toolkit(ctx)
    if technique.target == "self":
        yield from _new_principal(ctx, kit, technique)
        return
    action = technique.actions[0]
    for principal in kit.holding(ctx.acting(technique), action):
        scope = own_scope(kit, technique, principal)
        if scope is None:
            continue
        boundary = principal.boundary_policy_id if technique.target in ("user", "role") \
            else None
        grants = ctx.authorizer.grants(principal, action, scope.universe, only=scope.only,
                                       context=grant_context(action, boundary))
        edge = _self_loop(ctx, kit, technique, principal, grants)
        if edge is not None:
            yield edge


def _self_loop(ctx: GraphContext, kit: Toolkit, technique: Technique, principal: Principal,
               grants: list[Grant]) -> Edge | None:
    policies = kit.authorizer.customer_policies
    for grant in sorted(grants, key=lambda g: len(g.assumed_keys)):
        if technique.target != "policy":
            admin, conditions = kit.admin_after_grant(principal)
            if admin:
                return ctx.edge(principal.id, principal.id, technique, [grant],
                                conditions=conditions)
            continue
        for i in bits(grant.mask):
            policy = policies[i]
            admin, conditions = kit.admin_after_grant(principal, drop=frozenset({policy}))
            if not admin:
                continue
            extra = [OTHER_VERSION.format(policy=policy)] \
                if technique.actions[0] == "iam:SetDefaultPolicyVersion" else []
            return ctx.edge(principal.id, principal.id, technique, [grant],
                            conditions=[*conditions, *extra])
    return None


# --- AWS-IAM-14: a new principal -------------------------------------------------------------


def variants(technique: Technique) -> list[list[list[str]]]:
    """``a > b | c > d ; ...`` -> [[[a], [b, c], [d]], ...]: steps of alternatives."""
    out = []
    for variant in technique.extra.get("variants", "").split(";"):
        steps = [[a.strip() for a in step.split("|") if a.strip()]
                 for step in variant.split(">")]
        if steps and all(steps):
            out.append(steps)
    return out


def _new_principal(ctx: GraphContext, kit: Toolkit, technique: Technique) -> Iterator[Edge]:
    plans = variants(technique)
    creators = {steps[0][0] for steps in plans}
    for principal in ctx.acting(technique):
        if not any(principal.id in kit.holders(action) for action in creators):
            continue
        for steps in plans:
            edge = _new_principal_plan(ctx, kit, technique, principal, steps)
            if edge is not None:
                yield edge
                break


def _new_principal_plan(ctx: GraphContext, kit: Toolkit, technique: Technique,
                        principal: Principal, steps: list[list[str]]) -> Edge | None:
    create = steps[0][0]
    kind = "role" if create == "iam:CreateRole" else "user"
    if principal.id not in kit.holders(create) or not principal.account:
        return None
    default = f"arn:aws:iam::{principal.account}:{kind}/{PROBE_NAME}"
    for arn in probe_arns(ctx, principal, create, (default,)):
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "iam" or parsed.account != principal.account \
                or not parsed.resource.startswith(kind + "/"):
            continue
        chosen = []
        for step in steps:
            grant = _first_allowed(ctx, principal, step, arn)
            if grant is None:
                break
            chosen.append(grant)
        else:
            layers = PolicyLayers(identity=(allow_all(),),
                                  scps=kit.authorizer.caller(principal).base.scps)
            admin, conditions = kit.probe_admin(Request.create(arn, "sts:GetCallerIdentity",
                                                               "*"), layers)
            if admin:
                return ctx.edge(principal.id, principal.id, technique, chosen,
                                conditions=conditions)
    return None


def _first_allowed(ctx: GraphContext, principal: Principal, alternatives: list[str],
                   arn: str) -> Grant | None:
    for action in alternatives:
        if action.lower() == "sts:assumerole":
            grant = decide_one(ctx, principal, action, arn, policy=trust_naming(principal.id))
        else:
            # The new principal gets AdministratorAccess as its boundary: a boundary that
            # restricts nothing satisfies "must set a boundary" conditions unless they pin one.
            grant = decide_one(ctx, principal, action, arn,
                               context=grant_context(action, ADMIN_POLICY_ARN))
        if grant is not None:
            return grant
    return None


