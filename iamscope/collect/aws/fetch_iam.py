"""IAM: the account authorization details, credential facts per user, the account alias.

``GetAccountAuthorizationDetails`` is read with the filter ``User, Role, Group,
LocalManagedPolicy`` (every page). AWS-managed policies are not listed wholesale (over a
thousand documents, most unused): only those attached to a user, group or role, or used
as a permissions boundary, are read with ``GetPolicy`` + ``GetPolicyVersion`` (the
default version) and appended to ``Policies`` in the same ``ManagedPolicyDetail`` shape.
Policy documents are kept exactly as returned (boto3 usually decodes them to dicts; a
URL-encoded string is kept as a string for the normaliser to decode).
"""

from __future__ import annotations

from typing import Any

from iamscope.collect.aws.fetching import FAILED, Fetch, FetchResult, jsonable
from iamscope.collect.aws.raw import CredentialsRaw
from iamscope.collect.aws.session import AwsConnection

IAM_PERMISSIONS: tuple[str, ...] = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListAccountAliases",
)
PERMISSIONS: tuple[str, ...] = IAM_PERMISSIONS

DETAIL_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
DETAIL_FILTER = ["User", "Role", "Group", "LocalManagedPolicy"]


def fetch_iam(connection: AwsConnection, account_id: str, partition: str,
              region: str | None = None) -> FetchResult:
    fetch = Fetch(connection, "iam", account_id, partition, None)
    details, complete = _authorization_details(fetch)
    if details is not None:
        details["Policies"].extend(_aws_managed_policies(fetch, details))
        fetch.result.authorization_details = details
        fetch.result.authorization_complete = complete
        users = [(u["UserName"], u["Arn"]) for u in details["UserDetailList"]]
        facts = fetch.each(users, lambda user: _credentials(fetch, *user))
        fetch.result.credentials = {arn: facts[i] for i, (_, arn) in enumerate(users)}
    fetch.result.account_alias = _alias(fetch)
    return fetch.finish()


def _authorization_details(fetch: Fetch) -> tuple[dict[str, Any] | None, bool]:
    """The merged pages (``None`` if not even one page was read) and completeness."""
    pages, complete = fetch.pages("iam authorization details",
                                  "iam:GetAccountAuthorizationDetails",
                                  "get_account_authorization_details", Filter=DETAIL_FILTER)
    if not pages:
        return None, complete
    merged: dict[str, Any] = {key: [] for key in DETAIL_KEYS}
    for page in pages:
        for key in DETAIL_KEYS:
            merged[key].extend(jsonable(page.get(key) or []))
    return merged, complete


def attached_aws_managed(details: dict[str, Any]) -> list[str]:
    """ARNs of AWS-managed policies attached to someone or used as a boundary, sorted."""
    arns: set[str] = set()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for entity in details.get(key) or []:
            for attached in entity.get("AttachedManagedPolicies") or []:
                arns.add(attached.get("PolicyArn") or "")
            boundary = entity.get("PermissionsBoundary") or {}
            arns.add(boundary.get("PermissionsBoundaryArn") or "")
    listed = {p.get("Arn") for p in details.get("Policies") or []}
    return sorted(a for a in arns if _is_aws_managed(a) and a not in listed)


def _is_aws_managed(arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "iam" and parts[4] == "aws"


def _aws_managed_policies(fetch: Fetch, details: dict[str, Any]) -> list[dict[str, Any]]:
    found = fetch.each(attached_aws_managed(details), lambda arn: _managed_policy(fetch, arn))
    return [policy for policy in found if policy is not None]


def _managed_policy(fetch: Fetch, arn: str) -> dict[str, Any] | None:
    """A ``ManagedPolicyDetail`` with the default version only (None after a gap)."""
    scope = f"iam managed policy {arn}"
    response = fetch.call(scope, "iam:GetPolicy", "get_policy", PolicyArn=arn)
    if response is FAILED or response is None:
        return None
    policy = {k: v for k, v in response["Policy"].items() if k != "Tags"}
    version = fetch.call(scope, "iam:GetPolicyVersion", "get_policy_version", PolicyArn=arn,
                         VersionId=policy["DefaultVersionId"])
    if version is FAILED or version is None:
        return None
    policy["PolicyVersionList"] = [version["PolicyVersion"]]
    return jsonable(policy)


def _credentials(fetch: Fetch, user_name: str, user_arn: str) -> CredentialsRaw:
    scope = f"iam user {user_arn}"
    profile = fetch.call(f"{scope} login profile", "iam:GetLoginProfile", "get_login_profile",
                         UserName=user_name)
    keys, keys_complete = fetch.items(f"{scope} access keys", "iam:ListAccessKeys",
                                      "list_access_keys", "AccessKeyMetadata",
                                      UserName=user_name)
    mfa, mfa_complete = fetch.items(f"{scope} mfa devices", "iam:ListMFADevices",
                                    "list_mfa_devices", "MFADevices", UserName=user_name)
    return {
        "login_profile": None if profile is FAILED else profile is not None,
        "access_keys": [{"id": k["AccessKeyId"], "status": k["Status"]} for k in keys]
        if keys_complete else None,
        "mfa_devices": len(mfa) if mfa_complete else None,
    }


def _alias(fetch: Fetch) -> str | None:
    aliases, _ = fetch.items("iam account alias", "iam:ListAccountAliases",
                             "list_account_aliases", "AccountAliases")
    return str(aliases[0]) if aliases else None
