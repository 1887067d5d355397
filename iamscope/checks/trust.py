"""Trust-policy helpers shared by the trust checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from iamscope.checks.base import CheckContext
from iamscope.model.edge import Edge, EdgeKind
from iamscope.model.ids import is_account_id, parse_arn
from iamscope.model.policy import Effect, PrincipalSpec


def inbound(ctx: CheckContext, sources: Callable[[str], bool]) -> Iterator[Edge]:
    """Assume edges into roles from the principals outside the inventory that ``sources``
    accepts, sorted."""
    edges = [edge for node in ctx.outside if sources(node)
             for edge in ctx.access.out_edges(node) if edge.kind is EdgeKind.ASSUME]
    yield from sorted(edges, key=lambda e: (e.target, e.source))


def guards(edge: Edge) -> list[str]:
    """The condition keys an edge relies on (``condition aws:PrincipalOrgID``)."""
    return [c.removeprefix("condition ") for c in edge.conditions if c.startswith("condition ")]


def statements(ctx: CheckContext, role_id: str,
               names: Callable[[PrincipalSpec], bool]) -> list[str]:
    """The role's trust statements whose Principal element ``names`` accepts."""
    role = ctx.inventory.principals.get(role_id)
    policy = ctx.inventory.policies.get(role.trust_policy_id or "") if role else None
    if policy is None:
        return []
    return [f"{policy.id} ({stmt.label})" for stmt in policy.statements
            if stmt.effect is Effect.ALLOW and stmt.principal is not None
            and names(stmt.principal)]


def names_account(account: str) -> Callable[[PrincipalSpec], bool]:
    def check(spec: PrincipalSpec) -> bool:
        for entry in spec.aws:
            if entry == account:
                return True
            arn = parse_arn(entry)
            if arn is not None and arn.account == account:
                return True
        return False
    return check


def names_everyone(spec: PrincipalSpec) -> bool:
    return spec.wildcard or "*" in spec.aws


def account_of(node: str) -> str | None:
    if is_account_id(node):
        return node
    arn = parse_arn(node)
    if arn is None or arn.service not in ("iam", "sts"):
        return None
    return arn.account or None
