"""Load an inventory from any file iamscope accepts where it takes an inventory:
a snapshot (``iamscope collect ... -o``), a raw AWS collection, or the output of
``aws iam get-account-authorization-details``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamscope.collect.aws.normalize import (
    inventory_from_authorization_details,
    normalize_collection,
)
from iamscope.collect.aws.raw import RAW_FORMAT
from iamscope.collect.files import read_json_file
from iamscope.errors import InputError, SnapshotError
from iamscope.model.inventory import Inventory
from iamscope.model.snapshot import inventory_from_dict


@dataclass
class LoadedInventory:
    inventory: Inventory
    kind: str  # "snapshot" | "aws-raw" | "authorization-details"
    warnings: list[str] = field(default_factory=list)


def inventory_from_data(data: Any, *, source: str, account_id: str | None = None,
                        catalog_version: str | None = None) -> LoadedInventory:
    if isinstance(data, dict) and data.get("format") == "iamscope-inventory":
        try:
            return LoadedInventory(inventory_from_dict(data), "snapshot")
        except SnapshotError as exc:
            raise SnapshotError(f"{source}: {exc}") from None
    if isinstance(data, dict) and data.get("format") == RAW_FORMAT:
        result = normalize_collection(data, source_file=source, catalog_version=catalog_version)
        return LoadedInventory(result.inventory, "aws-raw", result.warnings)
    if isinstance(data, dict) and any(k in data for k in (
            "UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")):
        result = inventory_from_authorization_details(
            data, source_file=source, account_id=account_id, catalog_version=catalog_version)
        return LoadedInventory(result.inventory, "authorization-details", result.warnings)
    raise InputError(f"{source}: not an inventory: expected an iamscope snapshot, a raw AWS "
                     "collection or an `aws iam get-account-authorization-details` document")


def load_inventory(path: Path, *, account_id: str | None = None,
                   catalog_version: str | None = None) -> LoadedInventory:
    return inventory_from_data(read_json_file(path), source=str(path), account_id=account_id,
                               catalog_version=catalog_version)
