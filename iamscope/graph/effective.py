"""Effective reach: what a principal can really do, after every policy layer.

Reach is a list of ``model.reach.ReachItem`` (service, access level, actions, one target:
a listed resource, an ARN pattern for every unlisted resource of a type in the principal's
account, a narrower pattern from the granting policy, or ``*``), never a principal x
action x resource table. How it is computed, and why it is cheap:

1. Candidate actions: what the identity Allow statements cover (within the boundary,
   session policies and every SCP level), plus what resource-based policies grant, as
   ``ActionSpace`` bitsets per service.
2. Per service, candidates are split into classes that every statement of every layer
   (identity, boundary, SCPs, session, the inventory's resource and trust policies, RCPs)
   treats alike: within a class the engine answers the same on a given target for every
   action, so it is asked once per class and resource type.
3. Each question is a batch (``Authorizer.grants``) over a target universe: the listed
   resources of the type plus one pattern target for the unlisted ones, decided
   attacker-optimally on unknown request facts (the keys relied on are the conditions).

When the pattern target is reachable, listed resources of the principal's account that
add nothing are not repeated, which keeps an administrator's reach to a few thousand items.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

from iamscope.catalog.aws_actions import ActionInfo
from iamscope.evaluate import Decision
from iamscope.evaluate.batch import Target, TargetUniverse, decide_targets
from iamscope.evaluate.compiled import CompiledStatement
from iamscope.evaluate.decide import CompiledLayers
from iamscope.graph.action_space import (
    ActionSpace,
    Cover,
    ResourceKind,
    all_statements,
    allows_of,
    refine,
    splitters,
    union,
)
from iamscope.graph.authorizer import Authorizer, Grant, bits
from iamscope.graph.context import GraphContext
from iamscope.graph.named import NamedIndex, grants_skipping
from iamscope.graph.techniques.assume_role import TrustIndex, trust_index
from iamscope.model.policy import Effect, Policy, PolicyKind, Statement
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.model.reach import Reach, ReachItem, merge_items
from iamscope.policy.parse import parse_policy

TRUST_ACTIONS = frozenset({
    "assumerole", "assumerolewithsaml", "assumerolewithwebidentity", "tagsession",
    "setsourceidentity", "setcontext",
})
DEFAULT_KEY_POLICY_NOTE = "an unlisted key whose key policy delegates to IAM (the default)"
MATCHING_BATCH = 32  # more patterns than this: decided one by one (see _each_pattern)
IAM_KINDS = frozenset({"aws:iam:role", "aws:iam:user", "aws:iam:group", "aws:iam:policy"})


class Hit(NamedTuple):
    target: str
    scope: str  # "resource" | "any" | "matching" | "global"
    conditions: tuple[str, ...]
    account: str | None


@dataclass
class Universe:
    """Targets of one resource kind for one account: listed resources, then the pattern
    target standing for unlisted ones (always last)."""

    universe: TargetUniverse
    labels: list[str]
    notes: tuple[str, ...] = ()  # facts assumed about the unlisted resources
    with_policy: int = 0  # targets that carry a resource-based policy
    named: NamedIndex | None = None  # their policies by the principals they name (lazy)

    @property
    def generic_bit(self) -> int:
        return 1 << (len(self.labels) - 1)


@dataclass
class EffectiveReach:
    authorizer: Authorizer
    space: ActionSpace = field(default=None)  # type: ignore[assignment]
    # decide targets whose resource policy cannot reach the caller as if they had none
    # (graph.named); False asks the engine with every policy, for tests to compare with
    skip_inert: bool = True

    def __post_init__(self) -> None:
        if self.space is None:
            self.space = ActionSpace(self.authorizer.engine.catalog)
        self._universes: dict[tuple[str | None, str | None, bool, bool], Universe] = {}
        self._key_policies: dict[str, Policy] = {}

    # --- targets -------------------------------------------------------------------------

    @cached_property
    def known(self) -> dict[str, list[Target]]:
        """Listed resources by kind key; each S3 bucket also stands for its objects
        (``arn:aws:s3:::bucket/*``, decided with the bucket policy)."""
        inventory = self.authorizer.inventory
        resources = sorted(inventory.resources.values(), key=lambda r: r.id)
        out: dict[str, list[Target]] = {}
        for resource, target in zip(resources, self.authorizer.resource_universe(
                resources).targets, strict=True):
            out.setdefault(resource.type, []).append(target)
            if resource.type == "aws:s3:bucket":
                child = f"{resource.id}/*"
                out.setdefault("aws:s3:object", []).append(
                    Target(child, target.account, target.policy, target.context))
        return out

    def policy_for(self, arn: str) -> tuple[Policy | None, str | None]:
        """The resource policy and account of a resource ARN (an S3 object: its bucket's)."""
        inventory = self.authorizer.inventory
        resource = inventory.resources.get(arn)
        if resource is None and arn.startswith("arn:aws:s3:::") and "/" in arn:
            resource = inventory.resources.get(arn.split("/", 1)[0])
        if resource is None:
            return None, None
        policy = inventory.policies.get(resource.policy_id or "")
        return policy, resource.account

    def universe(self, kind: ResourceKind | None, account: str | None, *,
                 trust: bool = False, listed: bool = True) -> Universe:
        key = (kind.key if kind else None, account, trust, listed)
        hit = self._universes.get(key)
        if hit is not None:
            return hit
        targets: list[Target] = []
        notes: tuple[str, ...] = ()
        if kind is None:
            targets.append(Target("*", account, None, (("aws:resourceaccount", account or ""),)))
        else:
            if listed:
                targets.extend(self._listed(kind.key, trust))
            policy = None
            if kind.key == "aws:kms:key" and account:
                policy = self._key_policies.get(account)
                if policy is None:
                    policy = self._key_policies[account] = default_key_policy(account)
                notes = (DEFAULT_KEY_POLICY_NOTE,)
            targets.append(Target(kind.instantiate(account or "*"), account, policy,
                                  (("aws:resourceaccount", account or ""),)))
        labels = [t.resource for t in targets]
        mask = 0
        for i, target in enumerate(targets[:-1]):
            if target.policy is not None:
                mask |= 1 << i
        found = Universe(TargetUniverse(tuple(targets)), labels, notes, mask)
        self._universes[key] = found
        return found

    def _listed(self, kind: str, trust: bool) -> list[Target]:
        authorizer = self.authorizer
        if kind == "aws:iam:role":
            universe = authorizer.role_trust_universe if trust else authorizer.role_universe
            return list(universe.targets)
        if kind == "aws:iam:user":
            return list(authorizer.user_universe.targets)
        if kind == "aws:iam:group":
            return list(authorizer.group_universe.targets)
        if kind == "aws:iam:policy":
            return list(authorizer.policy_universe.targets)
        return list(self.known.get(kind, ()))

    # --- statements that matter to every principal ---------------------------------------

    @cached_property
    def _context(self) -> tuple[list[Cover], Cover]:
        """(covers that split classes, actions that resource policies can grant): every
        statement of the inventory's resource and trust policies and RCPs."""
        space = self.space
        splitters: dict[tuple, Cover] = {}
        grants: list[Cover] = []
        for policy in self.authorizer.inventory.policies.values():
            if policy.kind not in (PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP):
                continue
            for stmt in policy.statements:
                cover = space.written(stmt)
                splitters[(cover.everywhere, tuple(sorted(cover.masks.items())))] = cover
                if stmt.effect is Effect.ALLOW and policy.kind is not PolicyKind.RCP:
                    grants.append(cover)
        return list(splitters.values()), union(grants, space)

    @property
    def context_covers(self) -> list[Cover]:
        return self._context[0]

    # --- reach ---------------------------------------------------------------------------

    def reach(self, principal: Principal) -> Reach:
        space = self.space
        caller = self.authorizer.caller(principal)
        compiled = self.authorizer.engine.compile(caller.base)
        context_splitters = self._context[0]
        candidates = self.candidates(compiled)
        by_service, everywhere = splitters(
            [space.statement(s) for s in all_statements(compiled)] + context_splitters,
            space)
        items: list[ReachItem] = []
        for service in sorted(candidates.services(space)):
            cand = candidates.mask(service, space)
            if not cand:
                continue
            masks = [c.mask(service, space) for c in everywhere] + by_service.get(service, [])
            if service == "sts":
                masks.append(self._trust_mask())
            for cls in refine(cand, masks):
                items.extend(self._class_items(principal, compiled, service, cls))
        return Reach(principal.id, tuple(merge_items(items)))

    def candidates(self, compiled: CompiledLayers) -> Cover:
        """An upper bound of the allowed actions: identity allows within the boundary and
        session policies, or resource-policy grants; within every SCP level."""
        space = self.space
        found = union([space.statement(s) for s in compiled.identity.statements if s.allow],
                      space)
        for layer in (compiled.boundary, compiled.session):
            if layer is not None:
                found = space.intersect(found, allows_of(layer.statements, space))
        found = union([found, self._context[1]], space)
        for level in compiled.scps:
            found = space.intersect(found, allows_of(level.statements, space))
        return found

    def _trust_mask(self) -> int:
        mask = 0
        for i, info in enumerate(self.space.actions("sts")):
            if info.name.lower() in TRUST_ACTIONS:
                mask |= 1 << i
        return mask

    def _class_items(self, principal: Principal, compiled: CompiledLayers, service: str,
                     cls: int) -> list[ReachItem]:
        space = self.space
        infos = space.members(service, cls)
        rep = f"{service}:{infos[0].name}"
        trust = infos[0].name.lower() in TRUST_ACTIONS
        by_kind: dict[ResourceKind | None, list[ActionInfo]] = {}
        for info in infos:
            for kind in space.kinds(info) or (None,):
                by_kind.setdefault(kind, []).append(info)
        items: list[ReachItem] = []
        for kind, kind_infos in by_kind.items():
            found = self.decide(principal, rep, kind, compiled, trust=trust)
            for hit in found:
                items.extend(items_of(service, kind_infos, hit.target, hit.scope,
                                    hit.conditions))
        return items

    def decide(self, principal: Principal, action: str, kind: ResourceKind | None,
               compiled: CompiledLayers, *, trust: bool = False, listed: bool = True,
               only: int | None = None) -> list[Hit]:
        """Where ``principal`` may call ``action`` among the resources of ``kind``: listed
        ones, any unlisted one, or ones matching the patterns of the granting statements
        (``only``: a subset of the universe's targets to ask about)."""
        universe = self.universe(kind, principal.account, trust=trust, listed=listed)
        if trust and kind is not None and kind.key == "aws:iam:role" and listed:
            candidates = self._trust_candidates(principal) | universe.generic_bit
            only = candidates if only is None else only & candidates
        grants = self._grants(principal, action, universe, only)
        if kind is None:
            return [Hit("*", "global", g.assumed_keys, principal.account) for g in grants]
        generic = universe.generic_bit
        generic_keys: tuple[str, ...] | None = None
        for grant in grants:
            if grant.mask & generic:
                generic_keys = tuple(sorted(grant.assumed_keys + universe.notes))
        out: list[Hit] = []
        if generic_keys is not None:
            out.append(Hit(universe.labels[-1], "any", generic_keys, principal.account))
        for grant in grants:
            keys = tuple(sorted(grant.assumed_keys))
            for i in bits(grant.mask & ~generic):
                target = universe.universe.targets[i]
                if (generic_keys is not None and target.account == principal.account
                        and set(keys) <= set(generic_keys)):
                    continue  # already said by "any"
                out.append(Hit(universe.labels[i], "resource", keys, target.account))
        if generic_keys is None:
            out.extend(self._matching(principal, action, kind, compiled, set(universe.labels)))
        return out

    def inert(self, principal: Principal, universe: Universe) -> int:
        """Targets of ``universe`` (bitset) whose resource policy cannot reach the principal:
        they are decided as if they had none (see ``graph.named``)."""
        if not self.skip_inert:
            return 0
        if universe.named is None:
            universe.named = NamedIndex.of(universe.universe, self.authorizer.engine)
        return universe.named.inert(self.authorizer.caller(principal).request.caller())

    def _grants(self, principal: Principal, action: str, universe: Universe,
                only: int | None) -> list[Grant]:
        inert = self.inert(principal, universe)
        return grants_skipping(self.authorizer, principal, action, universe.universe, only,
                               inert, universe.named)

    def target(self, arn: str, *, trust: bool = False) -> Target:
        """One resource as a target: a listed resource or role with its policy (a role's
        trust policy only for ``trust`` actions), or an unlisted ARN."""
        authorizer = self.authorizer
        inventory = authorizer.inventory
        principal = inventory.principals.get(arn)
        if principal is not None and principal.kind is PrincipalKind.ROLE:
            universe = authorizer.role_trust_universe if trust else authorizer.role_universe
            return universe.targets[self._role_positions[arn]]
        known = inventory.resources.get(arn)
        if known is not None:
            return authorizer.resource_universe([known]).targets[0]
        policy, account = self.policy_for(arn)
        account = account or _arn_account(arn)
        return Target(arn, account, policy, (("aws:resourceaccount", account or ""),))

    @cached_property
    def _role_positions(self) -> dict[str, int]:
        return {role.id: i for i, role in enumerate(self.authorizer.roles)}

    @cached_property
    def _trust_index(self) -> TrustIndex:
        return trust_index(GraphContext(self.authorizer.inventory, self.authorizer))

    def _trust_candidates(self, principal: Principal) -> int:
        """Roles whose trust policy could admit the principal (the others cannot, whatever
        the identity side says): thousands of distinct trust documents are not each asked."""
        allow = self.authorizer.has_identity_allow(principal, "sts:AssumeRole")
        return self._trust_index.candidates(principal, identity_allow=allow)

    def _matching(self, principal: Principal, action: str, kind: ResourceKind,
                  compiled: CompiledLayers, listed: set[str]) -> list[Hit]:
        statements = compiled.identity.for_action(action.lower())
        grants: dict[str, list[Statement]] = {}
        for stmt in statements:
            if stmt.allow and stmt.resources is not None and not stmt.resource_negated:
                for p in stmt.resources:
                    if (p.text != "*" and p.tail_template is None and p.text not in listed
                            and kind.matches(p.text)):
                        grants.setdefault(p.text, []).append(stmt.statement)
        patterns = sorted(grants)
        targets = []
        for pattern in patterns:
            policy, account = self.policy_for(pattern)
            account = account or _arn_account(pattern) or principal.account
            targets.append(Target(pattern, account, policy,
                                  (("aws:resourceaccount", account or ""),)))
        if len(patterns) <= MATCHING_BATCH:
            found = [(g.mask, g.assumed_keys) for g in self.authorizer.grants(
                principal, action, TargetUniverse(tuple(targets)), evidence=False)]
        else:
            found = self._each_pattern(principal, action, targets, grants, statements)
        out = []
        for mask, keys in found:
            for i in bits(mask):
                out.append(Hit(patterns[i], "matching", tuple(sorted(keys)), targets[i].account))
        return out

    def _each_pattern(self, principal: Principal, action: str, targets: list[Target],
                      grants: dict[str, list[Statement]],
                      statements: tuple[CompiledStatement, ...],
                      ) -> list[tuple[int, tuple]]:
        """Many patterns (a principal with thousands of statements): each is decided with
        the statements that name it and every Deny, not against all statements at once
        (which costs statements x patterns). Other Allows could only add to an Allow."""
        authorizer = self.authorizer
        caller = authorizer.caller(principal)
        request = replace(caller.request, action=action)
        denies = tuple(s.statement for s in statements if not s.allow)
        out = []
        for i, target in enumerate(targets):
            probe = Policy(id=f"iamscope:reach-probe/{i}", kind=PolicyKind.INLINE,
                           statements=(*grants[target.resource], *denies), version="2012-10-17")
            groups = decide_targets(authorizer.engine, request,
                                    replace(caller.base, identity=(probe,)),
                                    TargetUniverse((target,)), rcps_for=authorizer.rcp_chain)
            out.extend((1 << i, g.assumed_keys) for g in groups
                       if g.decision is Decision.ALLOW)
        return out


def items_of(service: str, infos: list[ActionInfo], target: str, scope: str,
           conditions: tuple[str, ...]) -> list[ReachItem]:
    by_level: dict[str, list[str]] = {}
    for info in infos:
        by_level.setdefault(info.access_level.value, []).append(info.name)
    return [ReachItem(service, level, target, scope, tuple(sorted(names)), conditions)
            for level, names in by_level.items()]


def _arn_account(arn: str) -> str | None:
    fields = arn.split(":", 5)
    if len(fields) == 6 and fields[4] and "*" not in fields[4] and "?" not in fields[4]:
        return fields[4]
    return None


def default_key_policy(account: str) -> Policy:
    """The key policy AWS gives a key created without one: the account's IAM policies
    decide (KMS Developer Guide, "Default key policy")."""
    return parse_policy({"Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
        "Resource": "*"}]}, policy_id=f"iamscope:default-key-policy/{account}",
        kind=PolicyKind.RESOURCE)
