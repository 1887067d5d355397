"""A staged batch of CloudTrail records -> rows merged into the usage store, all in SQL.

``ingest.py`` fills the temp table ``ev`` with ``derive_select`` over
``cloudtrail.staging_select`` (one narrow row per record: attribution, time, kind, candidate
resources); ``load_mapping`` maps the batch's distinct events in Python
(``mapping.EventMapper``, validated against the catalog) into the small table ``acts``;
``collect`` aggregates the batch with GROUP BY into pending tables and ``flush`` merges
those into the store's tables; the caller wraps ``flush`` and the ledger rows of the same
files in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from iamscope.usage.cloudtrail import (
    ASSUME_EVENTS,
    DENIED_SQL,
    KIND_SQL,
    PRINCIPAL_SQL,
    TIME_SQL,
    UNATTRIBUTED_SQL,
    request_fields_sql,
)
from iamscope.usage.mapping import EventMapper, strip_version_suffix
from iamscope.usage.resources import (
    ARN_KIND_SQL,
    FALLBACK_SQL,
    PARTITION_SQL,
    SELECT_RESOURCES_SQL,
    request_arns_sql,
)

MAX_TEXT = 200  # longest event source/name kept in the unmapped table


@dataclass(frozen=True, slots=True)
class Filters:
    """Which records to keep (None: no limit). Times are naive UTC."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PassRoleRule:
    event_source: str
    event_name: str
    path_index: int  # 1-based index into stage.extra
    kind: str  # "role" or "instance-profile"


def _keep_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["true"]
    params: dict[str, Any] = {}
    if filters.since is not None:
        clauses.append("t >= $since")
        params["since"] = filters.since
    if filters.until is not None:
        clauses.append("t <= $until")
        params["until"] = filters.until
    if filters.accounts:
        clauses.append("list_contains($accounts, account)")
        params["accounts"] = sorted(filters.accounts)
    if filters.regions:
        clauses.append("list_contains($regions, region)")
        params["regions"] = sorted(filters.regions)
    return " AND ".join(clauses), params


def derive_select(staging: str, filters: Filters,
                  resource_patterns: bool = False) -> tuple[str, dict[str, Any]]:
    """The staged records (``staging``, reading ``$files``) narrowed to what aggregation
    needs: time, account, principal, why unattributed, kind, candidate ARNs from resources[]
    (``res``) and requestParameters (``req``), and ``outside`` (dropped by a filter)."""
    keep, params = _keep_sql(filters)
    params["patterns"] = resource_patterns
    sql = request_fields_sql(f"""
SELECT file, t, event_source, event_name, region, error_code, account, part, kind, principal,
       {UNATTRIBUTED_SQL} AS unattributed, id_provider, id_principal, res, req,
       CASE WHEN event_source = 's3.amazonaws.com' THEN rp_copy_source END AS copy_source,
       CASE WHEN event_source = 'kms.amazonaws.com' THEN rp_source_key END AS source_key,
       CASE WHEN event_source = 'kms.amazonaws.com' THEN rp_destination_key END
           AS destination_key,
       CASE WHEN event_source = 'sts.amazonaws.com' THEN rp_role_arn END AS target_role,
       extra,
       $patterns AS use_patterns,
       CASE WHEN t IS NULL OR event_source IS NULL OR event_name IS NULL THEN false
            ELSE NOT coalesce({keep}, false) END AS outside
FROM (
  SELECT * EXCLUDE (res), {PRINCIPAL_SQL} AS principal, {KIND_SQL} AS kind,
         CASE WHEN res IS NULL THEN []::VARCHAR[]
              ELSE list_filter(res, lambda x: x IS NOT NULL) END AS res,
         {request_arns_sql()} AS req
  FROM (
    SELECT *, {TIME_SQL} AS t, coalesce(recipient_account, id_account) AS account,
           {PARTITION_SQL} AS part
    FROM ({staging.replace('read_json_objects(?', 'read_json_objects($files')})))""")  # noqa: S608 (SQL text from constants)
    return sql, params


def create_mapping(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE names (event_source VARCHAR, event_name VARCHAR,"
                " base VARCHAR, status VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE acts (event_source VARCHAR, event_name VARCHAR,"
                " action VARCHAR, kinds VARCHAR[], pattern VARCHAR, wildcard_only BOOLEAN,"
                " rule VARCHAR)")


def load_mapping(con: duckdb.DuckDBPyConnection, mapper: EventMapper) -> None:
    """Map the batch's (source, name) pairs not mapped yet into ``names`` (status) and
    ``acts`` (one row per action with its resource matching data)."""
    pairs = con.execute("SELECT DISTINCT event_source, event_name FROM ev "
                        "WHERE NOT outside AND event_source IS NOT NULL "
                        "AND event_name IS NOT NULL EXCEPT "
                        "SELECT event_source, event_name FROM names").fetchall()
    names, acts = [], []
    for source, name in pairs:
        mapping = mapper.map(source, name)
        names.append((source, name, strip_version_suffix(name), mapping.status.value))
        for item in mapping.actions:
            acts.append((source, name, item.action, list(item.kinds), item.pattern,
                         item.wildcard_only, item.resource_rule))
    if names:
        con.execute("INSERT INTO names SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                    [list(c) for c in zip(*names, strict=True)])
    if acts:
        con.execute("INSERT INTO acts SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[][]), unnest(?::VARCHAR[]), "
                    "unnest(?::BOOLEAN[]), unnest(?::VARCHAR[])",
                    [list(c) for c in zip(*acts, strict=True)])


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ARN_KIND_SQL)


def load_passrole(con: duckdb.DuckDBPyConnection, rules: list[PassRoleRule]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE passrole (event_source VARCHAR, base VARCHAR,"
                " path_index INTEGER, kind VARCHAR)")
    if rules:
        con.executemany("INSERT INTO passrole VALUES (?, ?, ?, ?)",
                        [(r.event_source, r.event_name, r.path_index, r.kind) for r in rules])


# Per batch, aggregated rows go to temp ``pending_<table>`` tables (no index); ``flush``
# merges them into the store's tables in one statement per table (counts add up, first
# and last seen widen), which is much cheaper than upserting into the primary-key index
# batch by batch.
PENDING = {
    "usage": ("principal, action, resource, source",
              "principal VARCHAR, action VARCHAR, resource VARCHAR, first_seen TIMESTAMP, "
              "last_seen TIMESTAMP, count BIGINT, source VARCHAR, account VARCHAR",
              "principal, action, resource, min(first_seen), max(last_seen), sum(count), "
              "source, any_value(account)"),
    "denied": ("principal, action, resource, error_code",
               "principal VARCHAR, action VARCHAR, resource VARCHAR, error_code VARCHAR, "
               "first_seen TIMESTAMP, last_seen TIMESTAMP, count BIGINT",
               "principal, action, resource, error_code, min(first_seen), max(last_seen), "
               "sum(count)"),
    "became": ("principal, role, action",
               "principal VARCHAR, role VARCHAR, action VARCHAR, first_seen TIMESTAMP, "
               "last_seen TIMESTAMP, count BIGINT",
               "principal, role, action, min(first_seen), max(last_seen), sum(count)"),
    "unmapped": ("event_source, event_name, reason",
                 "event_source VARCHAR, event_name VARCHAR, reason VARCHAR, count BIGINT",
                 "event_source, event_name, reason, sum(count)"),
    "coverage": ("account, kind",
                 "account VARCHAR, kind VARCHAR, first_seen TIMESTAMP, last_seen TIMESTAMP, "
                 "events BIGINT",
                 "account, kind, min(first_seen), max(last_seen), sum(events)"),
}
_WIDEN = {"first_seen": "least(first_seen, excluded.first_seen)",
          "last_seen": "greatest(last_seen, excluded.last_seen)",
          "count": "count + excluded.count", "events": "events + excluded.events"}


def create_pending(con: duckdb.DuckDBPyConnection) -> None:
    create_mapping(con)
    for table, (_, columns, _) in PENDING.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE pending_{table} ({columns})")


def flush(con: duckdb.DuckDBPyConnection) -> None:
    """Merge the pending rows into the store's tables and empty them (call inside the
    transaction that also writes the ledger rows of the same files)."""
    for table, (key, columns, aggregates) in PENDING.items():
        names = [c.split()[0] for c in columns.split(", ")]
        updates = ", ".join(f"{n} = {_WIDEN[n]}" for n in names if n in _WIDEN)
        pending = "pending_" + table
        found = con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM " + table + " LIMIT 1)")  # noqa: S608
        empty = (found.fetchone() or (0,))[0] == 0
        # an empty table takes a plain INSERT (the pending rows are grouped by its key)
        merge = "" if empty else f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
        con.execute("INSERT INTO " + table + " SELECT " + aggregates  # noqa: S608
                    + " FROM " + pending + " GROUP BY " + key + merge)
        con.execute("DELETE FROM " + pending)  # noqa: S608


# Classified records: one row per record in the filter, with the batch's verdict on it.
_CLASSIFIED = f"""
CREATE OR REPLACE TEMP VIEW classified AS
SELECT ev.*, n.base,
  CASE WHEN t IS NULL OR event_source IS NULL OR event_name IS NULL
            OR n.status = 'malformed' THEN 'malformed'
       WHEN unattributed IS NOT NULL THEN unattributed
       WHEN error_code IS NOT NULL AND {DENIED_SQL} THEN 'denied'
       WHEN error_code IS NOT NULL THEN 'failed'
       WHEN n.status = 'no-permission' THEN 'no-permission'
       WHEN n.status <> 'mapped' THEN 'unknown'
       ELSE 'kept' END AS verdict
FROM ev LEFT JOIN names n USING (event_source, event_name)
WHERE NOT outside"""  # noqa: S608 (SQL text from constants)

_ACTION_ROWS = f"""
SELECT c.principal, c.t, c.account, c.kind, c.verdict, c.error_code, a.action,
       unnest({SELECT_RESOURCES_SQL.replace('fallback', f'({FALLBACK_SQL})')}) AS resource
FROM classified c JOIN acts a USING (event_source, event_name)
WHERE c.verdict = '{{verdict}}'"""  # noqa: S608 (SQL text from constants)

_COLLECT_ASSUME = """
INSERT INTO pending_became
SELECT who, role, 'sts:' || event_name, min(t), max(t), count(*) FROM (
  SELECT coalesce(principal, id_provider, id_principal) AS who,
         coalesce(CASE WHEN starts_with(target_role, 'arn:') THEN target_role END,
                  list_filter(res, lambda x: arn_kind(x) = 'iam/role')[1]) AS role,
         event_name, t
  FROM classified
  WHERE event_source = 'sts.amazonaws.com' AND event_name IN ({assume})
    AND error_code IS NULL AND verdict IN ('kept', 'external'))
WHERE who IS NOT NULL AND role IS NOT NULL
GROUP BY who, role, event_name"""

_COLLECT_PASSROLE = """
INSERT INTO pending_usage
SELECT principal, 'iam:PassRole', resource, min(t), max(t), count(*), 'inferred',
       any_value(account) FROM (
  SELECT principal, t, account,
         CASE WHEN starts_with(v, 'arn:') THEN v
              WHEN use_patterns
              THEN 'arn:' || part || ':iam::' || account || ':' || role_kind || '/*' || v
              ELSE '*' END AS resource
  FROM (SELECT c.principal, c.part, c.account, c.t, c.extra[r.path_index] AS v,
               r.kind AS role_kind, c.use_patterns
        FROM classified c JOIN passrole r
          ON c.event_source = r.event_source AND c.base = r.base
        WHERE c.verdict = 'kept')
  WHERE v IS NOT NULL AND v <> '' AND v <> 'HIDDEN_DUE_TO_SECURITY_REASONS')
GROUP BY principal, resource"""


def collect(con: duckdb.DuckDBPyConnection) -> None:
    """Aggregate the classified batch into the pending tables."""
    con.execute(_CLASSIFIED)
    con.execute(f"""
INSERT INTO pending_usage
SELECT principal, action, resource, min(t), max(t), count(*), source, any_value(account)
FROM (SELECT *, CASE WHEN kind = 'management' THEN 'cloudtrail' ELSE 'cloudtrail-data' END
                AS source
      FROM ({_ACTION_ROWS.replace("{verdict}", "kept")}))
GROUP BY principal, action, resource, source""")  # noqa: S608 (SQL text from constants)
    con.execute(f"""
INSERT INTO pending_denied
SELECT principal, action, resource, error_code, min(t), max(t), count(*)
FROM ({_ACTION_ROWS.replace("{verdict}", "denied")})
GROUP BY principal, action, resource, error_code""")  # noqa: S608 (SQL text from constants)
    con.execute(_COLLECT_PASSROLE)
    con.execute(_COLLECT_ASSUME.format(assume=", ".join(f"'{n}'" for n in ASSUME_EVENTS)))
    con.execute(f"""
INSERT INTO pending_unmapped
SELECT left(coalesce(event_source, '(none)'), {MAX_TEXT}),
       left(coalesce(event_name, '(none)'), {MAX_TEXT}),
       coalesce(n.status, 'malformed'), count(*)
FROM classified LEFT JOIN names n USING (event_source, event_name)
WHERE coalesce(n.status, 'malformed') <> 'mapped'
GROUP BY ALL""")  # noqa: S608 (SQL text from constants)
    con.execute("""
INSERT INTO pending_coverage
SELECT account, kind, min(t), max(t), count(*) FROM classified
WHERE verdict <> 'malformed' AND account IS NOT NULL
GROUP BY account, kind""")


def verdict_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute("SELECT verdict, count(*) FROM classified GROUP BY verdict").fetchall()
    counts: dict[str, int] = dict(rows)
    outside = con.execute("SELECT count(*) FROM ev WHERE outside").fetchone()
    counts["filtered"] = int(outside[0]) if outside else 0
    return counts


def file_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """Per file: (records, kept, malformed)."""
    rows = con.execute("""
SELECT file, count(*), count(*) FILTER (WHERE verdict = 'kept'),
       count(*) FILTER (WHERE verdict = 'malformed')
FROM (SELECT file, NULL AS verdict FROM ev WHERE outside
      UNION ALL SELECT file, verdict FROM classified)
GROUP BY file""").fetchall()
    return {f: (n, k, m) for f, n, k, m in rows}


