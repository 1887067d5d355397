"""iamscope: find over-permissive cloud access and propose least-privilege fixes.

The public API. Everything else is internal and may change between releases.
"""

from iamscope.errors import (
    CatalogError,
    Diagnostic,
    DiagnosticLevel,
    IamscopeError,
    InputError,
    PolicyParseError,
    RequestError,
    SnapshotError,
)
from iamscope.evaluate import Decision, Engine, Evaluation, PolicyLayers, Request
from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.policy import Policy, PolicyKind
from iamscope.model.snapshot import read_snapshot, write_snapshot
from iamscope.policy.parse import parse_policy

__all__ = [
    "CatalogError",
    "Decision",
    "Diagnostic",
    "DiagnosticLevel",
    "Engine",
    "Evaluation",
    "IamscopeError",
    "InputError",
    "Inventory",
    "InventoryMetadata",
    "Policy",
    "PolicyKind",
    "PolicyLayers",
    "PolicyParseError",
    "Request",
    "RequestError",
    "SnapshotError",
    "parse_policy",
    "read_snapshot",
    "write_snapshot",
]
