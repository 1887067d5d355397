"""Principals of every cloud: who can hold or receive permissions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from iamscope.model.source import SourceRef


class Provider(Enum):
    AWS = "aws"
    GCP = "gcp"


class PrincipalKind(Enum):
    # AWS (IAM User Guide, "AWS JSON policy elements: Principal")
    USER = "user"
    ROLE = "role"
    GROUP = "group"
    ACCOUNT_ROOT = "account-root"
    SERVICE = "service"  # lambda.amazonaws.com
    FEDERATED = "federated"  # SAML / OIDC provider, Cognito
    EXTERNAL_ACCOUNT = "external-account"  # an account outside the inventory
    ANONYMOUS = "anonymous"
    # GCP (IAM documentation, "Principal identifiers")
    GCP_USER = "gcp-user"
    GCP_SERVICE_ACCOUNT = "gcp-service-account"
    GCP_GROUP = "gcp-group"
    GCP_DOMAIN = "gcp-domain"
    GCP_ALL_USERS = "gcp-all-users"
    GCP_ALL_AUTHENTICATED_USERS = "gcp-all-authenticated-users"
    GCP_WORKLOAD_IDENTITY = "gcp-workload-identity"
    GCP_WORKFORCE_IDENTITY = "gcp-workforce-identity"


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """Facts about long-term credentials that escalation analysis needs. ``None`` means the
    collector did not learn the fact (which is different from zero)."""

    has_login_profile: bool | None = None
    access_keys_total: int | None = None
    access_keys_active: int | None = None
    mfa_devices: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceLastAccessed:
    """One service of an IAM service-last-accessed report (IAM API Reference,
    ``GetServiceLastAccessedDetails``, ``ServicesLastAccessed[]`` at ``SERVICE_LEVEL``).

    ``service`` is the service namespace (``s3``). ``last_authenticated`` (ISO 8601 UTC) is
    the last authenticated attempt to reach the service; ``None`` means none within IAM's
    tracking period. ``total_authenticated_entities`` is ``None`` when not returned.
    """

    service: str
    last_authenticated: str | None = None
    last_authenticated_entity: str | None = None
    last_authenticated_region: str | None = None
    total_authenticated_entities: int | None = None


@dataclass(frozen=True, slots=True)
class LastAccessedReport:
    """A completed service-last-accessed report of a user, role or group: every service
    its permissions policies allow, as of ``job_completed_at`` (ISO 8601 UTC,
    ``JobCompletionDate``). Only COMPLETED jobs become reports; anything else is a gap."""

    job_completed_at: str
    services: tuple[ServiceLastAccessed, ...] = ()

    def service(self, namespace: str) -> ServiceLastAccessed | None:
        for item in self.services:
            if item.service == namespace:
                return item
        return None


@dataclass(frozen=True, slots=True)
class Principal:
    """A principal. ``id`` is an ARN for AWS, a member string for GCP
    (``serviceAccount:deploy@proj.iam.gserviceaccount.com``).

    ``policy_ids`` are the identity policies attached directly (inline and managed);
    group policies reach a user through ``group_ids``.
    """

    id: str
    kind: PrincipalKind
    provider: Provider
    name: str
    account: str | None = None  # AWS account id or GCP project id
    path: str | None = None
    unique_id: str | None = None  # AIDA.../AROA... or a GCP numeric id
    tags: tuple[tuple[str, str], ...] = ()
    policy_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    boundary_policy_id: str | None = None
    trust_policy_id: str | None = None
    instance_profile_ids: tuple[str, ...] = ()
    credentials: CredentialFacts | None = None
    last_accessed: LastAccessedReport | None = None
    source: SourceRef | None = None

    def tag(self, key: str) -> str | None:
        for tag_key, value in self.tags:
            if tag_key == key:
                return value
        return None
