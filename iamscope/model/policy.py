"""Policies as parsed, normalised statements, for AWS and GCP alike.

Every list-or-string element of the AWS policy language is stored as a tuple; absent
elements are ``None`` so that "absent" and "empty" stay distinct. GCP allow bindings are
normalised into Allow statements whose actions are the role's permissions and whose
principals are the members, and GCP deny rules into Deny statements, so that one
language serves both clouds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from iamscope.model.source import SourceRef


class Effect(Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyKind(Enum):
    """What a policy document is. A managed policy used as a permissions boundary is still
    MANAGED; the boundary is an attachment (``Principal.boundary_policy_id``)."""

    MANAGED = "managed"  # customer- or AWS-managed identity policy
    INLINE = "inline"  # inline identity policy of a user, group or role
    TRUST = "trust"  # role trust (assume-role) policy
    RESOURCE = "resource"  # bucket, queue, key, secret, function ... policy
    SCP = "scp"  # AWS Organizations service control policy
    RCP = "rcp"  # AWS Organizations resource control policy
    SESSION = "session"  # a policy passed when a session was created
    GCP_ALLOW = "gcp-allow"  # a GCP allow policy (bindings) on a resource
    GCP_DENY = "gcp-deny"  # a GCP IAM deny policy


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """The ``Principal`` or ``NotPrincipal`` element.

    ``wildcard`` is True for ``"*"``; the maps hold the values of ``AWS``, ``Service``,
    ``Federated`` and ``CanonicalUser`` (``{"AWS": "*"}`` appears as ``aws=("*",)``).
    GCP members (``user:a@example.com``, ``serviceAccount:...``) are kept in ``gcp``.
    """

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()
    gcp: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a ``Condition`` block with its policy values.

    ``operator`` is kept exactly as written (``ForAnyValue:StringLikeIfExists``); values are
    strings (JSON booleans and numbers are converted the way IAM does, ``true``/``10``).
    """

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Effect
    index: int  # position in its policy, from 0
    sid: str | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principal: PrincipalSpec | None = None
    not_principal: PrincipalSpec | None = None
    conditions: tuple[Condition, ...] = ()
    gcp_condition: str | None = None  # a GCP IAM condition expression (CEL), kept verbatim

    @property
    def label(self) -> str:
        """How a person refers to the statement: its Sid, else its position."""
        return f"Sid {self.sid!r}" if self.sid else f"statement {self.index}"


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy. ``id`` is unique within an inventory (an ARN for managed policies,
    ``<principal-arn>/inline/<name>`` for inline ones, ``<resource>/policy`` for resource
    policies); ``document`` keeps the original JSON for reports and round trips."""

    id: str
    kind: PolicyKind
    statements: tuple[Statement, ...]
    name: str | None = None
    version: str | None = None  # "2012-10-17", "2008-10-17" or None when absent
    document: dict[str, Any] | None = field(default=None, compare=False)
    source: SourceRef | None = None
    aws_managed: bool = False
    default_version_id: str | None = None

    @property
    def supports_variables(self) -> bool:
        """Policy variables are only substituted in Version 2012-10-17 documents (IAM User
        Guide, "IAM policy elements: Variables and tags")."""
        return self.version == "2012-10-17"
