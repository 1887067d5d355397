"""What the AWS normalizer knows while it works: the account and region, every record by
address with the identity it creates (ARN, name, id), and how to follow a reference.

Identities come first (one pass over all records), so that a value unknown until apply but
carrying a reference (``Unknown(reference="aws_iam_role.deploy.arn")``) resolves to the
ARN iamscope computes for that role: ARNs are ``arn:<partition>:iam::<account>:role<path>
<name>`` and so on (templates in ``data/aws_resource_types.toml``); IAM identity providers are
``arn:<partition>:iam::<account>:oidc-provider/<issuer URL without https://>`` and
``...:saml-provider/<name>``, so that a trust policy's ``Federated`` principal naming
``aws_iam_openid_connect_provider.github.arn`` is the provider, not ``*``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as package_data
from typing import Any

from iamscope.collect.terraform.plan import split_address
from iamscope.collect.terraform.policy_document import render_policy_document
from iamscope.collect.terraform.resources import Suppression, TerraformResource, Unknown
from iamscope.model.source import SourceRef

IAM_KINDS = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group",
             "aws_iam_policy": "policy", "aws_iam_instance_profile": "instance-profile"}
ID_IS_ARN = frozenset({"aws_iam_policy", "aws_sns_topic", "aws_secretsmanager_secret"})
# IAM identity providers (resources and data sources): the ARN's resource type and the
# attribute that names the provider. Service Authorization Reference, "Actions, resources,
# and condition keys for AWS Identity and Access Management", resource types
# ``oidc-provider`` (arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}) and
# ``saml-provider``; an OIDC provider is named by its issuer URL without ``https://``
# (IAM User Guide, "Create an OpenID Connect (OIDC) identity provider in IAM"; Terraform
# Registry, aws_iam_openid_connect_provider ``url``).
IDENTITY_PROVIDERS = {"aws_iam_openid_connect_provider": ("oidc-provider", "url"),
                      "aws_iam_saml_provider": ("saml-provider", "name")}
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ARN = re.compile(r"^arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S")
_TEMPLATE_FIELD = re.compile(r"\{([a-z_]+)\}")
_UNSAFE = re.compile(r"[^A-Za-z0-9+=,.@_-]")


@cache
def resource_types() -> dict[str, Any]:
    """``data/aws_resource_types.toml``, read once on first use."""
    text = package_data.files("iamscope.collect.terraform").joinpath(
        "data/aws_resource_types.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def placeholder(address: str) -> str:
    """A stand-in for a name known only after apply, stable and ARN-safe."""
    return "tf-unknown-" + _UNSAFE.sub("_", address)


@dataclass
class AwsContext:
    account: str
    region: str
    partition: str = "aws"
    records: dict[str, TerraformResource] = field(default_factory=dict)
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, SourceRef] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)
    suppressions: dict[str, tuple[Suppression, ...]] = field(default_factory=dict)
    gaps: list[dict[str, Any]] = field(default_factory=list)

    def warn(self, record: TerraformResource, message: str) -> None:
        self.warnings.append(f"{where(record)}: {message}")

    def gap(self, record: TerraformResource, scope: str, reason: str) -> None:
        self.gaps.append({"scope": scope, "reason": f"{reason} ({where(record)})",
                          "account": self.account})
        self.warn(record, f"{scope}: {reason}")

    def own(self, element_id: str, record: TerraformResource) -> None:
        """Record that ``record`` defines the inventory element ``element_id``."""
        self.sources[element_id] = source_of(record)
        self.addresses[element_id] = record.address
        if record.suppressions:
            self.suppressions[element_id] = record.suppressions

    # -- identities ---------------------------------------------------------------------

    def index(self, records: tuple[TerraformResource, ...]) -> None:
        for record in records:
            self.records[record.address] = record
        for record in records:
            identity = self._identity(record)
            if identity:
                self.identities[record.address] = identity

    def _identity(self, record: TerraformResource) -> dict[str, Any]:
        values = record.values
        if record.type in IDENTITY_PROVIDERS:
            return self._provider(record)
        if record.mode == "data":
            if record.type == "aws_iam_policy_document":
                known = values.get("json")
                return {"json": known if isinstance(known, str)
                        else render_policy_document(values)}
            return {}
        if record.type in IAM_KINDS:
            name = self.name_of(record, "name")
            path = values.get("path") if isinstance(values.get("path"), str) else "/"
            if isinstance(values.get("path"), Unknown):
                self.warn(record, "path is not known before apply; its ARN uses '/'")
            arn = self.known_arn(record) or (
                f"arn:{self.partition}:iam::{self.account}:{IAM_KINDS[record.type]}{path}{name}")
            return {"arn": arn, "name": name, "path": path,
                    "id": arn if record.type in ID_IS_ARN else name,
                    "unique_id": values.get("unique_id")}
        if record.type == "aws_organizations_policy":
            policy_id = values.get("id") if isinstance(values.get("id"), str) else \
                placeholder(record.address)
            arn = self.known_arn(record) or (
                f"arn:{self.partition}:organizations::{self.account}:policy/{policy_id}")
            return {"arn": arn, "id": policy_id, "name": values.get("name")}
        if record.type == "aws_organizations_organizational_unit":
            known = values.get("id")
            return {"id": known if isinstance(known, str) else placeholder(record.address)}
        if record.type == "aws_organizations_organization":
            return {"roots": "r-terraform", "id": values.get("id") if isinstance(
                values.get("id"), str) else "o-terraform"}
        spec = resource_types().get(record.type)
        if spec is None or record.type == "policies":
            return {}
        name = self.name_of(record, spec["name"])
        arn = self.known_arn(record) or self._arn(record, spec["arn"])
        identity = {"arn": arn, "name": name, spec["name"]: name,
                    "id": arn if record.type in ID_IS_ARN else name}
        if record.type == "aws_sqs_queue":
            identity["id"] = identity["url"] = (
                f"https://sqs.{self.region_of(record)}.amazonaws.com/{self.account}/{name}")
        if record.type == "aws_kms_key":
            key_id = values.get("key_id")
            identity["id"] = identity["key_id"] = key_id if isinstance(key_id, str) else \
                placeholder(record.address)
        if isinstance(values.get("id"), str):
            identity["id"] = values["id"]
        return identity

    def _provider(self, record: TerraformResource) -> dict[str, Any]:
        """An OIDC or SAML provider: its ARN when known, else built from its URL or name.
        A data source whose ARN and name are both unknown has no identity (it stays
        unknown); a provider this configuration creates gets a placeholder name."""
        kind, attribute = IDENTITY_PROVIDERS[record.type]
        known = self.known_arn(record)
        if known:
            return {"arn": known, "id": known, "name": known.split(f":{kind}/", 1)[-1]}
        named = self.resolve(record.values.get(attribute))
        if record.mode == "data" and not (isinstance(named, str) and named):
            return {}
        name = self.name_of(record, attribute)
        if kind == "oidc-provider":
            name = name.split("://", 1)[-1] if name.lower().startswith("https://") else name
        arn = f"arn:{self.partition}:iam::{self.account}:{kind}/{name}"
        return {"arn": arn, "id": arn, "name": name}

    def known_arn(self, record: TerraformResource) -> str | None:
        """The record's ``arn`` when known and shaped as an ARN; other text (a corrupt or
        hand-edited plan) is ignored with a warning, and the ARN is computed instead."""
        value = record.values.get("arn")
        if isinstance(value, str) and _ARN.match(value):
            return value
        if isinstance(value, str):
            self.warn(record, f"arn {value[:60]!r} is not an ARN; ignored")
        return None

    def region_of(self, record: TerraformResource) -> str:
        region = record.values.get("region")
        return region if isinstance(region, str) and region else self.region

    def name_of(self, record: TerraformResource, attribute: str) -> str:
        value = self.resolve(record.values.get(attribute))
        if isinstance(value, str) and value:
            return value
        prefix = record.values.get("name_prefix")
        stand_in = (prefix if isinstance(prefix, str) else "") + placeholder(record.address)
        self.warn(record, f"{attribute} is not known before apply; using {stand_in!r}")
        return stand_in

    def _arn(self, record: TerraformResource, template: str) -> str:
        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            if key == "partition":
                return self.partition
            if key == "region":
                return self.region_of(record)
            if key == "account":
                return self.account
            value = self.resolve(record.values.get(key))
            return value if isinstance(value, str) and value else placeholder(record.address)
        return _TEMPLATE_FIELD.sub(fill, template)

    # -- references ---------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """``value`` with a top-level ``Unknown`` replaced by what its reference names,
        when iamscope knows it; anything else is returned unchanged."""
        if not isinstance(value, Unknown) or value.reference is None:
            return value
        parts = split_address(value.reference)
        for cut in range(len(parts) - 1, 0, -1):
            address = ".".join(parts[:cut])
            if address in self.records:
                attribute = parts[cut].split("[", 1)[0]
                known = self.identities.get(address, {}).get(attribute)
                if known is None:
                    known = self.records[address].values.get(attribute)
                return known if known is not None and not isinstance(known, Unknown) else value
        return value

    def resolve_document(self, value: Any) -> Any:
        """A policy document value with references followed: a wholly unknown document
        whose reference names a document (JSON text or an object) becomes it, and unknown
        members of a ``Principal`` become the principal they reference (an OIDC provider,
        a role) when that is an ARN or an account id. Anything else stays unknown, for
        ``documents.conservative_document`` to widen; a reference to something that is not
        a document (an ARN a ``jsonencode()`` mentions, in a plan) is not followed."""
        resolved = self.resolve(value)
        if resolved is not value and not (isinstance(resolved, dict) or (
                isinstance(resolved, str) and resolved.lstrip().startswith("{"))):
            return value
        if not isinstance(resolved, dict):
            return resolved
        statements = resolved.get("Statement")
        if isinstance(statements, dict):
            return {**resolved, "Statement": self._with_principals(statements)}
        if isinstance(statements, list):
            return {**resolved, "Statement": [self._with_principals(s) for s in statements]}
        return resolved

    def _with_principals(self, statement: Any) -> Any:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, dict):
            return statement
        members = {kind: [self._principal(m) for m in value] if isinstance(value, list)
                   else self._principal(value) for kind, value in principal.items()}
        return {**statement, "Principal": members}

    def _principal(self, member: Any) -> Any:
        if not isinstance(member, Unknown):
            return member
        known = self.resolve(member)
        if isinstance(known, str) and (known.startswith("arn:") or _ACCOUNT_ID.match(known)):
            return known
        return member

    def text(self, record: TerraformResource, attribute: str) -> str | None:
        """A string attribute, following references; None (with a warning) when unknown."""
        value = self.resolve(record.values.get(attribute))
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Unknown):
            self.warn(record, f"{attribute} {value} is not known before apply; ignored")
        return None

    def texts(self, record: TerraformResource, attribute: str) -> list[str]:
        value = self.resolve(record.values.get(attribute))
        if isinstance(value, Unknown):
            self.warn(record, f"{attribute} {value} is not known before apply; ignored")
            return []
        found: list[str] = []
        for item in value if isinstance(value, list | tuple) else []:
            item = self.resolve(item)
            if isinstance(item, str) and item:
                found.append(item)
            elif isinstance(item, Unknown):
                self.warn(record, f"an item of {attribute} {item} is not known before apply; "
                          "ignored")
        return found

    def iam_arn(self, kind: str, name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        path = "" if name_or_arn.startswith("/") else "/"
        return f"arn:{self.partition}:iam::{self.account}:{kind}{path}{name_or_arn}"


def static_identity(record: TerraformResource, account: str, region: str,
                    partition: str = "aws") -> dict[str, str]:
    """The identity attributes (arn, id, name, url ...) of a managed AWS resource that follow
    from its own arguments, for the HCL reader: ``"${aws_s3_bucket.logs.arn}/*"`` is then
    known exactly before apply. Nothing is returned when a name is not known (the
    normalizer's placeholder would leak into other values)."""
    if record.mode != "managed" or any(isinstance(record.values.get(k), Unknown)
                                       for k in ("path", "region")):
        return {}  # the ARN would silently take the default path or region
    context = AwsContext(account=account, region=region, partition=partition)
    identity = context._identity(record)
    if context.warnings or any(isinstance(v, str) and "tf-unknown-" in v
                               for v in identity.values()):
        return {}
    return {k: v for k, v in identity.items() if isinstance(v, str) and v}


def where(record: TerraformResource) -> str:
    source = record.source
    if source is not None and source.file:
        line = f":{source.line}" if source.line else ""
        return f"{source.file}{line} ({record.address})"
    return record.address


def source_of(record: TerraformResource) -> SourceRef:
    if record.source is not None:
        return record.source
    return SourceRef(address=record.address)
