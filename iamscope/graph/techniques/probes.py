"""Decisions on single resources, including ones that do not exist yet.

- ``decide_one``: one exact, attacker-optimal decision on one resource, as a ``Grant``
  carrying its evidence;
- ``probe_arns``: resources to ask about when the technique creates something: an ARN of
  the action's resource type, and the principal's own Allow statements for the action with
  every wildcard replaced by a literal, so Resource-scoped creation rights count;
- ``creatable``: may the principal call a creation action on something it names itself?
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from iamscope.catalog.aws_actions import ActionCatalog, ActionInfo
from iamscope.evaluate import Decision
from iamscope.evaluate.batch import Target
from iamscope.graph.authorizer import Grant
from iamscope.graph.context import GraphContext
from iamscope.graph.techniques.toolkit import toolkit
from iamscope.model.edge import Evidence
from iamscope.model.ids import parse_arn
from iamscope.model.policy import Policy
from iamscope.model.principal import Principal
from iamscope.policy.wildcard import compile_glob

PROBE_NAME = "iamscope-probe"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def decide_one(ctx: GraphContext, principal: Principal, action: str, resource: str, *,
               policy: Policy | None = None, context: Mapping[str, str] | None = None,
               ) -> Grant | None:
    """Attacker-optimal decision for one request on one resource (which need not exist);
    ``policy`` is the resource's resource-based (or trust) policy."""
    authorizer = ctx.authorizer
    caller = authorizer.caller(principal)
    extra = {k.lower(): v for k, v in (context or {}).items()}
    request = replace(caller.request, action=action,
                      context={**caller.request.context, **extra})
    arn = parse_arn(resource)
    account = (arn.account or None) if arn is not None else principal.account
    if account == "aws":
        account = None
    target = Target(resource, account, policy, (("aws:resourceaccount", account or ""),))
    evaluation = authorizer.explain(caller, request, target)
    if evaluation.decision is not Decision.ALLOW:
        return None
    evidence = tuple(Evidence(ref.policy_id, ref.index, ref.sid, action)
                     for ref in evaluation.deciding
                     if ref.effect == "Allow" and ref.policy_kind not in ("scp", "rcp"))
    return Grant(0, evaluation.assumed_keys, evidence)


def probe_arns(ctx: GraphContext, principal: Principal, action: str,
               defaults: Sequence[str] = ("*",)) -> list[str]:
    """Resources on which to ask about a creation action: ``defaults``; an ARN of the
    action's resource type (from the Service Authorization Reference) named by the
    attacker; and, for each of the principal's Allow statements covering ``action``, each
    Resource with its wildcards replaced by literals (a wildcard account becomes the
    principal's account), when that can be an ARN of the resource type. Actions without
    resource-level permissions are only asked about ``*``."""
    catalog = ctx.authorizer.engine.catalog
    info = catalog.action(action)
    out = list(defaults)
    if info is not None and not info.resource_types:
        return out
    templates = _created_types(catalog, info) if info is not None else []
    for template in templates:
        probe = _from_template(template, principal)
        if probe not in out:
            out.append(probe)
    globs = [compile_glob(_TEMPLATE_FIELD.sub("*", t)) for t in templates]
    compiled = ctx.authorizer.engine.compile(ctx.authorizer.caller(principal).base)
    for stmt in compiled.identity.for_action(action.lower()):
        if not stmt.allow or stmt.statement.resources is None:
            continue
        for text in stmt.statement.resources:
            probe = _literal(text, principal, action.split(":", 1)[0].lower())
            if probe not in out and (not globs or any(g.matches(probe) for g in globs)):
                out.append(probe)
    return out


_TEMPLATE_FIELD = re.compile(r"\$\{[^}]*\}")


def _created_types(catalog: ActionCatalog, info: ActionInfo) -> list[str]:
    """ARN templates of what the action creates: the required resource type its name ends
    with (CreateProcessingJob -> processing-job), else every required one."""
    types = catalog.resource_types(info.service)
    required = [ref.name.lower() for ref in info.resource_types if ref.required]
    name = info.name.lower()
    named = [r for r in required if name.endswith(r.replace("-", "")) or
             name.endswith(r.replace("-", "") + "s")]
    return [types[r].arn for r in (named or required) if r in types and types[r].arn]


def _from_template(template: str, principal: Principal) -> str:
    values = {"partition": "aws", "region": "us-east-1", "account": principal.account or ""}
    return _TEMPLATE_FIELD.sub(
        lambda m: values.get(m.group(0)[2:-1].lower(), PROBE_NAME), template)


def creatable(ctx: GraphContext, principal: Principal, action: str) -> Grant | None:
    """Can ``principal`` call ``action`` on some resource it would name itself?"""
    kit = toolkit(ctx)
    memo: dict[tuple[str, str], Grant | None] = kit.memo("creatable", dict)
    key = (principal.id, action)
    if key not in memo:
        found = None
        if principal.id in kit.holders(action):
            found = single_grant([g for arn in probe_arns(ctx, principal, action)
                                  if (g := decide_one(ctx, principal, action, arn)) is not None])
        memo[key] = found
    return memo[key]


def creatable_all(ctx: GraphContext, principal: Principal,
                  actions: Sequence[str]) -> list[Grant] | None:
    out = []
    for action in actions:
        grant = creatable(ctx, principal, action)
        if grant is None:
            return None
        out.append(grant)
    return out


def creatable_any(ctx: GraphContext, principal: Principal,
                  actions: Sequence[str]) -> Grant | None:
    return single_grant([g for a in actions
                         if (g := creatable(ctx, principal, a)) is not None])


def _literal(pattern: str, principal: Principal, service: str) -> str:
    """The Resource pattern with its variables and wildcards replaced by literals."""
    if pattern == "*":
        return "*"
    text = _VARIABLE.sub(lambda m: _variable(m.group(1), principal), pattern)
    parts = text.split(":", 5)
    if len(parts) == 6:
        fill = ("arn", "aws", service, "us-east-1", principal.account or "", "")
        for i in range(5):
            if "*" in parts[i] or "?" in parts[i]:
                parts[i] = fill[i]
        parts[5] = parts[5].replace("*", PROBE_NAME).replace("?", "x")
        return ":".join(parts)
    return text.replace("*", PROBE_NAME).replace("?", "x")


def _variable(name: str, principal: Principal) -> str:
    key = name.lower()
    if key == "aws:username":
        return principal.name
    if key in ("aws:principalaccount", "aws:accountid"):
        return principal.account or ""
    if key.startswith("aws:principaltag/"):
        return principal.tag(name.split("/", 1)[1]) or PROBE_NAME
    return PROBE_NAME


def single_grant(grants: Sequence[Grant]) -> Grant | None:
    """The most favourable of several grants for one target (fewest assumed facts)."""
    if not grants:
        return None
    return min(grants, key=lambda g: (len(g.assumed_keys), g.assumed_keys))


