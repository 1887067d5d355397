"""Documents of AWS-managed policies that a configuration attaches by ARN.

Never guessed. Sources, in order (each resolved policy is named with its source in the
inventory notes; an unresolved one stays a coverage gap):

1. ``--managed-policies FILE``: an inventory snapshot, raw collection or
   ``aws iam get-account-authorization-details`` dump from a live collection;
2. ``data "aws_iam_policy"`` sources read at plan time (``arn`` and ``policy`` known).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iamscope.collect.load import load_inventory
from iamscope.collect.terraform.resources import TerraformResource


def documents_from_file(path: Path) -> dict[str, tuple[Any, str]]:
    """AWS-managed policy ARN -> (document, source) from a live collection file."""
    loaded = load_inventory(path)
    found: dict[str, tuple[Any, str]] = {}
    for policy in loaded.inventory.policies.values():
        if ":aws:policy/" in policy.id and policy.document is not None:
            found[policy.id] = (policy.document, f"{path} ({loaded.kind})")
    return found


def documents_from_data_sources(records: tuple[TerraformResource, ...]
                                ) -> dict[str, tuple[Any, str]]:
    found: dict[str, tuple[Any, str]] = {}
    for record in records:
        arn, policy = record.values.get("arn"), record.values.get("policy")
        if (record.mode == "data" and record.type == "aws_iam_policy"
                and isinstance(arn, str) and ":aws:policy/" in arn and isinstance(policy, str)):
            found[arn] = (policy, f"{record.address} read at plan time")
    return found
