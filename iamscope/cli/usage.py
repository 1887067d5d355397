"""``iamscope usage ingest``: CloudTrail logs -> the usage store (docs/usage.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from iamscope.cli.main import handle_errors
from iamscope.errors import InputError
from iamscope.report.terminal import sanitize
from iamscope.usage.aggregate import Filters
from iamscope.usage.ingest import IngestReport, ingest
from iamscope.usage.sources import LogFile, discover
from iamscope.usage.store import DEFAULT_STORE, UsageStore, Window

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]
MAX_LISTED = 15


@click.group()
def usage() -> None:
    """Aggregate usage logs (CloudTrail) into the usage store."""


def _utc(value: datetime | None, *, end_of_day: bool = False) -> datetime | None:
    """A naive --since/--until value as naive UTC; a bare date given to --until means the
    end of that day."""
    if value is None:
        return None
    if end_of_day and value.hour == value.minute == value.second == 0:
        value = value + timedelta(days=1) - timedelta(microseconds=1)
    return value.replace(tzinfo=None)


def _s3_client(profile: str | None, endpoint_url: str | None, region: str | None) -> Any:
    try:
        import boto3
    except ModuleNotFoundError as exc:  # pragma: no cover - boto3 is a dependency
        raise InputError("reading s3:// paths needs boto3 (pip install iamscope[aws])") from exc
    try:
        session = boto3.session.Session(profile_name=profile,
                                        region_name=region or "us-east-1")
        return session.client("s3", endpoint_url=endpoint_url)
    except Exception as exc:  # botocore: unknown profile, bad endpoint URL, ...
        raise InputError(f"cannot make an S3 client: {type(exc).__name__}: {exc}") from exc


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(window: Window | None) -> str:
    return f"{_when(window.start)} .. {_when(window.end)}" if window else "-"


def _summary(report: IngestReport, store: UsageStore) -> list[Text]:
    filtered = (f", {report.files_filtered:,} outside the filters by their path"
                if report.files_filtered else "")
    lines = [Text(f"files:   {report.files_read:,} read, {report.files_skipped:,} already "
                  f"ingested{filtered}, {len(report.problems):,} with problems")]
    lines.append(Text(
        f"events:  {report.events:,} read, {report.kept:,} kept, {report.denied:,} denied, "
        f"{report.unknown:,} unknown events"))
    skipped = [(report.failed, "failed with other errors"),
               (report.no_permission, "need no permission"),
               (report.service, "by AWS services"),
               (report.external, "by web-identity/SAML users"),
               (report.unattributed, "without a principal"),
               (report.malformed, "malformed"),
               (report.filtered, "outside the filters")]
    detail = ", ".join(f"{n:,} {label}" for n, label in skipped if n)
    if detail:
        lines.append(Text(f"         not counted: {detail}"))
    lines.append(Text(f"window:  {_window(report.window)} (this run); "
                      f"{_window(store.window())} (store)"))
    unknown = [row for row in store.unmapped() if row.reason != "no-permission"]
    if unknown:
        lines.append(Text("unknown events (never guessed; counts over the whole store):"))
        for row in unknown[:MAX_LISTED]:
            lines.append(Text("  " + sanitize(
                f"{row.event_source} {row.event_name}: {row.count:,} ({row.reason})")))
        if len(unknown) > MAX_LISTED:
            lines.append(Text(f"  ... and {len(unknown) - MAX_LISTED} more"))
    denied = store.denied(limit=MAX_LISTED + 1)
    if denied:
        lines.append(Text("denied attempts (not usage; most frequent, whole store):"))
        for row in denied[:MAX_LISTED]:
            lines.append(Text("  " + sanitize(
                f"{row.principal} {row.action} on {row.resource}: {row.count:,} "
                f"({row.error_code})")))
        if len(denied) > MAX_LISTED:
            lines.append(Text("  ... more in the store's denied table"))
    if report.problems:
        lines.append(Text("problems:", style="yellow"))
        for path, problem in report.problems[:MAX_LISTED]:
            lines.append(Text("  " + sanitize(f"{path}: {problem}")))
        if len(report.problems) > MAX_LISTED:
            lines.append(Text(f"  ... and {len(report.problems) - MAX_LISTED} more "
                              "(all are in the store's files table)"))
    lines.append(Text(sanitize(f"store:   {store.path}"), style="dim"))
    return lines


def _run(store: UsageStore, files: list[LogFile], filters: Filters, s3: Any,
         patterns: bool, stderr: Console) -> IngestReport:
    if not stderr.is_terminal:
        return ingest(store, files, filters=filters, s3_client=s3, resource_patterns=patterns)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("ingesting"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                  console=stderr, transient=True) as progress:
        task = progress.add_task("ingest", total=sum(f.size for f in files) or None)
        return ingest(store, files, filters=filters, s3_client=s3, resource_patterns=patterns,
                      progress=lambda n: progress.advance(task, n))


@usage.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_STORE, show_default=True, help="The usage store (DuckDB file).")
@click.option("--since", type=click.DateTime(DATE_FORMATS),
              help="Keep events at or after this UTC time.")
@click.option("--until", type=click.DateTime(DATE_FORMATS),
              help="Keep events at or before this UTC time (a date: the whole day).")
@click.option("--account", "accounts", multiple=True,
              help="Keep only events of this account (repeatable).")
@click.option("--region", "regions", multiple=True,
              help="Keep only events of this region (repeatable).")
@click.option("--resource-patterns", is_flag=True,
              help="When a call's resource is not in the log, record an ARN pattern "
                   "(account, region, resource type) instead of '*' (docs/usage.md).")
@click.option("--profile", help="AWS profile for s3:// paths.")
@click.option("--endpoint-url", help="S3 endpoint for s3:// paths (moto, MinIO).")
@handle_errors
def ingest_command(paths: tuple[str, ...], db: Path, since: datetime | None,
                   until: datetime | None, accounts: tuple[str, ...], regions: tuple[str, ...],
                   resource_patterns: bool, profile: str | None,
                   endpoint_url: str | None) -> None:
    """Read CloudTrail logs (folders in the S3 delivery layout, .json/.json.gz files, JSON
    lines, s3://bucket/prefix) into the usage store. Files already ingested are skipped."""
    filters = Filters(since=_utc(since), until=_utc(until, end_of_day=True),
                      accounts=frozenset(accounts), regions=frozenset(regions))
    if filters.since and filters.until and filters.since > filters.until:
        raise InputError("--since is after --until")
    s3 = None
    if any(p.startswith("s3://") for p in paths):
        s3 = _s3_client(profile, endpoint_url, next(iter(regions), None))
    files = discover(paths, s3_client=s3)
    stderr = Console(stderr=True, highlight=False)
    if not files:
        raise InputError("no CloudTrail log files (.json, .json.gz, .jsonl) under "
                         + ", ".join(sanitize(p) for p in paths))
    with UsageStore.open(db, writable=True) as store:
        report = _run(store, files, filters, s3, resource_patterns, stderr)
        console = Console(highlight=False, soft_wrap=True)
        for line in _summary(report, store):
            console.print(line)
