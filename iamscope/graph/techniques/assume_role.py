"""AWS-STS-01: become a role through its trust policy (sts:AssumeRole).

Candidates come from an index of every trust policy's principal entries (``*``, accounts,
named users and roles), so a principal is only asked about the roles whose trust could
name it; the engine then decides each candidate, trust policy and identity side together
(same account: naming the caller is enough, naming the account root needs an identity
allow; cross account: both sides). Principals outside the inventory that a trust names
(other accounts, their roles and users, ``*``) become external nodes whose edges are
conditional on an identity allow the inventory cannot see.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from iamscope.catalog.techniques import Technique
from iamscope.evaluate import PolicyLayers, Request
from iamscope.evaluate.batch import allowed_mask, decide_targets
from iamscope.graph.authorizer import bits
from iamscope.graph.context import GraphContext
from iamscope.model.edge import Edge
from iamscope.model.ids import is_account_id, parse_arn
from iamscope.model.policy import Effect, PolicyKind
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.policy.parse import parse_policy

ANY_PRINCIPAL = "*"  # the node for "any AWS principal, in any account"
EXTERNAL_IDENTITY = parse_policy(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]},
    policy_id="iamscope:assumed-external-identity", kind=PolicyKind.INLINE)
EXTERNAL_CONDITION = "an identity policy in account {account} allows sts:AssumeRole"


@dataclass
class TrustIndex:
    star: int = 0
    accounts: dict[str, int] = field(default_factory=dict)
    named: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (acct, kind, name)
    external: dict[str, int] = field(default_factory=dict)  # external principal ARN -> roles

    def candidates(self, principal: Principal, *, identity_allow: bool) -> int:
        """Roles whose trust could admit the principal. Without any identity allow for
        sts:AssumeRole only trusts that name it (or ``*``) can: an account-level trust
        delegates to identity policies."""
        kind = "user" if principal.kind is PrincipalKind.USER else "role"
        account = principal.account or ""
        named = self.star | self.named.get((account, kind, principal.name.lower()), 0)
        return named | self.accounts.get(account, 0) if identity_allow else named


def trust_index(ctx: GraphContext) -> TrustIndex:
    index = TrustIndex()
    known = set(ctx.inventory.metadata.accounts)
    for i, role in enumerate(ctx.authorizer.roles):
        policy = ctx.inventory.policies.get(role.trust_policy_id or "")
        if policy is None:
            continue
        bit = 1 << i
        for stmt in policy.statements:
            if stmt.effect is not Effect.ALLOW or stmt.principal is None:
                continue
            spec = stmt.principal
            if spec.wildcard or "*" in spec.aws:
                index.star |= bit
                index.external[ANY_PRINCIPAL] = index.external.get(ANY_PRINCIPAL, 0) | bit
                continue
            for entry in spec.aws:
                account, kind, name = _entry(entry)
                if account is None:
                    continue
                if kind == "account":
                    index.accounts[account] = index.accounts.get(account, 0) | bit
                else:
                    index.named[(account, kind, name)] = index.named.get(
                        (account, kind, name), 0) | bit
                if account not in known:
                    node = f"arn:aws:iam::{account}:root" if kind == "account" else entry
                    index.external[node] = index.external.get(node, 0) | bit
    return index


def _entry(entry: str) -> tuple[str | None, str, str]:
    entry = entry.strip()
    if is_account_id(entry):
        return entry, "account", ""
    arn = parse_arn(entry)
    if arn is None or arn.service != "iam":
        return None, "", ""
    if arn.resource == "root":
        return arn.account, "account", ""
    for kind in ("user", "role"):
        if arn.resource.startswith(kind + "/"):
            return arn.account, kind, arn.resource.rsplit("/", 1)[-1].lower()
    return None, "", ""


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    authorizer = ctx.authorizer
    index = trust_index(ctx)
    roles = authorizer.roles
    universe = authorizer.role_trust_universe
    for principal in authorizer.principals:  # admins too: who they can become matters
        only = index.candidates(
            principal, identity_allow=authorizer.has_identity_allow(principal, "sts:AssumeRole"))
        if not only:
            continue
        grants = authorizer.grants(principal, "sts:AssumeRole", universe, only=only)
        for grant in grants:
            targets = (roles[i].id for i in bits(grant.mask))
            yield from ctx.edges(principal.id, (t for t in targets if t != principal.id),
                                 technique, grant)
    yield from _external(ctx, technique, index)


def _external(ctx: GraphContext, technique: Technique, index: TrustIndex) -> Iterator[Edge]:
    """Edges from principals outside the inventory that trust policies name."""
    authorizer = ctx.authorizer
    roles = authorizer.roles
    layers = PolicyLayers(identity=(EXTERNAL_IDENTITY,))
    for node, mask in sorted(index.external.items()):
        caller = ("arn:aws:iam::999999999999:role/iamscope-any-principal"
                  if node == ANY_PRINCIPAL else node)
        arn = parse_arn(caller)
        if arn is not None and arn.resource == "root":
            # A trust naming an account trusts its principals (the root user itself cannot
            # assume roles): ask as a role of that account.
            caller = f"arn:aws:iam::{arn.account}:role/iamscope-external-principal"
        account = parse_arn(caller).account if parse_arn(caller) else "?"
        request = Request.create(caller, "sts:AssumeRole", "*")
        groups = decide_targets(authorizer.engine, request, layers, authorizer.role_trust_universe,
                                rcps_for=authorizer.rcp_chain, only=mask)
        allowed = allowed_mask(groups)
        condition = ("any AWS principal whose account's identity policies allow sts:AssumeRole"
                     if node == ANY_PRINCIPAL else EXTERNAL_CONDITION.format(account=account))
        for i in bits(allowed):
            per_role = {k for g in groups if g.mask >> i & 1 for k in g.assumed_keys}
            yield ctx.edge(node, roles[i].id, technique,
                           conditions=[condition, *(f"condition {k}" for k in sorted(per_role))])
