"""Documents of AWS-managed policies that a configuration attaches by ARN.

Never guessed. Sources, in order (each resolved policy is named with its source in the
inventory notes; an unresolved one stays a coverage gap):

1. ``--managed-policies FILE``: an inventory snapshot, raw collection or
   ``aws iam get-account-authorization-details`` dump from a live collection (the newest);
2. ``data "aws_iam_policy"`` sources read at plan time (``arn`` and ``policy`` known);
3. the packaged, dated data set ``data/aws_managed_policies.json.gz``, generated from moto's
   maintained copy of the AWS-managed policies by ``tools/update_managed_policies.py``
   (commercial partition ``arn:aws:`` only). It is read only when a configuration refers
   to an AWS-managed ARN that the first two sources do not resolve.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iamscope.collect.load import load_inventory
from iamscope.collect.terraform.resources import TerraformResource
from iamscope.errors import InputError

PACKAGED = "data/aws_managed_policies.json.gz"
PACKAGED_FORMAT = "iamscope-aws-managed-policies"
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: AWS-managed policies
# are arn:aws:iam::aws:policy/<path><name>; names and paths use [\w+=,.@-] and "/".
PACKAGED_ARN = re.compile(r"arn:aws:iam::aws:policy/[\w+=,.@/-]+")


@dataclass(frozen=True, slots=True)
class PackagedPolicies:
    """The packaged data set: its header and ARN -> document."""

    package: str
    package_version: str
    generated: str
    documents_as_of: str
    documents: dict[str, Any]

    @property
    def label(self) -> str:
        return (f"the packaged AWS-managed policy set ({self.package} {self.package_version}, "
                f"documents as of {self.documents_as_of}, generated {self.generated})")


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


def managed_documents(records: tuple[TerraformResource, ...], live: Path | None = None
                      ) -> dict[str, tuple[Any, str]]:
    """Every source combined: ``live`` (``--managed-policies``) over the data sources over
    the packaged set, which is read (once per call) only if some ARN is still missing."""
    documents = documents_from_data_sources(records)
    if live is not None:
        documents |= documents_from_file(live)
    missing = referenced_packaged_arns(records) - documents.keys()
    if missing:
        documents = documents_from_package(missing, read_packaged()) | documents
    return documents


def referenced_packaged_arns(records: Iterable[TerraformResource]) -> set[str]:
    """The AWS-managed ARNs (commercial partition) written as whole values in the records."""
    return {text for record in records for text in _strings(record.values)
            if PACKAGED_ARN.fullmatch(text)}


def documents_from_package(arns: Iterable[str], packaged: PackagedPolicies
                           ) -> dict[str, tuple[Any, str]]:
    return {arn: (packaged.documents[arn], packaged.label)
            for arn in sorted(arns) if arn in packaged.documents}


def read_packaged() -> PackagedPolicies:
    """The packaged data set (I/O: the package's data file)."""
    resource = resources.files("iamscope.collect.terraform").joinpath(PACKAGED)
    try:
        return parse_packaged(resource.read_bytes(), where=PACKAGED)
    except OSError as error:
        raise InputError(f"{PACKAGED}: cannot read the packaged AWS-managed policy set "
                         f"({error}); reinstall iamscope") from error


def parse_packaged(data: bytes, *, where: str) -> PackagedPolicies:
    """The gzip'd JSON written by ``tools/update_managed_policies.py`` -> PackagedPolicies."""
    try:
        loaded = json.loads(gzip.decompress(data))
    except (OSError, EOFError, zlib.error, ValueError) as error:
        raise InputError(f"{where}: the packaged AWS-managed policy set is damaged "
                         f"({error}); regenerate it with tools/update_managed_policies.py"
                         ) from error
    if not isinstance(loaded, dict) or loaded.get("format") != PACKAGED_FORMAT:
        raise InputError(f"{where}: not an iamscope AWS-managed policy set")
    source, policies = loaded.get("source"), loaded.get("policies")
    if not isinstance(source, dict) or not isinstance(policies, dict):
        raise InputError(f"{where}: the AWS-managed policy set has no source or policies")
    return PackagedPolicies(
        package=str(source.get("package")), package_version=str(source.get("version")),
        generated=str(loaded.get("generated")),
        documents_as_of=str(loaded.get("documents_as_of")),
        documents={arn: entry["document"] for arn, entry in policies.items()
                   if isinstance(entry, dict) and isinstance(entry.get("document"), dict)})


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
