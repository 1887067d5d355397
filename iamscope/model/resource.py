"""Resources that policies protect, and the organisation hierarchy that governs accounts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from iamscope.model.principal import Provider
from iamscope.model.source import SourceRef


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource: an ARN for AWS, a full resource name for GCP
    (``//cloudresourcemanager.googleapis.com/projects/my-proj``).

    ``type`` is namespaced (``aws:s3:bucket``, ``gcp:project``); ``parent`` links GCP
    resources into the hierarchy; ``policy_id`` is the attached resource-based policy.
    ``attributes`` hold typed facts about the resource (``public_access_block``,
    ``execution_role``), as sorted (key, value) pairs of strings.
    """

    id: str
    type: str
    provider: Provider
    account: str | None = None
    region: str | None = None
    name: str | None = None
    parent: str | None = None
    policy_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    source: SourceRef | None = None


class OrgNodeKind(Enum):
    ROOT = "root"
    OU = "ou"
    ACCOUNT = "account"
    # GCP
    ORGANIZATION = "organization"
    FOLDER = "folder"
    PROJECT = "project"


@dataclass(frozen=True, slots=True)
class OrgNode:
    """A node of an AWS Organization (root, OU, account) or a GCP hierarchy
    (organization, folder, project), with the organisation policies attached to it."""

    id: str
    kind: OrgNodeKind
    provider: Provider
    name: str | None = None
    parent: str | None = None
    scp_ids: tuple[str, ...] = ()
    rcp_ids: tuple[str, ...] = ()
    source: SourceRef | None = None
