"""The policies in force for a request, looked up in an inventory.

For a caller and a target, AWS evaluates: the caller's identity policies (its own and its
groups'), its permissions boundary, the SCP chain of the caller's account, the RCP chain
of the resource's account, and the target's resource-based policy (the role's trust
policy for ``sts:AssumeRole*``, the key policy for KMS keys, the bucket policy for S3
objects). SCPs do not apply to the management account and RCPs do not apply to its
resources (AWS Organizations User Guide).

The request context gains what AWS would set from the inventory's facts when the request
does not already say otherwise: principal tags, organisation id and paths, resource tags
and the resource account (IAM User Guide, "AWS global condition context keys").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from iamscope.errors import RequestError
from iamscope.evaluate.request import ContextValue, PolicyLayers, Request
from iamscope.model.ids import Caller, CallerKind, parse_arn
from iamscope.model.inventory import Inventory
from iamscope.model.policy import Policy
from iamscope.model.principal import Principal, PrincipalKind
from iamscope.model.resource import OrgNodeKind, Resource

TRUST_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})


@dataclass(frozen=True, slots=True)
class Resolved:
    request: Request  # with principal_arn and the context keys the inventory implies
    layers: PolicyLayers
    principal: Principal | None  # the caller's IAM principal (the role behind a session)
    notes: tuple[str, ...] = ()


@dataclass
class InventoryResolver:
    inventory: Inventory

    @cached_property
    def _by_name(self) -> dict[tuple[str, str, PrincipalKind], Principal]:
        out = {}
        for principal in self.inventory.principals.values():
            if principal.account and principal.kind in (PrincipalKind.ROLE, PrincipalKind.USER):
                out[(principal.account, principal.name.lower(), principal.kind)] = principal
        return out

    def principal_for(self, caller: Caller) -> Principal | None:
        """The IAM principal whose policies a caller carries."""
        if caller.account is None or caller.name is None:
            return None
        if caller.kind is CallerKind.IAM_USER:
            return self.inventory.principals.get(caller.arn) or self._by_name.get(
                (caller.account, caller.name.lower(), PrincipalKind.USER))
        if caller.kind in (CallerKind.IAM_ROLE, CallerKind.ROLE_SESSION):
            return self._by_name.get((caller.account, caller.name.lower(), PrincipalKind.ROLE))
        if caller.kind is CallerKind.FEDERATED_USER and caller.role_arn:
            return self.inventory.principals.get(caller.role_arn)
        return None

    def _policies(self, ids: tuple[str, ...] | list[str]) -> tuple[Policy, ...]:
        return tuple(self.inventory.policies[i] for i in ids if i in self.inventory.policies)

    def _chain(self, account: str | None, attr: str,
               notes: list[str]) -> tuple[tuple[Policy, ...], ...]:
        meta = self.inventory.metadata
        if account is None or account == meta.management_account:
            return ()
        chain = self.inventory.org_chain(account)
        if not chain or not any(getattr(node, attr) for node in chain):
            return ()  # not in an organisation, or this policy type is not enabled
        missing = sorted({pid for node in chain for pid in getattr(node, attr)
                          if pid not in self.inventory.policies})
        if missing:
            # An unreadable organisation policy is unknown, not "no allow": leave the whole
            # chain out (over-approximating access) and say so.
            kind = "SCP" if attr == "scp_ids" else "RCP"
            notes.append(f"the {kind} chain of account {account} is incomplete (unreadable: "
                         f"{', '.join(missing)}); it was not applied")
            return ()
        return tuple(self._policies(getattr(node, attr)) for node in chain)

    def rcp_chain(self, account: str | None, notes: list[str]) -> tuple[tuple[Policy, ...], ...]:
        """The RCP chain that governs resources of ``account``."""
        return self._chain(account, "rcp_ids", notes)

    def _org_path(self, account: str) -> str | None:
        chain = self.inventory.org_chain(account)
        org = self.inventory.metadata.organization_id
        if not chain or org is None:
            return None
        return org + "/" + "".join(n.id + "/" for n in chain if n.kind is not OrgNodeKind.ACCOUNT)

    def target(self, request: Request) -> tuple[Resource | None, Principal | None]:
        """The resource entry (or, for trust actions, the role) the request targets."""
        resources = self.inventory.resources
        found = resources.get(request.resource)
        arn = parse_arn(request.resource)
        if found is None and arn is not None and arn.service == "s3" and "/" in arn.resource:
            bucket = request.resource.split("/", 1)[0]
            found = resources.get(bucket)
        role = None
        if arn is not None and arn.service == "iam" and arn.resource.startswith("role/"):
            name = arn.resource.rsplit("/", 1)[-1].lower()
            role = self._by_name.get((arn.account, name, PrincipalKind.ROLE))
        return found, role

    def resolve(self, request: Request) -> Resolved:
        caller = request.caller()
        principal = self.principal_for(caller)
        notes: list[str] = []
        if caller.is_iam_principal and principal is None:
            in_scope = caller.account in self.inventory.metadata.accounts
            raise RequestError(
                f"{request.principal} is not in the inventory"
                + ("" if not in_scope else " (its account is: check the name)")
                + "; give its identity policies with --policy, or use a principal the "
                "inventory holds")
        if principal is not None and caller.kind is CallerKind.ROLE_SESSION and \
                request.principal_arn is None:
            request = replace(request, principal_arn=principal.id)
        resource, role = self.target(request)
        action = request.action.lower()
        resource_policy: Policy | None = None
        if action in TRUST_ACTIONS and role is not None:
            if role.trust_policy_id:
                resource_policy = self.inventory.policies.get(role.trust_policy_id)
        elif resource is not None and resource.policy_id:
            resource_policy = self.inventory.policies.get(resource.policy_id)
        if resource is None and role is None and request.resource != "*" and \
                request.resource not in self.inventory.principals:
            notes.append(f"{request.resource} is not in the inventory: no resource-based policy "
                         "was considered")
        resource_account = request.resource_account or (resource.account if resource else None)
        if resource_account and request.resource_account is None:
            request = replace(request, resource_account=resource_account)
        identity: tuple[Policy, ...] = ()
        boundary = None
        if principal is not None:
            identity = tuple(self.inventory.policies_of(principal))
            if principal.boundary_policy_id:
                boundary = self.inventory.policies.get(principal.boundary_policy_id)
        owner = request.owning_account(caller)
        layers = PolicyLayers(
            identity=identity,
            boundary=boundary,
            scps=self._chain(caller.account, "scp_ids", notes) if caller.account else (),
            rcps=self._chain(owner, "rcp_ids", notes),
            resource=resource_policy,
        )
        context = self._context(request, caller, principal, resource, owner)
        request = replace(request, context=context)
        return Resolved(request, layers, principal, tuple(notes))

    def _context(self, request: Request, caller: Caller, principal: Principal | None,
                 resource: Resource | None, owner: str | None) -> dict[str, ContextValue]:
        derived: dict[str, ContextValue] = {}
        if principal is not None:
            for key, value in principal.tags:
                derived[f"aws:principaltag/{key.lower()}"] = value
        if caller.account:
            path = self._org_path(caller.account)
            if path is not None:
                derived["aws:principalorgid"] = self.inventory.metadata.organization_id or ""
                derived["aws:principalorgpaths"] = (path,)
        if resource is not None:
            for key, value in resource.tags:
                derived[f"aws:resourcetag/{key.lower()}"] = value
        if owner:
            derived["aws:resourceaccount"] = owner
            path = self._org_path(owner)
            if path is not None:
                derived["aws:resourceorgid"] = self.inventory.metadata.organization_id or ""
                derived["aws:resourceorgpaths"] = (path,)
        derived.update(request.context)  # what the request says wins
        return derived
