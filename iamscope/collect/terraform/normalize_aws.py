"""Terraform AWS IAM records -> the raw AWS collection shape (``collect/aws/raw.py``).

The IAM part is built in the ``GetAccountAuthorizationDetails`` shape and handed to the AWS
collector's normalizer (``collect/aws/normalize.py``), so that principals, policies,
attachments and gaps follow exactly one set of rules whatever the source; source locations
are put back on the elements afterwards (``normalize.py``). Resources, resource policies,
compute roles and AWS Organizations policies are in ``normalize_aws_resources.py``.

Pure: records in, dicts out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamscope.collect.terraform.aws_context import IDENTITY_PROVIDERS, AwsContext, source_of
from iamscope.collect.terraform.documents import UnknownDocument, conservative_document
from iamscope.collect.terraform.resources import TerraformResource, Unknown

KINDS = {"role": "RoleDetailList", "user": "UserDetailList", "group": "GroupDetailList"}


class IamDraft:
    """The authorization-details document being built, by ARN."""

    def __init__(self, context: AwsContext):
        self.context = context
        self.entities: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        self.policies: dict[str, dict[str, Any]] = {}
        self.attached: dict[str, set[str]] = {}  # principal ARN -> managed policy ARNs
        self.credentials: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}  # instance profile ARN -> entry

    def document(self, record: TerraformResource, value: Any, policy_id: str) -> Any | None:
        """A document made conservative (notes become warnings), or None with a gap."""
        value = self.context.resolve_document(value)
        try:
            document, notes = conservative_document(value)
        except UnknownDocument as exc:
            self.context.gap(record, f"policy {policy_id}",
                             f"document not known before apply: {exc}")
            return None
        for note in notes:
            self.context.warn(record, f"policy {policy_id}: {note} (unknown until apply)")
        return document

    def entity(self, kind: str, record: TerraformResource, attribute: str) -> str | None:
        """The ARN of the user/role/group an attachment names, when it is in the reading."""
        named = self.context.text(record, attribute)
        if named is None:
            return None
        arn = self.context.iam_arn(kind, named)
        if arn in self.entities[kind]:
            return arn
        for candidate, entry in self.entities[kind].items():
            if entry.get(f"{kind.capitalize()}Name") == named.rsplit("/", 1)[-1]:
                return candidate
        self.context.warn(record, f"{kind} {named!r} is not defined in this configuration; "
                          "the attachment is not in the inventory")
        return None

    def attach(self, owner: str, policy_arn: str, record: TerraformResource) -> None:
        """``owner`` gets the managed policy; ``record`` (the attachment, or the role's
        ``managed_policy_arns``) is the Terraform resource that does it, kept in the
        addresses under ``"<principal id>|<policy id>"`` for the plan's delta."""
        self.attached.setdefault(owner, set()).add(policy_arn)
        self.context.addresses[f"{owner}|{policy_arn}"] = record.address
        self.context.sources[f"{owner}|{policy_arn}"] = source_of(record)

    def inline(self, record: TerraformResource, kind: str, owner: str, name: str,
               value: Any) -> None:
        policy_id = f"{owner}/inline/{name}"
        document = self.document(record, value, policy_id)
        if document is None:
            return
        list_key = f"{kind.capitalize()}PolicyList"
        self.entities[kind][owner].setdefault(list_key, []).append(
            {"PolicyName": name, "PolicyDocument": document})
        self.context.own(policy_id, record)

    def authorization_details(self) -> dict[str, Any]:
        for owner, arns in self.attached.items():
            for kind in KINDS:
                if owner in self.entities[kind]:
                    self.entities[kind][owner]["AttachedManagedPolicies"] = [
                        {"PolicyArn": arn, "PolicyName": arn.rsplit("/", 1)[-1]}
                        for arn in sorted(arns)]
        return {KINDS[kind]: list(entries.values()) for kind, entries in self.entities.items()
                } | {"Policies": list(self.policies.values())}


def _principal(draft: IamDraft, record: TerraformResource, kind: str) -> None:
    context = draft.context
    identity = context.identities[record.address]
    arn = identity["arn"]
    entry: dict[str, Any] = {f"{kind.capitalize()}Name": identity["name"], "Arn": arn,
                             "Path": identity["path"],
                             f"{kind.capitalize()}Id": identity.get("unique_id")
                             if isinstance(identity.get("unique_id"), str) else None}
    tags = record.values.get("tags")
    if isinstance(tags, dict):
        entry["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in sorted(tags.items())]
    boundary = context.text(record, "permissions_boundary") if kind != "group" else None
    if boundary:
        entry["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary,
                                        "PermissionsBoundaryType": "Policy"}
    if kind == "user":
        entry["GroupList"] = []
    draft.entities[kind][arn] = entry
    context.own(arn, record)
    if kind != "role":
        return
    entry["InstanceProfileList"] = []
    trust_id = f"{arn}/trust"
    entry["AssumeRolePolicyDocument"] = draft.document(
        record, record.values.get("assume_role_policy"), trust_id)
    context.own(trust_id, record)
    # managed_policy_arns and inline_policy are also computed: not set, they mirror the
    # attachments and aws_iam_role_policy resources, and are wholly unknown in a plan that
    # creates the role, saying nothing those resources do not. Set from references to
    # values unknown until apply (the configuration names them), they are a gap.
    for attribute in ("managed_policy_arns", "inline_policy"):
        value = record.values.get(attribute)
        if isinstance(value, Unknown) and value.reference is not None:
            context.gap(record, f"role {arn}", f"{attribute} {value} not known before apply")
    if not isinstance(record.values.get("managed_policy_arns"), Unknown):
        for policy_arn in context.texts(record, "managed_policy_arns"):
            draft.attach(arn, policy_arn, record)
    blocks = record.values.get("inline_policy")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and isinstance(block.get("name"), str) and block["name"]:
            draft.inline(record, "role", arn, block["name"], block.get("policy"))


def _policy(draft: IamDraft, record: TerraformResource) -> None:
    identity = draft.context.identities[record.address]
    arn = identity["arn"]
    document = draft.document(record, record.values.get("policy"), arn)
    draft.context.own(arn, record)
    if document is None:
        return
    draft.policies[arn] = {
        "PolicyName": identity["name"], "Arn": arn, "Path": identity["path"],
        "DefaultVersionId": "v1", "PolicyVersionList": [
            {"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}


def _inline(kind: str, owner_attribute: str) -> Callable[[IamDraft, TerraformResource], None]:
    def handle(draft: IamDraft, record: TerraformResource) -> None:
        owner = draft.entity(kind, record, owner_attribute)
        if owner is None:
            return
        name = draft.context.name_of(record, "name")
        draft.inline(record, kind, owner, name, record.values.get("policy"))
    return handle


def _attachment(kind: str, owner_attribute: str, policy_attribute: str = "policy_arn",
                many: bool = False) -> Callable[[IamDraft, TerraformResource], None]:
    def handle(draft: IamDraft, record: TerraformResource) -> None:
        owner = draft.entity(kind, record, owner_attribute)
        if owner is None:
            return
        arns = (draft.context.texts(record, policy_attribute) if many
                else [a for a in [draft.context.text(record, policy_attribute)] if a])
        if not many and not arns:
            draft.context.gap(record, f"{kind} {owner}",
                              "attached policy not known before apply")
        for arn in arns:
            draft.attach(owner, arn, record)
    return handle


def _policy_attachment(draft: IamDraft, record: TerraformResource) -> None:
    """``aws_iam_policy_attachment``: one policy to lists of users, roles and groups
    (exclusive in AWS: it detaches the policy from everyone else it manages)."""
    arn = draft.context.text(record, "policy_arn")
    if arn is None:
        draft.context.gap(record, f"attachment {record.address}",
                          "attached policy not known before apply")
        return
    for kind, attribute in (("user", "users"), ("role", "roles"), ("group", "groups")):
        for named in draft.context.texts(record, attribute):
            owner = draft.context.iam_arn(kind, named)
            if owner in draft.entities[kind]:
                draft.attach(owner, arn, record)
            else:
                draft.context.warn(record, f"{kind} {named!r} is not defined in this "
                                   "configuration; the attachment is not in the inventory")


def _membership(draft: IamDraft, record: TerraformResource) -> None:
    if record.type == "aws_iam_group_membership":
        group = draft.entity("group", record, "group")
        pairs = [(draft.context.iam_arn("user", u), group)
                 for u in draft.context.texts(record, "users")]
    else:
        user = draft.context.iam_arn("user", draft.context.text(record, "user") or "")
        pairs = [(user, draft.context.iam_arn("group", g))
                 for g in draft.context.texts(record, "groups")]
    for user_arn, group_arn in pairs:
        user_entry = draft.entities["user"].get(user_arn)
        group_entry = draft.entities["group"].get(group_arn or "")
        if user_entry is None or group_entry is None:
            draft.context.warn(record, f"membership of {user_arn} in {group_arn} names a user "
                               "or group not defined in this configuration; ignored")
            continue
        name = group_entry["GroupName"]
        if name not in user_entry["GroupList"]:
            user_entry["GroupList"].append(name)


def _credential(draft: IamDraft, record: TerraformResource) -> None:
    user = draft.entity("user", record, "user")
    if user is None:
        return
    facts = draft.credentials.setdefault(user, {"login_profile": None, "access_keys": None,
                                                "mfa_devices": None})
    if record.type == "aws_iam_user_login_profile":
        facts["login_profile"] = True
        return
    status = record.values.get("status")
    facts["access_keys"] = [*(facts["access_keys"] or []), {
        "id": record.address, "status": status if status in ("Active", "Inactive")
        else "Active"}]


def _instance_profile(draft: IamDraft, record: TerraformResource) -> None:
    identity = draft.context.identities[record.address]
    role = draft.entity("role", record, "role")
    draft.context.own(identity["arn"], record)
    draft.profiles[identity["arn"]] = {"name": identity["name"], "role": role}
    if role is not None:
        draft.entities["role"][role]["InstanceProfileList"].append(
            {"Arn": identity["arn"], "InstanceProfileName": identity["name"]})


HANDLERS: dict[str, Callable[[IamDraft, TerraformResource], None]] = {
    "aws_iam_role_policy": _inline("role", "role"),
    "aws_iam_user_policy": _inline("user", "user"),
    "aws_iam_group_policy": _inline("group", "group"),
    "aws_iam_role_policy_attachment": _attachment("role", "role"),
    "aws_iam_user_policy_attachment": _attachment("user", "user"),
    "aws_iam_group_policy_attachment": _attachment("group", "group"),
    "aws_iam_role_policy_attachments_exclusive": _attachment("role", "role_name",
                                                             "policy_arns", many=True),
    "aws_iam_user_policy_attachments_exclusive": _attachment("user", "user_name",
                                                             "policy_arns", many=True),
    "aws_iam_group_policy_attachments_exclusive": _attachment("group", "group_name",
                                                              "policy_arns", many=True),
    "aws_iam_policy_attachment": _policy_attachment,
    "aws_iam_group_membership": _membership,
    "aws_iam_user_group_membership": _membership,
    "aws_iam_user_login_profile": _credential,
    "aws_iam_access_key": _credential,
    "aws_iam_instance_profile": _instance_profile,
}
PRINCIPAL_TYPES = {"aws_iam_user": "user", "aws_iam_role": "role", "aws_iam_group": "group"}
COVERED_TYPES = frozenset({*HANDLERS, *PRINCIPAL_TYPES, *IDENTITY_PROVIDERS, "aws_iam_policy"})


def build_iam(context: AwsContext, records: list[TerraformResource]) -> IamDraft:
    """Principals and policies first, then everything that refers to them."""
    draft = IamDraft(context)
    for record in records:
        if record.type in PRINCIPAL_TYPES:
            _principal(draft, record, PRINCIPAL_TYPES[record.type])
        elif record.type == "aws_iam_policy":
            _policy(draft, record)
    for record in records:
        handler = HANDLERS.get(record.type)
        if handler is not None:
            handler(draft, record)
    return draft
