"""Helpers for minimizer tests: tiny inventories and usage stores built for real."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.policy import PolicyKind
from iamscope.model.principal import Principal, PrincipalKind, Provider
from iamscope.policy.parse import parse_policy
from iamscope.usage.schema import SCHEMA_VERSION, TABLES
from iamscope.usage.store import UsageRow

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
T1 = datetime(2026, 10, 20, tzinfo=UTC)


def role_inventory(*documents: dict, principal: str = ROLE,
                   boundary: dict | None = None) -> Inventory:
    name = principal.rsplit("/", 1)[-1]
    policies = [parse_policy(doc, policy_id=f"{principal}/inline/p{i}", kind=PolicyKind.INLINE)
                for i, doc in enumerate(documents)]
    boundary_policy = None
    if boundary is not None:
        boundary_policy = parse_policy(boundary, policy_id=f"arn:aws:iam::{ACCOUNT}:policy/b",
                                       kind=PolicyKind.MANAGED)
    role = Principal(id=principal, kind=PrincipalKind.ROLE, provider=Provider.AWS, name=name,
                     account=ACCOUNT, policy_ids=tuple(p.id for p in policies),
                     boundary_policy_id=boundary_policy.id if boundary_policy else None)
    return Inventory.build(
        InventoryMetadata(collector="manual", collector_version="0", accounts=(ACCOUNT,)),
        principals=[role],
        policies=policies + ([boundary_policy] if boundary_policy else []))


def row(action: str, resource: str, *, principal: str = ROLE, count: int = 1,
        source: str = "cloudtrail", last_seen: datetime = T1) -> UsageRow:
    return UsageRow(principal, action, resource, T0, last_seen, count, source, ACCOUNT)


def write_store(path: Path, rows: Sequence[UsageRow],
                coverage: Sequence[tuple[str, str]] = ((ACCOUNT, "management"),)) -> Path:
    """A usage store made with the schema's own CREATE statements."""
    con = duckdb.connect(str(path))
    for ddl in TABLES:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    for r in rows:
        con.execute("INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [r.principal, r.action, r.resource, r.first_seen.replace(tzinfo=None),
                     r.last_seen.replace(tzinfo=None), r.count, r.source, r.account])
    for account, kind in coverage:
        con.execute("INSERT INTO coverage VALUES (?, ?, ?, ?, ?)",
                    [account, kind, T0.replace(tzinfo=None), T1.replace(tzinfo=None), 100])
    con.close()
    return path
