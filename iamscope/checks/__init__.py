"""Finding checks: one module per check, registered here by id (lazily imported).

A check is a module with a ``META`` (``base.CheckMeta``; its id equals the module name)
and a ``run(ctx)`` function from a ``base.CheckContext`` to findings. Add one line below
for a new check, and a case folder ``tests/cases/checks/<id>/`` with ``fail.json``,
``pass.json`` and ``expected.json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module

from iamscope.checks.base import Check

CHECKS: dict[str, str] = {
    "aws_admin_principal": "iamscope.checks.aws_admin_principal:run",
    "aws_escalation_to_admin": "iamscope.checks.aws_escalation_to_admin:run",
    "aws_external_trust": "iamscope.checks.aws_external_trust:run",
    "aws_wildcard_trust": "iamscope.checks.aws_wildcard_trust:run",
    "aws_public_resource_policy": "iamscope.checks.aws_public_resource_policy:run",
    "aws_cross_account_resource_policy": "iamscope.checks.aws_cross_account_resource_policy:run",
    "aws_sensitive_blast_radius": "iamscope.checks.aws_sensitive_blast_radius:run",
}


def load_check(check_id: str) -> Check:
    """The check registered as ``check_id`` (KeyError when there is none)."""
    target = CHECKS[check_id]
    module_name, _, attr = target.partition(":")
    module = import_module(module_name)
    return Check(module.META, getattr(module, attr))


def load_checks(ids: Iterable[str] | None = None) -> list[Check]:
    return [load_check(i) for i in (CHECKS if ids is None else ids)]
