"""``load_terraform``: a directory of ``.tf`` files or a plan JSON file -> ``TerraformLoad``.

I/O edge of the Terraform collector: reads the files, then calls the pure readers and the
normalizer. A plan's ``--source`` directory (default: the plan's directory when it holds
``.tf`` files) is read with the HCL reader only to map addresses to file and line and to
collect inline suppressions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iamscope.collect.files import read_json_file
from iamscope.collect.terraform.managed_policies import managed_documents
from iamscope.collect.terraform.normalize import (
    PLACEHOLDER_ACCOUNT,
    PLACEHOLDER_REGION,
    normalize_reading,
)
from iamscope.collect.terraform.plan import config_address, is_plan, read_plan
from iamscope.collect.terraform.resources import (
    TerraformLoad,
    TerraformReading,
    TerraformResource,
)
from iamscope.errors import InputError


def is_terraform_path(path: Path) -> bool:
    """A directory holding ``.tf`` or ``.tf.json`` files."""
    return path.is_dir() and _has_configuration(path)


def _has_configuration(directory: Path) -> bool:
    return any(directory.glob("*.tf")) or any(directory.glob("*.tf.json"))


def load_terraform(path: Path, *, variables: dict[str, Any] | None = None,
                   var_files: Sequence[Path] = (), source_dir: Path | None = None,
                   account: str | None = None, managed_policies: Path | None = None,
                   region: str | None = None, plan: Any = None) -> TerraformLoad:
    """Read ``path``: a directory of ``.tf`` files, or a plan JSON file. A caller that has
    already decoded the plan (to tell a plan from an inventory) passes it as ``plan`` and
    the file is not read again."""
    if plan is None and path.is_dir():
        # Without --account, source ARNs built from data.aws_caller_identity use the same
        # placeholder account as the principals the configuration creates, so a role's own
        # statements about "this account" still refer to it.
        reading = _read_hcl(path, variables, var_files, account or PLACEHOLDER_ACCOUNT,
                            region or PLACEHOLDER_REGION)
    else:
        data = read_json_file(path) if plan is None else plan
        if not is_plan(data):
            raise InputError(f"{path}: not a Terraform plan (expected `terraform show -json` "
                             "output with format_version and planned_values)")
        reading = read_plan(data, where=str(path))
        source_dir = source_dir or (path.parent if _has_configuration(path.parent) else None)
        if source_dir is not None:
            source = _read_hcl(source_dir, variables, var_files, account, region)
            reading = _located(reading, source)
    documents = managed_documents((*reading.resources, *(reading.prior or ())),
                                  managed_policies)
    planned = normalize_reading(reading.resources, account=account, region=region,
                                managed_documents=documents, notes=reading.notes)
    prior = None
    if reading.prior is not None:
        prior = normalize_reading(reading.prior, account=account, region=region,
                                  managed_documents=documents, notes=reading.notes).inventory
    return TerraformLoad(planned=planned.inventory, prior=prior,
                         warnings=(*reading.warnings, *planned.warnings),
                         suppressions=planned.suppressions, addresses=planned.addresses,
                         locations=planned.locations)


def _read_hcl(directory: Path, variables: dict[str, Any] | None, var_files: Sequence[Path],
              account: str | None, region: str | None) -> TerraformReading:
    from iamscope.collect.terraform.hcl.read import read_hcl

    return read_hcl(directory, variables=variables, var_files=var_files, account=account,
                    region=region)


def _located(reading: TerraformReading, source: TerraformReading) -> TerraformReading:
    """Plan records with the file/line and suppressions of the same address in the source
    (instance address first, then the configured resource)."""
    by_address: dict[str, TerraformResource] = {}
    for record in source.resources:
        by_address.setdefault(config_address(record.address), record)
        by_address[record.address] = record

    def locate(record: TerraformResource) -> TerraformResource:
        found = by_address.get(record.address) or by_address.get(config_address(record.address))
        if found is None or found.source is None:
            return record
        located = dataclasses.replace(found.source, address=record.address)
        return dataclasses.replace(record, source=located,
                                   suppressions=record.suppressions or found.suppressions)

    prior = None if reading.prior is None else tuple(locate(r) for r in reading.prior)
    return dataclasses.replace(reading, resources=tuple(locate(r) for r in reading.resources),
                               prior=prior)
