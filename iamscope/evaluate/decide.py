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

from iamscope.evaluate.compiled import (
    CompiledLayer,
    CompiledStatement,
    PolicyCompiler,
    compile_layer,
    compile_policy,
)
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
from iamscope.model.ids import SERVICE_LINKED_ROLE_PATH, CallerKind, parse_arn
from iamscope.model.policy import Policy

TRUST_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})
ASSUME_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
})


# How AWS access-denied messages introduce the caller.
WHO = {
    CallerKind.IAM_USER: "User", CallerKind.IAM_ROLE: "Role",
    CallerKind.ROLE_SESSION: "User", CallerKind.FEDERATED_USER: "User",
    CallerKind.ROOT: "User", CallerKind.SERVICE: "Service",
    CallerKind.WEB_IDENTITY: "Principal", CallerKind.ANONYMOUS: "Anonymous caller",
}


@dataclass(slots=True)
class CompiledLayers:
    identity: CompiledLayer
    boundary: CompiledLayer | None
    scps: tuple[CompiledLayer, ...]
    rcps: tuple[CompiledLayer, ...]
    resource: CompiledLayer | None
    session: CompiledLayer | None


def compile_layers(layers: PolicyLayers,
                   compiler: PolicyCompiler = compile_policy) -> CompiledLayers:
    def one(policy: Policy | None) -> CompiledLayer | None:
        return None if policy is None else compile_layer((policy,), compiler)

    return CompiledLayers(
        identity=compile_layer(layers.identity, compiler),
        boundary=one(layers.boundary),
        scps=tuple(compile_layer(level, compiler) for level in layers.scps),
        rcps=tuple(compile_layer(level, compiler) for level in layers.rcps),
        resource=one(layers.resource),
        session=compile_layer(layers.session, compiler) if layers.session else None,
    )


def _refs(stmts: list[CompiledStatement]) -> tuple[StatementRef, ...]:
    return tuple(s.ref for s in stmts)


class _Trace:
    """Collects layer results when explaining; does nothing otherwise."""

    __slots__ = ("explain", "items")

    def __init__(self, explain: bool):
        self.explain = explain
        self.items: list[LayerResult] = []

    def add(self, layer: Layer, outcome: Outcome, stmts: list[CompiledStatement] | None = None,
            *, level: int | None = None, note: str | None = None) -> None:
        if self.explain:
            self.items.append(LayerResult(layer, outcome, _refs(stmts or []), level, note))

    def scp_refs(self) -> tuple[StatementRef, ...]:
        return tuple(ref for r in self.items if r.layer is Layer.SCP for ref in r.statements)


# Decisions without an explanation, for graph-scale questions that only need the answer.
BARE = {d: Evaluation(d, d.value, ()) for d in Decision}


class _Evaluator:
    """State for one request; methods are the steps of the algorithm."""

    def __init__(self, request: Request, layers: CompiledLayers,
                 rcp_services: frozenset[str] | None, explain: bool = True,
                 assume_absent: bool = False):
        self.explain = explain
        self.assumed: set[str] | None = set() if assume_absent else None
        self.request = request
        self.layers = layers
        caller = self.caller = request.caller()
        self.context: Mapping[str, object] = derived_context(request, caller)
        self.action = request.action
        self.action_key = request.action.lower()
        self.service, _ = split_action(self.action_key)
        self.resource = request.resource
        self.fields = resource_fields(request.resource)
        self.resource_account = request.owning_account(caller)
        iam_principal = caller.is_iam_principal
        self.has_boundary = layers.boundary is not None and iam_principal
        self.session_applies = iam_principal and (
            layers.session is not None or caller.kind is CallerKind.FEDERATED_USER
        )
        self.scps_apply = bool(layers.scps) and (
            iam_principal or caller.kind is CallerKind.ROOT
        ) and not caller.is_service_linked_role
        # RCPs do not apply to calls made by service-linked roles, nor to a service assuming
        # one (AWS Organizations User Guide, orgs_manage_policies_rcps).
        self.rcps_apply = bool(layers.rcps) and (
            rcp_services is None or self.service in rcp_services
        ) and not caller.is_service_linked_role \
            and not self._service_assumes_service_linked_role()
        self.notes: list[str] = []

    # --- helpers -------------------------------------------------------------------------

    def _service_assumes_service_linked_role(self) -> bool:
        """RCPs do not affect AWS services' ability to assume service-linked roles."""
        if self.caller.kind is not CallerKind.SERVICE:
            return False
        if self.action_key not in ASSUME_ACTIONS:
            return False
        arn = parse_arn(self.resource)
        return arn is not None and arn.resource.startswith("role" + SERVICE_LINKED_ROLE_PATH)

    def _scan(self, layer: CompiledLayer | None, *, principal_element: bool = False,
              denies_only: bool = False) -> tuple[list[CompiledStatement], list[CompiledStatement]]:
        """(allows, denies): the statements of a layer that apply to this request."""
        allows: list[CompiledStatement] = []
        denies: list[CompiledStatement] = []
        if layer is None:
            return allows, denies
        resource, fields, context = self.resource, self.fields, self.context
        for stmt in layer.for_action(self.action_key):
            if denies_only and stmt.allow:
                continue
            if not stmt.covers_resource(resource, fields, context):
                continue
            if principal_element and self._reach(stmt) is GrantReach.NONE:
                continue
            if stmt.conditions:
                if self.assumed is not None:
                    if not stmt.conditions_hold_assuming(context, self.assumed):
                        continue
                elif not stmt.conditions_hold(context):
                    continue
            (allows if stmt.allow else denies).append(stmt)
        return allows, denies

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
        fields = self.fields
        if fields is None:
            return False
        if self.action_key in TRUST_ACTIONS:
            return fields[2] == "iam" and fields[5].startswith("role/")
        return self.service == "kms" and fields[2] == "kms" and fields[5].startswith("key/")

    def _who(self) -> str:
        return f"{WHO[self.caller.kind]}: {self.caller.arn}"

    def _denied(self, because: str) -> str:
        return (f"{self._who()} is not authorized to perform: {self.action} on resource: "
                f"{self.resource} {because}")

    def _no_allow(self, layer: Layer) -> str:
        return self._denied(f"because no {layer.value} allows the {self.action} action")

    # --- the algorithm -------------------------------------------------------------------

    def run(self) -> Evaluation:
        layers = self.layers
        iam_principal = self.caller.is_iam_principal
        denies: list[tuple[Layer, list[CompiledStatement]]] = []
        scp_allows: list[list[CompiledStatement]] = []

        # 1. scan every layer once; any applicable Deny is an explicit deny.
        if self.scps_apply:
            for scp in layers.scps:
                allows, found = self._scan(scp)
                scp_allows.append(allows)
                if found:
                    denies.append((Layer.SCP, found))
        if self.rcps_apply:
            for rcp in layers.rcps:
                _, found = self._scan(rcp, principal_element=True, denies_only=True)
                if found:
                    denies.append((Layer.RCP, found))
        rp_allows, found = self._scan(layers.resource, principal_element=True)
        if found:
            denies.append((Layer.RESOURCE, found))
        identity: list[CompiledStatement] = []
        boundary: list[CompiledStatement] = []
        session: list[CompiledStatement] = []
        if iam_principal:
            identity, found = self._scan(layers.identity)
            if found:
                denies.append((Layer.IDENTITY, found))
            if self.has_boundary:
                boundary, found = self._scan(layers.boundary)
                if found:
                    denies.append((Layer.BOUNDARY, found))
            if self.session_applies:
                session, found = self._scan(layers.session)
                if found:
                    denies.append((Layer.SESSION, found))

        if denies:
            if not self.explain:
                return self._bare(Decision.EXPLICIT_DENY)
            first_layer = denies[0][0]
            results = tuple(LayerResult(layer, Outcome.EXPLICIT_DENY, _refs(stmts))
                            for layer, stmts in denies)
            return Evaluation(
                Decision.EXPLICIT_DENY,
                self._denied(f"with an explicit deny in {first_layer.article} "
                             f"{first_layer.value}"),
                results,
                tuple(ref for _, stmts in denies for ref in _refs(stmts)),
                tuple(self.notes),
                tuple(sorted(self.assumed or ())),
            )

        results = _Trace(self.explain)
        # 2. SCP chain: every level must allow.
        if self.scps_apply:
            for level, allows in enumerate(scp_allows):
                if not allows:
                    results.add(Layer.SCP, Outcome.IMPLICIT_DENY, level=level)
                    return self._implicit(results, Layer.SCP)
                results.add(Layer.SCP, Outcome.ALLOW, allows, level=level)
        elif layers.scps and self.explain:
            results.add(Layer.SCP, Outcome.NOT_APPLICABLE, note=self._scp_exemption())

        # 3. RCPs: RCPFullAWSAccess allows at every level; only denies matter.
        if layers.rcps and self.explain:
            results.add(Layer.RCP, Outcome.ALLOW if self.rcps_apply else Outcome.NOT_APPLICABLE,
                        note="RCPFullAWSAccess" if self.rcps_apply else self._rcp_exemption())

        # 4. grants.
        return self._grants(results, rp_allows, identity, boundary, session)

    def _scp_exemption(self) -> str:
        if self.caller.is_service_linked_role:
            return "SCPs do not restrict service-linked roles"
        return f"SCPs do not apply to {self.caller.kind.value} callers"

    def _rcp_exemption(self) -> str:
        if self.caller.is_service_linked_role:
            return "RCPs do not apply to calls made by service-linked roles"
        if self._service_assumes_service_linked_role():
            return "RCPs do not affect a service assuming a service-linked role"
        return f"{self.service} does not support RCPs"

    def _grants(self, results: _Trace, rp_allows: list[CompiledStatement],
                identity: list[CompiledStatement], boundary: list[CompiledStatement],
                session: list[CompiledStatement]) -> Evaluation:
        layers = self.layers
        caller = self.caller
        reach = max((self._reach(s) for s in rp_allows), default=GrantReach.NONE)
        if layers.resource is not None:
            results.add(
                Layer.RESOURCE, Outcome.ALLOW if rp_allows else Outcome.IMPLICIT_DENY, rp_allows,
                note=f"grant reaches the caller via {reach.name.lower()}" if rp_allows else None,
            )
        if caller.kind is CallerKind.ROOT:
            return self._root(results, rp_allows, reach)
        if not caller.is_iam_principal:
            # Service principals, identity-provider principals and anonymous callers have no
            # identity policies: only a resource-based policy can grant.
            if reach is GrantReach.DIRECT:
                return self._allow(results, rp_allows)
            return self._implicit(results, Layer.RESOURCE)

        results.add(Layer.IDENTITY, Outcome.ALLOW if identity else Outcome.IMPLICIT_DENY,
                    identity)
        if self.has_boundary:
            results.add(Layer.BOUNDARY, Outcome.ALLOW if boundary else Outcome.IMPLICIT_DENY,
                        boundary)
        if self.session_applies:
            results.add(
                Layer.SESSION, Outcome.ALLOW if session else Outcome.IMPLICIT_DENY, session,
                note=None if layers.session is not None else
                "a federated-user session created without a session policy has no permissions",
            )
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

    def _root(self, results: _Trace, rp_allows: list[CompiledStatement],
              reach: GrantReach) -> Evaluation:
        if self.action_key in ASSUME_ACTIONS:
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

    def _bare(self, decision: Decision) -> Evaluation:
        if self.assumed:
            return Evaluation(decision, decision.value, (),
                              assumed_keys=tuple(sorted(self.assumed)))
        return BARE[decision]

    def _allow(self, results: _Trace, stmts: list[CompiledStatement]) -> Evaluation:
        if not self.explain:
            return self._bare(Decision.ALLOW)
        return Evaluation(
            Decision.ALLOW,
            f"{self._who()} is allowed to perform: {self.action} on resource: {self.resource}",
            tuple(results.items), results.scp_refs() + _refs(stmts), tuple(self.notes),
            tuple(sorted(self.assumed or ())))

    def _implicit(self, results: _Trace, layer: Layer) -> Evaluation:
        if not self.explain:
            return self._bare(Decision.IMPLICIT_DENY)
        return Evaluation(Decision.IMPLICIT_DENY, self._no_allow(layer), tuple(results.items),
                          (), tuple(self.notes), tuple(sorted(self.assumed or ())))


def decide(request: Request, layers: CompiledLayers,
           rcp_services: frozenset[str] | None = None, *, explain: bool = True,
           assume_absent: bool = False) -> Evaluation:
    """Decide ``request`` against compiled layers. ``rcp_services`` is the set of service
    prefixes whose resources RCPs govern (None: every service). With ``explain=False`` the
    result carries only the decision (no layers, statements or reason), which is faster.
    With ``assume_absent=True`` conditions on keys absent from the request are evaluated
    attacker-optimally (see ``CompiledStatement.conditions_hold_assuming``) and the keys
    relied on are reported in ``Evaluation.assumed_keys``."""
    return _Evaluator(request, layers, rcp_services, explain, assume_absent).run()
