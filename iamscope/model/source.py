"""Where an inventory element came from, and what could not be collected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A pointer back to the origin of an element.

    For Terraform: ``file`` and ``line`` (1-based) plus ``address`` (``aws_iam_role.deploy``).
    For live collection: ``api`` (``iam:GetAccountAuthorizationDetails``) and ``region``.
    For offline dumps: ``file`` and a JSON ``pointer`` into it.
    """

    file: str | None = None
    line: int | None = None
    address: str | None = None
    api: str | None = None
    region: str | None = None
    account: str | None = None
    pointer: str | None = None


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """Something the collector could not read. A gap is never evidence of "no access".

    ``permission`` names the IAM permission (or GCP permission) whose absence caused it,
    when known; ``scope`` says what is missing (a service, region, account or resource).
    """

    scope: str
    reason: str
    permission: str | None = None
    account: str | None = None
    region: str | None = None
