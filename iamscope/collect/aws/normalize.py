"""Raw AWS collection -> Inventory. Pure: no I/O, no clients, deterministic.

Ids (docs/inventory.md): principals, managed policies and resources by ARN; inline
policies ``<owner-arn>/inline/<name>``; role trust policies ``<role-arn>/trust``;
resource policies ``<resource-arn>/policy``; SCPs and RCPs by their Organizations ARN;
organisation nodes by root/OU id and account id.

Anything that cannot be read faithfully (a malformed document, a policy referenced but
missing from the dump) becomes a coverage gap and a warning naming the item; it is never
silently dropped as "no permissions".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from iamscope.collect.aws.documents import DocumentError, decode_document
from iamscope.collect.aws.normalize_last_accessed import attach_last_accessed
from iamscope.collect.aws.raw import AccountRaw, CollectionRaw, OrganizationRaw
from iamscope.errors import InputError, PolicyParseError
from iamscope.model.ids import parse_arn
from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.policy import Policy, PolicyKind
from iamscope.model.principal import CredentialFacts, Principal, PrincipalKind, Provider
from iamscope.model.resource import OrgNode, OrgNodeKind, Resource
from iamscope.model.source import CoverageGap, SourceRef
from iamscope.policy.parse import parse_policy

GAAD_API = "iam:GetAccountAuthorizationDetails"


@dataclass
class NormalizeResult:
    inventory: Inventory
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Builder:
    collector: str
    source_file: str | None = None
    principals: dict[str, Principal] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    org_nodes: dict[str, OrgNode] = field(default_factory=dict)
    gaps: list[CoverageGap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def source(self, account: str | None, pointer: str | None = None) -> SourceRef:
        if self.source_file is not None:
            return SourceRef(file=self.source_file, pointer=pointer, account=account)
        return SourceRef(api=GAAD_API, account=account, pointer=pointer)

    def gap(self, scope: str, reason: str, *, account: str | None = None,
            permission: str | None = None, region: str | None = None) -> None:
        self.gaps.append(CoverageGap(scope=scope, reason=reason, permission=permission,
                                     account=account, region=region))
        self.warnings.append(f"{scope}: {reason}")

    def policy(self, document: Any, policy_id: str, kind: PolicyKind, *, account: str | None,
               pointer: str, name: str | None = None, aws_managed: bool = False,
               default_version_id: str | None = None) -> Policy | None:
        """Parse one document; a bad one becomes a gap and None."""
        if policy_id in self.policies:
            return self.policies[policy_id]
        try:
            decoded = decode_document(document)
            policy = parse_policy(decoded, policy_id=policy_id, kind=kind, name=name,
                                  source=self.source(account, pointer), aws_managed=aws_managed,
                                  default_version_id=default_version_id)
        except (DocumentError, PolicyParseError) as exc:
            self.gap(f"policy {policy_id}", f"document not usable: {exc}", account=account)
            return None
        self.policies[policy_id] = policy
        return policy


def _tags(raw: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(raw, dict):
        return tuple(sorted((str(k), str(v)) for k, v in raw.items()))
    if isinstance(raw, list):
        return tuple(sorted((str(t.get("Key")), str(t.get("Value", "")))
                            for t in raw if isinstance(t, dict) and "Key" in t))
    return ()


def _account_of(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.account if parsed and parsed.account else None


def _default_document(policy: dict[str, Any]) -> tuple[Any, str | None]:
    default_id = policy.get("DefaultVersionId")
    versions = policy.get("PolicyVersionList") or []
    for version in versions:
        if version.get("IsDefaultVersion") or (default_id and version.get("VersionId")
                                               == default_id):
            return version.get("Document"), version.get("VersionId") or default_id
    return None, default_id


def _require_list(section: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = section.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"{where}: {key} must be a list of objects")
    return value


def _entity(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: an entry has no {key}")
    if key == "Arn" and parse_arn(value) is None:
        raise InputError(f"{where}: {key} {value[:80]!r} is not an ARN")
    return value


def _normalize_iam(builder: _Builder, raw: AccountRaw, index: int) -> None:
    account = raw["account_id"]
    details = raw.get("authorization_details") or {}
    where = f"account {account}"
    base = "" if builder.collector == "aws-authorization-details" else \
        f"/accounts/{index}/authorization_details"
    for i, item in enumerate(_require_list(details, "Policies", where)):
        arn = _entity(item, "Arn", where)
        document, version = _default_document(item)
        name = item.get("PolicyName") or arn.rsplit("/", 1)[-1]  # moto omits PolicyName
        if document is None:
            builder.gap(f"policy {arn}", "no default policy version in the dump", account=account,
                        permission=GAAD_API)
            continue
        builder.policy(document, arn, PolicyKind.MANAGED, account=account,
                       pointer=f"{base}/Policies/{i}", name=name,
                       aws_managed=":aws:policy/" in arn, default_version_id=version)

    groups_by_name: dict[str, str] = {}
    for i, group in enumerate(_require_list(details, "GroupDetailList", where)):
        arn = _entity(group, "Arn", where)
        groups_by_name[group.get("GroupName") or arn.rsplit("/", 1)[-1]] = arn
        policy_ids = _identity_policies(builder, group, "GroupPolicyList", arn, account,
                                        f"{base}/GroupDetailList/{i}")
        builder.principals[arn] = Principal(
            id=arn, kind=PrincipalKind.GROUP, provider=Provider.AWS,
            name=group.get("GroupName") or arn.rsplit("/", 1)[-1], account=account,
            path=group.get("Path"), unique_id=group.get("GroupId"), policy_ids=policy_ids,
            source=builder.source(account, f"{base}/GroupDetailList/{i}"))

    credentials = raw.get("credentials") or {}
    for i, user in enumerate(_require_list(details, "UserDetailList", where)):
        arn = _entity(user, "Arn", where)
        pointer = f"{base}/UserDetailList/{i}"
        policy_ids = _identity_policies(builder, user, "UserPolicyList", arn, account, pointer)
        group_ids = []
        for group_name in user.get("GroupList") or []:
            group_arn = groups_by_name.get(group_name)
            if group_arn is None:
                group_arn = f"arn:{raw['partition']}:iam::{account}:group/{group_name}"
                builder.gap(f"group {group_name}", f"user {arn} is a member but the group is not "
                            "in the dump", account=account, permission=GAAD_API)
            group_ids.append(group_arn)
        builder.principals[arn] = Principal(
            id=arn, kind=PrincipalKind.USER, provider=Provider.AWS,
            name=user.get("UserName") or arn.rsplit("/", 1)[-1], account=account,
            path=user.get("Path"), unique_id=user.get("UserId"), tags=_tags(user.get("Tags")),
            policy_ids=policy_ids, group_ids=tuple(group_ids),
            boundary_policy_id=_boundary(user),
            credentials=_credentials(credentials.get(arn)),
            source=builder.source(account, pointer))

    for i, role in enumerate(_require_list(details, "RoleDetailList", where)):
        arn = _entity(role, "Arn", where)
        pointer = f"{base}/RoleDetailList/{i}"
        policy_ids = _identity_policies(builder, role, "RolePolicyList", arn, account, pointer)
        trust_id = f"{arn}/trust"
        trust = role.get("AssumeRolePolicyDocument")
        trust_policy = None
        if trust is None:
            builder.gap(f"role {arn}", "trust policy missing from the dump", account=account,
                        permission=GAAD_API)
        else:
            trust_policy = builder.policy(trust, trust_id, PolicyKind.TRUST, account=account,
                                          pointer=f"{pointer}/AssumeRolePolicyDocument")
        profiles = tuple(sorted(p["Arn"] for p in role.get("InstanceProfileList") or []
                                if isinstance(p, dict) and p.get("Arn")))
        builder.principals[arn] = Principal(
            id=arn, kind=PrincipalKind.ROLE, provider=Provider.AWS,
            name=role.get("RoleName") or arn.rsplit("/", 1)[-1], account=account,
            path=role.get("Path"), unique_id=role.get("RoleId"), tags=_tags(role.get("Tags")),
            policy_ids=policy_ids, boundary_policy_id=_boundary(role),
            trust_policy_id=trust_id if trust_policy is not None else None,
            instance_profile_ids=profiles, source=builder.source(account, pointer))

    root = f"arn:{raw['partition']}:iam::{account}:root"
    builder.principals.setdefault(root, Principal(
        id=root, kind=PrincipalKind.ACCOUNT_ROOT, provider=Provider.AWS,
        name=raw.get("account_alias") or account, account=account))


def _identity_policies(builder: _Builder, entity: dict[str, Any], inline_key: str, owner: str,
                       account: str, pointer: str) -> tuple[str, ...]:
    ids: list[str] = []
    for j, item in enumerate(entity.get(inline_key) or []):
        if not isinstance(item, dict) or not item.get("PolicyName"):
            builder.gap(f"{owner} inline policy {j}", "entry has no PolicyName", account=account)
            continue
        policy_id = f"{owner}/inline/{item['PolicyName']}"
        if builder.policy(item.get("PolicyDocument"), policy_id, PolicyKind.INLINE,
                          account=account, pointer=f"{pointer}/{inline_key}/{j}",
                          name=item["PolicyName"]) is not None:
            ids.append(policy_id)
    for item in entity.get("AttachedManagedPolicies") or []:
        if isinstance(item, dict) and item.get("PolicyArn"):
            if not isinstance(item["PolicyArn"], str) or parse_arn(item["PolicyArn"]) is None:
                raise InputError(f"{pointer}: AttachedManagedPolicies: PolicyArn "
                                 f"{str(item['PolicyArn'])[:80]!r} is not an ARN")
            ids.append(item["PolicyArn"])
    return tuple(ids)


def _boundary(entity: dict[str, Any]) -> str | None:
    boundary = entity.get("PermissionsBoundary")
    if isinstance(boundary, dict):
        return boundary.get("PermissionsBoundaryArn")
    return None


def _credentials(raw: Any) -> CredentialFacts | None:
    if not isinstance(raw, dict):
        return None
    keys = raw.get("access_keys")
    return CredentialFacts(
        has_login_profile=raw.get("login_profile"),
        access_keys_total=None if keys is None else len(keys),
        access_keys_active=None if keys is None else sum(
            1 for k in keys if k.get("status") == "Active"),
        mfa_devices=raw.get("mfa_devices"),
    )


def _attribute(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _normalize_resources(builder: _Builder, raw: AccountRaw, index: int) -> None:
    account = raw["account_id"]
    for i, item in enumerate(raw.get("resources") or []):
        arn = item.get("arn")
        if not isinstance(arn, str) or not arn:
            builder.gap(f"account {account} resource {i}", "entry has no ARN", account=account)
            continue
        policy_id = None
        if item.get("policy") is not None:
            policy = builder.policy(item["policy"], f"{arn}/policy", PolicyKind.RESOURCE,
                                    account=account, pointer=f"/accounts/{index}/resources/{i}")
            policy_id = policy.id if policy is not None else None
        attributes = tuple(sorted((k, _attribute(v))
                                  for k, v in (item.get("attributes") or {}).items()))
        builder.resources[arn] = Resource(
            id=arn, type=item.get("type") or "aws:unknown", provider=Provider.AWS,
            account=_account_of(arn) or account, region=item.get("region"),
            name=item.get("name"), policy_id=policy_id, tags=_tags(item.get("tags")),
            attributes=attributes,
            source=SourceRef(account=account, region=item.get("region"),
                             pointer=f"/accounts/{index}/resources/{i}"))


def _check_references(builder: _Builder) -> None:
    """Every attached policy must be in the inventory; say which are not."""
    for principal in builder.principals.values():
        for policy_id in (*principal.policy_ids, principal.boundary_policy_id):
            if policy_id and policy_id not in builder.policies:
                kind = "AWS-managed" if ":aws:policy/" in policy_id else "managed"
                builder.gap(f"policy {policy_id}",
                            f"{kind} policy attached to {principal.id} but its document is not "
                            "in the input", account=principal.account, permission=GAAD_API)


def _normalize_org(builder: _Builder, org: OrganizationRaw) -> None:
    enabled = set(org.get("enabled_policy_types") or [])
    scp_targets: dict[str, list[str]] = {}
    rcp_targets: dict[str, list[str]] = {}
    for i, item in enumerate(org.get("policies") or []):
        kind = {"SERVICE_CONTROL_POLICY": PolicyKind.SCP,
                "RESOURCE_CONTROL_POLICY": PolicyKind.RCP}.get(item.get("type", ""))
        if kind is None:
            continue
        builder.policy(item.get("document"), item["arn"], kind,
                       account=org["management_account_id"],
                       pointer=f"/organization/policies/{i}", name=item.get("name"),
                       aws_managed=bool(item.get("aws_managed")))
        # Keep the attachment even when the document was unusable (a gap says so): the
        # resolver then knows the chain is incomplete instead of reading it as "no allow".
        targets = scp_targets if kind is PolicyKind.SCP else rcp_targets
        for target in item.get("targets") or []:
            targets.setdefault(target, []).append(item["arn"])

    def attached(node_id: str, targets: dict[str, list[str]], policy_type: str) -> tuple[str, ...]:
        return tuple(sorted(targets.get(node_id, ()))) if policy_type in enabled else ()

    for kind, items in ((OrgNodeKind.ROOT, org.get("roots") or []),
                        (OrgNodeKind.OU, org.get("ous") or []),
                        (OrgNodeKind.ACCOUNT, org.get("accounts") or [])):
        for item in items:
            builder.org_nodes[item["id"]] = OrgNode(
                id=item["id"], kind=kind, provider=Provider.AWS, name=item.get("name"),
                parent=item.get("parent_id"),
                scp_ids=attached(item["id"], scp_targets, "SERVICE_CONTROL_POLICY"),
                rcp_ids=attached(item["id"], rcp_targets, "RESOURCE_CONTROL_POLICY"),
                source=SourceRef(api="organizations", account=org["management_account_id"]))


def normalize_collection(raw: CollectionRaw, *, source_file: str | None = None,
                         collector: str = "aws",
                         catalog_version: str | None = None) -> NormalizeResult:
    """Turn a raw collection into an inventory; raises ``InputError`` on a shape that
    cannot be read at all (naming where), records gaps for everything else."""
    if not isinstance(raw, dict) or not isinstance(raw.get("accounts"), list):
        raise InputError("not an iamscope AWS collection (no 'accounts' list)")
    builder = _Builder(collector=collector, source_file=source_file)
    for index, account_raw in enumerate(raw["accounts"]):
        if not isinstance(account_raw, dict) or not account_raw.get("account_id"):
            raise InputError(f"accounts[{index}]: missing account_id")
        _normalize_iam(builder, account_raw, index)
        attach_last_accessed(builder.principals, account_raw, builder.gap)
        _normalize_resources(builder, account_raw, index)
        for gap in account_raw.get("gaps") or []:
            builder.gaps.append(_gap(gap, account_raw["account_id"]))
    for gap in raw.get("gaps") or []:
        builder.gaps.append(_gap(gap, None))
    org = raw.get("organization")
    if org:
        _normalize_org(builder, org)
    _check_references(builder)
    accounts = tuple(sorted(a["account_id"] for a in raw["accounts"]))
    metadata = InventoryMetadata(
        collector=collector,
        collector_version=str(raw.get("collector_version") or "unknown"),
        collected_at=raw.get("collected_at"),
        accounts=accounts,
        organization_id=org.get("organization_id") if org else None,
        management_account=org.get("management_account_id") if org else None,
        catalog_version=catalog_version,
    )
    inventory = Inventory.build(
        metadata, principals=builder.principals.values(), policies=builder.policies.values(),
        resources=builder.resources.values(), org_nodes=builder.org_nodes.values(),
        gaps=builder.gaps)
    return NormalizeResult(inventory, builder.warnings)


def _gap(raw: Any, account: str | None) -> CoverageGap:
    return CoverageGap(scope=str(raw.get("scope", "?")), reason=str(raw.get("reason", "?")),
                       permission=raw.get("permission"), account=raw.get("account") or account,
                       region=raw.get("region"))


def accounts_in(details: dict[str, Any]) -> set[str]:
    """Accounts named by the entities of an authorization-details document."""
    found: set[str] = set()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for item in details.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("Arn"), str):
                account = _account_of(item["Arn"])
                if account:
                    found.add(account)
    for item in details.get("Policies") or []:
        if isinstance(item, dict) and isinstance(item.get("Arn"), str):
            account = _account_of(item["Arn"])
            if account and account != "aws":
                found.add(account)
    return found


def collection_from_authorization_details(details: Any, *, account_id: str | None = None,
                                          where: str = "input") -> CollectionRaw:
    """Wrap the output of ``aws iam get-account-authorization-details`` as a collection."""
    keys = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    if not isinstance(details, dict) or not any(k in details for k in keys):
        raise InputError(f"{where}: not an authorization-details document (expected "
                         "UserDetailList, GroupDetailList, RoleDetailList or Policies)")
    accounts = accounts_in(details)
    if account_id is None:
        if len(accounts) != 1:
            found = ", ".join(sorted(accounts)) or "none"
            raise InputError(f"{where}: cannot tell which account this dump is from (accounts "
                             f"seen: {found}); pass --account-id")
        account_id = next(iter(accounts))
    partition = "aws"
    for item in details.get("RoleDetailList") or details.get("UserDetailList") or []:
        parsed = parse_arn(item.get("Arn", "")) if isinstance(item, dict) else None
        if parsed:
            partition = parsed.partition
            break
    gaps = [] if not details.get("IsTruncated") else [{
        "scope": f"account {account_id}",
        "reason": "the dump is truncated (IsTruncated is true): later pages are missing",
        "permission": GAAD_API}]
    return {
        "format": "iamscope-aws-raw", "version": 1, "collected_at": "",
        "collector_version": "authorization-details",
        "accounts": [{
            "account_id": account_id, "partition": partition, "account_alias": None,
            "authorization_details": details, "credentials": {}, "resources": [],
            "regions": [], "gaps": gaps,
        }],
        "organization": None, "gaps": [],
    }


def inventory_from_authorization_details(details: Any, *, source_file: str | None = None,
                                         account_id: str | None = None,
                                         catalog_version: str | None = None) -> NormalizeResult:
    raw = collection_from_authorization_details(details, account_id=account_id,
                                                where=source_file or "input")
    return normalize_collection(raw, source_file=source_file,
                                collector="aws-authorization-details",
                                catalog_version=catalog_version)
