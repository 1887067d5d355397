"""A request to evaluate, its context, and the policy layers in force for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from iamscope.errors import RequestError
from iamscope.model.ids import Caller, CallerKind, CallerParseError, parse_arn, parse_caller
from iamscope.model.policy import Policy

ContextValue = str | tuple[str, ...]


def normalise_context(raw: Mapping[str, object]) -> dict[str, ContextValue]:
    """Lower-case key names (condition key names are case-insensitive) and turn every
    value into a string or a tuple of strings (a multivalued key; empty = empty set)."""
    out: dict[str, ContextValue] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key:
            raise RequestError(f"context key {key!r} is not a non-empty string")
        lowered = key.lower()
        if isinstance(value, list | tuple):
            items = tuple(_scalar(lowered, v) for v in value)
            previous = out.get(lowered)
            out[lowered] = items if previous is None else _merge(previous, items)
        else:
            scalar = _scalar(lowered, value)
            previous = out.get(lowered)
            out[lowered] = scalar if previous is None else _merge(previous, (scalar,))
    return out


def _merge(previous: ContextValue, items: tuple[str, ...]) -> tuple[str, ...]:
    base = (previous,) if isinstance(previous, str) else previous
    return base + items


def _scalar(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise RequestError(f"context value for {key!r} must be a string or a list of strings")


@dataclass(frozen=True, slots=True)
class Request:
    """One request: who calls which action on which resource, in what context.

    ``principal`` is an ARN, a service principal, an identity-provider principal or
    ``anonymous``. ``principal_arn`` optionally gives the role ARN (with its path) behind a
    role session, or the IAM user behind a federated-user session.
    """

    principal: str
    action: str
    resource: str
    resource_account: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal_arn: str | None = None

    @classmethod
    def create(
        cls,
        principal: str,
        action: str,
        resource: str,
        *,
        resource_account: str | None = None,
        context: Mapping[str, object] | None = None,
        principal_arn: str | None = None,
    ) -> Request:
        """Build a request from loose input, validating and normalising it."""
        for name, value in (("principal", principal), ("action", action),
                            ("resource", resource)):
            if not isinstance(value, str) or not value.strip():
                raise RequestError(f"{name} must be a non-empty string")
        if action != "*" and ":" not in action:
            raise RequestError(f"action {action!r} must look like service:Action")
        if resource_account is not None and not isinstance(resource_account, str):
            raise RequestError("resource_account must be a string")
        return cls(
            principal=principal.strip(),
            action=action.strip(),
            resource=resource.strip(),
            resource_account=resource_account,
            context=normalise_context(context or {}),
            principal_arn=principal_arn,
        )

    def caller(self) -> Caller:
        try:
            return parse_caller(self.principal, role_arn=self.principal_arn)
        except CallerParseError as exc:
            raise RequestError(str(exc)) from None

    def owning_account(self, caller: Caller) -> str | None:
        """The account that owns the resource: explicit, else the ARN's account field, else
        the caller's account (S3 bucket ARNs carry no account)."""
        if self.resource_account:
            return self.resource_account
        arn = parse_arn(self.resource)
        if arn is not None and arn.account and arn.account != "aws":
            return arn.account
        return caller.account


def derived_context(request: Request, caller: Caller) -> dict[str, ContextValue]:
    """The request context plus the identity keys AWS sets from the principal itself
    (aws:PrincipalArn, aws:PrincipalAccount, and aws:username for IAM users). Keys given in
    the request win; no other key is invented (IAM User Guide, "AWS global condition
    context keys")."""
    context = dict(request.context)
    if caller.kind is CallerKind.ANONYMOUS or caller.kind is CallerKind.SERVICE:
        return context
    if caller.kind is CallerKind.WEB_IDENTITY:
        return context
    principal_arn = caller.arn
    if caller.kind in (CallerKind.IAM_ROLE, CallerKind.ROLE_SESSION) and caller.role_arn:
        principal_arn = caller.role_arn
    context.setdefault("aws:principalarn", principal_arn)
    if caller.account:
        context.setdefault("aws:principalaccount", caller.account)
    if caller.kind is CallerKind.IAM_USER and caller.name:
        context.setdefault("aws:username", caller.name)
    return context


@dataclass(frozen=True, slots=True)
class PolicyLayers:
    """Every policy in force for one request, by layer.

    ``scps`` and ``rcps`` are chains: one tuple of policies per organisation level, root
    first; every level must allow (the AWS-managed RCPFullAWSAccess is implicit at every RCP
    level). ``resource`` is the target's resource-based policy, which for ``sts:AssumeRole``
    is the role's trust policy and for ``kms:*`` the key policy.
    """

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    resource: Policy | None = None
    session: tuple[Policy, ...] = ()

    @staticmethod
    def of(
        identity: Sequence[Policy] = (),
        boundary: Policy | None = None,
        scps: Sequence[Sequence[Policy]] = (),
        rcps: Sequence[Sequence[Policy]] = (),
        resource: Policy | None = None,
        session: Sequence[Policy] = (),
    ) -> PolicyLayers:
        return PolicyLayers(
            identity=tuple(identity),
            boundary=boundary,
            scps=tuple(tuple(level) for level in scps),
            rcps=tuple(tuple(level) for level in rcps),
            resource=resource,
            session=tuple(session),
        )
