"""Identities that the Google provider computes from a resource's arguments.

Both readers use these: the HCL reader to answer ``google_service_account.ci.email`` before
apply, the normalizer to fill attributes a plan still calls unknown. Formats:

- service account email ``ACCOUNT_ID@PROJECT.iam.gserviceaccount.com``, resource name
  ``projects/PROJECT/serviceAccounts/EMAIL``, member ``serviceAccount:EMAIL``
  (https://cloud.google.com/iam/docs/service-account-overview,
  https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_service_account);
- custom role ids ``projects/PROJECT/roles/ROLE_ID`` and
  ``organizations/ORG_ID/roles/ROLE_ID`` (https://cloud.google.com/iam/docs/creating-custom-roles);
- ``data "google_iam_policy"``: ``policy_data`` is the JSON policy built from its ``binding``
  blocks (https://registry.terraform.io/providers/hashicorp/google/latest/docs/data-sources/iam_policy).
"""

from __future__ import annotations

import json
from typing import Any

from iamscope.collect.terraform.resources import Unknown


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def service_account_attributes(values: dict[str, Any]) -> dict[str, Any]:
    """email, name, id, member of a ``google_service_account`` when account_id and project
    are known; {} otherwise (the provider's default project is not known statically)."""
    account_id, project = _text(values.get("account_id")), _text(values.get("project"))
    if account_id is None or project is None:
        return {}
    email = f"{account_id}@{project}.iam.gserviceaccount.com"
    name = f"projects/{project}/serviceAccounts/{email}"
    return {"email": email, "name": name, "id": name, "member": f"serviceAccount:{email}"}


def custom_role_attributes(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    role_id = _text(values.get("role_id"))
    if kind == "google_project_iam_custom_role":
        parent = _text(values.get("project"))
        prefix = f"projects/{parent}" if parent else None
    else:
        parent = _text(values.get("org_id"))
        prefix = f"organizations/{parent}" if parent else None
    if role_id is None or prefix is None:
        return {}
    name = f"{prefix}/roles/{role_id}"
    return {"name": name, "id": name}


def iam_policy_data(values: dict[str, Any], address: str) -> Any:
    """``policy_data`` of ``data "google_iam_policy"``: JSON text, or Unknown when a part of
    it is unknown."""
    bindings: list[dict[str, Any]] = []
    for block in values.get("binding") or []:
        if not isinstance(block, dict):
            return Unknown("a binding block is not known", f"{address}.policy_data")
        binding: dict[str, Any] = {"role": block.get("role"),
                                   "members": sorted(block.get("members") or [])
                                   if isinstance(block.get("members"), list)
                                   else block.get("members")}
        conditions = block.get("condition") or []
        if isinstance(conditions, list) and conditions and isinstance(conditions[0], dict):
            binding["condition"] = conditions[0]
        if _has_unknown(binding):
            return Unknown(f"a binding of {address} is not known until apply",
                           f"{address}.policy_data")
        bindings.append(binding)
    return json.dumps({"bindings": bindings}, sort_keys=True)


def computed_attributes(kind: str, values: dict[str, Any], address: str) -> dict[str, Any]:
    """The computed attributes above for one record (nothing for other types)."""
    if kind == "google_service_account":
        return service_account_attributes(values)
    if kind in ("google_project_iam_custom_role", "google_organization_iam_custom_role"):
        return custom_role_attributes(kind, values)
    if kind == "google_iam_policy":
        return {"policy_data": iam_policy_data(values, address)}
    return {}


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    return False


__all__ = ["computed_attributes", "iam_policy_data", "service_account_attributes"]
