"""Ask the engine what principals may do to the inventory's targets, many at a time.

The authorizer turns an inventory into what the batch evaluator needs: each principal's
base layers (identity and group policies, boundary, SCP chain) and request context, the
RCP chain of each account, and target universes (roles with their trust policies, users,
groups, managed policies, resources with their resource policies and tags). Decisions are
attacker-optimal on unknown request facts (conditions on keys the inventory cannot know are
taken as satisfiable and reported as the edge's conditions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from iamscope.evaluate import Engine, Evaluation, PolicyLayers, Request
from iamscope.evaluate.batch import (
    GroupDecision,
    Target,
    TargetUniverse,
    allowed_mask,
    decide_targets,
)
from iamscope.evaluate.decision import Decision
from iamscope.evaluate.inventory_layers import InventoryResolver
from iamscope.model.edge import Evidence
from iamscope.model.inventory import Inventory
from iamscope.model.policy import PolicyKind
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.model.resource import Resource


@dataclass(frozen=True, slots=True)
class Grant:
    """Targets a principal may act on with one action, in groups that share a decision."""

    mask: int
    assumed_keys: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    request: Request  # principal, base context; resource unused
    base: PolicyLayers  # identity, boundary, SCP chain (no resource policy, no RCPs)


def _tag_context(tags: Iterable[tuple[str, str]], *prefixes: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}/{key.lower()}", value) for key, value in tags for prefix in prefixes)


class Authorizer:
    def __init__(self, inventory: Inventory, engine: Engine | None = None):
        self.inventory = inventory
        self.engine = engine or Engine()
        self.resolver = InventoryResolver(inventory)
        self._callers: dict[str, Caller] = {}
        self._rcps: dict[str | None, tuple] = {}
        self._service_trust: dict[str, int] = {}

    # --- principals ----------------------------------------------------------------------

    @cached_property
    def principals(self) -> list[Principal]:
        """The principals that act: IAM users and roles, sorted by id."""
        return sorted((p for p in self.inventory.principals.values()
                       if p.kind in (PrincipalKind.USER, PrincipalKind.ROLE)),
                      key=lambda p: p.id)

    def caller(self, principal: Principal) -> Caller:
        hit = self._callers.get(principal.id)
        if hit is not None:
            return hit
        resolved = self.resolver.resolve(Request.create(principal.id, "sts:GetCallerIdentity",
                                                        "*"))
        base = replace(resolved.layers, resource=None, rcps=())
        caller = Caller(principal, resolved.request, base)
        self._callers[principal.id] = caller
        return caller

    def rcp_chain(self, account: str | None) -> tuple:
        if account not in self._rcps:
            notes: list[str] = []
            self._rcps[account] = self.resolver.rcp_chain(account, notes)
        return self._rcps[account]

    # --- target universes ----------------------------------------------------------------

    def _principal_target(self, principal: Principal, *, with_trust: bool) -> Target:
        policy = None
        if with_trust and principal.trust_policy_id:
            policy = self.inventory.policies.get(principal.trust_policy_id)
        context = (("aws:resourceaccount", principal.account or ""),
                   *_tag_context(principal.tags, "aws:resourcetag", "iam:resourcetag"))
        return Target(principal.id, principal.account, policy, context)

    @cached_property
    def roles(self) -> list[Principal]:
        return [p for p in self.principals if p.kind is PrincipalKind.ROLE]

    @cached_property
    def users(self) -> list[Principal]:
        return [p for p in self.principals if p.kind is PrincipalKind.USER]

    @cached_property
    def role_trust_universe(self) -> TargetUniverse:
        """Roles as targets of sts:AssumeRole: each carries its trust policy."""
        return TargetUniverse(tuple(self._principal_target(r, with_trust=True)
                                    for r in self.roles))

    @cached_property
    def role_universe(self) -> TargetUniverse:
        """Roles as targets of IAM actions (iam:PassRole, iam:PutRolePolicy, ...)."""
        return TargetUniverse(tuple(self._principal_target(r, with_trust=False)
                                    for r in self.roles))

    @cached_property
    def user_universe(self) -> TargetUniverse:
        return TargetUniverse(tuple(self._principal_target(u, with_trust=False)
                                    for u in self.users))

    @cached_property
    def groups(self) -> list[Principal]:
        return sorted((p for p in self.inventory.principals.values()
                       if p.kind is PrincipalKind.GROUP), key=lambda p: p.id)

    @cached_property
    def group_universe(self) -> TargetUniverse:
        return TargetUniverse(tuple(Target(g.id, g.account, None,
                                           (("aws:resourceaccount", g.account or ""),))
                                    for g in self.groups))

    @cached_property
    def customer_policies(self) -> list[str]:
        """Customer-managed policy ARNs (AWS-managed policies cannot be versioned)."""
        return sorted(p.id for p in self.inventory.policies.values()
                      if p.kind is PolicyKind.MANAGED and not p.aws_managed)

    @cached_property
    def policy_universe(self) -> TargetUniverse:
        return TargetUniverse(tuple(Target(pid, pid.split(":")[4] or None)
                                    for pid in self.customer_policies))

    def resources_of_type(self, *types: str) -> list[Resource]:
        wanted = set(types)
        return sorted((r for r in self.inventory.resources.values() if r.type in wanted),
                      key=lambda r: r.id)

    def resource_universe(self, resources: list[Resource]) -> TargetUniverse:
        targets = []
        for resource in resources:
            policy = self.inventory.policies.get(resource.policy_id) if resource.policy_id \
                else None
            context = (("aws:resourceaccount", resource.account or ""),
                       *_tag_context(resource.tags, "aws:resourcetag"))
            targets.append(Target(resource.id, resource.account, policy, context))
        return TargetUniverse(tuple(targets))

    # --- questions -----------------------------------------------------------------------

    def grants(self, principal: Principal, action: str, universe: TargetUniverse, *,
               context: Mapping[str, str] | None = None, only: int | None = None,
               evidence: bool = True) -> list[Grant]:
        """The targets of ``universe`` on which ``principal`` may call ``action``."""
        caller = self.caller(principal)
        request = caller.request
        if context:
            request = replace(request, action=action,
                              context={**request.context, **{k.lower(): v
                                                             for k, v in context.items()}})
        else:
            request = replace(request, action=action)
        groups = decide_targets(self.engine, request, caller.base, universe,
                                rcps_for=self.rcp_chain, only=only)
        out = []
        for group in groups:
            if group.decision is not Decision.ALLOW:
                continue
            proof = self._evidence(caller, request, universe, group, action) if evidence else ()
            out.append(Grant(group.mask, group.assumed_keys, proof))
        return out

    def allowed(self, principal: Principal, action: str, universe: TargetUniverse, **kw) -> int:
        return allowed_mask_of(self.grants(principal, action, universe, evidence=False, **kw))

    def _evidence(self, caller: Caller, request: Request, universe: TargetUniverse,
                  group: GroupDecision, action: str) -> tuple[Evidence, ...]:
        target = universe.targets[group.representative]
        explained = self.explain(caller, request, target)
        return tuple(Evidence(ref.policy_id, ref.index, ref.sid, action)
                     for ref in explained.deciding if ref.effect == "Allow"
                     and ref.policy_kind not in ("scp", "rcp"))

    def explain(self, caller: Caller, request: Request, target: Target) -> Evaluation:
        engine = self.engine
        layers = replace(engine.compile(caller.base),
                         resource=(engine.compile_single(target.policy)
                                   if target.policy is not None else None),
                         rcps=tuple(engine.compile_level(level)
                                    for level in self.rcp_chain(target.account)))
        target_request = replace(request, resource=target.resource,
                                 resource_account=target.account,
                                 context={**request.context, **dict(target.context)})
        return engine.evaluate(target_request, layers, assume_absent=True)

    def has_identity_allow(self, principal: Principal, action: str) -> bool:
        """Does any identity policy of the principal have an Allow covering ``action``?"""
        compiled = self.engine.compile(self.caller(principal).base)
        return any(s.allow for s in compiled.identity.for_action(action.lower()))

    def service_can_assume(self, service: str) -> int:
        """Roles (bitset over ``roles``) whose trust policy lets ``service`` assume them."""
        if service not in self._service_trust:
            request = Request.create(service, "sts:AssumeRole", "*")
            groups = decide_targets(self.engine, request, PolicyLayers(),
                                    self.role_trust_universe, rcps_for=self.rcp_chain)
            self._service_trust[service] = allowed_mask(groups)
        return self._service_trust[service]


def allowed_mask_of(grants: Iterable[Grant]) -> int:
    mask = 0
    for grant in grants:
        mask |= grant.mask
    return mask


def bits(mask: int) -> Iterable[int]:
    """Indexes of the set bits, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low
