"""Read simulation requests in iamscope's simulation input format (docs/simulate.md).

The format is the request/decision vector schema: an object, or a list of objects, each
with ``request`` (principal, action, resource, optional resource_account and context),
optional ``policies`` (identity, boundary, scps, rcps, resource, session), optional
``id``, ``description`` and ``expected``. Requests without ``policies`` take their
policies from an inventory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iamscope.errors import PolicyParseError, RequestError
from iamscope.evaluate.decision import Decision
from iamscope.evaluate.request import PolicyLayers, Request
from iamscope.model.policy import Policy, PolicyKind
from iamscope.policy.parse import parse_policy

REQUEST_FIELDS = frozenset({"principal", "action", "resource", "resource_account", "context",
                            "principal_arn"})
POLICY_FIELDS = frozenset({"identity", "boundary", "scps", "rcps", "resource", "session",
                           "resource_account_scps"})
CASE_FIELDS = frozenset({"id", "feature", "description", "request", "policies", "expected"})


@dataclass(frozen=True, slots=True)
class SimulationCase:
    request: Request
    layers: PolicyLayers | None
    id: str | None = None
    description: str | None = None
    expected: Decision | None = None
    position: int = 0


def read_cases(data: Any, *, source: str = "input") -> list[SimulationCase]:
    """Turn decoded JSON into cases; raises ``RequestError`` naming the case and field."""
    items = data if isinstance(data, list) else [data]
    cases = []
    for position, item in enumerate(items):
        label = f"{source}: request {position}"
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            label = f"{source}: request {item['id']!r}"
        cases.append(_read_case(item, position, label))
    return cases


def _read_case(item: Any, position: int, label: str) -> SimulationCase:
    if not isinstance(item, Mapping):
        raise RequestError(f"{label}: each request must be a JSON object")
    unknown = set(item) - CASE_FIELDS
    if unknown:
        raise RequestError(f"{label}: unknown field(s) {', '.join(sorted(unknown))}")
    raw_request = item.get("request")
    if not isinstance(raw_request, Mapping):
        raise RequestError(f"{label}: 'request' must be an object with principal, action "
                           "and resource")
    unknown = set(raw_request) - REQUEST_FIELDS
    if unknown:
        raise RequestError(f"{label}: unknown request field(s) {', '.join(sorted(unknown))}")
    missing = [f for f in ("principal", "action", "resource") if f not in raw_request]
    if missing:
        raise RequestError(f"{label}: request is missing {', '.join(missing)}")
    context = raw_request.get("context") or {}
    if not isinstance(context, Mapping):
        raise RequestError(f"{label}: request.context must be an object")
    try:
        request = Request.create(
            raw_request["principal"],
            raw_request["action"],
            raw_request["resource"],
            resource_account=raw_request.get("resource_account"),
            context=context,
            principal_arn=raw_request.get("principal_arn"),
        )
        request.caller()
    except RequestError as exc:
        raise RequestError(f"{label}: {exc}") from None
    layers = None
    if item.get("policies") is not None:
        layers = _read_layers(item["policies"], request, label)
    expected = None
    if item.get("expected") is not None:
        try:
            expected = Decision(item["expected"])
        except ValueError:
            raise RequestError(
                f"{label}: expected must be Allow, ExplicitDeny or ImplicitDeny"
            ) from None
    return SimulationCase(
        request=request,
        layers=layers,
        id=item.get("id") if isinstance(item.get("id"), str) else None,
        description=item.get("description") if isinstance(item.get("description"), str)
        else None,
        expected=expected,
        position=position,
    )


def _policy(doc: Any, policy_id: str, kind: PolicyKind, label: str) -> Policy:
    try:
        return parse_policy(doc, policy_id=policy_id, kind=kind)
    except PolicyParseError as exc:
        raise RequestError(f"{label}: {exc}") from None


def _policy_list(value: Any, name: str, kind: PolicyKind, label: str) -> tuple[Policy, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RequestError(f"{label}: policies.{name} must be a list of policy documents")
    return tuple(_policy(doc, f"{name}[{i}]", kind, label) for i, doc in enumerate(value))


def _chain(value: Any, name: str, kind: PolicyKind, label: str) -> tuple[tuple[Policy, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(level, list) for level in value):
        raise RequestError(f"{label}: policies.{name} must be a list of levels (root first), "
                           "each a list of policy documents")
    return tuple(
        tuple(_policy(doc, f"{name}[{i}][{j}]", kind, label) for j, doc in enumerate(level))
        for i, level in enumerate(value)
    )


def _read_layers(raw: Any, request: Request, label: str) -> PolicyLayers:
    if not isinstance(raw, Mapping):
        raise RequestError(f"{label}: 'policies' must be an object")
    unknown = set(raw) - POLICY_FIELDS
    if unknown:
        raise RequestError(f"{label}: unknown policies field(s) {', '.join(sorted(unknown))}")
    resource_kind = (PolicyKind.TRUST if request.action.lower().startswith("sts:assumerole")
                     else PolicyKind.RESOURCE)
    boundary = raw.get("boundary")
    resource = raw.get("resource")
    return PolicyLayers(
        identity=_policy_list(raw.get("identity"), "identity", PolicyKind.INLINE, label),
        boundary=None if boundary is None else _policy(boundary, "boundary", PolicyKind.MANAGED,
                                                       label),
        scps=_chain(raw.get("scps"), "scps", PolicyKind.SCP, label),
        rcps=_chain(raw.get("rcps"), "rcps", PolicyKind.RCP, label),
        resource=None if resource is None else _policy(resource, "resource", resource_kind,
                                                       label),
        session=_policy_list(raw.get("session"), "session", PolicyKind.SESSION, label),
    )
