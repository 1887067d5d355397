"""Shared helpers of the linter tests: build a policy from statement dicts, lint it, and
reduce the diagnostics to (code, level, where, element)."""

from __future__ import annotations

from typing import Any

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy
from iamscope.validate.policy import lint_policy

V12 = "2012-10-17"
K = PolicyKind
E, W = "error", "warning"
S0 = "statement 0"
Found = tuple[str, str, str | None, str | None]


def stmt(extra: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """An identity-policy statement (Allow s3:GetObject on a bucket's objects), changed by
    ``extra``/``kw``; a value of None removes the element."""
    out: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::b/*"}
    for key, value in {**(extra or {}), **kw}.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def trust(extra: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    base = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": None,
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    return stmt({**base, **(extra or {})}, **kw)


def lint(catalog: ActionCatalog, *statements: dict[str, Any], kind: PolicyKind = K.MANAGED,
         version: str | None = V12, policy_id: str = "p") -> list[Found]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    policy = parse_policy(doc, policy_id=policy_id, kind=kind)
    diagnostics = lint_policy(policy, catalog)
    assert all(d.policy == policy_id for d in diagnostics)
    return [(d.code, d.level.value, d.where, d.element) for d in diagnostics]


def cond(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {"Condition": {operator: {key: value}}}
