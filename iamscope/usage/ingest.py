"""CloudTrail files -> the usage store, incrementally.

Files already in the ledger (same path, size and mtime) are skipped: raw logs are parsed
once. The rest are read in batches by DuckDB (``cloudtrail.staging_select``); when a batch
fails to parse (a truncated gzip, a file that is not JSON, an object above the size limit),
its files are retried one by one and each bad file is reported with its problem while the
others go on. Aggregated rows wait in temp tables and are merged into the store together
with the ledger entries of their files in one transaction (every ~256 MB of compressed
logs and at the end), so an interrupted run leaves no half-ingested file behind.

Error events: ``errorCode`` values that mean "refused by authorisation" (AccessDenied,
*Unauthorized*, ...) go to the ``denied`` table; any other error (throttling, validation,
not found) is neither usage nor denial: counted as ``failed`` and otherwise dropped, because
such a call may have failed before or after authorisation (usage-logs.md section 2.6).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from iamscope.usage import aggregate
from iamscope.usage.aggregate import Filters, PassRoleRule
from iamscope.usage.cloudtrail import UNSTRUCTURED, staging_select
from iamscope.usage.mapping import EventMapper
from iamscope.usage.sources import LogFile, fetch
from iamscope.usage.store import UsageStore, Window

BATCH_BYTES = 64 << 20  # compressed bytes per DuckDB batch
BATCH_FILES = 400
MAX_OBJECT_BYTES = 1 << 30  # largest JSON document (a whole Records file) accepted
FAST_OBJECT_BYTES = 64 << 20  # batches are read with this limit (a larger buffer is slower)
FLUSH_BYTES = 256 << 20  # compressed bytes whose rows are merged into the store together
MTIME_TOLERANCE = 1e-3
JSON_LINES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


@dataclass
class IngestReport:
    """What one ingest run did. Event counters are exclusive: every record read lands in
    exactly one of kept, denied, failed, unknown, no_permission, service, external,
    unattributed, malformed, filtered."""

    files_found: int = 0
    files_read: int = 0
    files_skipped: int = 0
    files_filtered: int = 0
    events: int = 0
    kept: int = 0
    denied: int = 0
    failed: int = 0
    unknown: int = 0
    no_permission: int = 0
    service: int = 0
    external: int = 0
    unattributed: int = 0
    malformed: int = 0
    filtered: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    window: Window | None = None

    def add_counts(self, counts: dict[str, int]) -> None:
        names = {"kept": "kept", "denied": "denied", "failed": "failed", "unknown": "unknown",
                 "no-permission": "no_permission", "service": "service",
                 "external": "external", "unattributed": "unattributed",
                 "malformed": "malformed", "filtered": "filtered"}
        for verdict, n in counts.items():
            attribute = names[verdict]
            setattr(self, attribute, getattr(self, attribute) + n)
            self.events += n

    def widen(self, start: datetime | None, end: datetime | None) -> None:
        if start is None or end is None:
            return
        start, end = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
        if self.window is None:
            self.window = Window(start, end)
        else:
            self.window = Window(min(self.window.start, start), max(self.window.end, end))


def _passrole_rules(mapper: EventMapper) -> tuple[tuple[str, ...], list[PassRoleRule]]:
    paths: list[str] = []
    rules = []
    for entry in mapper.passrole:
        for path in entry["paths"]:
            if path not in paths:
                paths.append(path)
            for name in entry["names"]:
                rules.append(PassRoleRule(entry["source"], name, paths.index(path) + 1,
                                          entry.get("kind", "role")))
    return tuple(paths), rules


def _batches(files: Sequence[LogFile]) -> list[list[LogFile]]:
    batches: list[list[LogFile]] = []
    current: list[LogFile] = []
    size = 0
    for item in files:
        if current and (size + item.size > BATCH_BYTES or len(current) >= BATCH_FILES):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    return batches


def outside_by_path(item: LogFile, filters: Filters) -> bool:
    """True when the file's delivery path (account, region, date) shows that none of its
    records can pass the filters. Records reach a file up to hours after they happen, so
    dates get a one-day margin on both sides."""
    layout = item.layout
    if layout is None:
        return False
    if filters.accounts and layout["account"] not in filters.accounts:
        return True
    if filters.regions and layout["region"] not in filters.regions:
        return True
    try:
        day = date(int(layout["year"]), int(layout["month"]), int(layout["day"]))
    except ValueError:
        return False
    if filters.since is not None and day < filters.since.date() - timedelta(days=1):
        return True
    return filters.until is not None and day > filters.until.date() + timedelta(days=1)


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


class _Ingestor:
    def __init__(self, store: UsageStore, filters: Filters, mapper: EventMapper,
                 s3_client: Any, workdir: Path, max_object_bytes: int,
                 resource_patterns: bool):
        self.store = store
        self.con = store.connection
        self.filters = filters
        self.mapper = mapper
        self.s3_client = s3_client
        extra_paths, rules = _passrole_rules(mapper)
        staging = staging_select(extra_paths, frozenset(r.event_source for r in rules))
        self.select, self.params = aggregate.derive_select(
            staging.replace("{max_object}", str(min(FAST_OBJECT_BYTES, max_object_bytes))),
            filters, resource_patterns)
        self.select_large, _ = aggregate.derive_select(
            staging.replace("{max_object}", str(max_object_bytes)), filters, resource_patterns)
        # JSON lines with a bad line: read line by line, the bad line as a NULL record
        # (counted as malformed) instead of failing the whole file.
        self.select_lines, _ = aggregate.derive_select(
            staging.replace("{max_object}", str(max_object_bytes)).replace(
                UNSTRUCTURED, "format = 'newline_delimited', ignore_errors = true"),
            filters, resource_patterns)
        # No query here depends on row order; without it DuckDB inserts in parallel freely.
        self.con.execute("SET preserve_insertion_order = false")
        aggregate.prepare(self.con)
        aggregate.create_pending(self.con)
        aggregate.load_passrole(self.con, rules)
        self.ledger_rows: list[tuple[Any, ...]] = []
        self.pending_bytes = 0
        empty = workdir / "empty.json"
        empty.write_text('{"Records": []}', encoding="utf-8")
        self.con.execute("CREATE OR REPLACE TEMP TABLE ev_shape AS " + self.select + " LIMIT 0",
                         dict(self.params, files=[str(empty)]))
        self.report = IngestReport()

    def ledger(self) -> dict[str, tuple[int, float | None, int]]:
        rows = self.con.execute("SELECT path, size, mtime, events FROM files").fetchall()
        return {p: (s, m, e) for p, s, m, e in rows}

    def pending(self, files: Sequence[LogFile]) -> list[LogFile]:
        known = self.ledger()
        todo = []
        for item in files:
            if outside_by_path(item, self.filters):
                self.report.files_filtered += 1  # not read, not in the ledger
                continue
            seen = known.get(item.ledger_key)
            if seen is None:
                todo.append(item)
                continue
            size, mtime, events = seen
            # a delivery file is immutable: a copy elsewhere (new mtime) is the same file
            same = size == item.size and (
                item.ledger_key != item.key or mtime is None or item.mtime is None
                or abs(mtime - item.mtime) <= MTIME_TOLERANCE)
            if same:
                self.report.files_skipped += 1
            elif events == 0:
                todo.append(item)  # nothing was counted from it: read the new content
            else:
                self.report.files_skipped += 1
                self.report.problems.append((item.key, "changed since it was ingested; not "
                                             "re-read (its events are already counted)"))
        return todo

    def _load(self, files: list[LogFile], select: str | None = None) -> None:
        params = dict(self.params, files=[str(f.local) for f in files])
        self.con.execute("INSERT INTO ev " + (select or self.select), params)

    def _load_one(self, item: LogFile) -> str | None:
        """Load one file (retrying above the fast object-size limit, and JSON lines line by
        line); its problem or None."""
        try:
            self._load([item])
            return None
        except duckdb.Error as exc:
            retry = self.select_large if "maximum_object_size" in str(exc) else \
                self.select_lines if item.key.lower().endswith(JSON_LINES) else None
            if retry is None:
                return f"unreadable: {_short(exc)}"
        try:
            self._load([item], retry)
            return None
        except duckdb.Error as exc:
            return f"unreadable: {_short(exc)}"

    def stage(self, files: list[LogFile]) -> dict[str, str]:
        """Load files into the temp table ``ev``; returns {key: problem} for files that
        failed."""
        self.con.execute("CREATE OR REPLACE TEMP TABLE ev AS SELECT * FROM ev_shape")
        if not files:
            return {}
        try:
            self._load(files)
            return {}
        except duckdb.Error:
            pass
        problems = {}
        for item in files:  # one bad file must not sink the batch
            problem = self._load_one(item)
            if problem is not None:
                problems[item.key] = problem
        return problems

    def run_batch(self, batch: list[LogFile], workdir: Path) -> None:
        ready, fetch_problems = fetch(batch, workdir, self.s3_client)
        problems = dict(fetch_problems)
        problems.update(self.stage(ready))
        local_of = {f.key: str(f.local) for f in ready}
        aggregate.load_mapping(self.con, self.mapper)
        aggregate.collect(self.con)
        counts = aggregate.file_counts(self.con)
        now = datetime.now(UTC).replace(tzinfo=None)
        for item in batch:
            records, kept, malformed = counts.get(local_of.get(item.key, ""), (0, 0, 0))
            problem = problems.get(item.key)
            if problem is None and records == 0:
                problem = "no CloudTrail records"
            elif problem is None and malformed:
                problem = f"{malformed} of {records} records are not CloudTrail events"
            if problem is not None:
                self.report.problems.append((item.key, problem))
            self.ledger_rows.append((item.ledger_key, item.size, item.mtime, records, kept,
                                     problem, now))
        self.pending_bytes += sum(f.size for f in batch)
        self.report.add_counts(aggregate.verdict_counts(self.con))
        self.report.files_read += len(ready)
        found = self.con.execute("SELECT min(t), max(t) FROM classified "
                                 "WHERE verdict <> 'malformed'").fetchone()
        if found:
            self.report.widen(found[0], found[1])
        for item in ready:
            if item.local is not None and item.local.parent == workdir:
                item.local.unlink(missing_ok=True)  # a downloaded S3 object
        if self.pending_bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows and the ledger rows of their files in one transaction."""
        if not self.ledger_rows:
            return
        with self.store.transaction() as con:
            aggregate.flush(con)
            columns = [list(column) for column in zip(*self.ledger_rows, strict=True)]
            # one statement for all rows (executemany runs one statement per row)
            con.execute("INSERT OR REPLACE INTO files SELECT unnest(?::VARCHAR[]), "
                        "unnest(?::BIGINT[]), unnest(?::DOUBLE[]), unnest(?::BIGINT[]), "
                        "unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::TIMESTAMP[])",
                        columns)
        self.ledger_rows = []
        self.pending_bytes = 0


def ingest(store: UsageStore, files: Sequence[LogFile], *, filters: Filters | None = None,
           mapper: EventMapper | None = None, s3_client: Any = None,
           progress: Callable[[int], None] | None = None,
           max_object_bytes: int = MAX_OBJECT_BYTES,
           resource_patterns: bool = False) -> IngestReport:
    """Ingest ``files`` (from ``sources.discover``) into ``store`` (opened writable).
    ``progress`` is called with the compressed bytes of each finished file batch; a file
    whose JSON document exceeds ``max_object_bytes`` once decompressed is reported.
    ``resource_patterns``: when a call's resource is not in the log, record an ARN pattern
    (``arn:aws:kms:eu-west-1:111122223333:key/*``) instead of ``*`` (resources.py)."""
    with tempfile.TemporaryDirectory(prefix="iamscope-ct-") as tmp:
        worker = _Ingestor(store, filters or Filters(), mapper or EventMapper(), s3_client,
                           Path(tmp), max_object_bytes, resource_patterns)
        worker.report.files_found = len(files)
        todo = worker.pending(files)
        if progress is not None:
            skipped = sum(f.size for f in files) - sum(f.size for f in todo)
            if skipped:
                progress(skipped)
        for batch in _batches(todo):
            worker.run_batch(batch, Path(tmp))
            if progress is not None:
                progress(sum(f.size for f in batch))
        worker.flush()
    return worker.report
