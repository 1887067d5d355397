"""AWS-STS-02: federated entry through a weak trust (the caller needs no IAM permission).

Provider nodes are the ``Federated`` principals of trust policies: OIDC providers
(``arn:...:oidc-provider/<host>``, GitHub Actions, EKS), SAML providers
(``arn:...:saml-provider/<name>``) and Cognito / public IdPs (``cognito-identity.amazonaws.com``,
``accounts.google.com``). An edge provider -> role exists when the engine lets the provider's
identities call ``sts:AssumeRoleWithWebIdentity`` / ``sts:AssumeRoleWithSAML`` and the
allowing statement does not pin who they are:

- OIDC: no ``<host>:sub`` condition, or one whose pattern is a bare wildcard or starts with
  one (for GitHub, a wildcard in the repository owner: any organisation);
- Cognito: no ``cognito-identity.amazonaws.com:aud`` pinned to an identity pool, or ``amr``
  admitting unauthenticated (guest) identities;
- SAML: no ``SAML:*`` condition at all.

Edges are always conditional (which identities the provider issues is outside the
inventory) and name the provider and the weakness.
"""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.catalog.techniques import Technique
from iamscope.evaluate import Decision, PolicyLayers, Request
from iamscope.evaluate.batch import decide_targets
from iamscope.graph.authorizer import bits
from iamscope.graph.context import GraphContext
from iamscope.model.edge import Edge
from iamscope.model.policy import Condition, Effect, Statement
from iamscope.policy.wildcard import compile_glob

SAML = "sts:AssumeRoleWithSAML"
OIDC = "sts:AssumeRoleWithWebIdentity"
COGNITO = "cognito-identity.amazonaws.com"
GITHUB = "token.actions.githubusercontent.com"
PINNING = ("stringequals", "stringlike", "stringequalsignorecase", "foranyvalue:stringequals",
           "foranyvalue:stringlike", "forallvalues:stringequals", "forallvalues:stringlike")


def providers(ctx: GraphContext) -> dict[str, int]:
    """Provider -> roles (bitset over ``Authorizer.roles``) whose trust names it."""
    out: dict[str, int] = {}
    for i, role in enumerate(ctx.authorizer.roles):
        policy = ctx.inventory.policies.get(role.trust_policy_id or "")
        if policy is None:
            continue
        for stmt in policy.statements:
            if stmt.effect is Effect.ALLOW and stmt.principal is not None:
                for provider in stmt.principal.federated:
                    out[provider.strip()] = out.get(provider.strip(), 0) | 1 << i
    return out


def host_of(provider: str) -> str:
    marker = ":oidc-provider/"
    return provider.split(marker, 1)[1].lower() if marker in provider else provider.lower()


def find(ctx: GraphContext, technique: Technique) -> Iterator[Edge]:
    authorizer = ctx.authorizer
    roles = authorizer.roles
    for provider, mask in sorted(providers(ctx).items()):
        action = SAML if ":saml-provider/" in provider else OIDC
        request = Request.create(provider, action, "*")
        groups = decide_targets(authorizer.engine, request, PolicyLayers(),
                                authorizer.role_trust_universe, rcps_for=authorizer.rcp_chain,
                                only=mask)
        for group in groups:
            if group.decision is not Decision.ALLOW:
                continue
            for i in bits(group.mask):
                policy = ctx.inventory.policies[roles[i].trust_policy_id or ""]
                weakness = _weakest(provider, action, policy.statements)
                if weakness is None:
                    continue
                yield ctx.edge(provider, roles[i].id, technique, conditions=[
                    f"identities issued by {provider}: {weakness}",
                    *(f"condition {k}" for k in group.assumed_keys)])


def _weakest(provider: str, action: str, statements: tuple[Statement, ...]) -> str | None:
    service, name = action.lower().split(":")
    for stmt in statements:
        if stmt.effect is not Effect.ALLOW or stmt.principal is None or \
                provider.lower() not in {f.strip().lower() for f in stmt.principal.federated}:
            continue
        if stmt.actions is None or not any(_covers(a, service, name) for a in stmt.actions):
            continue
        weakness = _weakness(provider, stmt.conditions)
        if weakness is not None:
            return weakness
    return None


def _covers(pattern: str, service: str, name: str) -> bool:
    text = pattern.strip().lower()
    if text == "*":
        return True
    prefix, _, rest = text.partition(":")
    return compile_glob(prefix).matches(service) and compile_glob(rest).matches(name)


def _weakness(provider: str, conditions: tuple[Condition, ...]) -> str | None:
    if ":saml-provider/" in provider:
        if any(c.key.lower().startswith("saml:") for c in conditions):
            return None
        return "the trust has no SAML: condition (any assertion of the IdP for this role)"
    host = host_of(provider)
    if host == COGNITO:
        if not _pinned(conditions, f"{COGNITO}:aud", host):
            return "no identity pool is pinned (cognito-identity.amazonaws.com:aud)"
        amr = [v.lower() for c in conditions if c.key.lower() == f"{COGNITO}:amr"
               for v in c.values]
        if not amr or any("unauthenticated" in v for v in amr):
            return "unauthenticated (guest) identities of the pool are admitted"
        return None
    if not _pinned(conditions, f"{host}:sub", host):
        return f"the subject is not pinned ({host}:sub)"
    return None


def _pinned(conditions: tuple[Condition, ...], key: str, host: str) -> bool:
    """Does some positive string condition on ``key`` restrict it to specific values?"""
    for condition in conditions:
        if condition.key.lower() != key.lower():
            continue
        operator = condition.operator.lower().removesuffix("ifexists")
        if operator not in PINNING or not condition.values:
            continue
        if all(_specific(v, host) for v in condition.values):
            return True
    return False


def _specific(value: str, host: str) -> bool:
    text = value.strip()
    if not text or text[0] in "*?":
        return False
    if host == GITHUB and text.startswith("repo:"):
        owner = text[len("repo:"):].split("/", 1)[0]
        return bool(owner) and "*" not in owner and "?" not in owner
    return True
