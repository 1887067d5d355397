"""Who outside a resource's account can use it: its resource policy, probed with the engine.

For each resource with a resource-based policy, the engine is asked on behalf of
hypothetical callers, each with an identity policy that allows everything (their own
account is theirs to configure):

- ``anonymous``: an unsigned request;
- ``any-account``: an authenticated principal of an unrelated account, in no organisation
  the inventory knows;
- ``account``: a principal of each other account the policy names (the named role or user
  itself when the policy names one), with the inventory's organisation id when that account
  belongs to the organisation;
- ``organization``: a member account of the inventory's organisation that the inventory
  does not cover, when the organisation has such accounts.

The facts derived from the caller's identity (``aws:PrincipalOrgID``,
``aws:PrincipalAccount``, ...) are given exactly, so a policy restricted to the
organisation is not reported public; other request facts are taken attacker-optimally and
become the exposure's conditions. The actions asked are those the policy's Allow
statements name, in classes the policy and the RCPs treat alike; the resources asked are
the resource itself and the ARN patterns its statements name (``bucket/*``), each only
for actions whose resource type fits.

S3 Block Public Access with ``RestrictPublicBuckets`` (bucket or account level) limits a
public policy to the owner's account and AWS services: such exposures are marked
``blocked``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from iamscope.evaluate import Decision, PolicyLayers, Request
from iamscope.graph.action_space import ActionSpace, refine
from iamscope.graph.authorizer import Authorizer
from iamscope.model.ids import is_account_id, parse_arn
from iamscope.model.policy import Effect, Policy, PolicyKind
from iamscope.model.resource import OrgNodeKind, Resource
from iamscope.policy.parse import parse_policy

OUTSIDER_ORG = "o-iamscopeoutsider"
PUBLIC = ("anonymous", "any-account")
ALLOW_ALL = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                             "Resource": "*"}]},
    policy_id="iamscope:caller-controls-its-own-account", kind=PolicyKind.INLINE)


@dataclass(frozen=True, slots=True)
class Audience:
    kind: str  # "anonymous" | "any-account" | "account" | "organization"
    principal: str  # the request principal asked about
    account: str | None
    in_inventory: bool = False
    context: tuple[tuple[str, str | tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Exposure:
    resource: str
    audience: Audience
    actions: tuple[str, ...]  # full action names, sorted
    conditions: tuple[str, ...] = ()  # unproven request facts the grant relies on
    statements: tuple[str, ...] = ()  # the resource-policy statements that grant it
    blocked: str | None = None  # what stops it despite the policy


@dataclass
class ExposureAnalysis:
    authorizer: Authorizer
    space: ActionSpace
    _found: dict[str, tuple[Exposure, ...]] = field(default_factory=dict)

    @cached_property
    def _accounts(self) -> frozenset[str]:
        return frozenset(self.authorizer.inventory.metadata.accounts)

    @cached_property
    def _org_accounts(self) -> frozenset[str]:
        return frozenset(n.id for n in self.authorizer.inventory.org_nodes.values()
                         if n.kind is OrgNodeKind.ACCOUNT)

    @cached_property
    def _outsider_account(self) -> str:
        known = self._accounts | self._org_accounts
        return next(a for a in ("000000000000", "000000000001", "000000000002")
                    if a not in known)

    def audiences(self, resource: Resource, policy: Policy) -> list[Audience]:
        meta = self.authorizer.inventory.metadata
        org = meta.organization_id
        out = []
        public = False
        named: dict[str, str] = {}  # entry -> account
        for stmt in policy.statements:
            if stmt.effect is not Effect.ALLOW:
                continue
            if stmt.not_principal is not None or stmt.principal is None:
                public = True
                continue
            spec = stmt.principal
            if spec.wildcard or "*" in spec.aws:
                public = True
            for entry in spec.aws:
                account = entry if is_account_id(entry) else _account_of(entry)
                if account and account != resource.account:
                    named.setdefault(entry, account)
        if public:
            out.append(Audience("anonymous", "anonymous", None, False, _ANONYMOUS))
            outsider = self._outsider_account
            out.append(Audience("any-account",
                                f"arn:aws:iam::{outsider}:role/iamscope-outsider", outsider,
                                False, _identity_context(outsider, OUTSIDER_ORG)))
            missing = sorted(self._org_accounts - self._accounts)
            if org and missing:
                out.append(Audience("organization",
                                    f"arn:aws:iam::{missing[0]}:role/iamscope-member",
                                    missing[0], False, _identity_context(missing[0], org)))
        for entry, account in sorted(named.items()):
            caller = entry if entry.startswith("arn:") and _named_principal(entry) \
                else f"arn:aws:iam::{account}:role/iamscope-principal"
            org_id = org if org and account in self._org_accounts else OUTSIDER_ORG
            out.append(Audience("account", caller, account, account in self._accounts,
                                _identity_context(account, org_id)))
        return out

    def of(self, resource: Resource) -> tuple[Exposure, ...]:
        hit = self._found.get(resource.id)
        if hit is not None:
            return hit
        policy = self.authorizer.inventory.policies.get(resource.policy_id or "")
        found: list[Exposure] = []
        if policy is not None and policy.kind is PolicyKind.RESOURCE:
            audiences = self.audiences(resource, policy)
            probes = self._probes(resource, policy) if audiences else []
            for audience in audiences:
                found.extend(self._decide(resource, policy, audience, probes))
        blocked = _restricted(resource)
        if blocked and any(e.audience.kind in PUBLIC for e in found):
            found = [Exposure(e.resource, e.audience, e.actions, e.conditions, e.statements,
                              blocked) for e in found]
        result = tuple(found)
        self._found[resource.id] = result
        return result

    def _probes(self, resource: Resource, policy: Policy) -> list[tuple[str, list[str]]]:
        """(resource ARN to ask about, the actions of one class that act on it)."""
        space = self.space
        covers = [space.written(s) for s in policy.statements]
        allowed: dict[str, int] = {}
        for stmt, cover in zip(policy.statements, covers, strict=True):
            if stmt.effect is Effect.ALLOW:
                for service in cover.services(space):
                    allowed[service] = allowed.get(service, 0) | cover.mask(service, space)
        named = {r for s in policy.statements if s.resources for r in s.resources
                 if r != "*" and "${" not in r and r != resource.id}
        arns = [resource.id, *sorted(named)]
        out: list[tuple[str, list[str]]] = []
        for service, mask in sorted(allowed.items()):
            for cls in refine(mask, [c.mask(service, space) for c in covers]):
                infos = space.members(service, cls)
                for arn in arns:
                    names = [f"{service}:{i.name}" for i in infos
                             if any(k.matches(arn) for k in space.kinds(i))]
                    if names:
                        out.append((arn, names))
        return out

    def _decide(self, resource: Resource, policy: Policy, audience: Audience,
                probes: list[tuple[str, list[str]]]) -> list[Exposure]:
        engine = self.authorizer.engine
        layers = PolicyLayers(identity=(ALLOW_ALL,) if audience.kind != "anonymous" else (),
                              resource=policy,
                              rcps=self.authorizer.rcp_chain(resource.account))
        grouped: dict[tuple[tuple[str, ...], tuple[str, ...]], set[str]] = {}
        for arn, actions in probes:
            request = Request.create(audience.principal, actions[0], arn,
                                     resource_account=resource.account,
                                     context=dict(audience.context))
            evaluation = engine.evaluate(request, layers, assume_absent=True)
            if evaluation.decision is not Decision.ALLOW:
                continue
            refs = tuple(sorted({r.label for r in evaluation.deciding
                                 if r.policy_kind == PolicyKind.RESOURCE.value}))
            grouped.setdefault((tuple(sorted(evaluation.assumed_keys)), refs),
                               set()).update(actions)
        return [Exposure(resource.id, audience, tuple(sorted(actions)), keys, refs)
                for (keys, refs), actions in sorted(grouped.items())]


_ANONYMOUS = (("aws:principalorgid", ""), ("aws:principalaccount", ""),
              ("aws:principalarn", ""), ("aws:principalorgpaths", ()),
              ("aws:principalisawsservice", "false"), ("aws:principaltype", "Anonymous"))


def _identity_context(account: str, org: str) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    return (("aws:principalorgid", org), ("aws:principalaccount", account),
            ("aws:principalorgpaths", (f"{org}/r-iamscope/",)),
            ("aws:principalisawsservice", "false"))


def _account_of(entry: str) -> str | None:
    arn = parse_arn(entry)
    return arn.account if arn is not None and arn.account else None


def _named_principal(entry: str) -> bool:
    arn = parse_arn(entry)
    return arn is not None and arn.service in ("iam", "sts") and arn.resource != "root"


def _restricted(resource: Resource) -> str | None:
    if resource.type != "aws:s3:bucket":
        return None
    for key, label in (("public_access_block", "bucket"),
                       ("account_public_access_block", "account")):
        raw = dict(resource.attributes).get(key)
        try:
            flags = json.loads(raw) if raw else None
        except ValueError:
            flags = None
        if isinstance(flags, dict) and flags.get("RestrictPublicBuckets") is True:
            return f"S3 Block Public Access (RestrictPublicBuckets, {label} level)"
    return None
