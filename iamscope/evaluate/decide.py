"""Decide a request exactly as AWS's documented policy evaluation logic does.

IAM User Guide, "Policy evaluation logic" and its pages "How AWS enforcement code logic
evaluates requests", "Policy evaluation for requests within a single account" and
"Cross-account policy evaluation logic"; AWS Organizations User Guide, "Service control
policies" and "Resource control policies". In order:

1. An applicable Deny in any layer (SCPs, RCPs, resource-based, identity-based,
   permissions boundary, session policies) is an explicit deny.
2. Every level of the caller account's SCP chain must allow (service-linked roles,
   service principals, anonymous callers and principals outside the organisation are not
   bound by SCPs).
3. RCPs only deny: the AWS-managed RCPFullAWSAccess is attached at every level. They apply
   to resources of the services that support them, except when a service assumes a
   service-linked role.
4. Grants: in the same account a resource-based policy that names the caller's exact
   identity (user, role session, federated user, or ``"*"``) allows on its own; one that
   names the role (or the IAM user behind a federated session) is limited by the boundary
   and session policies; one that names the account delegates to IAM. Otherwise identity
   policies, the boundary and session policies must all allow. Cross-account requests need
   both the resource-based policy and the identity side. Role trust policies and KMS key
   policies must trust the caller even in the same account. The root user has full access
   to its own account's resources, but cannot assume roles and is bound by key policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from iamscope.evaluate.compiled import CompiledLayer, CompiledStatement, compile_layer
from iamscope.evaluate.decision import (
    Decision,
    Evaluation,
    Layer,
    LayerResult,
    Outcome,
    StatementRef,
)
from iamscope.evaluate.matchers import resource_fields, split_action
from iamscope.evaluate.principals import GrantReach
from iamscope.evaluate.request import PolicyLayers, Request, derived_context
from iamscope.model.ids import SERVICE_LINKED_ROLE_PATH, Caller, CallerKind, parse_arn

TRUST_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})
ASSUME_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
})


@dataclass(slots=True)
class CompiledLayers:
    identity: CompiledLayer
    boundary: CompiledLayer | None
    scps: tuple[CompiledLayer, ...]
    rcps: tuple[CompiledLayer, ...]
    resource: CompiledLayer | None
    session: CompiledLayer | None


def compile_layers(layers: PolicyLayers) -> CompiledLayers:
    return CompiledLayers(
        identity=compile_layer(layers.identity),
        boundary=compile_layer((layers.boundary,)) if layers.boundary is not None else None,
        scps=tuple(compile_layer(level) for level in layers.scps),
        rcps=tuple(compile_layer(level) for level in layers.rcps),
        resource=compile_layer((layers.resource,)) if layers.resource is not None else None,
        session=compile_layer(layers.session) if layers.session else None,
    )


def _ref(stmt: CompiledStatement) -> StatementRef:
    return StatementRef(
        policy_id=stmt.policy.id,
        policy_kind=stmt.policy.kind.value,
        index=stmt.statement.index,
        sid=stmt.statement.sid,
        effect=stmt.statement.effect.value,
    )


def _refs(stmts: list[CompiledStatement]) -> tuple[StatementRef, ...]:
    return tuple(_ref(s) for s in stmts)


class _Evaluator:
    """State for one request; methods are the steps of the algorithm."""

    def __init__(self, request: Request, layers: CompiledLayers,
                 rcp_services: frozenset[str] | None):
        self.request = request
        self.layers = layers
        self.caller: Caller = request.caller()
        self.context: Mapping[str, object] = derived_context(request, self.caller)
        self.action = request.action
        self.service, _ = split_action(request.action)
        self.resource = request.resource
        self.fields = resource_fields(request.resource)
        self.resource_account = request.owning_account(self.caller)
        caller = self.caller
        self.has_boundary = layers.boundary is not None and caller.is_iam_principal
        self.session_applies = caller.is_iam_principal and (
            layers.session is not None or caller.kind is CallerKind.FEDERATED_USER
        )
        self.scps_apply = bool(layers.scps) and (
            caller.is_iam_principal or caller.kind is CallerKind.ROOT
        ) and not caller.is_service_linked_role
        self.rcps_apply = bool(layers.rcps) and (
            rcp_services is None or self.service in rcp_services
        ) and not self._service_assumes_service_linked_role()
        self.notes: list[str] = []

    # --- helpers -------------------------------------------------------------------------

    def _service_assumes_service_linked_role(self) -> bool:
        """RCPs do not affect AWS services' ability to assume service-linked roles."""
        if self.caller.kind is not CallerKind.SERVICE:
            return False
        if self.action.lower() not in ASSUME_ACTIONS:
            return False
        arn = parse_arn(self.resource)
        return arn is not None and arn.resource.startswith("role" + SERVICE_LINKED_ROLE_PATH)

    def _matching(self, layer: CompiledLayer | None, *, allow: bool,
                  principal_element: bool) -> list[CompiledStatement]:
        if layer is None:
            return []
        out = []
        for stmt in layer.for_action(self.action):
            if stmt.allow != allow:
                continue
            if not stmt.covers_resource(self.resource, self.fields, self.context):
                continue
            if principal_element and self._reach(stmt) is GrantReach.NONE:
                continue
            if not stmt.conditions_hold(self.context):
                continue
            out.append(stmt)
        return out

    def _reach(self, stmt: CompiledStatement) -> GrantReach:
        """How a resource-based (or RCP) statement's principal element reaches the caller."""
        if stmt.principal is not None:
            return stmt.principal.reach(self.caller)
        if stmt.not_principal is not None:
            exempt = stmt.not_principal.exempts(
                self.caller, has_boundary=self.has_boundary and not stmt.allow
            )
            return GrantReach.NONE if exempt else GrantReach.DIRECT
        return GrantReach.DIRECT  # no principal element: applies to every caller

    @property
    def requires_trust(self) -> bool:
        """Trust policies and KMS key policies must allow the caller explicitly (IAM User
        Guide, "Cross account resource access in IAM"; KMS Developer Guide, "Key policies")."""
        action = self.action.lower()
        fields = self.fields
        if fields is None:
            return False
        if action in TRUST_ACTIONS:
            return fields[2] == "iam" and fields[5].startswith("role/")
        return self.service == "kms" and fields[2] == "kms" and fields[5].startswith("key/")

    def _who(self) -> str:
        kinds = {
            CallerKind.IAM_USER: "User", CallerKind.IAM_ROLE: "Role",
            CallerKind.ROLE_SESSION: "User", CallerKind.FEDERATED_USER: "User",
            CallerKind.ROOT: "User", CallerKind.SERVICE: "Service",
            CallerKind.WEB_IDENTITY: "Principal", CallerKind.ANONYMOUS: "Anonymous caller",
        }
        return f"{kinds[self.caller.kind]}: {self.caller.arn}"

    def _denied(self, because: str) -> str:
        return (f"{self._who()} is not authorized to perform: {self.action} on resource: "
                f"{self.resource} {because}")

    def _no_allow(self, layer: Layer) -> str:
        return self._denied(f"because no {layer.value} allows the {self.action} action")

    # --- the algorithm -------------------------------------------------------------------

    def run(self) -> Evaluation:
        layers = self.layers
        results: list[LayerResult] = []
        denies: list[tuple[Layer, CompiledStatement]] = []
        scp_allows: list[list[CompiledStatement]] = []

        # 1. explicit deny anywhere; collect SCP allows on the way.
        if self.scps_apply:
            for level, scp in enumerate(layers.scps):
                for stmt in self._matching(scp, allow=False, principal_element=False):
                    denies.append((Layer.SCP, stmt))
                scp_allows.append(self._matching(scp, allow=True, principal_element=False))
        if self.rcps_apply:
            for rcp in layers.rcps:
                denies.extend((Layer.RCP, s) for s in
                              self._matching(rcp, allow=False, principal_element=True))
        denies.extend((Layer.RESOURCE, s) for s in
                      self._matching(layers.resource, allow=False, principal_element=True))
        if self.caller.is_iam_principal:
            denies.extend((Layer.IDENTITY, s) for s in
                          self._matching(layers.identity, allow=False, principal_element=False))
            if self.has_boundary:
                denies.extend((Layer.BOUNDARY, s) for s in self._matching(
                    layers.boundary, allow=False, principal_element=False))
            if self.session_applies:
                denies.extend((Layer.SESSION, s) for s in self._matching(
                    layers.session, allow=False, principal_element=False))

        if denies:
            first_layer = denies[0][0]
            for layer in Layer:
                stmts = [s for lay, s in denies if lay is layer]
                if stmts:
                    results.append(LayerResult(layer, Outcome.EXPLICIT_DENY, _refs(stmts)))
            return Evaluation(
                Decision.EXPLICIT_DENY,
                self._denied(f"with an explicit deny in {first_layer.article} "
                             f"{first_layer.value}"),
                tuple(results),
                tuple(_ref(s) for _, s in denies),
                tuple(self.notes),
            )

        # 2. SCP chain: every level must allow.
        if self.scps_apply:
            for level, allows in enumerate(scp_allows):
                if not allows:
                    results.append(LayerResult(Layer.SCP, Outcome.IMPLICIT_DENY, level=level))
                    return Evaluation(Decision.IMPLICIT_DENY, self._no_allow(Layer.SCP),
                                      tuple(results), (), tuple(self.notes))
                results.append(LayerResult(Layer.SCP, Outcome.ALLOW, _refs(allows), level=level))
        elif layers.scps:
            results.append(LayerResult(Layer.SCP, Outcome.NOT_APPLICABLE,
                                       note=self._scp_exemption()))

        # 3. RCPs: RCPFullAWSAccess allows at every level; only denies matter.
        if layers.rcps:
            results.append(LayerResult(
                Layer.RCP, Outcome.ALLOW if self.rcps_apply else Outcome.NOT_APPLICABLE,
                note="RCPFullAWSAccess" if self.rcps_apply else self._rcp_exemption()))

        # 4. grants.
        return self._grants(results)

    def _scp_exemption(self) -> str:
        if self.caller.is_service_linked_role:
            return "SCPs do not restrict service-linked roles"
        return f"SCPs do not apply to {self.caller.kind.value} callers"

    def _rcp_exemption(self) -> str:
        if self._service_assumes_service_linked_role():
            return "RCPs do not affect a service assuming a service-linked role"
        return f"{self.service} does not support RCPs"

    def _grants(self, results: list[LayerResult]) -> Evaluation:
        layers = self.layers
        caller = self.caller
        rp_allows = self._matching(layers.resource, allow=True, principal_element=True)
        reach = max((self._reach(s) for s in rp_allows), default=GrantReach.NONE)
        if layers.resource is not None:
            results.append(LayerResult(
                Layer.RESOURCE, Outcome.ALLOW if rp_allows else Outcome.IMPLICIT_DENY,
                _refs(rp_allows),
                note=None if not rp_allows else f"grant reaches the caller via {reach.name.lower()}",
            ))
        kind = caller.kind
        if kind is CallerKind.ROOT:
            return self._root(results, rp_allows, reach)
        if not caller.is_iam_principal:
            # Service principals, identity-provider principals and anonymous callers have no
            # identity policies: only a resource-based policy can grant.
            if reach is GrantReach.DIRECT:
                return self._allow(results, rp_allows)
            return self._implicit(results, Layer.RESOURCE)

        identity = self._matching(layers.identity, allow=True, principal_element=False)
        results.append(LayerResult(
            Layer.IDENTITY, Outcome.ALLOW if identity else Outcome.IMPLICIT_DENY, _refs(identity)))
        boundary: list[CompiledStatement] = []
        if self.has_boundary:
            boundary = self._matching(layers.boundary, allow=True, principal_element=False)
            results.append(LayerResult(
                Layer.BOUNDARY, Outcome.ALLOW if boundary else Outcome.IMPLICIT_DENY,
                _refs(boundary)))
        session: list[CompiledStatement] = []
        if self.session_applies:
            session = self._matching(layers.session, allow=True, principal_element=False)
            results.append(LayerResult(
                Layer.SESSION, Outcome.ALLOW if session else Outcome.IMPLICIT_DENY,
                _refs(session),
                note=None if layers.session is not None else
                "a federated-user session created without a session policy has no permissions",
            ))
        boundary_ok = not self.has_boundary or bool(boundary)
        session_ok = not self.session_applies or bool(session)
        limits_failed = (Layer.BOUNDARY if not boundary_ok else
                         Layer.SESSION if not session_ok else None)
        identity_failed = Layer.IDENTITY if not identity else limits_failed
        same_account = self.resource_account == caller.account
        granted = rp_allows + identity + boundary + session

        if same_account:
            if reach is GrantReach.DIRECT:
                return self._allow(results, rp_allows)
            if reach is GrantReach.ROLE:
                if limits_failed is None:
                    return self._allow(results, rp_allows + boundary + session)
                return self._implicit(results, limits_failed)
            if self.requires_trust and reach is GrantReach.NONE:
                self.notes.append(self._trust_note())
                return self._implicit(results, Layer.RESOURCE)
            if identity_failed is None:
                return self._allow(results, granted)
            return self._implicit(results, identity_failed)
        # cross-account: both sides must allow.
        if reach is GrantReach.NONE:
            if self.requires_trust:
                self.notes.append(self._trust_note())
            else:
                self.notes.append("a cross-account request needs an allow in the resource-based "
                                  "policy of the resource's account")
            return self._implicit(results, Layer.RESOURCE)
        if identity_failed is None:
            return self._allow(results, granted)
        return self._implicit(results, identity_failed)

    def _trust_note(self) -> str:
        if self.service == "kms":
            return "the key policy must allow the caller or its account explicitly"
        return "the role trust policy must trust the caller or its account explicitly"

    def _root(self, results: list[LayerResult], rp_allows: list[CompiledStatement],
              reach: GrantReach) -> Evaluation:
        action = self.action.lower()
        if action in ASSUME_ACTIONS:
            self.notes.append("the root user cannot assume a role (STS API Reference, "
                              "AssumeRole)")
            return self._implicit(results, Layer.RESOURCE)
        same_account = self.resource_account == self.caller.account
        if self.requires_trust:  # a KMS key: the key policy must allow the root user
            if reach is GrantReach.DIRECT:
                return self._allow(results, rp_allows)
            self.notes.append(self._trust_note())
            return self._implicit(results, Layer.RESOURCE)
        if same_account:
            self.notes.append("the root user has full access to its own account's resources")
            return self._allow(results, rp_allows)
        if reach is not GrantReach.NONE:
            return self._allow(results, rp_allows)
        return self._implicit(results, Layer.RESOURCE)

    def _allow(self, results: list[LayerResult], stmts: list[CompiledStatement]) -> Evaluation:
        scp_refs = [ref for r in results if r.layer is Layer.SCP for ref in r.statements]
        refs = tuple(scp_refs) + _refs(stmts)
        return Evaluation(
            Decision.ALLOW,
            f"{self._who()} is allowed to perform: {self.action} on resource: {self.resource}",
            tuple(results), refs, tuple(self.notes))

    def _implicit(self, results: list[LayerResult], layer: Layer) -> Evaluation:
        return Evaluation(Decision.IMPLICIT_DENY, self._no_allow(layer), tuple(results), (),
                          tuple(self.notes))


def decide(request: Request, layers: CompiledLayers,
           rcp_services: frozenset[str] | None = None) -> Evaluation:
    """Decide ``request`` against compiled layers. ``rcp_services`` is the set of service
    prefixes whose resources RCPs govern (None: every service)."""
    return _Evaluator(request, layers, rcp_services).run()
