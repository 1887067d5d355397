"""`iamscope minimize` for 1,000 principals from the usage store, with an inventory.

Setup (not timed): a synthetic account from ``../shared/tools/gen_account.py --principals
1000`` (fixed seed), and a usage store written with the schema's CREATE statements: for each
of the 1,000 users and roles, up to ``--calls`` distinct (action, resource) pairs drawn from
its own Allow statements (a concrete action the Action patterns cover, a resource made from
a Resource pattern by filling its wildcards), kept only when the engine allows the request
under the current policies, so the usage is what a real trail of successful calls could
hold. Timed: ``iamscope minimize INV --usage DB --format json`` in-process through click
(read the inventory and the store, build, prove and render every proposal), best of
``--repeat`` runs. Target: < 10 s on this machine. Not a test: nothing here asserts a time.

With ``--store DB``: time ``iamscope minimize --usage DB --format json`` (no inventory) on
an existing usage store instead, e.g. one ``iamscope usage ingest`` made from
``../shared/tools/gen_cloudtrail.py`` output (real-shaped, Zipf-skewed usage: the 1,000,000
event trail gives 1,890 principals and 511,681 distinct observed calls, one role alone
157,306). ``--principals N`` limits it to the first N principals of the store (sorted), passed
as ``--principal`` options: the issue's "1,000 principals in under 10 s from the store" is
``--store DB --principals 1000`` on that store.

Usage: python benchmarks/bench_minimize.py [--calls N] [--repeat N] [--keep DIR] [--json]
       python benchmarks/bench_minimize.py --store DB [--principals N] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "tools" / "gen_account.py"
sys.path.insert(0, str(ROOT))

from iamscope.catalog.aws_actions import ActionCatalog  # noqa: E402
from iamscope.cli.main import _register, cli  # noqa: E402
from iamscope.collect.load import load_inventory  # noqa: E402
from iamscope.evaluate.engine import Engine  # noqa: E402
from iamscope.evaluate.inventory_layers import InventoryResolver  # noqa: E402
from iamscope.evaluate.request import Request  # noqa: E402
from iamscope.model.policy import Effect  # noqa: E402
from iamscope.model.principal import PrincipalKind  # noqa: E402
from iamscope.usage.schema import SCHEMA_VERSION, TABLES  # noqa: E402

T0 = datetime(2026, 9, 1)
T1 = datetime(2026, 11, 1)


def _fill(pattern: str, rng: random.Random, account: str) -> str:
    if pattern == "*":
        return "*"
    out = []
    for ch in pattern:
        out.append(rng.choice(["app", "logs/2026", "x1"]) if ch == "*" else
                   "q" if ch == "?" else ch)
    text = "".join(out)
    fields = text.split(":", 5)
    if len(fields) == 6 and fields[4] == "app":
        fields[4] = account
        text = ":".join(fields)
    return text


def build_store(inventory_path: Path, db: Path, calls: int, seed: int) -> tuple[int, int]:
    inventory = load_inventory(inventory_path).inventory
    catalog = ActionCatalog()
    engine = Engine(catalog)
    resolver = InventoryResolver(inventory)
    rng = random.Random(seed)
    rows: list[tuple] = []
    principals = 0
    for principal in sorted(inventory.principals_of_kind(PrincipalKind.USER, PrincipalKind.ROLE),
                            key=lambda p: p.id):
        statements = [s for p in inventory.policies_of(principal) for s in p.statements
                      if s.effect is Effect.ALLOW and s.actions and s.resources]
        if not statements:
            continue
        seen: set[tuple[str, str]] = set()
        for _ in range(calls * 3):
            if len(seen) >= calls:
                break
            statement = rng.choice(statements)
            actions = catalog.expand(rng.choice(statement.actions))
            if not actions:
                continue
            info = rng.choice(actions[:200])
            resource_text = "*" if info.wildcard_only else _fill(
                rng.choice(statement.resources), rng, principal.account or "")
            pair = (info.full_name, resource_text)
            if pair in seen:
                continue
            resolved = resolver.resolve(Request.create(principal.id, *pair))
            if engine.decide_assuming(resolved.request, resolved.layers).allowed:
                seen.add(pair)
        if seen:
            principals += 1
        for action, resource_text in sorted(seen):
            rows.append((principal.id, action, resource_text, T0, T1, rng.randint(1, 500),
                         "cloudtrail", principal.account))
    con = duckdb.connect(str(db))
    for ddl in TABLES:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.executemany("INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for account in inventory.metadata.accounts:
        for kind in ("management", "data:s3", "data:lambda", "data:dynamodb"):
            con.execute("INSERT INTO coverage VALUES (?, ?, ?, ?, 1000000)",
                        [account, kind, T0, T1])
    con.close()
    return principals, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20,
                        help="distinct observed calls per principal (default 20)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the inputs in DIR")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--store", type=Path,
                        help="time minimize without inventory on this existing usage store")
    parser.add_argument("--principals", type=int,
                        help="with --store: only the first N principals of the store")
    args = parser.parse_args()
    if args.store is not None:
        _time_store(args.store, args.repeat, args.json, args.principals)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-minimize-"))
    work.mkdir(parents=True, exist_ok=True)
    inventory = work / "account.json"
    db = work / "usage.duckdb"
    subprocess.run([sys.executable, str(GENERATOR), "--principals", "1000", "--seed",
                    str(args.seed), "-o", str(inventory)], check=True, capture_output=True)
    db.unlink(missing_ok=True)
    principals, rows = build_store(inventory, db, args.calls, args.seed)
    _register()
    runner = CliRunner()
    best = float("inf")
    report: dict = {}
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = runner.invoke(cli, ["minimize", str(inventory), "--usage", str(db),
                                     "--format", "json"])
        elapsed = time.perf_counter() - started
        if result.exit_code != 0:
            raise SystemExit(f"minimize failed: {result.output[:2000]}")
        best = min(best, elapsed)
        report = json.loads(result.output)
    proposals = report["proposals"]
    figures = {
        "principals_with_usage": principals,
        "usage_rows": rows,
        "proposals": len(proposals),
        "emitted": sum(p["emitted"] for p in proposals),
        "no_new_access_true": sum(p["proof"]["no_new_access"] is True for p in proposals),
        "replay_complete": sum(p["proof"]["replay"]["allowed"] == p["proof"]["replay"]["total"]
                               for p in proposals),
        "seconds_best": round(best, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
        print("target: < 10 s for 1,000 principals")


def _time_store(db: Path, repeat: int, as_json: bool, limit: int | None = None) -> None:
    _register()
    runner = CliRunner()
    chosen: list[str] = []
    if limit is not None:
        from iamscope.usage.store import UsageStore
        with UsageStore.open(db) as store:
            for principal in store.principals()[:limit]:
                chosen += ["--principal", principal]
    best = float("inf")
    report: dict = {}
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = runner.invoke(cli, ["minimize", "--usage", str(db), *chosen, "--format",
                                     "json"])
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if result.exit_code != 0:
            raise SystemExit(f"minimize failed: {result.output[:2000]}")
        if elapsed < best:
            best, best_cpu = elapsed, cpu
        report = json.loads(result.output)
    proposals = report["proposals"]
    figures = {
        "principals": len(proposals),
        "distinct_calls": sum(p["proof"]["replay"]["total"] for p in proposals),
        "emitted": sum(p["emitted"] for p in proposals),
        "replay_complete": sum(p["proof"]["replay"]["allowed"] == p["proof"]["replay"]["total"]
                               for p in proposals),
        "seconds_best": round(best, 2),
        "cpu_seconds": round(best_cpu, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
