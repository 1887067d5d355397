"""Build one principal's proposal from its observed usage and its current identity policies.

Every grant of the proposal is one concrete action on one resource pattern, and, when the
current policies are known, carries the conditions of a current Allow statement that covers
it (an unconditional cover wins; otherwise one grant per distinct condition set, which keeps
exactly the contexts the current policy allows). Grants are then grouped into statements by
conditions, service and resource set. See docs/minimize.md for the rules and the proofs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.minimize.companions import CompanionTable
from iamscope.minimize.containment import escape_resource
from iamscope.minimize.covers import (
    ConditionKey,
    CurrentGrants,
    CurrentStatement,
    conditions_document,
)
from iamscope.minimize.generalize import generalise
from iamscope.minimize.observed import Observed
from iamscope.minimize.proof import deny_statements
from iamscope.model.policy import Policy, Statement

Conditions = frozenset[ConditionKey]
UNCONDITIONAL: Conditions = frozenset()


@dataclass(slots=True)
class Draft:
    """Grants under construction: conditions -> action -> resource patterns (policy text)."""

    grants: dict[Conditions, dict[str, set[str]]] = field(default_factory=dict)
    # grants copied from a current NotResource statement: (conditions, NotResource) -> actions
    excluding: dict[tuple[Conditions, tuple[str, ...]], set[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    uncovered: list[tuple[str, str]] = field(default_factory=list)
    denies: list[dict[str, object]] = field(default_factory=list)

    def add(self, conditions: Conditions, action: str, pattern: str) -> None:
        self.grants.setdefault(conditions, {}).setdefault(action, set()).add(pattern)

    def add_covered(self, action: str, pattern: str, covers: list[CurrentStatement]) -> None:
        if any(not c.conditions for c in covers):
            self.add(UNCONDITIONAL, action, pattern)
            return
        for conditions in {c.conditions for c in covers}:
            self.add(conditions, action, pattern)

    @property
    def actions(self) -> list[str]:
        return sorted({a for per in self.grants.values() for a in per}
                      | {a for actions in self.excluding.values() for a in actions})


def _covering(current: CurrentGrants, action: str, text: str) -> list[CurrentStatement]:
    return current.covering(action, current.pattern(text))


def scope_observed(draft: Draft, observed: Observed, current: CurrentGrants | None,
                   threshold: int) -> None:
    """Observed actions on observed resources, generalised where enough resources share a
    prefix and the current policy covers the prefix pattern."""
    for action, per_resource in sorted(observed.uses.items()):
        resources = set(per_resource)
        star = "*" in resources
        general, exact = generalise(resources - {"*"}, threshold)
        for group in general:
            text = escape_resource(group.prefix) + "*"
            if current is None:
                draft.add(UNCONDITIONAL, action, text)
                continue
            covers = _covering(current, action, text)
            if covers:
                draft.add_covered(action, text, covers)
            else:
                exact.extend(group.members)
        for resource in sorted(exact) + (["*"] if star else []):
            text = "*" if resource == "*" else escape_resource(resource)
            if current is None:
                draft.add(UNCONDITIONAL, action, text)
                continue
            covers = _covering(current, action, text)
            if covers:
                draft.add_covered(action, text, covers)
            elif not (resource == "*" and _copy_excluding(draft, action, current)):
                draft.uncovered.append((action, resource))
    if any(source == "inferred" for per in observed.uses.values() for u in per.values()
           for source in u.sources):
        inferred = sorted({a for a, per in observed.uses.items()
                           if any("inferred" in u.sources for u in per.values())})
        draft.notes.append("inferred from request parameters (never logged): "
                           + ", ".join(inferred))


def _copy_excluding(draft: Draft, action: str, current: CurrentGrants) -> bool:
    """An action observed on ``*`` that only NotResource statements grant: keep it as they
    grant it (their NotResource and conditions, verbatim)."""
    copied = False
    for statement in current.granting(action):
        if statement.not_resources is not None and statement.portable:
            key = (statement.conditions, tuple(r.text for r in statement.not_resources))
            draft.excluding.setdefault(key, set()).add(action)
            copied = True
    return copied


def _copy_current(draft: Draft, action: str, statement: CurrentStatement) -> list[str]:
    """Keep ``action`` exactly as ``statement`` grants it (its resources and conditions)."""
    if statement.not_resources is not None or not statement.portable:
        return []
    texts = [r.text for r in statement.resources]
    for text in texts:
        draft.add(statement.conditions, action, text)
    return texts


def add_companions(draft: Draft, observed: Observed, current: CurrentGrants | None,
                   table: CompanionTable) -> None:
    for action, rule in table.companions(observed.uses):
        if current is None:
            draft.notes.append(f"{action} may be needed ({rule.reason}); without an inventory "
                               "it was not added")
            continue
        kept: list[str] = []
        for statement in current.granting(action):
            kept.extend(_copy_current(draft, action, statement))
        if kept:
            draft.notes.append(f"companion {action} kept as currently granted on "
                               f"{', '.join(sorted(set(kept)))}: {rule.reason} "
                               f"({rule.reference})")


def keep_unlogged_data_plane(draft: Draft, observed: Observed, current: CurrentGrants | None,
                             table: CompanionTable, catalog: ActionCatalog,
                             logged: Callable[[str], bool]) -> None:
    """Data-plane actions of services whose data events were not logged stay as granted."""
    unlogged = [rule for rule in table.data_events if not logged(rule.kind)]
    if not unlogged:
        return
    if current is None:
        services = ", ".join(r.service for r in unlogged)
        draft.notes.append(f"data events were not logged for {services}: data-plane "
                           "permissions could not be observed, and without an inventory they "
                           "cannot be kept")
        return
    kept: dict[str, set[str]] = {}
    for statement in current.allows:
        if statement.not_actions is not None:
            continue
        for pattern in statement.statement.actions or ():
            for info in catalog.expand(pattern):
                name = info.full_name
                rule = table.data_rule(name)
                if rule is None or logged(rule.kind) or name in observed.uses:
                    continue
                if _copy_current(draft, name, statement):
                    kept.setdefault(rule.service, set()).add(name)
    for service, names in sorted(kept.items()):
        draft.notes.append(f"data-plane permissions kept unverified because {service} data "
                           f"events were not logged: {', '.join(sorted(names))}")


def carry_denies(draft: Draft, current: CurrentGrants | None) -> None:
    if current is None:
        return
    for policy, statement in deny_statements(current, draft.actions):
        draft.denies.append(_statement_json(policy, statement))


def _statement_json(policy: Policy, statement: Statement) -> dict[str, object]:
    """The statement as written in its policy document."""
    document = policy.document or {}
    raw = document.get("Statement")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    if 0 <= statement.index < len(items) and isinstance(items[statement.index], dict):
        return dict(items[statement.index])
    out: dict[str, object] = {"Effect": statement.effect.value}
    for key, value in (("Action", statement.actions), ("NotAction", statement.not_actions),
                       ("Resource", statement.resources),
                       ("NotResource", statement.not_resources)):
        if value is not None:
            out[key] = list(value)
    if statement.conditions:
        block: dict[str, dict[str, list[str]]] = {}
        for c in statement.conditions:
            block.setdefault(c.operator, {}).setdefault(c.key, []).extend(c.values)
        out["Condition"] = block
    return out


def _sid_part(service: str) -> str:
    return "".join(ch for ch in service.title() if ch.isalnum()) or "Service"


def to_document(draft: Draft) -> dict[str, object]:
    """Group grants into statements: per conditions, service and identical resource sets."""
    statements: list[dict[str, object]] = []
    counters: dict[str, int] = {}
    for conditions in sorted(draft.grants, key=lambda c: sorted(c)):
        per_action = draft.grants[conditions]
        by_key: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for action, patterns in per_action.items():
            service = action.partition(":")[0]
            by_key.setdefault((service, tuple(sorted(patterns))), []).append(action)
        for (service, patterns), actions in sorted(by_key.items()):
            stem = _sid_part(service)
            counters[stem] = counters.get(stem, 0) + 1
            statement: dict[str, object] = {
                "Sid": f"{stem}Stmt{counters[stem]}",
                "Effect": "Allow",
                "Action": sorted(actions, key=str.lower),
                "Resource": list(patterns),
            }
            if conditions:
                statement["Condition"] = conditions_document(conditions)
            statements.append(statement)
    for n, ((conditions, excluded), actions) in enumerate(sorted(
            draft.excluding.items(), key=lambda kv: (sorted(kv[0][0]), kv[0][1])), start=1):
        statement = {"Sid": f"ExceptStmt{n}", "Effect": "Allow",
                     "Action": sorted(actions, key=str.lower), "NotResource": list(excluded)}
        if conditions:
            statement["Condition"] = conditions_document(conditions)
        statements.append(statement)
    used = {str(s["Sid"]) for s in statements}
    for n, deny in enumerate(draft.denies, start=1):
        deny = dict(deny)
        if not isinstance(deny.get("Sid"), str) or deny["Sid"] in used:
            deny["Sid"] = f"KeptDeny{n}"
        used.add(str(deny["Sid"]))
        statements.append(deny)
    return {"Version": "2012-10-17", "Statement": statements}


def document_size(document: dict[str, object]) -> int:
    """Characters counted the way IAM counts them (JSON without whitespace)."""
    return len(json.dumps(document, separators=(",", ":")))


def draft_proposal(observed: Observed, current: CurrentGrants | None, *,
                   catalog: ActionCatalog, table: CompanionTable, threshold: int,
                   logged: Callable[[str], bool]) -> Draft:
    draft = Draft()
    scope_observed(draft, observed, current, threshold)
    add_companions(draft, observed, current, table)
    keep_unlogged_data_plane(draft, observed, current, table, catalog, logged)
    carry_denies(draft, current)
    return draft


def observed_calls(observed: Observed) -> Iterable[tuple[str, str]]:
    return ((a, r) for a, per in observed.uses.items() for r in per)
