"""Lint everything a simulation case brings: its policies and its request."""

from __future__ import annotations

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.errors import DiagnosticLevel
from iamscope.evaluate.request import PolicyLayers
from iamscope.evaluate.simulation_input import SimulationCase
from iamscope.model.policy import Policy


def _policies(layers: PolicyLayers) -> list[Policy]:
    out = list(layers.identity)
    if layers.boundary is not None:
        out.append(layers.boundary)
    out.extend(p for level in layers.scps for p in level)
    out.extend(p for level in layers.rcps for p in level)
    if layers.resource is not None:
        out.append(layers.resource)
    out.extend(layers.session)
    return out


def lint_case(case: SimulationCase, catalog: ActionCatalog) -> list[str]:
    """Warnings (as text) about a case: an action the catalog does not know, and every
    linter diagnostic of its policies."""
    messages: list[str] = []
    action = case.request.action
    if action != "*" and not catalog.is_known_action(action):
        service = action.partition(":")[0]
        if catalog.is_known_service(service):
            messages.append(f"action {action} is not in the AWS catalog ({catalog.version})")
        else:
            messages.append(f"service prefix {service!r} of {action} is not in the AWS catalog "
                            f"({catalog.version})")
    if case.layers is None:
        return messages
    try:
        from iamscope.validate.policy import lint_policy
    except ImportError:  # pragma: no cover - transitional
        return messages
    for policy in _policies(case.layers):
        for diagnostic in lint_policy(policy, catalog):
            prefix = "" if diagnostic.level is DiagnosticLevel.WARNING else "(error) "
            messages.append(prefix + str(diagnostic).split(": ", 1)[1])
    return messages
