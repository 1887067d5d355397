"""Access graph, blast radius for every principal, audit, reach and who-can on synthetic
accounts.

The accounts come from the shared generator (../shared/tools/gen_account.py, fixed seed,
the exact ``get-account-authorization-details`` shape): medium = 1,000 principals, large =
10,000 principals and 5,000 customer-managed policies. Steps, each timed:

1. load: read and normalise the dump into an inventory;
2. graph: ``build_graph`` (every technique of the catalog, engine decisions throughout);
3. blast (all): closure, admin reachability and shortest admin paths, and the sensitive
   reach of every principal propagated over the escalation graph (what ``audit`` needs);
4. audit: the whole ``run_audit`` (graph + blast + every check), separately;
5. who-can: three questions after the graph is built, the first including the one-off
   escalation index, then the same again warm;
6. reach: the full effective reach of sampled principals (administrators included).

Peak RSS of the process is reported (targets on the large account: graph + blast for every
principal < 60 s and < 4 GB; who-can < 2 s). Not a test: nothing here asserts a time.

Usage: python benchmarks/bench_graph.py [--size medium|large] [--input FILE] [--json]
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
from pathlib import Path

from iamscope.evaluate import Engine
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.build import build_graph
from iamscope.model.inventory import Inventory

SHARED_TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"
QUESTIONS = [
    ("s3:GetObject", "arn:aws:s3:::some-bucket/reports/2026.csv"),
    ("secretsmanager:GetSecretValue",
     "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password"),
    ("iam:PassRole", None),  # a role of the account, chosen below
]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(size: str, target: Path) -> None:
    tool = SHARED_TOOLS / "gen_account.py"
    if not tool.exists():
        sys.exit(f"cannot find {tool}; run from a checkout with ../shared beside it")
    subprocess.run([sys.executable, str(tool), "--size", size, "--indent", "0", "-o",
                    str(target)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=["small", "medium", "large"], default="large")
    parser.add_argument("--input", type=Path, help="an inventory file instead of generating")
    parser.add_argument("--reach-samples", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    from iamscope.collect.load import load_inventory
    from iamscope.pipeline import bulk_work, run_audit

    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.input or Path(tmp) / f"{args.size}.json"
        if args.input is None:
            generate(args.size, path)
        started = time.perf_counter()
        inventory = load_inventory(path).inventory
        figures["load_s"] = round(time.perf_counter() - started, 2)
    figures["principals"] = len(inventory.principals)
    figures["policies"] = len(inventory.policies)

    with bulk_work():
        figures.update(graph_and_blast(inventory, args.reach_samples))
    figures["peak_rss_mib_after_blast"] = round(peak_mib())

    started = time.perf_counter()
    result = run_audit(inventory)
    figures["audit_s"] = round(time.perf_counter() - started, 2)
    figures["findings"] = len(result.findings)
    figures["peak_rss_mib"] = round(peak_mib())
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")


def graph_and_blast(inventory: Inventory, reach_samples: int) -> dict[str, object]:
    figures: dict[str, object] = {}
    engine = Engine(cache_size=max(4096, 2 * len(inventory.principals)))
    started = time.perf_counter()
    access = build_graph(inventory, engine)
    figures["graph_s"] = round(time.perf_counter() - started, 2)
    figures["edges"] = len(access.edges)

    analysis = BlastAnalysis(access, engine)
    roles = list(analysis.authorizer.roles)
    questions = [(a, r or roles[len(roles) // 2].id) for a, r in QUESTIONS]
    timings = []
    for action, target in questions:
        started = time.perf_counter()
        result = analysis.who_can(action, target)
        timings.append({"action": action, "seconds": round(time.perf_counter() - started, 2),
                        "direct": len(result.direct), "indirect": len(result.indirect)})
    figures["who_can_first"] = timings
    figures["who_can_warm_s"] = [
        round(_timed(lambda a=a, r=r: analysis.who_can(a, r)), 2) for a, r in questions]

    started = time.perf_counter()
    esc = analysis.escalation
    nodes = [p.id for p in analysis.authorizer.principals]
    reaching = [n for n in nodes if esc.reaches_admin(n)]
    paths = sum(len(esc.admin_paths(n)) for n in reaching)
    sensitive = sum(1 for n in nodes if any(analysis.sensitive_summary(n)))
    figures["blast_all_s"] = round(time.perf_counter() - started, 2)
    figures["reach_admin"] = len(reaching)
    figures["admin_paths"] = paths
    figures["with_sensitive_blast"] = sensitive
    figures["graph_plus_blast_s"] = round(figures["graph_s"] + figures["blast_all_s"], 2)

    rng = random.Random(1337)
    sample = [p for p in analysis.authorizer.principals if p.id in access.admins][:2]
    sample += rng.sample(analysis.authorizer.principals,
                         min(reach_samples, len(analysis.authorizer.principals)))
    reach_times = [_timed(lambda p=p: analysis.effective.reach(p)) for p in sample]
    figures["reach_s"] = {"max": round(max(reach_times), 3),
                          "median": round(sorted(reach_times)[len(reach_times) // 2], 3)}
    return figures


def _timed(call: object) -> float:
    started = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
