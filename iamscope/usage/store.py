"""The usage store: a DuckDB file (``.iamscope/usage.duckdb`` by default) holding the tables
of ``schema.py``. Ingestion writes it (``ingest.py``); the minimizer reads it through the
read API below and never sees raw logs.

Times are returned as timezone-aware UTC datetimes; ``since``/``until`` accept aware or naive
(taken as UTC) datetimes. The usage table is aggregated per (principal, action, resource,
source) over the whole ingested window, so a time filter keeps the rows whose
[first_seen, last_seen] interval overlaps the filter and reports their counts for the whole
interval: it may keep a row with no call inside the filter, never drops one with a call.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from iamscope.errors import InputError
from iamscope.usage.schema import SCHEMA_VERSION, TABLES

DEFAULT_STORE = Path(".iamscope") / "usage.duckdb"

_SELECT_USAGE = ("SELECT principal, action, resource, first_seen, last_seen, count, source, "
                 "account FROM usage")
_SELECT_USAGE_SECONDS = ("SELECT principal, action, resource, epoch_us(first_seen) / 1000000.0, "
                         "epoch_us(last_seen) / 1000000.0, count, source, account FROM usage")
_OUTSIDE_SECONDS = ("SELECT count(*) FILTER (WHERE NOT (first_seen >= TIMESTAMP '1900-01-01' AND "
                    "first_seen < TIMESTAMP '2200-01-01' AND last_seen >= TIMESTAMP '1900-01-01' "
                    "AND last_seen < TIMESTAMP '2200-01-01')) FROM usage")
_SELECT_DENIED = ("SELECT principal, action, resource, error_code, first_seen, last_seen, count "
                  "FROM denied")
_SELECT_BECAME = "SELECT principal, role, action, first_seen, last_seen, count FROM became"


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Successful calls of ``action`` on ``resource`` by ``principal`` (``source``:
    "cloudtrail", "cloudtrail-data" or "inferred")."""

    principal: str
    action: str
    resource: str
    first_seen: datetime
    last_seen: datetime
    count: int
    source: str
    account: str | None


@dataclass(frozen=True, slots=True)
class DeniedRow:
    principal: str
    action: str
    resource: str
    error_code: str
    first_seen: datetime
    last_seen: datetime
    count: int


@dataclass(frozen=True, slots=True)
class UnmappedRow:
    event_source: str
    event_name: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class BecameRow:
    """``principal`` assumed ``role`` with ``action`` (sts:AssumeRole, ...)."""

    principal: str
    role: str
    action: str
    first_seen: datetime
    last_seen: datetime
    count: int


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """Events of ``kind`` ("management", "data:s3", ...) seen for ``account``."""

    account: str
    kind: str
    first_seen: datetime
    last_seen: datetime
    events: int


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    size: int
    mtime: float | None
    events: int
    kept: int
    problems: str | None
    ingested_at: datetime


@dataclass(frozen=True, slots=True)
class Window:
    """The time span the ingested logs cover."""

    start: datetime
    end: datetime


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive(value: datetime | None) -> datetime | None:
    """A filter value as the naive UTC timestamp DuckDB stores."""
    aware = _utc(value)
    return None if aware is None else aware.replace(tzinfo=None)


class UsageStore:
    """An open usage store. Use ``UsageStore.open(path)`` (read-only, must exist) or
    ``UsageStore.open(path, writable=True)`` (created with its tables if missing)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path):
        self._con = connection
        self.path = path

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path = DEFAULT_STORE, *, writable: bool = False) -> UsageStore:
        path = Path(path)
        if not writable and not path.is_file():
            raise InputError(f"no usage store at {path} (run `iamscope usage ingest` first)")
        if writable:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=not writable)
        except duckdb.Error as exc:
            raise InputError(f"cannot open usage store {path}: {exc}") from exc
        store = cls(con, path)
        try:
            store._prepare(writable)
        except BaseException:
            con.close()
            raise
        return store

    def _prepare(self, writable: bool) -> None:
        tables = {r[0] for r in self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        if "meta" in tables:
            found = self._con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(found[0]) if found and str(found[0]).isdigit() else None
            if version is None:
                raise InputError(f"{self.path} is not an iamscope usage store (no version)")
            if version > SCHEMA_VERSION:
                raise InputError(
                    f"{self.path} has usage store schema {version}; this iamscope reads up to "
                    f"{SCHEMA_VERSION} (upgrade iamscope)")
        elif tables:
            raise InputError(f"{self.path} is a DuckDB file but not an iamscope usage store")
        elif not writable:
            raise InputError(f"{self.path} is an empty usage store")
        if writable:
            for ddl in TABLES:
                self._con.execute(ddl)
            self._con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> UsageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, for ingestion (``ingest.py``) only."""
        return self._con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Everything written inside commits together or not at all."""
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield self._con
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    # --- reading -------------------------------------------------------------------------

    def _rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, params).fetchall()

    @staticmethod
    def _filters(principal: str | None, since: datetime | None,
                 until: datetime | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if principal is not None:
            clauses.append("principal = ?")
            params.append(principal)
        if since is not None:
            clauses.append("last_seen >= ?")
            params.append(_naive(since))
        if until is not None:
            clauses.append("first_seen <= ?")
            params.append(_naive(until))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def usage(self, principal: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> list[UsageRow]:
        """Usage rows, sorted by principal, action, resource, source."""
        where, params = self._filters(principal, since, until)
        order = " ORDER BY principal, action, resource, source"
        # Hundreds of thousands of rows: the cyclic garbage collector is paused while they
        # are built (they hold no cycles; otherwise every collection on the way would
        # walk all the rows built so far), and restored as it was.
        paused = gc.isenabled()
        gc.disable()
        try:
            if self._plain_seconds(where, params):
                # The times come as float seconds, which ``datetime.fromtimestamp`` turns
                # into aware UTC datetimes directly; exact in the checked range (see
                # ``_plain_seconds``).
                rows = self._rows(_SELECT_USAGE_SECONDS + where + order, params)
                stamp = datetime.fromtimestamp
                return [UsageRow(p, a, r, stamp(f, UTC), stamp(la, UTC), c, s, acct)
                        for p, a, r, f, la, c, s, acct in rows]
            rows = self._rows(_SELECT_USAGE + where + order, params)
            # first_seen/last_seen are NOT NULL naive UTC timestamps
            return [UsageRow(p, a, r, f.replace(tzinfo=UTC), la.replace(tzinfo=UTC), c, s,
                             acct) for p, a, r, f, la, c, s, acct in rows]
        finally:
            if paused:
                gc.enable()

    def _plain_seconds(self, where: str, params: list[Any]) -> bool:
        """Whether every time the query returns lies in [1900, 2200): there a double holding
        microseconds / 1e6 is within 0.24 us of the exact value (its spacing is at most
        2**-20 s below 2**33 s), so ``fromtimestamp``, which rounds to the nearest
        microsecond, gives back the stored time exactly."""
        found = self._con.execute(_OUTSIDE_SECONDS + where, params).fetchone()
        return found is not None and found[0] == 0

    def principals(self) -> list[str]:
        """Every principal with usage, sorted."""
        return [r[0] for r in self._rows(
            "SELECT DISTINCT principal FROM usage ORDER BY principal", [])]

    def window(self) -> Window | None:
        """First and last event time over everything ingested (None if nothing was)."""
        found = self._con.execute(
            "SELECT min(first_seen), max(last_seen) FROM coverage").fetchone()
        if not found or found[0] is None:
            return None
        return Window(_utc(found[0]), _utc(found[1]))  # type: ignore[arg-type]

    def coverage(self) -> list[CoverageRow]:
        rows = self._rows("SELECT account, kind, first_seen, last_seen, events FROM coverage "
                          "ORDER BY account, kind", [])
        return [CoverageRow(a, k, _utc(f), _utc(la), n)  # type: ignore[arg-type]
                for a, k, f, la, n in rows]

    def denied(self, principal: str | None = None, since: datetime | None = None,
               until: datetime | None = None, *, limit: int | None = None) -> list[DeniedRow]:
        """Denied attempts, sorted by principal, action, resource, error code; with
        ``limit``, the ``limit`` most frequent ones (most frequent first)."""
        where, params = self._filters(principal, since, until)
        order = " ORDER BY principal, action, resource, error_code"
        if limit is not None:
            order = " ORDER BY count DESC, principal, action, resource, error_code LIMIT ?"
            params.append(limit)
        rows = self._rows(_SELECT_DENIED + where + order, params)
        return [DeniedRow(p, a, r, e, _utc(f), _utc(la), c)  # type: ignore[arg-type]
                for p, a, r, e, f, la, c in rows]

    def unmapped(self) -> list[UnmappedRow]:
        rows = self._rows("SELECT event_source, event_name, reason, count FROM unmapped "
                          "ORDER BY count DESC, event_source, event_name, reason", [])
        return [UnmappedRow(*r) for r in rows]

    def became(self, principal: str | None = None) -> list[BecameRow]:
        where, params = self._filters(principal, None, None)
        rows = self._rows(_SELECT_BECAME + where + " ORDER BY principal, role, action", params)
        return [BecameRow(p, r, a, _utc(f), _utc(la), c)  # type: ignore[arg-type]
                for p, r, a, f, la, c in rows]

    def files(self) -> list[FileRow]:
        rows = self._rows("SELECT path, size, mtime, events, kept, problems, ingested_at "
                          "FROM files ORDER BY path", [])
        return [FileRow(p, s, m, e, k, pr, _utc(t))  # type: ignore[arg-type]
                for p, s, m, e, k, pr, t in rows]
