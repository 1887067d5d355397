"""Terraform Google records -> GCP principals, allow-policy fragments and resources.

What the Google provider's IAM resources mean
(https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_project_iam):

- ``*_iam_member`` is additive: one member gets one role; other members are untouched.
- ``*_iam_binding`` is authoritative for one role: at apply, every other member of that role
  on the resource is removed.
- ``*_iam_policy`` is authoritative for the whole policy (``policy_data``, usually from
  ``data "google_iam_policy"``) and must not be combined with ``_binding``/``_member`` on the
  same resource (the docs say they will fight over the policy).

Each IAM resource becomes one ``GCP_ALLOW`` policy fragment ``<full resource name>/iam/<address>``
whose statements are its bindings: Allow, ``actions`` the role name (predefined roles are not
expanded until the GCP issue brings role data; custom roles defined in the same configuration
are expanded to their permissions, the role name kept as the statement's Sid), principals the
members, and the IAM condition kept verbatim in ``gcp_condition``. The resource's policy is
the union of its fragments (resource attribute ``iam_policies``). A value unknown until apply
is a warning; an unknown member or role is kept visible as ``unknown:<reference>``, never
dropped.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as package_data
from string import Formatter
from typing import Any

from iamscope.collect.terraform.aws_context import source_of, where
from iamscope.collect.terraform.gcp_identity import computed_attributes
from iamscope.collect.terraform.resources import Suppression, TerraformResource, Unknown
from iamscope.model.policy import Effect, Policy, PolicyKind, PrincipalSpec, Statement
from iamscope.model.principal import Principal, PrincipalKind, Provider
from iamscope.model.resource import Resource

IAM_SUFFIXES = ("_iam_member", "_iam_binding", "_iam_policy")
CUSTOM_ROLE_TYPES = ("google_project_iam_custom_role", "google_organization_iam_custom_role")
UNKNOWN_PROJECT = "unknown-project"


@cache
def gcp_iam_resources() -> dict[str, Any]:
    """``data/gcp_iam_resources.toml``, read once on first use."""
    text = package_data.files("iamscope.collect.terraform").joinpath(
        "data/gcp_iam_resources.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class GcpDraft:
    principals: dict[str, Principal] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    fragments: dict[str, list[str]] = field(default_factory=dict)  # resource -> policy ids
    projects: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)
    suppressions: dict[str, tuple[Suppression, ...]] = field(default_factory=dict)
    custom_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def own(self, element_id: str, record: TerraformResource) -> None:
        self.addresses.setdefault(element_id, record.address)
        if record.suppressions:
            self.suppressions[element_id] = (*self.suppressions.get(element_id, ()),
                                             *record.suppressions)

    def warn(self, record: TerraformResource, message: str) -> None:
        self.warnings.append(f"{where(record)}: {message}")


def is_gcp(record: TerraformResource) -> bool:
    return record.type.startswith("google_")


def normalize_gcp(records: tuple[TerraformResource, ...]) -> GcpDraft:
    """Google records (managed resources and data sources) -> a draft of inventory parts."""
    draft = GcpDraft()
    managed = [_with_identity(r) for r in records if r.mode == "managed" and is_gcp(r)]
    data = {r.address: _with_identity(r) for r in records if r.mode == "data" and is_gcp(r)}
    for record in managed:
        if record.type in CUSTOM_ROLE_TYPES:
            _custom_role(draft, record)
    for record in managed:
        if record.type == "google_service_account":
            _service_account(draft, record)
        elif record.type == "google_project":
            _project(draft, record)
        elif record.type == "google_storage_bucket":
            _bucket(draft, record)
        elif record.type.endswith(IAM_SUFFIXES):
            _iam(draft, record, data)
    _authoritative_conflicts(draft, managed)
    _attach_fragments(draft)
    if any(r.type.endswith(IAM_SUFFIXES) for r in managed):
        draft.notes.append("GCP predefined roles are not expanded to permissions yet: bindings "
                           "keep the role name and are judged by it")
    return draft


def _with_identity(record: TerraformResource) -> TerraformResource:
    """Fill identity attributes a plan reports as unknown (they follow from arguments)."""
    computed = computed_attributes(record.type, record.values, record.address)
    missing = {k: v for k, v in computed.items()
               if isinstance(record.values.get(k), Unknown) or k not in record.values}
    if not missing:
        return record
    return TerraformResource(record.address, record.type, record.name,
                             {**record.values, **missing}, record.mode, record.module,
                             record.source, record.suppressions)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _project_of(draft: GcpDraft, record: TerraformResource) -> str:
    project = _text(record.values.get("project"))
    if project is None:
        draft.warn(record, "project not known statically (the provider's default project?); "
                           f"named {UNKNOWN_PROJECT!r}")
        project = UNKNOWN_PROJECT
    draft.projects.add(project)
    return project


def _service_account(draft: GcpDraft, record: TerraformResource) -> None:
    email = _text(record.values.get("email"))
    project = _project_of(draft, record)
    account_id = _text(record.values.get("account_id")) or record.name
    if email is None:
        email = f"{account_id}@{project}.iam.gserviceaccount.com"
    member = f"serviceAccount:{email}"
    draft.principals[member] = Principal(
        id=member, kind=PrincipalKind.GCP_SERVICE_ACCOUNT, provider=Provider.GCP,
        name=account_id, account=project, source=source_of(record))
    draft.own(member, record)
    name = f"//iam.googleapis.com/projects/{project}/serviceAccounts/{email}"
    _resource(draft, name, "gcp:iam:service-account", record, project=project,
              parent=_project_name(project))


def _project(draft: GcpDraft, record: TerraformResource) -> None:
    project = _text(record.values.get("project_id"))
    if project is None:
        draft.warn(record, "project_id not known statically; the project is left out")
        return
    draft.projects.add(project)
    folder, org = _text(record.values.get("folder_id")), _text(record.values.get("org_id"))
    parent = None
    if folder:
        parent = f"//cloudresourcemanager.googleapis.com/{_prefixed(folder, 'folders/')}"
    elif org:
        parent = f"//cloudresourcemanager.googleapis.com/{_prefixed(org, 'organizations/')}"
    _resource(draft, _project_name(project), "gcp:project", record, project=project,
              parent=parent, name=project)


def _bucket(draft: GcpDraft, record: TerraformResource) -> None:
    bucket = _text(record.values.get("name"))
    if bucket is None:
        draft.warn(record, "bucket name not known statically; the bucket is left out")
        return
    project = _project_of(draft, record)
    _resource(draft, f"//storage.googleapis.com/projects/_/buckets/{bucket}",
              "gcp:storage:bucket", record, project=project, parent=_project_name(project),
              name=bucket)


def _custom_role(draft: GcpDraft, record: TerraformResource) -> None:
    role = _text(record.values.get("name")) or _text(record.values.get("id"))
    permissions = record.values.get("permissions")
    if role is None:
        draft.warn(record, "custom role name not known statically; bindings of it stay "
                           "unexpanded")
        return
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        draft.warn(record, f"permissions of custom role {role} not known statically; "
                           "bindings of it stay unexpanded")
        return
    draft.custom_roles[role] = tuple(sorted(set(permissions)))
    project = _text(record.values.get("project"))
    _resource(draft, f"//iam.googleapis.com/{role}", "gcp:iam:role", record, project=project,
              name=role, attributes=(("permissions", ",".join(draft.custom_roles[role])),))


def _iam(draft: GcpDraft, record: TerraformResource,
         data: dict[str, TerraformResource]) -> None:
    base = record.type.removeprefix("google_")
    for suffix in IAM_SUFFIXES:
        base = base.removesuffix(suffix)
    spec = gcp_iam_resources().get(base)
    target = _target_name(draft, record, base, spec)
    if target is None:
        return
    bindings = _bindings(draft, record, data)
    statements = tuple(_statement(draft, index, binding)
                       for index, binding in enumerate(bindings))
    policy_id = f"{target}/iam/{record.address}"
    draft.policies[policy_id] = Policy(id=policy_id, kind=PolicyKind.GCP_ALLOW,
                                       statements=statements,
                                       name=target.split("/", 3)[-1],
                                       document={"bindings": bindings},
                                       source=source_of(record))
    draft.own(policy_id, record)
    draft.fragments.setdefault(target, []).append(policy_id)
    if target not in draft.resources:
        resource_type = spec["type"] if spec else f"gcp:{base}"
        project = _text(record.values.get("project"))
        _resource(draft, target, resource_type, record, project=project,
                  parent=_project_name(project) if project and base != "project" else None)
    if record.type.endswith("_iam_binding"):
        draft.notes.append(f"{record.address} is authoritative for {bindings[0]['role']} on "
                           f"{target}: other members of that role are removed at apply")
    elif record.type.endswith("_iam_policy"):
        draft.notes.append(f"{record.address} replaces the whole IAM policy of {target} at "
                           "apply")


def _target_name(draft: GcpDraft, record: TerraformResource, base: str,
                 spec: dict[str, Any] | None) -> str | None:
    values = record.values
    if spec is None:
        draft.warn(record, f"resource-level IAM on google_{base} is not in the resource table "
                           "(data/gcp_iam_resources.toml); named by its address")
        return f"//terraform/{record.address}"
    argument = spec["id_argument"]
    value = values.get(argument)
    if isinstance(value, Unknown):
        draft.warn(record, f"{argument} not known until apply; the target is named by the "
                           "address")
        return f"//{spec['service']}/terraform/{record.address}"
    if isinstance(value, str) and value.startswith(("projects/", "organizations/",
                                                   "folders/")) and base not in (
            "project", "folder", "organization"):
        return f"//{spec['service']}/{value}"
    fields: dict[str, str] = {}
    for key in _template_fields(spec["name"]):
        known = _text(values.get(key))
        if known is None and key == "project":
            known = _project_of(draft, record)
        if known is None:
            draft.warn(record, f"{key} not known statically; the target is named by the "
                               "address")
            return f"//{spec['service']}/terraform/{record.address}"
        fields[key] = known
    if base == "folder":
        fields["folder"] = _prefixed(fields["folder"], "folders/")
    if base == "organization":
        fields["org_id"] = fields["org_id"].removeprefix("organizations/")
    if base == "project":
        fields["project"] = fields["project"].removeprefix("projects/")
        draft.projects.add(fields["project"])
    return spec["name"].format(**fields)


def _template_fields(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


def _bindings(draft: GcpDraft, record: TerraformResource,
              data: dict[str, TerraformResource]) -> list[dict[str, Any]]:
    values = record.values
    if record.type.endswith("_iam_policy"):
        return _policy_bindings(draft, record, values.get("policy_data"), data)
    condition = _condition(values.get("condition"))
    if record.type.endswith("_iam_member"):
        members = [values.get("member")]
    else:
        raw = values.get("members")
        members = raw if isinstance(raw, list) else [raw]
    binding = {"role": _known_or_marker(draft, record, "role", values.get("role")),
               "members": [_known_or_marker(draft, record, "member", m) for m in members]}
    if condition:
        binding["condition"] = condition
    return [binding]


def _policy_bindings(draft: GcpDraft, record: TerraformResource, policy_data: Any,
                     data: dict[str, TerraformResource]) -> list[dict[str, Any]]:
    if isinstance(policy_data, Unknown) and policy_data.reference:
        source = data.get(policy_data.reference.removesuffix(".policy_data"))
        if source is not None:
            policy_data = source.values.get("policy_data")
    if not isinstance(policy_data, str):
        draft.warn(record, "policy_data not known until apply: the policy's bindings are not "
                           "known (coverage gap)")
        return []
    try:
        parsed = json.loads(policy_data)
    except json.JSONDecodeError as exc:
        draft.warn(record, f"policy_data is not JSON ({exc.msg}); the policy is left empty")
        return []
    out = []
    for binding in parsed.get("bindings") or [] if isinstance(parsed, dict) else []:
        if not isinstance(binding, dict):
            continue
        item = {"role": _known_or_marker(draft, record, "role", binding.get("role")),
                "members": [_known_or_marker(draft, record, "member", m)
                            for m in binding.get("members") or []]}
        condition = _condition(binding.get("condition"))
        if condition:
            item["condition"] = condition
        out.append(item)
    return out


def _condition(value: Any) -> dict[str, str] | None:
    block = value[0] if isinstance(value, list) and value else value
    if not isinstance(block, dict):
        return None
    expression = block.get("expression")
    return {"title": str(block.get("title") or ""),
            "expression": expression if isinstance(expression, str)
            else "(unknown until apply)"}


def _known_or_marker(draft: GcpDraft, record: TerraformResource, what: str, value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    reference = value.reference if isinstance(value, Unknown) else None
    draft.warn(record, f"{what} not known statically"
               + (f" ({value.reason})" if isinstance(value, Unknown) else "")
               + "; kept as unknown")
    return f"unknown:{reference or record.address}"


def _statement(draft: GcpDraft, index: int, binding: dict[str, Any]) -> Statement:
    role = binding["role"]
    actions: tuple[str, ...] = (role,)
    sid = None
    if role in draft.custom_roles:
        actions, sid = draft.custom_roles[role], role
    condition = binding.get("condition")
    return Statement(effect=Effect.ALLOW, index=index, sid=sid, actions=actions,
                     principal=PrincipalSpec(gcp=tuple(binding["members"])),
                     gcp_condition=condition["expression"] if condition else None)


def _authoritative_conflicts(draft: GcpDraft, managed: list[TerraformResource]) -> None:
    """``_iam_policy`` next to other IAM resources on one target: the docs say they conflict."""
    by_address = {r.address: r for r in managed}
    for target, policy_ids in draft.fragments.items():
        addresses = [draft.addresses[p] for p in policy_ids]
        whole = [a for a in addresses if by_address[a].type.endswith("_iam_policy")]
        if whole and len(addresses) > 1:
            others = ", ".join(a for a in addresses if a != whole[0])
            draft.warn(by_address[whole[0]], f"authoritative for the whole policy of {target}: "
                                             f"conflicts with {others}")


def _attach_fragments(draft: GcpDraft) -> None:
    for target, policy_ids in draft.fragments.items():
        resource = draft.resources[target]
        attributes = dict(resource.attributes)
        attributes["iam_policies"] = ",".join(policy_ids)
        draft.resources[target] = Resource(
            id=resource.id, type=resource.type, provider=resource.provider,
            account=resource.account, name=resource.name, parent=resource.parent,
            policy_id=policy_ids[0] if len(policy_ids) == 1 else None,
            attributes=tuple(sorted(attributes.items())), source=resource.source)


def _resource(draft: GcpDraft, resource_id: str, kind: str, record: TerraformResource, *,
              project: str | None, parent: str | None = None, name: str | None = None,
              attributes: tuple[tuple[str, str], ...] = ()) -> None:
    if resource_id in draft.resources:
        return
    # A target that only an IAM resource mentions is not defined by it: no source, no owner.
    defines = not record.type.endswith(IAM_SUFFIXES)
    draft.resources[resource_id] = Resource(
        id=resource_id, type=kind, provider=Provider.GCP, account=project,
        name=name or resource_id.rsplit("/", 1)[-1], parent=parent, attributes=attributes,
        source=source_of(record) if defines else None)
    if defines:
        draft.own(resource_id, record)


def _project_name(project: str | None) -> str | None:
    return f"//cloudresourcemanager.googleapis.com/projects/{project}" if project else None


def _prefixed(value: str, prefix: str) -> str:
    return value if value.startswith(prefix) else prefix + value


__all__ = ["GcpDraft", "is_gcp", "normalize_gcp"]
