"""The IAM policy the AWS collector needs: read-only, exact, generated from the code.

The read statement is the sorted union of every action the account fetchers call
(``account.all_permissions()``), the Organizations reads (``organization.PERMISSIONS``),
``sts:GetCallerIdentity`` (who am I) and ``ec2:DescribeRegions`` (which regions to read).
For an organisation-wide collection a second statement allows ``sts:AssumeRole`` on the
member role name only; that is the one action that is not List/Read (it is "Write" in the
Service Authorization Reference) because assuming a role is how cross-account reads work,
and the role it reaches should itself hold only the member policy.

``collector_policy()`` is the policy for the identity that runs the collector (management
account or delegated administrator); ``collector_policy(include_organizations=False)`` is
the policy for the role in each member account (and for single-account collection).
``docs/aws-collector.md`` shows both, and a test keeps the document equal to this code.

``last_accessed=True`` adds the two optional actions of ``collect aws --last-accessed``
(``last_accessed.PERMISSIONS``). Both are "Read" in the Service Authorization Reference,
but ``iam:GenerateServiceLastAccessedDetails`` starts a report job in IAM, so they are left
out of the default policy.
"""

from __future__ import annotations

import json
from typing import Any

from iamscope.collect.aws.account import all_permissions
from iamscope.collect.aws.collect import DEFAULT_ASSUME_ROLE_NAME
from iamscope.collect.aws.last_accessed import PERMISSIONS as LAST_ACCESSED_PERMISSIONS
from iamscope.collect.aws.organization import PERMISSIONS as ORGANIZATION_PERMISSIONS

BASE_PERMISSIONS: tuple[str, ...] = ("ec2:DescribeRegions", "sts:GetCallerIdentity")
ASSUME_ROLE = "sts:AssumeRole"
READ_SID = "IamscopeCollectorRead"
ASSUME_SID = "IamscopeAssumeMemberRole"


def read_actions(include_organizations: bool = True, *,
                 last_accessed: bool = False) -> tuple[str, ...]:
    """The sorted read actions of the collector policy."""
    actions = set(all_permissions()) | set(BASE_PERMISSIONS)
    if include_organizations:
        actions |= set(ORGANIZATION_PERMISSIONS)
    if last_accessed:
        actions |= set(LAST_ACCESSED_PERMISSIONS)
    return tuple(sorted(actions))


def collector_policy(include_organizations: bool = True, *,
                     assume_role_name: str = DEFAULT_ASSUME_ROLE_NAME,
                     partition: str = "aws",
                     last_accessed: bool = False) -> dict[str, Any]:
    """The identity policy document the collector needs (a new dict on each call)."""
    statements: list[dict[str, Any]] = [{
        "Sid": READ_SID,
        "Effect": "Allow",
        "Action": list(read_actions(include_organizations, last_accessed=last_accessed)),
        "Resource": "*",
    }]
    if include_organizations:
        statements.append({
            "Sid": ASSUME_SID,
            "Effect": "Allow",
            "Action": ASSUME_ROLE,
            "Resource": f"arn:{partition}:iam::*:role/{assume_role_name}",
        })
    return {"Version": "2012-10-17", "Statement": statements}


def policy_json(policy: dict[str, Any]) -> str:
    """The policy as it appears in the documentation: two-space JSON."""
    return json.dumps(policy, indent=2)
