"""Ingest speed of `iamscope usage ingest` (issue 6 target: 1,000,000 events in < 15 s).

Data: ../shared/tools/gen_cloudtrail.py (fixed seed 7): CloudTrail delivery files,
gzip-compressed ``{"Records": [...]}`` documents of 1,000 events each in the S3 trail layout
(1,000,000 events = 1,000 files, ~240 MB gz, ~1.67 GB JSON). Generated once into --data
(about 100 s on two cores) and reused.

Usage: python benchmarks/bench_usage.py [--events 1000000] [--data DIR] [--repeat 2]

Reports per run: wall and CPU seconds of a fresh ingest, events/s, rows written, and the
time of a second, incremental run over the same files (all skipped by the ledger). CPU time
counts every DuckDB thread: when it is close to the wall time on a two-core machine, another
process held a core. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iamscope.usage.ingest import ingest
from iamscope.usage.sources import discover
from iamscope.usage.store import UsageStore

SHARED_TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"


def _generate(data: Path, events: int) -> None:
    generator = SHARED_TOOLS / "gen_cloudtrail.py"
    if not generator.exists():
        sys.exit(f"cannot find {generator}; run from a checkout with ../shared beside it")
    marker = data.parent / f"{data.name}.json"
    if marker.exists() and json.loads(marker.read_text()).get("events") == events:
        return
    print(f"generating {events:,} events into {data} ...", flush=True)
    result = subprocess.run(
        [sys.executable, str(generator), "--out", str(data), "--events", str(events),
         "--per-file", "1000", "--workers", "2", "--seed", "7"],
        check=True, capture_output=True, text=True)
    marker.write_text(result.stdout.strip().splitlines()[-1])


def _run(data: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "usage.duckdb"
        wall, cpu = time.perf_counter(), time.process_time()
        files = discover([str(data)])
        with UsageStore.open(db, writable=True) as store:
            report = ingest(store, files)
            rows = store.connection.execute("SELECT count(*) FROM usage").fetchone()[0]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        again = time.perf_counter()
        with UsageStore.open(db, writable=True) as store:
            second = ingest(store, discover([str(data)]))
        again = time.perf_counter() - again
    assert second.events == 0, "the second run must skip every file"
    return {"files": len(files), "events": report.events, "kept": report.kept,
            "usage_rows": rows, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "events_per_s": round(report.events / wall), "rerun_s": round(again, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path,
                        default=Path(tempfile.gettempdir()) / "iamscope-bench-cloudtrail")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = args.data / str(args.events)
    data.mkdir(parents=True, exist_ok=True)
    _generate(data, args.events)
    runs = [_run(data) for _ in range(args.repeat)]
    for result in runs:
        print(json.dumps(result))
    best = min(r["wall_s"] for r in runs)
    print(f"best: {best:.2f} s for {runs[0]['events']:,} events "
          f"({runs[0]['events'] / best:,.0f} events/s; target < 15 s for 1,000,000)")


if __name__ == "__main__":
    main()
