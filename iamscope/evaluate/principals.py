"""Matching the Principal and NotPrincipal elements against the caller.

IAM User Guide, "AWS JSON policy elements: Principal" and "NotPrincipal":
- ``"*"`` and ``{"AWS": "*"}`` match everyone, anonymous callers included;
- an account (``123456789012`` or ``arn:aws:iam::123456789012:root``) matches every
  principal of that account, but only *delegates*: IAM policies in the account must still
  allow (except for the root user itself, which the entry names);
- a role ARN matches every session of the role, whatever the role's path, because the
  session ARN carries no path and the role name is unique in its account;
- an assumed-role session ARN matches that session only; a role principal with an unknown
  session name never matches it;
- a user ARN matches the user; a federated-user ARN matches that federated session;
- ``Service``, ``Federated`` and ``CanonicalUser`` match those caller kinds only.

How a grant reaches the caller matters in the same account (see ``decide``): a direct
grant to the user, session or federated user is not limited by implicit denies in
identity, boundary or session policies; one to the role (or to the IAM user behind a
federated session) is limited by boundary and session policies; one to the account needs
an identity-policy allow.

NotPrincipal with Deny exempts a caller only when every identity in its chain is listed:
the account, then the role, then the session (for a user: account and user). A principal
with a permissions boundary is never exempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from iamscope.model.ids import Caller, CallerKind, is_account_id, parse_arn
from iamscope.model.policy import PrincipalSpec


class GrantReach(IntEnum):
    """How a Principal entry reaches the caller; higher is more direct."""

    NONE = 0
    ACCOUNT = 1  # via the caller's account: delegation to IAM
    ROLE = 2  # via the role (or the IAM user behind a federated-user session)
    DIRECT = 3  # names the exact identity (user, session, federated user, root) or "*"


@dataclass(frozen=True, slots=True)
class CompiledPrincipal:
    everyone: bool
    accounts: frozenset[str]
    users: frozenset[tuple[str, str]]  # (account, lower name)
    roles: frozenset[tuple[str, str]]  # (account, lower name)
    sessions: frozenset[str]  # exact session ARNs
    federated_users: frozenset[str]
    services: frozenset[str]
    federated: frozenset[str]
    canonical: frozenset[str]

    def reach(self, caller: Caller) -> GrantReach:
        if self.everyone:
            return GrantReach.DIRECT
        kind = caller.kind
        if kind is CallerKind.SERVICE:
            return GrantReach.DIRECT if caller.arn in self.services else GrantReach.NONE
        if kind is CallerKind.WEB_IDENTITY:
            return GrantReach.DIRECT if caller.arn.lower() in self.federated else GrantReach.NONE
        if kind is CallerKind.ANONYMOUS or caller.account is None:
            return GrantReach.NONE
        account = caller.account
        if kind is CallerKind.ROOT:
            return GrantReach.DIRECT if account in self.accounts else GrantReach.NONE
        best = GrantReach.ACCOUNT if account in self.accounts else GrantReach.NONE
        name = (caller.name or "").lower()
        if kind is CallerKind.IAM_USER:
            if (account, name) in self.users:
                return GrantReach.DIRECT
        elif kind is CallerKind.ROLE_SESSION:
            if caller.arn in self.sessions:
                return GrantReach.DIRECT
            if (account, name) in self.roles:
                best = GrantReach.ROLE
        elif kind is CallerKind.IAM_ROLE:
            if (account, name) in self.roles:
                best = GrantReach.ROLE
        elif kind is CallerKind.FEDERATED_USER:
            if caller.arn in self.federated_users:
                return GrantReach.DIRECT
            if caller.role_arn:
                parent = parse_arn(caller.role_arn)
                if parent is not None and parent.resource.startswith("user/"):
                    parent_name = parent.resource.rsplit("/", 1)[-1].lower()
                    if (account, parent_name) in self.users:
                        best = GrantReach.ROLE
        return best

    def exempts(self, caller: Caller, *, has_boundary: bool) -> bool:
        """For NotPrincipal: is the caller outside the statement?"""
        if has_boundary and caller.is_iam_principal:
            return False
        if self.everyone:
            return True
        kind = caller.kind
        if kind is CallerKind.SERVICE:
            return caller.arn in self.services
        if kind is CallerKind.WEB_IDENTITY:
            return caller.arn.lower() in self.federated
        if kind is CallerKind.ANONYMOUS or caller.account is None:
            return False
        if caller.account not in self.accounts:
            return False
        name = (caller.name or "").lower()
        if kind is CallerKind.ROOT:
            return True
        if kind is CallerKind.IAM_USER:
            return (caller.account, name) in self.users
        if kind is CallerKind.ROLE_SESSION:
            return ((caller.account, name) in self.roles
                    and caller.arn in self.sessions)
        if kind is CallerKind.FEDERATED_USER:
            return caller.arn in self.federated_users
        return False  # IAM_ROLE: a session of unknown name cannot be listed


def compile_principal(spec: PrincipalSpec) -> CompiledPrincipal:
    everyone = spec.wildcard or "*" in spec.aws
    accounts: set[str] = set()
    users: set[tuple[str, str]] = set()
    roles: set[tuple[str, str]] = set()
    sessions: set[str] = set()
    federated_users: set[str] = set()
    for entry in spec.aws:
        entry = entry.strip()
        if is_account_id(entry):
            accounts.add(entry)
            continue
        arn = parse_arn(entry)
        if arn is None:
            continue  # unique ids of deleted principals and malformed entries match nothing
        if arn.service == "iam":
            if arn.resource == "root":
                accounts.add(arn.account)
            elif arn.resource.startswith("user/"):
                users.add((arn.account, arn.resource.rsplit("/", 1)[-1].lower()))
            elif arn.resource.startswith("role/"):
                roles.add((arn.account, arn.resource.rsplit("/", 1)[-1].lower()))
        elif arn.service == "sts":
            if arn.resource.startswith("assumed-role/"):
                sessions.add(entry)
            elif arn.resource.startswith("federated-user/"):
                federated_users.add(entry)
    return CompiledPrincipal(
        everyone=everyone,
        accounts=frozenset(accounts),
        users=frozenset(users),
        roles=frozenset(roles),
        sessions=frozenset(sessions),
        federated_users=frozenset(federated_users),
        services=frozenset(s.strip().lower() for s in spec.service),
        federated=frozenset(f.strip().lower() for f in spec.federated),
        canonical=frozenset(spec.canonical_user),
    )
