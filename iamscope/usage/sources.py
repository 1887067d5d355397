"""Where CloudTrail logs come from: local files and folders, or an S3 bucket.

Local folders are walked recursively, which covers the S3 delivery layout
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`` and organisation trails
``AWSLogs/<o-org-id>/<account>/CloudTrail/...``. Files ending in ``.json``, ``.json.gz``,
``.jsonl``, ``.jsonl.gz``, ``.ndjson`` (and ``.gz`` of those) are read; CloudTrail digest
files (``CloudTrail-Digest/``) and other trail side-files are skipped.

``s3://bucket/prefix`` lists the objects with boto3 and downloads each batch into a
temporary folder just before it is parsed; the ledger names them by their ``s3://`` URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamscope.errors import InputError

LOG_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
MAX_DOWNLOAD_BYTES = 1 << 30  # a gzip log file beyond this is not a CloudTrail delivery
SKIPPED_PARTS = ("CloudTrail-Digest", "CloudTrail-Insight-Digest")
# AWSLogs/[o-xxxx/]<account>/CloudTrail/<region>/YYYY/MM/DD/
LAYOUT = re.compile(
    r"AWSLogs/(?:o-[a-z0-9]+/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
    r"(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/")


@dataclass(frozen=True, slots=True)
class LogFile:
    """One log file. ``key`` names it in the ledger (an absolute path or an ``s3://`` URL);
    ``local`` is where DuckDB reads it (None for S3 objects not downloaded yet)."""

    key: str
    size: int
    mtime: float | None
    local: Path | None

    @property
    def ledger_key(self) -> str:
        """The file's name in the ledger: its trail-relative path (``AWSLogs/...``) when the
        key is in the delivery layout, so a local copy of a trail and the bucket itself are
        the same files (CloudTrail file names carry a random part); else the key."""
        key = self.key.replace("\\", "/")
        found = LAYOUT.search(key)
        return key[found.start():] if found else self.key

    @property
    def layout(self) -> dict[str, str] | None:
        """Account, region and date from the delivery layout of the key, if it has one."""
        found = LAYOUT.search(self.key.replace("\\", "/"))
        return found.groupdict() if found else None


def is_log_name(name: str) -> bool:
    return name.lower().endswith(LOG_SUFFIXES)


def _local_files(root: Path) -> Iterator[LogFile]:
    if root.is_file():
        stat = root.stat()
        yield LogFile(str(root.resolve()), stat.st_size, stat.st_mtime, root.resolve())
        return
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_PARTS)
        for name in sorted(names):
            if not is_log_name(name):
                continue
            path = Path(folder, name).resolve()
            try:
                stat = path.stat()
            except OSError:
                continue
            yield LogFile(str(path), stat.st_size, stat.st_mtime, path)


def split_s3_url(url: str) -> tuple[str, str]:
    rest = url[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError(f"{url}: no bucket name (expected s3://bucket/prefix)")
    return bucket, prefix


def _s3_files(url: str, client: Any) -> Iterator[LogFile]:
    bucket, prefix = split_s3_url(url)
    paginator = client.get_paginator("list_objects_v2")
    pages = iter(paginator.paginate(Bucket=bucket, Prefix=prefix))
    while True:
        try:
            page = next(pages)
        except StopIteration:
            return
        except Exception as exc:  # botocore: no bucket, no credentials, no endpoint, ...
            raise InputError(f"{url}: cannot list the objects: {type(exc).__name__}: "
                             f"{exc}") from exc
        for item in page.get("Contents", ()):
            key = item["Key"]
            if not is_log_name(key) or any(f"/{p}/" in f"/{key}" for p in SKIPPED_PARTS):
                continue
            modified = item.get("LastModified")
            yield LogFile(f"s3://{bucket}/{key}", int(item.get("Size", 0)),
                          modified.timestamp() if modified is not None else None, None)


def discover(paths: Iterable[str], s3_client: Any = None) -> list[LogFile]:
    """Every log file under ``paths`` (files, folders, ``s3://`` URLs), de-duplicated and
    in a stable order. Raises InputError for a path that does not exist."""
    found: dict[str, LogFile] = {}
    for raw in paths:
        if raw.startswith("s3://"):
            if s3_client is None:
                raise InputError(f"{raw}: reading S3 needs an S3 client")
            items: Iterable[LogFile] = _s3_files(raw, s3_client)
        else:
            path = Path(raw)
            if not path.exists():
                raise InputError(f"{raw}: no such file or folder")
            items = _local_files(path)
        for item in items:
            found.setdefault(item.key, item)
    return list(found.values())


def fetch(files: list[LogFile], folder: Path, s3_client: Any) -> tuple[list[LogFile], list[
        tuple[str, str]]]:
    """Make every file of a batch readable locally: S3 objects are downloaded into
    ``folder``. Returns the readable files and (key, problem) for those that failed."""
    ready, problems = [], []
    for index, item in enumerate(files):
        if item.local is not None:
            ready.append(item)
            continue
        if item.size > MAX_DOWNLOAD_BYTES:
            problems.append((item.key, f"not downloaded: {item.size:,} bytes is more than a "
                             f"CloudTrail log file can be ({MAX_DOWNLOAD_BYTES:,})"))
            continue
        bucket, key = split_s3_url(item.key)
        suffix = next((s for s in sorted(LOG_SUFFIXES, key=len, reverse=True)
                       if key.lower().endswith(s)), ".json")
        target = folder / f"{index:06d}{suffix}"
        try:
            s3_client.download_file(bucket, key, str(target))
        except Exception as exc:  # botocore raises many types; each is one file's problem
            problems.append((item.key, f"cannot download: {type(exc).__name__}: {exc}"))
            continue
        ready.append(LogFile(item.key, item.size, item.mtime, target))
    return ready, problems
