"""The contract between the Terraform readers (HCL, plan JSON) and the normalizer.

A reader turns its input into ``TerraformResource`` records whose ``values`` are plain JSON-like
data (dict, list, str, int, float, bool, None) in which anything not known statically (before
apply, or beyond what the static evaluator understands) is an ``Unknown``. The normalizer never
sees HCL or plan JSON, only these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamscope.model.source import SourceRef


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value not known before apply or not evaluable statically.

    ``reference`` is the Terraform reference the value comes from when there is one
    (``aws_iam_policy.deploy.arn``, ``module.ci.aws_iam_role.this[0].name``): the normalizer
    uses it to join, for example, an attachment to the policy resource it names.
    ``reason`` says why it is unknown, for the warning shown to the user.
    """

    reason: str
    reference: str | None = None

    def __str__(self) -> str:  # what a report shows in place of the value
        return f"(unknown: {self.reference or self.reason})"


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline ``# iamscope:ignore RULE_ID reason`` on a resource."""

    rule_id: str
    reason: str
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class TerraformResource:
    """One resource or data source instance, after count/for_each expansion.

    ``address`` is the full instance address (``module.ci.aws_iam_role.this["x"]``),
    ``type`` the resource type (``aws_iam_role``), ``mode`` "managed" or "data".
    ``values`` holds the attributes (arguments and, for plans, computed attributes known at
    plan time). ``source`` carries file/line/address when known.
    """

    address: str
    type: str
    name: str
    values: dict[str, Any]
    mode: str = "managed"
    module: str = ""  # "" for the root module, else "module.a.module.b"
    source: SourceRef | None = None
    suppressions: tuple[Suppression, ...] = ()


@dataclass(frozen=True, slots=True)
class TerraformReading:
    """What a reader returns: the resources and everything it could not evaluate."""

    resources: tuple[TerraformResource, ...]
    warnings: tuple[str, ...] = ()  # each names file and line (or plan address)
    prior: tuple[TerraformResource, ...] | None = None  # plans only: prior_state
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class TerraformLoad:
    """The collector's answer for one PATH (``collect/terraform/load.py: load_terraform``).

    ``planned`` is the inventory of the configuration (HCL) or of the planned state (plan);
    ``prior`` the inventory of the plan's ``prior_state`` (None for HCL, or a plan without
    prior state). ``suppressions`` maps inventory element ids (principal/policy/resource ids)
    to the inline suppressions written on the resource that defines them.
    """

    planned: Any  # Inventory (kept Any here so this module imports only the model's source)
    prior: Any | None = None
    warnings: tuple[str, ...] = ()
    suppressions: dict[str, tuple[Suppression, ...]] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # element id -> Terraform address
    # "<principal id>|<policy id>" -> file/line of the attachment resource
    locations: dict[str, SourceRef] = field(default_factory=dict)
