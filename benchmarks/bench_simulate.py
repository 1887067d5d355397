"""Decisions per second of the evaluation engine on a realistic mix.

Principals and policies come from the shared synthetic account generator
(../shared/tools/gen_account.py, fixed seed): users and roles with inline, customer-managed
and AWS-managed policies, group policies, permissions boundaries, conditions, NotAction and
admin-ish policies. Every principal also sits under a three-level SCP chain (FullAWSAccess
at the root, a region lock with a condition at the OU, an IAM guard rail at the account).
Requests mix actions the principal's policies name (mostly allowed) with random catalogued
actions (mostly denied), on resources shaped like the generator's ARNs, with contexts.

Usage: python benchmarks/bench_simulate.py [--principals 1000] [--requests 100000]

Reports policies per principal, compile time, and decisions per second on one core
(target: >= 20,000/s). Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.evaluate import Engine, PolicyLayers, Request
from iamscope.model.policy import Policy, PolicyKind
from iamscope.policy.parse import parse_policy

SHARED_TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"
ACCOUNT = "123456789012"

SCP_CHAIN = [
    [{"Version": "2012-10-17",
      "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}],
    [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "RegionLock", "Effect": "Deny",
         "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*", "cloudfront:*"],
         "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1",
                                                                   "us-west-2"]}}}]}],
    [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "ProtectAudit", "Effect": "Deny",
         "Action": ["iam:DeleteRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"],
         "Resource": "arn:aws:iam::*:role/audit-*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}}}]}],
]


def _load_generator():
    path = SHARED_TOOLS / "gen_account.py"
    if not path.exists():
        sys.exit(f"cannot find {path}; run from a checkout with ../shared beside it")
    spec = importlib.util.spec_from_file_location("gen_account", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _generate(principals: int, seed: int) -> dict:
    gen = _load_generator()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "account.json"
        code = gen.main(["--principals", str(principals), "--seed", str(seed), "--indent", "0",
                         "-o", str(out)])
        if code:
            sys.exit(f"generator failed with {code}")
        return json.loads(out.read_text())


def _default_document(policy: dict) -> dict:
    for version in policy.get("PolicyVersionList", []):
        if version.get("IsDefaultVersion"):
            return version["Document"]
    return policy["PolicyVersionList"][0]["Document"]


def build_layers(dump: dict, seed: int) -> list[tuple[str, PolicyLayers, list[str]]]:
    """(principal ARN, layers, actions named in its policies) for every user and role.

    The generator attaches a few policies to most principals; the benchmark tops every
    principal up to 10-30 policies from the account's managed-policy pool (deterministic),
    the mix the issue asks for."""
    rng = random.Random(seed)
    managed = {
        p["Arn"]: parse_policy(_default_document(p), policy_id=p["Arn"], kind=PolicyKind.MANAGED)
        for p in dump.get("Policies", [])
    }

    def inline(owner: str, items: list[dict], key: str) -> list[Policy]:
        return [parse_policy(i["PolicyDocument"], policy_id=f"{owner}/inline/{i['PolicyName']}",
                             kind=PolicyKind.INLINE) for i in items or []]

    groups = {}
    for group in dump.get("GroupDetailList", []):
        policies = inline(group["Arn"], group.get("GroupPolicyList"), "GroupPolicyList")
        policies += [managed[a["PolicyArn"]] for a in group.get("AttachedManagedPolicies", [])
                     if a["PolicyArn"] in managed]
        groups[group["GroupName"]] = policies
    scps = tuple(tuple(parse_policy(d, policy_id=f"scp-{i}", kind=PolicyKind.SCP) for d in level)
                 for i, level in enumerate(SCP_CHAIN))
    out = []
    entities = [(u, "UserPolicyList") for u in dump.get("UserDetailList", [])] + \
        [(r, "RolePolicyList") for r in dump.get("RoleDetailList", [])]
    for entity, key in entities:
        policies = inline(entity["Arn"], entity.get(key), key)
        policies += [managed[a["PolicyArn"]] for a in entity.get("AttachedManagedPolicies", [])
                     if a["PolicyArn"] in managed]
        for group in entity.get("GroupList", []):
            policies += groups.get(group, [])
        pool = sorted(managed)
        target = rng.randint(10, 30)
        while len(policies) < target:
            policies.append(managed[pool[rng.randrange(len(pool))]])
        boundary_arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = managed.get(boundary_arn) if boundary_arn else None
        actions = sorted({a for p in policies for s in p.statements for a in (s.actions or ())
                          if "*" not in a and "?" not in a})
        layers = PolicyLayers(identity=tuple(policies), boundary=boundary, scps=scps)
        out.append((entity["Arn"], layers, actions))
    return out


def _resource_for(service: str, rng: random.Random) -> str:
    region = rng.choice(["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"])
    n = f"{service}-res-{rng.randrange(997)}"
    return {
        "s3": f"arn:aws:s3:::bucket-{rng.randrange(499)}/data/{rng.randrange(10**6)}.json",
        "dynamodb": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{n}",
        "sqs": f"arn:aws:sqs:{region}:{ACCOUNT}:{n}",
        "sns": f"arn:aws:sns:{region}:{ACCOUNT}:{n}",
        "lambda": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{n}",
        "iam": f"arn:aws:iam::{ACCOUNT}:role/app-role-{rng.randrange(300)}",
        "kms": f"arn:aws:kms:{region}:{ACCOUNT}:key/{rng.getrandbits(128):032x}",
        "ec2": f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-{rng.getrandbits(64):016x}",
    }.get(service, f"arn:aws:{service}:{region}:{ACCOUNT}:thing/{n}")


def make_requests(principals: list[tuple[str, PolicyLayers, list[str]]], count: int,
                  catalog: ActionCatalog, seed: int) -> list[tuple[Request, PolicyLayers]]:
    rng = random.Random(seed)
    services = sorted(["s3", "ec2", "iam", "lambda", "dynamodb", "sqs", "sns", "kms", "logs",
                       "secretsmanager", "ssm", "sts", "ecr", "glue"])
    random_actions = [a.full_name for s in services for a in catalog.service_actions(s).values()]
    out = []
    for _ in range(count):
        arn, layers, named = principals[rng.randrange(len(principals))]
        action = rng.choice(named) if named and rng.random() < 0.6 else rng.choice(random_actions)
        context = {
            "aws:RequestedRegion": rng.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
            "aws:SourceIp": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            "aws:MultiFactorAuthPresent": rng.choice(["true", "false"]),
            "aws:PrincipalTag/team": f"team-{rng.randrange(1, 41)}",
            "aws:CurrentTime": "2026-11-22T10:00:00Z",
        }
        request = Request.create(arn, action, _resource_for(action.split(":")[0], rng),
                                 context=context)
        out.append((request, layers))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    catalog = ActionCatalog()
    started = time.perf_counter()
    dump = _generate(args.principals, args.seed)
    principals = build_layers(dump, args.seed)
    parse_seconds = time.perf_counter() - started
    sizes = [len(layers.identity) for _, layers, _ in principals]
    requests = make_requests(principals, args.requests, catalog, args.seed)

    engine = Engine(catalog, cache_size=len(principals) + 16)
    started = time.perf_counter()
    for _, layers, _ in principals:
        engine.compile(layers)
    compile_seconds = time.perf_counter() - started

    explained_rates = []
    decisions: dict[str, int] = {}
    for _ in range(args.repeat):
        decisions = {}
        started = time.perf_counter()
        for request, layers in requests:
            result = engine.evaluate(request, layers)
            decisions[result.decision.value] = decisions.get(result.decision.value, 0) + 1
        explained_rates.append(len(requests) / (time.perf_counter() - started))
    rates = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        bare = [engine.decide(request, layers) for request, layers in requests]
        rates.append(len(requests) / (time.perf_counter() - started))
    mismatches = sum(1 for (request, layers), decision in zip(requests, bare, strict=True)
                     if engine.evaluate(request, layers).decision is not decision)

    print(f"principals: {len(principals)} (policies each: median {statistics.median(sizes)}, "
          f"max {max(sizes)}; boundaries: "
          f"{sum(1 for _, lay, _ in principals if lay.boundary)}), SCP levels: 3")
    print(f"catalog: {catalog.version}")
    print(f"generate+parse: {parse_seconds:.2f}s, compile all principals: {compile_seconds:.2f}s")
    print(f"requests: {len(requests)}; decisions: {decisions}")
    print(f"decisions/s (one core), Engine.decide: best {max(rates):,.0f}, median "
          f"{statistics.median(rates):,.0f} (target >= 20,000); agrees with evaluate: "
          f"{len(requests) - mismatches}/{len(requests)}")
    print(f"decisions/s (one core), Engine.evaluate with full explanation: best "
          f"{max(explained_rates):,.0f}, median {statistics.median(explained_rates):,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
