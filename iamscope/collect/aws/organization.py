"""Read an AWS organisation: roots, the OU tree, accounts and where they sit, service and
resource control policies with their targets, and delegated administrators.

Works from the management account or from a delegated administrator for Organizations
(both may call the read APIs). Every listing is paginated. A call that fails becomes a gap
naming the action it needed, and collection goes on with what could be read; an account
that is not in an organisation (``AWSOrganizationsNotInUseException``) is a fact, not a
gap: ``fetch_organization`` then returns ``None`` and no gap.

Accounts are found by walking the tree (``ListAccountsForParent`` under the roots and every
OU), which gives each account's parent with one call per node instead of one
``ListParents`` call per account.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from iamscope.collect.aws.errors import error_code, gap_for, is_aws_error
from iamscope.collect.aws.fetching import gap_key
from iamscope.collect.aws.raw import GapRaw, OrganizationRaw, OrgNodeRaw, OrgPolicyRaw
from iamscope.collect.aws.session import AwsConnection

PERMISSIONS: tuple[str, ...] = (
    "organizations:DescribeOrganization",
    "organizations:DescribePolicy",
    "organizations:ListAccountsForParent",
    "organizations:ListDelegatedAdministrators",
    "organizations:ListDelegatedServicesForAccount",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListPolicies",
    "organizations:ListRoots",
    "organizations:ListTargetsForPolicy",
)

POLICY_TYPES: tuple[str, ...] = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
NOT_IN_USE = "AWSOrganizationsNotInUseException"
# Organizations throttles hard (a few calls per second): keep per-policy reads modest.
POLICY_WORKERS = 4

T = TypeVar("T")
R = TypeVar("R")


class _Reader:
    """Guarded, paginated calls to one Organizations client; failures become gaps."""

    def __init__(self, connection: AwsConnection):
        self.client = connection.client("organizations")
        self.gaps: list[GapRaw] = []

    def items(self, scope: str, action: str, method: str, key: str,
              **params: Any) -> list[dict[str, Any]] | None:
        """Every item of every page, or ``None`` after recording a gap (items read before
        the failure are dropped: a partial list would read as a complete one)."""
        found: list[dict[str, Any]] = []
        try:
            for page in self.client.get_paginator(method).paginate(**params):
                found.extend(page.get(key) or [])
        except Exception as exc:
            self.fail(exc, scope, action)
            return None
        return found

    def call(self, scope: str, action: str, method: str, **params: Any) -> Any:
        try:
            return getattr(self.client, method)(**params)
        except Exception as exc:
            self.fail(exc, scope, action)
            return None

    def fail(self, exc: Exception, scope: str, action: str) -> None:
        if not is_aws_error(exc):
            raise exc
        self.gaps.append(gap_for(exc, service="organizations", scope=scope,
                                 permission=f"organizations:{action}", account=None,
                                 region=None))


def fetch_organization(connection: AwsConnection
                       ) -> tuple[OrganizationRaw | None, list[GapRaw]]:
    """The organisation the connection's account belongs to, and the gaps met reading it.
    ``(None, [])`` when the account is in no organisation; ``(None, [gap])`` when even
    ``DescribeOrganization`` fails."""
    reader = _Reader(connection)
    try:
        described = reader.client.describe_organization()["Organization"]
    except Exception as exc:
        if is_aws_error(exc) and error_code(exc) == NOT_IN_USE:
            return None, []
        reader.fail(exc, "organization", "DescribeOrganization")
        return None, reader.gaps

    roots_read = reader.items("organization roots", "ListRoots", "list_roots", "Roots")
    roots = roots_read or []
    enabled = sorted({kind["Type"] for root in roots for kind in root.get("PolicyTypes") or []
                      if kind.get("Status") == "ENABLED"})
    ous, accounts = _walk(reader, [root["Id"] for root in roots])
    # Without the roots the enabled types are unknown: try both rather than guess none.
    wanted = [t for t in POLICY_TYPES if t in enabled or roots_read is None]
    organization: OrganizationRaw = {
        "organization_id": described["Id"],
        "arn": described["Arn"],
        "management_account_id": described.get("MasterAccountId", ""),
        "feature_set": described.get("FeatureSet", ""),
        "roots": sorted((_node(root) for root in roots), key=lambda n: n["id"]),
        "ous": sorted(ous, key=lambda n: n["id"]),
        "accounts": sorted(accounts, key=lambda n: n["id"]),
        "policies": _policies(reader, wanted),
        "enabled_policy_types": enabled,
        "delegated_administrators": _delegated_administrators(reader),
    }
    return organization, sorted(reader.gaps, key=gap_key)


def _walk(reader: _Reader, root_ids: list[str]) -> tuple[list[OrgNodeRaw], list[OrgNodeRaw]]:
    """Breadth-first over roots and OUs: every OU and account with its parent."""
    ous: list[OrgNodeRaw] = []
    accounts: list[OrgNodeRaw] = []
    seen: set[str] = set()
    queue = list(root_ids)
    while queue:
        parent = queue.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        children = reader.items(f"organizational units under {parent}",
                                "ListOrganizationalUnitsForParent",
                                "list_organizational_units_for_parent", "OrganizationalUnits",
                                ParentId=parent)
        for child in children or []:
            ous.append(_node(child, parent))
            queue.append(child["Id"])
        members = reader.items(f"accounts under {parent}", "ListAccountsForParent",
                               "list_accounts_for_parent", "Accounts", ParentId=parent)
        accounts.extend(_account(member, parent) for member in members or [])
    return ous, accounts


def _node(item: dict[str, Any], parent: str | None = None) -> OrgNodeRaw:
    node: OrgNodeRaw = {"id": item["Id"], "arn": item.get("Arn", ""),
                        "name": item.get("Name", "")}
    if parent is not None:
        node["parent_id"] = parent
    return node


def _account(item: dict[str, Any], parent: str) -> OrgNodeRaw:
    node = _node(item, parent)
    if item.get("Email"):
        node["email"] = item["Email"]
    # ``State`` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED) replaces the older ``Status``.
    status = item.get("State") or item.get("Status")
    if status:
        node["status"] = str(status)
    return node


def _policies(reader: _Reader, types: list[str]) -> list[OrgPolicyRaw]:
    summaries: list[dict[str, Any]] = []
    for kind in types:
        listed = reader.items(f"organization policies of type {kind}", "ListPolicies",
                              "list_policies", "Policies", Filter=kind)
        summaries.extend(listed or [])
    read = _bounded(summaries, lambda summary: _policy(reader, summary))
    return sorted((p for p in read if p is not None), key=lambda p: (p["type"], p["id"]))


def _policy(reader: _Reader, summary: dict[str, Any]) -> OrgPolicyRaw | None:
    policy_id = summary["Id"]
    described = reader.call(f"organization policy {policy_id} content", "DescribePolicy",
                            "describe_policy", PolicyId=policy_id)
    targets = reader.items(f"targets of organization policy {policy_id}",
                           "ListTargetsForPolicy", "list_targets_for_policy", "Targets",
                           PolicyId=policy_id)
    if described is None or targets is None:
        # Without its text or its attachments a policy cannot be evaluated; the gap says
        # which it was, and a half-read policy is not passed on as if it were whole.
        return None
    return {
        "id": policy_id,
        "arn": summary.get("Arn", ""),
        "name": summary.get("Name", ""),
        "type": summary.get("Type", ""),
        "aws_managed": bool(summary.get("AwsManaged", False)),
        "document": described["Policy"].get("Content", ""),
        "targets": sorted(target["TargetId"] for target in targets),
    }


def _delegated_administrators(reader: _Reader) -> list[dict[str, Any]]:
    """``{"account_id": ..., "services": [service principals]}`` per delegated
    administrator; ``services`` is absent when it could not be read (a gap says why)."""
    admins = reader.items("delegated administrators", "ListDelegatedAdministrators",
                          "list_delegated_administrators", "DelegatedAdministrators")

    def services(admin: dict[str, Any]) -> dict[str, Any]:
        listed = reader.items(f"delegated services of account {admin['Id']}",
                              "ListDelegatedServicesForAccount",
                              "list_delegated_services_for_account", "DelegatedServices",
                              AccountId=admin["Id"])
        entry: dict[str, Any] = {"account_id": admin["Id"]}
        if listed is not None:  # absent: not learned (a gap says why)
            entry["services"] = sorted(s["ServicePrincipal"] for s in listed)
        return entry

    found = _bounded(admins or [], services)
    return sorted(found, key=lambda entry: entry["account_id"])


def _bounded(items: list[T], work: Callable[[T], R]) -> list[R]:
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(POLICY_WORKERS, len(items)),
                            thread_name_prefix="iamscope-organizations") as pool:
        return list(pool.map(work, items))
