"""The blast-radius delta of a plan: what the planned state lets each principal do that the
prior state did not, and which Terraform resource brings it about.

Both states are analysed the same way (access graph, escalation, sensitive reach); the delta
compares them per principal:

- IAMSCOPE-DELTA-001: the principal is admin-equivalent after the plan and was not before;
- IAMSCOPE-DELTA-002: it can become admin after the plan (a new escalation path) and could
  not before; "gained" lists the path's actions the plan grants (``ci.path_actions``), the
  others are shown as the actions the path uses;
- IAMSCOPE-DELTA-003: it reaches sensitive resources (secrets, KMS keys, data stores, IAM
  writes; ``graph.sensitive``) it did not reach before, itself or through others;
- IAMSCOPE-DELTA-004: a principal present in both states whose identity policies changed
  can perform actions (service, access level, target) it could not before (effective reach).

Causes: the policies behind the new capability (the deciding statements of the admin probe,
the evidence of each hop of the escalation path) that the plan adds, changes or attaches;
when none of them changed, the changed policies in force for the principal (or the principals
it becomes), and finally the principal itself when the plan adds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from iamscope.checks.base import ACTING, CheckContext, CheckMeta, describe_path
from iamscope.ci.path_actions import path_actions
from iamscope.evaluate import Decision
from iamscope.graph.admin import SYNTHETIC_ACTION
from iamscope.graph.sensitive import DATA
from iamscope.model.check import Cause, Delta, DeltaItem
from iamscope.model.edge import Confidence, EdgeKind
from iamscope.model.finding import Finding, Severity, fingerprint
from iamscope.model.policy import PolicyKind
from iamscope.model.principal import Principal
from iamscope.model.reach import ReachItem
from iamscope.model.source import SourceRef

REFS = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",)
NEW_ADMIN = CheckMeta(
    "IAMSCOPE-DELTA-001", "Plan makes a principal admin-equivalent", Severity.CRITICAL,
    "After the plan the principal can perform every action on every resource (or grant "
    "itself that in one step); before it could not, or it did not exist. CRITICAL; HIGH "
    "when admin only under request facts the data cannot prove.",
    "Scope the policy the plan adds (the cause named in the message), or keep the admin "
    "grant to a break-glass role.", REFS,
    "Only the prior_state of the plan is compared: drift outside Terraform is not seen.")
NEW_ESCALATION = CheckMeta(
    "IAMSCOPE-DELTA-002", "Plan opens an escalation path to admin", Severity.CRITICAL,
    "After the plan the principal can become admin through a chain of steps (the shortest "
    "path is given); before it could not. CRITICAL when every step is definite, HIGH when a "
    "step depends on an unproven fact.",
    "Remove or narrow the permission the first new hop relies on (the cause named in the "
    "message), or deny the technique with a permissions boundary.",
    ("https://github.com/RhinoSecurityLabs/AWS-IAM-Privilege-Escalation",),
    "Only techniques of the technique catalog are followed.")
NEW_SENSITIVE = CheckMeta(
    "IAMSCOPE-DELTA-003", "Plan widens reach to sensitive resources", Severity.HIGH,
    "After the plan the principal (itself or through the principals it can become) reaches "
    "secrets, KMS keys, IAM writes or data stores it did not reach before. HIGH for "
    "secrets, KMS and IAM writes, MEDIUM for data stores. Principals that are or become "
    "admin are reported by IAMSCOPE-DELTA-001/002 instead.",
    "Scope the new grant to the resources the workload needs.", REFS,
    "One representative action per capability is asked (see aws_sensitive_blast_radius).")
NEW_PERMISSIONS = CheckMeta(
    "IAMSCOPE-DELTA-004", "Plan grants an existing principal new permissions", Severity.HIGH,
    "A principal present before and after the plan, whose identity policies the plan "
    "changes, can perform actions it could not before (effective reach: service, access "
    "level, target). HIGH for permissions-management actions, MEDIUM for write, LOW for "
    "read, list and tagging.",
    "Check that the new actions are needed; scope them to named resources.", REFS,
    "Principals the plan adds are judged by the policy rules and the audit checks, not "
    "here: all of their permissions are new.")
DELTA_RULES = ((NEW_ADMIN, "new_admin"), (NEW_ESCALATION, "new_escalation"),
               (NEW_SENSITIVE, "new_sensitive_access"), (NEW_PERMISSIONS, "new_permissions"))
LEVEL_SEVERITY = {"Permissions management": Severity.HIGH, "Write": Severity.MEDIUM}
SHOWN = 12
MAX_CAUSES = 4


@dataclass
class Changes:
    """What the plan changes in the inventory: policies added or changed, attachments."""

    before: CheckContext
    after: CheckContext
    addresses: Mapping[str, str]
    locations: Mapping[str, SourceRef] = field(default_factory=dict)

    @cached_property
    def policies(self) -> dict[str, str]:
        """Policy id -> "added" | "changed"."""
        old = self.before.inventory.policies
        out = {}
        for pid, policy in self.after.inventory.policies.items():
            prev = old.get(pid)
            if prev is None:
                out[pid] = "added"
            elif prev.statements != policy.statements:
                out[pid] = "changed"
        return out

    def attached(self, principal_id: str) -> set[str]:
        """Policies in force for the principal after the plan but not before."""
        after = self.after.inventory.principals.get(principal_id)
        if after is None:
            return set()
        now = {p.id for p in self.after.inventory.policies_of(after)}
        prev = self.before.inventory.principals.get(principal_id)
        was = {p.id for p in self.before.inventory.policies_of(prev)} if prev else set()
        return now - was

    def in_force(self, principal_id: str) -> set[str]:
        principal = self.after.inventory.principals.get(principal_id)
        if principal is None:
            return set()
        ids = {p.id for p in self.after.inventory.policies_of(principal)}
        if principal.trust_policy_id:
            ids.add(principal.trust_policy_id)
        if principal.boundary_policy_id:
            ids.add(principal.boundary_policy_id)
        return ids

    def touched(self, principal_id: str) -> set[str]:
        """The changed, added or newly attached policies in force for the principal."""
        return (self.in_force(principal_id) & set(self.policies)) | self.attached(principal_id)

    # --- the prior state's sensitive reach, reusing the planned state's answers ---------

    @cached_property
    def context_changed(self) -> bool:
        """Whether anything every principal's sensitive reach depends on changed: the
        resources, their policies, the organisation's SCPs and RCPs."""
        old, new = self.before.inventory, self.after.inventory
        if old.resources != new.resources or old.org_nodes != new.org_nodes:
            return True
        shared = (PolicyKind.RESOURCE, PolicyKind.SCP, PolicyKind.RCP)
        return any(p.kind in shared for p in (*(new.policies[i] for i in self.policies), *(
            p for i, p in old.policies.items() if i not in new.policies)))

    def _same_inputs(self, node: str) -> bool:
        old = self.before.inventory.principals.get(node)
        new = self.after.inventory.principals.get(node)
        if old is None or new is None or self.touched(node):
            return False
        return (old.boundary_policy_id == new.boundary_policy_id
                and old.account == new.account and old.kind is new.kind
                and {p.id for p in self.before.inventory.policies_of(old)}
                == {p.id for p in self.after.inventory.policies_of(new)})

    def own_before(self, node: str) -> set[tuple[str, str, str]]:
        """Sensitive items a principal held itself before the plan: the planned state's
        answer when nothing it depends on changed, else asked of the prior state."""
        if not self.context_changed and self._same_inputs(node):
            return {h.key for h in self.after.analysis.hits(node)}
        return {h.key for h in self.before.analysis.hits(node)}

    def sensitive_before(self, node: str) -> set[tuple[str, str, str]]:
        """What the principal reached before, itself or through whom it could become."""
        escalation = self.before.escalation
        if node not in escalation.index:
            return set()
        out: set[tuple[str, str, str]] = set()
        for member in escalation.names(escalation.reach_mask(node)):
            out |= self.own_before(member)
        return out

    def sensitive_finding_existed(self, node: str) -> bool:
        """Whether aws_sensitive_blast_radius reported the principal before the plan."""
        before = self.before
        return (node in before.escalation.index and not _was_admin(before, node)
                and not before.escalation.reaches_admin(node)
                and bool(self.sensitive_before(node)))

    def cause(self, policy_id: str, holder: str) -> Cause | None:
        inventory = self.after.inventory
        policy = inventory.policies.get(policy_id)
        change = self.policies.get(policy_id)
        if change is not None:
            address = self.addresses.get(policy_id) or (
                policy.source.address if policy and policy.source else None)
            return Cause(policy_id, address, policy.source if policy else None, change)
        if policy_id in self.attached(holder):
            principal = inventory.principals[holder]
            name = policy.name if policy and policy.name else policy_id
            address = self.addresses.get(f"{holder}|{policy_id}") or (
                f"attachment of {name} to {principal.name}")
            return Cause(policy_id, address,
                         self.locations.get(f"{holder}|{policy_id}") or principal.source,
                         "attached")
        return None

    def causes(self, candidates: Iterable[tuple[str, str]],
               fallback: Iterable[str]) -> tuple[Cause, ...]:
        """Causes among (policy id, holder) candidates; else the touched policies of the
        fallback principals; else those principals when the plan adds them."""
        found: dict[str, Cause] = {}
        for policy_id, holder in candidates:
            cause = self.cause(policy_id, holder)
            if cause is not None:
                found.setdefault(cause.label, cause)
        fallback = list(dict.fromkeys(fallback))
        if not found:
            for holder in fallback:
                for policy_id in sorted(self.touched(holder)):
                    cause = self.cause(policy_id, holder)
                    if cause is not None:
                        found.setdefault(cause.label, cause)
        if not found:
            for holder in fallback:
                principal = self.after.inventory.principals.get(holder)
                if principal is not None and holder not in self.before.inventory.principals:
                    address = self.addresses.get(holder) or (
                        principal.source.address if principal.source else None)
                    found.setdefault(holder, Cause(holder, address, principal.source, "added"))
        return tuple(list(found.values())[:MAX_CAUSES])


def compute_delta(changes: Changes) -> Delta:
    before, after = changes.before, changes.after
    sensitive = list(_sensitive(changes))
    reported = {(i.principal, g.split(": ", 1)[-1]) for i in sensitive for g in i.gained}
    items = [*_admins(changes), *_escalations(changes), *sensitive,
             *_permissions(changes, reported)]
    items.sort(key=lambda i: (i.severity.rank, i.rule_id, i.principal))
    return Delta(tuple(items), _count(before), _count(after), tuple(sorted(changes.policies)),
                 ("the prior state is the plan's prior_state: changes made outside "
                  "Terraform are not seen",))


def _count(ctx: CheckContext) -> int:
    return sum(1 for p in ctx.inventory.principals.values() if p.kind in ACTING)


def _was_admin(ctx: CheckContext, node: str) -> bool:
    status = ctx.access.admins.get(node)
    return bool(status and status.admin)


def _reached_admin(ctx: CheckContext, node: str) -> bool:
    return node in ctx.escalation.index and ctx.escalation.reaches_admin(node)


def _by(causes: tuple[Cause, ...]) -> str:
    if not causes:
        return "; its cause is outside the changed resources (an unchanged policy now in "\
               "force)"
    return ", added by " + ", ".join(c.label for c in causes)


def _admins(changes: Changes) -> Iterator[DeltaItem]:
    before, after = changes.before, changes.after
    for node, status in sorted(after.access.admins.items()):
        principal = after.inventory.principals.get(node)
        if principal is None or principal.kind not in ACTING or not status.admin or \
                _was_admin(before, node):
            continue
        causes = changes.causes(_admin_policies(after, principal), [node])
        label = after.label(node)
        headline = f"this plan makes {label} admin-equivalent ({status.reason}){_by(causes)}"
        severity = Severity.HIGH if status.conditions else Severity.CRITICAL
        yield DeltaItem(NEW_ADMIN.id, "new-admin", node, label, headline + ".", severity,
                        causes=causes)


def _admin_policies(ctx: CheckContext, principal: Principal) -> list[tuple[str, str]]:
    """(policy id, holder) behind the admin status: the self-grant's evidence, or the
    statements deciding the synthetic any-action probe."""
    loops = ctx.access.graph.get_edge_data(principal.id, principal.id) or {}
    for data in loops.values():
        edge = data["edge"]
        if edge.kind is EdgeKind.MODIFY_POLICY:
            return [(e.policy_id, principal.id) for e in edge.evidence]
    authorizer = ctx.analysis.authorizer
    caller = authorizer.caller(principal)
    request = replace(caller.request, action=SYNTHETIC_ACTION, resource="*")
    evaluation = authorizer.engine.evaluate(request, caller.base, assume_absent=True)
    if evaluation.decision is not Decision.ALLOW:
        return []
    return [(r.policy_id, principal.id) for r in evaluation.deciding
            if r.effect == "Allow" and r.policy_kind not in ("scp", "rcp")]


def _escalations(changes: Changes) -> Iterator[DeltaItem]:
    before, after = changes.before, changes.after
    for node in after.acting():
        if _was_admin(after, node) or not after.escalation.reaches_admin(node):
            continue
        if _was_admin(before, node) or _reached_admin(before, node):
            continue
        paths = after.escalation.admin_paths(node, limit=1)
        if not paths:
            continue
        path = paths[0]
        candidates = [(e.policy_id, hop.source if e.policy_id in changes.in_force(hop.source)
                       else hop.target) for hop in path.hops for e in hop.evidence]
        holders = [node, *(hop.target for hop in path.hops)]
        causes = changes.causes(candidates, holders)
        actions = list(dict.fromkeys(e.action for hop in path.hops for e in hop.evidence))
        gained, _ = path_actions(changes, path.hops)
        label = after.label(node)
        through = " + ".join(actions) if actions else describe_path(after, path.hops)
        headline = (f"this plan lets {label} become admin through {through} "
                    f"({describe_path(after, path.hops)}){_by(causes)}")
        definite = path.confidence is Confidence.DEFINITE
        facts = sorted({c for hop in path.hops for c in hop.conditions})
        if facts:
            headline += f"; only if: {'; '.join(facts)}"
        yield DeltaItem(NEW_ESCALATION.id, "new-escalation", node, label, headline + ".",
                        Severity.CRITICAL if definite else Severity.HIGH,
                        gained=tuple(gained), path=path.hops, causes=causes)


def _sensitive_keys(ctx: CheckContext, node: str) -> set[tuple[str, str, str]]:
    mine, gained = ctx.analysis.sensitive_summary(node)
    return {*mine, *gained}


def _sensitive(changes: Changes) -> Iterator[DeltaItem]:
    after = changes.after
    for node in after.acting():
        if _was_admin(after, node) or after.escalation.reaches_admin(node):
            continue
        new = sorted(_sensitive_keys(after, node) - changes.sensitive_before(node))
        if not new:
            continue
        holders = [node, *(h for k in new if (h := after.analysis.holder(node, k)))]
        resource_policies = [
            (r.policy_id, node) for k in new
            if (r := after.inventory.resources.get(k[2])) is not None and r.policy_id]
        causes = changes.causes(resource_policies, holders)
        kinds = {k[0] for k in new}
        severity = Severity.MEDIUM if kinds == {DATA} else Severity.HIGH
        label = after.label(node)
        shown = ", ".join(f"{a} on {t}" for _, a, t in new[:3])
        more = f" and {len(new) - 3} more" if len(new) > 3 else ""
        headline = f"this plan lets {label} reach {shown}{more}{_by(causes)}"
        yield DeltaItem(NEW_SENSITIVE.id, "new-sensitive-access", node, label, headline + ".",
                        severity, gained=tuple(f"{c}: {a} on {t}" for c, a, t in new[:SHOWN]),
                        causes=causes)


def _reach_keys(ctx: CheckContext, principal: Principal) -> set[tuple[str, str, str, str]]:
    items: tuple[ReachItem, ...] = ctx.analysis.effective.reach(principal).items
    return {(i.service, i.access_level, f"{i.service}:{a}", i.target)
            for i in items for a in i.actions}


def _permissions(changes: Changes, reported: set[tuple[str, str]]) -> Iterator[DeltaItem]:
    """``reported``: (principal, "action on target") already given as sensitive access."""
    before, after = changes.before, changes.after
    for node in sorted(after.inventory.principals):
        principal = after.inventory.principals[node]
        prev = before.inventory.principals.get(node)
        if principal.kind not in ACTING or prev is None or _was_admin(after, node) or \
                after.escalation.reaches_admin(node) or not changes.touched(node):
            continue
        new = sorted(k for k in _reach_keys(after, principal) - _reach_keys(before, prev)
                     if (node, f"{k[2]} on {k[3]}") not in reported)
        if not new:
            continue
        levels = {k[1] for k in new}
        severity = min((LEVEL_SEVERITY.get(level, Severity.LOW) for level in levels),
                       key=lambda s: s.rank)
        actions = list(dict.fromkeys(k[2] for k in new))
        causes = changes.causes([(pid, node) for pid in sorted(changes.touched(node))], [node])
        label = after.label(node)
        shown = ", ".join(actions[:4]) + (f" and {len(actions) - 4} more" if len(actions) > 4
                                          else "")
        headline = f"this plan lets {label} perform {shown}{_by(causes)}"
        yield DeltaItem(NEW_PERMISSIONS.id, "new-permissions", node, label, headline + ".",
                        severity, gained=tuple(f"{a} on {t} ({lvl})" for _, lvl, a, t
                                               in new[:SHOWN]), causes=causes)


def delta_findings(delta: Delta) -> list[Finding]:
    """Delta items as findings (rule id, severity, the principal as subject, the first
    cause's location), fingerprinted by rule, principal and what was gained."""
    out = []
    for item in delta.items:
        location = next((c.location for c in item.causes if c.location is not None), None)
        key = item.gained if item.rule_id != NEW_ESCALATION.id else ()
        # the path's other actions: granted by statements the plan did not change
        uses = [a for a in dict.fromkeys(e.action for hop in item.path for e in hop.evidence)
                if a not in item.gained]
        out.append(Finding(
            rule_id=item.rule_id, severity=item.severity, subject=item.principal,
            message=item.headline[0].upper() + item.headline[1:],
            evidence=(*(f"cause: {c.change} {c.label}" for c in item.causes),
                      *(f"gained: {g}" for g in item.gained),
                      *(f"path uses: {a} (not changed by this plan)" for a in uses)),
            path=item.path, location=location,
            fingerprint=fingerprint(item.rule_id, item.principal, key)))
    return out
