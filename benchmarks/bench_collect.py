"""Collection benchmarks.

offline: load a synthetic `get-account-authorization-details` dump (shared generator,
  large = 10,000 principals and 5,000 customer-managed policies, seed 1337) into an
  inventory and write the snapshot. Target: < 10 s and < 1.5 GB peak memory.
live: seed a local moto server with a 1,000-principal account (the same generator, loaded
  through boto3), then run the live collector against it over HTTP, and compare with the
  time moto itself needs to answer the IAM calls (a bare paginated
  GetAccountAuthorizationDetails read-back), to show collection is bounded by moto.

Usage: python benchmarks/bench_collect.py [offline|live|all] [--principals N]
Each measurement runs in a fresh subprocess so peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
_Timed = None  # the timed connection class, made on first use
GENERATOR = HERE.parents[2] / "shared" / "tools" / "gen_account.py"


def _generate(principals: int, out: Path, seed: int = 1337) -> None:
    if not GENERATOR.exists():
        sys.exit(f"cannot find {GENERATOR}; run from a checkout with ../shared beside it")
    subprocess.run([sys.executable, str(GENERATOR), "--principals", str(principals),
                    "--seed", str(seed), "-o", str(out)], check=True, capture_output=True)


def offline(dump: Path) -> dict:
    from iamscope.collect.aws.normalize import inventory_from_authorization_details
    from iamscope.model.snapshot import write_snapshot

    started = time.perf_counter()
    data = json.loads(dump.read_text())
    parsed = time.perf_counter()
    result = inventory_from_authorization_details(data, source_file=str(dump))
    normalized = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_snapshot(result.inventory, Path(tmp) / "inventory.json")
    written = time.perf_counter()
    inventory = result.inventory
    return {
        "principals": len(inventory.principals), "policies": len(inventory.policies),
        "gaps": len(inventory.gaps), "file_mb": round(dump.stat().st_size / 1e6, 1),
        "json_s": round(parsed - started, 2), "normalize_s": round(normalized - parsed, 2),
        "snapshot_write_s": round(written - normalized, 2),
        "total_s": round(written - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def live(dump: Path, workers: int) -> dict:
    """Seed moto from the dump through boto3, then collect it (IAM only: one region)."""
    sys.path.insert(0, str(HERE.parents[1]))
    from tests.moto_server import moto_server, session

    global _Timed
    _Timed = _timed_connection_class()

    data = json.loads(dump.read_text())
    with moto_server() as endpoint:
        started = time.perf_counter()
        calls = _seed(session(), endpoint, data, workers)
        seeded = time.perf_counter()
        iam = session().client("iam", endpoint_url=endpoint)
        paginator = iam.get_paginator("get_account_authorization_details")
        pages = list(paginator.paginate(Filter=["User", "Role", "Group", "LocalManagedPolicy"]))
        bare = time.perf_counter()
        from iamscope.collect.aws.collect import collect

        connection = _Timed.from_session(session(), endpoint_url=endpoint)
        cpu_before = time.process_time()
        raw = collect(connection, regions=["us-east-1"], max_workers=workers)
        collected = time.perf_counter()
        cpu = time.process_time() - cpu_before
    accounts = raw["accounts"]
    return {
        "seed_calls": calls, "seed_s": round(seeded - started, 1),
        "moto_bare_gaad_readback_s": round(bare - seeded, 2), "gaad_pages": len(pages),
        "iamscope_collect_s": round(collected - bare, 2),
        "api_calls": _Timed.calls,
        "summed_call_latency_s": round(_Timed.waiting, 1),
        "collector_process_cpu_s_incl_moto_threads": round(cpu, 1),
        "principals": sum(len(a["authorization_details"].get(k, [])) for a in accounts
                          for k in ("UserDetailList", "RoleDetailList")),
        "gaps": sum(len(a["gaps"]) for a in accounts),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _timed_connection_class():
    import threading

    from iamscope.collect.aws.session import AwsConnection

    class Timed(AwsConnection):
        """Counts API calls and the time spent waiting for their responses."""

        calls = 0
        waiting = 0.0
        lock = threading.Lock()

        def client(self, service, region=None):  # type: ignore[no-untyped-def]
            client = super().client(service, region)

            def before(context, **_):  # type: ignore[no-untyped-def]
                context["bench_started"] = time.perf_counter()

            def after(context, **_):  # type: ignore[no-untyped-def]
                with Timed.lock:
                    Timed.calls += 1
                    Timed.waiting += time.perf_counter() - context.get(
                        "bench_started", time.perf_counter())

            client.meta.events.register("before-call", before)
            client.meta.events.register("after-call", after)
            return client

    return Timed


def _seed(boto_session, endpoint: str, data: dict, workers: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    iam = boto_session.client("iam", endpoint_url=endpoint)
    calls = 0
    for policy in data.get("Policies", []):
        if ":aws:policy/" in policy["Arn"]:
            continue
        document = next(v["Document"] for v in policy["PolicyVersionList"]
                        if v["IsDefaultVersion"])
        iam.create_policy(PolicyName=policy["PolicyName"], Path=policy.get("Path", "/"),
                          PolicyDocument=json.dumps(document))
        calls += 1

    def user(item: dict) -> int:
        client = boto_session.client("iam", endpoint_url=endpoint)
        client.create_user(UserName=item["UserName"], Path=item.get("Path", "/"))
        for inline in item.get("UserPolicyList", []):
            client.put_user_policy(UserName=item["UserName"], PolicyName=inline["PolicyName"],
                                   PolicyDocument=json.dumps(inline["PolicyDocument"]))
        return 1 + len(item.get("UserPolicyList", []))

    def role(item: dict) -> int:
        client = boto_session.client("iam", endpoint_url=endpoint)
        client.create_role(RoleName=item["RoleName"], Path=item.get("Path", "/"),
                           AssumeRolePolicyDocument=json.dumps(item["AssumeRolePolicyDocument"]))
        for inline in item.get("RolePolicyList", []):
            client.put_role_policy(RoleName=item["RoleName"], PolicyName=inline["PolicyName"],
                                   PolicyDocument=json.dumps(inline["PolicyDocument"]))
        return 1 + len(item.get("RolePolicyList", []))

    with ThreadPoolExecutor(workers) as pool:
        calls += sum(pool.map(user, data.get("UserDetailList", [])))
        calls += sum(pool.map(role, data.get("RoleDetailList", [])))
    return calls


def _child(mode: str, dump: Path, workers: int) -> dict:
    out = subprocess.run([sys.executable, str(HERE), "--child", mode, "--dump", str(dump),
                          "--workers", str(workers)], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="all", choices=["offline", "live", "all"])
    parser.add_argument("--principals", type=int, default=None)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--child", choices=["offline", "live"], help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = offline(args.dump) if args.child == "offline" else live(args.dump, args.workers)
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if args.mode in ("offline", "all"):
            dump = Path(tmp) / "large.json"
            _generate(args.principals or 10_000, dump)
            result = _child("offline", dump, args.workers)
            print(f"offline load: {result}  (target: total < 10 s, peak < 1536 MB)")
        if args.mode in ("live", "all"):
            dump = Path(tmp) / "medium.json"
            _generate(args.principals or 1_000, dump)
            result = _child("live", dump, args.workers)
            print(f"live collection from moto: {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
