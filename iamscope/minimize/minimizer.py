"""Minimize principals: observed usage -> proposal -> proofs -> report entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.errors import IamscopeError
from iamscope.evaluate.engine import Engine
from iamscope.evaluate.inventory_layers import InventoryResolver
from iamscope.minimize.companions import load_companions
from iamscope.minimize.covers import CurrentGrants, fixed_context
from iamscope.minimize.observed import UsageLike, build_observed
from iamscope.minimize.proof import (
    ReplayResult,
    layers_from_inventory,
    layers_without_inventory,
    prove_no_new_access,
    replay,
)
from iamscope.minimize.propose import document_size, draft_proposal, observed_calls, to_document
from iamscope.minimize.removed import GrantedActions, removed_permissions
from iamscope.minimize.result import Proposal, Replayed
from iamscope.model.ids import CallerParseError, parse_caller
from iamscope.model.inventory import Inventory
from iamscope.model.policy import Effect, PolicyKind
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.policy.parse import parse_policy

POLICY_SIZE_LIMIT = 10_240  # role inline / managed policy (IAM and STS quotas)
DEFAULT_THRESHOLD = 3


class Minimizer:
    """Builds and proves proposals. ``coverage`` maps an account to the kinds of events the
    logs hold for it ("management", "data:s3", ...), from the usage store's coverage table."""

    def __init__(self, inventory: Inventory | None, *, coverage: Mapping[str, set[str]],
                 threshold: int = DEFAULT_THRESHOLD, catalog: ActionCatalog | None = None):
        if threshold < 2:
            raise IamscopeError("the support threshold must be at least 2")
        self.inventory = inventory
        self.engine = Engine(catalog)
        self.catalog = self.engine.catalog
        self.resolver = InventoryResolver(inventory) if inventory is not None else None
        self.coverage = coverage
        self.threshold = threshold
        self.table = load_companions()
        self.granted = GrantedActions(self.catalog)

    def inventory_principal(self, principal: str) -> Principal | None:
        if self.resolver is None:
            return None
        try:
            caller = parse_caller(principal)
        except CallerParseError:
            return None
        found = self.resolver.principal_for(caller)
        if found is None or found.kind not in (PrincipalKind.USER, PrincipalKind.ROLE):
            return None
        return found

    def current_grants(self, found: Principal) -> CurrentGrants:
        assert self.inventory is not None
        user = found.name if found.kind is PrincipalKind.USER else None
        context = fixed_context(found.id, user_name=user, account=found.account,
                                unique_id=found.unique_id)
        return CurrentGrants(list(self.inventory.policies_of(found)), context)

    def minimize(self, principal: str, rows: Sequence[UsageLike],
                 history: Iterable[UsageLike] = ()) -> Proposal:
        """``rows``: the principal's usage in the window; ``history``: all its usage rows,
        for the last-used time of removed permissions."""
        observed = build_observed(principal, rows, self.catalog)
        notes: list[str] = []
        refused: list[str] = []
        found = self.inventory_principal(principal)
        current = self.current_grants(found) if found is not None else None
        if self.inventory is not None and found is None:
            notes.append("the principal is not a user or role of the inventory: proof (a) "
                         "was not possible")
        accounts = observed.accounts | ({found.account} if found and found.account else set())
        kinds = set().union(*(self.coverage.get(a, set()) for a in accounts)) if accounts \
            else set()
        draft = draft_proposal(observed, current, catalog=self.catalog, table=self.table,
                               threshold=self.threshold, logged=kinds.__contains__)
        notes.extend(draft.notes)
        if observed.malformed:
            notes.append("usage rows ignored, their action is not service:Action: "
                         + ", ".join(sorted(observed.malformed)))
        if observed.unknown:
            notes.append("actions unknown to the catalog: " + ", ".join(sorted(observed.unknown)))
        document = to_document(draft)
        first = min((r.first_seen for r in observed.rows), default=None)
        last = max((r.last_seen for r in observed.rows), default=None)
        base = {"first_seen": first, "last_seen": last,
                "observed_actions": len(observed.uses), "observed_calls": observed.calls}
        if not any(s.get("Effect") == "Allow" for s in document["Statement"]):  # type: ignore
            refused.append("nothing observed that the current identity policies grant")
        policy = parse_policy(document, policy_id=f"{principal}/iamscope-proposal",
                              kind=PolicyKind.INLINE)
        proof_a = prove_no_new_access(policy, current) if current is not None else None
        layers_for = layers_from_inventory(self.resolver) if (
            self.resolver is not None and found is not None) else layers_without_inventory
        try:
            replayed = replay(policy, principal, observed_calls(observed), self.engine,
                              layers_for)
        except IamscopeError as exc:  # a principal or action the engine cannot evaluate
            replayed = ReplayResult(0, len(set(observed_calls(observed))),
                                    (f"the calls cannot be evaluated: {exc}",))
        for action, resource in draft.uncovered:
            if (action, resource) not in replayed.denied:
                notes.append(f"{action} on {resource} is not granted by the identity policies: "
                             "left out (another policy, e.g. a resource-based one, allows it)")
        if proof_a is not None and not proof_a.holds:
            refused.extend(f"proof (a): {f}" for f in proof_a.failures)
        if not replayed.holds:
            refused.extend(f"proof (b): {f}" for f in replayed.failures)
        size = document_size(document)
        if size > POLICY_SIZE_LIMIT:
            notes.append(f"the policy has {size} characters, above the {POLICY_SIZE_LIMIT} "
                         "limit of a role policy: split it into several managed policies")
        removed = ()
        if current is not None:
            proposed = {a for s in policy.statements if s.effect is Effect.ALLOW
                        for a in s.actions or ()}
            removed = tuple(removed_permissions(current, proposed, self.granted,
                                                _last_used(history)))
        return Proposal(
            principal=principal,
            policy=None if refused else document,
            no_new_access=None if proof_a is None else proof_a.holds,
            replay=Replayed(replayed.allowed, replayed.total),
            removed=removed,
            notes=tuple(notes),
            refused=tuple(refused),
            **base,  # type: ignore[arg-type]
        )


def denied_note(attempts: Sequence[tuple[str, str, str, int]], shown: int = 5) -> str | None:
    """A note listing a principal's denied attempts (action, resource, error code, count),
    most frequent first: ingestion never counts them as usage (usage-logs.md section 0.6)."""
    if not attempts:
        return None
    ranked = sorted(attempts, key=lambda a: (-a[3], a[0], a[1], a[2]))
    listed = ", ".join(f"{a} on {r} ({e}, {n:,})" for a, r, e, n in ranked[:shown])
    more = f", and {len(ranked) - shown} more" if len(ranked) > shown else ""
    return f"denied attempts in the window, never counted as usage: {listed}{more}"


def _last_used(rows: Iterable[UsageLike]) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for row in rows:
        key = row.action.lower()
        if key not in out or row.last_seen > out[key]:
            out[key] = row.last_seen
    return out
