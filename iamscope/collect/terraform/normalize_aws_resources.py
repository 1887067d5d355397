"""Terraform AWS resources -> raw ``resources`` and ``organization`` (``collect/aws/raw.py``).

- resources listed in ``data/aws_resource_types.toml`` (buckets, queues, topics, keys,
  functions, secrets, repositories, tables, and compute that runs as a role) with their
  inline resource policy and the role they run as (``role_arn``, ``task_role_arn``,
  ``execution_role_arn``; EC2 instances get ``instance_profile_arn`` and ``role_arns``
  through their instance profile, as the live collector records them);
- policy-only resources (``aws_s3_bucket_policy``, ...) attached to their target, which is
  created bare when the configuration does not define it;
- ``aws_lambda_permission``: the statements AWS adds to the function policy;
- ``aws_s3_bucket_public_access_block``: the bucket's ``public_access_block``;
- ``aws_organizations_policy`` (SCP/RCP) and ``aws_organizations_policy_attachment``,
  with the organisation tree that ``aws_organizations_organizational_unit`` and
  ``aws_organizations_account`` describe.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from iamscope.collect.terraform.aws_context import AwsContext, placeholder, resource_types
from iamscope.collect.terraform.normalize_aws import IamDraft
from iamscope.collect.terraform.plan_unknowns import COMPUTED_BY_PROVIDER
from iamscope.collect.terraform.policy_document import lambda_permission_statement
from iamscope.collect.terraform.resources import TerraformResource, Unknown

ORG_POLICY_TYPES = {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
PUBLIC_ACCESS_FLAGS = {"block_public_acls": "BlockPublicAcls",
                       "ignore_public_acls": "IgnorePublicAcls",
                       "block_public_policy": "BlockPublicPolicy",
                       "restrict_public_buckets": "RestrictPublicBuckets"}


def covered_types() -> frozenset[str]:
    table = resource_types()
    return frozenset({*(k for k in table if k != "policies"), *table["policies"],
                      "aws_lambda_permission", "aws_s3_bucket_public_access_block",
                      "aws_organizations_policy", "aws_organizations_policy_attachment",
                      "aws_organizations_organizational_unit", "aws_organizations_account",
                      "aws_organizations_organization"})


class ResourceDraft:
    def __init__(self, draft: IamDraft):
        self.iam = draft
        self.context = draft.context
        self.resources: dict[str, dict[str, Any]] = {}
        self.permissions: dict[str, list[tuple[TerraformResource, dict[str, Any]]]] = {}

    def add(self, record: TerraformResource, spec: dict[str, Any]) -> None:
        context = self.context
        identity = context.identities[record.address]
        arn = identity["arn"]
        entry: dict[str, Any] = {"arn": arn, "type": spec["inventory_type"],
                                 "region": None if spec["inventory_type"] == "aws:s3:bucket"
                                 else context.region_of(record),
                                 "name": identity["name"], "attributes": {}}
        tags = record.values.get("tags")
        if isinstance(tags, dict):
            entry["tags"] = {str(k): str(v) for k, v in tags.items()}
        policy_attribute = spec.get("policy")
        if policy_attribute and record.values.get(policy_attribute) not in (None, "") and \
                record.values.get(policy_attribute) != Unknown(COMPUTED_BY_PROVIDER):
            # (a policy the configuration does not write comes from a policy-only resource,
            # e.g. aws_s3_bucket_policy, or is the service default)
            self.policy(record, entry, record.values[policy_attribute])
        for attribute, name in (spec.get("roles") or {}).items():
            role = context.text(record, attribute)
            if role:
                entry["attributes"][name] = context.iam_arn("role", role)
        for attribute, name in (spec.get("attributes") or {}).items():
            value = context.resolve(record.values.get(attribute))
            if isinstance(value, str) and value:
                entry["attributes"][name] = value
        if record.type == "aws_instance":
            self._instance_profile(record, entry)
        self.resources[arn] = entry
        context.own(arn, record)

    def policy(self, record: TerraformResource, entry: dict[str, Any], value: Any) -> None:
        policy_id = f"{entry['arn']}/policy"
        if "policy" in entry and entry["policy"] is not None:
            self.context.warn(record, f"{entry['arn']} already has a resource policy; this "
                              "one replaces it (AWS keeps one policy per resource)")
        entry["policy"] = self.iam.document(record, value, policy_id)
        if entry["policy"] is None:
            del entry["policy"]  # absent = not read: the gap says why
        self.context.own(policy_id, record)

    def _instance_profile(self, record: TerraformResource, entry: dict[str, Any]) -> None:
        named = self.context.text(record, "iam_instance_profile")
        if named is None:
            return
        arn = named if named.startswith("arn:") else self.context.iam_arn(
            "instance-profile", named)
        entry["attributes"]["instance_profile_arn"] = arn
        profile = self.iam.profiles.get(arn)
        if profile is not None and profile["role"] is not None:
            entry["attributes"]["role_arns"] = [profile["role"]]

    def target(self, record: TerraformResource, spec: dict[str, Any]) -> dict[str, Any] | None:
        """The resource a policy-only resource attaches to, created bare if needed."""
        value = self.context.text(record, spec["key"])
        if value is None:
            self.context.gap(record, f"resource policy {record.address}",
                             f"the {spec['key']} it applies to is not known before apply")
            return None
        target_spec = resource_types()[spec["target"]]
        arn = self._target_arn(value, spec, target_spec)
        if arn not in self.resources:
            for candidate in self.resources.values():
                if candidate["name"] == value and candidate["type"] == target_spec[
                        "inventory_type"]:
                    return candidate
            name = arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            self.resources[arn] = {"arn": arn, "type": target_spec["inventory_type"],
                                   "region": self.context.region, "name": name,
                                   "attributes": {}}
            self.context.own(arn, record)
        return self.resources[arn]

    def _target_arn(self, value: str, spec: dict[str, Any], target: dict[str, Any]) -> str:
        context = self.context
        if value.startswith("arn:"):
            return value
        if spec["by"] == "url":
            parsed = urlparse(value)
            parts = [p for p in parsed.path.split("/") if p]
            region = (parsed.hostname or "").split(".")[1] if parsed.hostname and \
                parsed.hostname.count(".") >= 3 else context.region
            if len(parts) == 2:
                return f"arn:{context.partition}:sqs:{region}:{parts[0]}:{parts[1]}"
        for address, identity in context.identities.items():
            if context.records[address].type == spec["target"] and value in (
                    identity.get("name"), identity.get("id"), identity.get("url")):
                return identity["arn"]
        fields = {"partition": context.partition, "region": context.region,
                  "account": context.account, target["name"]: value, "key_id": value,
                  "name": value}
        return target["arn"].format_map(fields)

    def lambda_permission(self, record: TerraformResource) -> None:
        function = self.context.text(record, "function_name")
        if function is None:
            self.context.gap(record, f"lambda permission {record.address}",
                             "the function it applies to is not known before apply")
            return
        entry = self.target(record, {"key": "function_name", "by": "name",
                                     "target": "aws_lambda_function"})
        if entry is None:
            return
        values = {k: self.context.resolve(v) for k, v in record.values.items()}
        statement = lambda_permission_statement(values, entry["arn"], self.context.partition)
        self.permissions.setdefault(entry["arn"], []).append((record, statement))

    def finish_permissions(self) -> None:
        for arn, pairs in self.permissions.items():
            document = {"Version": "2012-10-17", "Id": "default",
                        "Statement": [statement for _, statement in pairs]}
            self.policy(pairs[0][0], self.resources[arn], document)

    def public_access_block(self, record: TerraformResource) -> None:
        entry = self.target(record, {"key": "bucket", "by": "name", "target": "aws_s3_bucket"})
        if entry is None:
            return
        flags = {}
        for attribute, flag in PUBLIC_ACCESS_FLAGS.items():
            value = record.values.get(attribute)
            flags[flag] = value if isinstance(value, bool) else False  # provider default
        entry["attributes"]["public_access_block"] = flags


def build_resources(draft: IamDraft, records: list[TerraformResource]) -> ResourceDraft:
    resources = ResourceDraft(draft)
    table = resource_types()
    for record in records:
        if record.type in table and record.type != "policies":
            resources.add(record, table[record.type])
    for record in records:
        spec = table["policies"].get(record.type)
        if spec is not None:
            entry = resources.target(record, spec)
            if entry is not None:
                resources.policy(record, entry, record.values.get(spec["policy"]))
        elif record.type == "aws_lambda_permission":
            resources.lambda_permission(record)
        elif record.type == "aws_s3_bucket_public_access_block":
            resources.public_access_block(record)
    resources.finish_permissions()
    return resources


def build_organization(draft: IamDraft, records: list[TerraformResource]
                       ) -> dict[str, Any] | None:
    """The raw organisation, when the configuration defines SCPs or RCPs."""
    context = draft.context
    policies: dict[str, dict[str, Any]] = {}
    by_id: dict[str, str] = {}
    for record in records:
        if record.type != "aws_organizations_policy":
            continue
        kind = record.values.get("type") or "SERVICE_CONTROL_POLICY"
        if kind not in ORG_POLICY_TYPES:
            continue
        identity = context.identities[record.address]
        document = draft.document(record, record.values.get("content"), identity["arn"])
        context.own(identity["arn"], record)
        if document is None:
            continue
        policies[identity["arn"]] = {"id": identity["id"], "arn": identity["arn"],
                                     "name": context.name_of(record, "name"), "type": kind,
                                     "aws_managed": False, "document": document, "targets": []}
        by_id[identity["id"]] = identity["arn"]
    if not policies:
        return None
    nodes = _org_nodes(context, records)
    for record in records:
        if record.type != "aws_organizations_policy_attachment":
            continue
        policy, target = context.text(record, "policy_id"), context.text(record, "target_id")
        arn = by_id.get(policy or "", policy if policy in policies else None)
        if arn is None or target is None:
            context.gap(record, f"organization policy attachment {record.address}",
                        "policy or target not known, or the policy is not in the configuration")
            continue
        policies[arn]["targets"].append(target)
        _ensure_node(nodes, target)
    _ensure_node(nodes, context.account)
    roots = [n for n in nodes.values() if n["kind"] == "root"]
    if len(roots) == 1:
        for node in nodes.values():
            if node["kind"] != "root" and not node.get("parent_id"):
                node["parent_id"] = roots[0]["id"]
        context.notes.append("accounts and OUs whose parent is not in the configuration are "
                             f"placed under the organisation root {roots[0]['id']}")
    enabled = sorted({p["type"] for p in policies.values()})
    context.notes.append("organisation policy types taken as enabled: " + ", ".join(enabled))
    return {"organization_id": "o-terraform", "arn": "", "management_account_id":
            context.account, "feature_set": "ALL",
            "roots": [_raw_node(n) for n in nodes.values() if n["kind"] == "root"],
            "ous": [_raw_node(n) for n in nodes.values() if n["kind"] == "ou"],
            "accounts": [_raw_node(n) for n in nodes.values() if n["kind"] == "account"],
            "policies": list(policies.values()), "enabled_policy_types": enabled,
            "delegated_administrators": []}


def _org_nodes(context: AwsContext, records: list[TerraformResource]
               ) -> dict[str, dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.type == "aws_organizations_organization":
            nodes["r-terraform"] = {"id": "r-terraform", "kind": "root", "name": "Root"}
        elif record.type in ("aws_organizations_organizational_unit",
                             "aws_organizations_account"):
            kind = "ou" if record.type.endswith("unit") else "account"
            known = context.resolve(record.values.get("id"))
            node_id = known if isinstance(known, str) else (
                context.identities.get(record.address, {}).get("id")
                or placeholder(record.address))
            parent = context.resolve(record.values.get("parent_id"))
            nodes[node_id] = {"id": node_id, "kind": kind,
                              "name": context.name_of(record, "name"),
                              "parent_id": parent if isinstance(parent, str) else None}
    return nodes


def _ensure_node(nodes: dict[str, dict[str, Any]], node_id: str) -> None:
    if node_id in nodes:
        return
    kind = "root" if node_id.startswith("r-") else "ou" if node_id.startswith("ou-") \
        else "account"
    nodes[node_id] = {"id": node_id, "kind": kind, "name": node_id, "parent_id": None}


def _raw_node(node: dict[str, Any]) -> dict[str, Any]:
    raw = {"id": node["id"], "arn": "", "name": node["name"]}
    if node["kind"] != "root":
        raw["parent_id"] = node.get("parent_id")
    return raw
