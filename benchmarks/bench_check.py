"""`iamscope check` on a synthetic Terraform plan: 2,000 resources, 500 IAM principals,
with a prior state so the blast-radius delta is computed.

The plan is written in the `terraform show -json` format (planned_values, resource_changes,
prior_state, configuration) with a fixed seed:

- 400 roles (trusting Lambda, EC2 or another role) and 100 users, each with an inline
  policy of a few scoped statements, 100 customer-managed policies and 300 role policy
  attachments, 250 S3 buckets with 250 bucket policies, 100 Lambda functions running as
  roles: 2,000 resources, 500 principals;
- the prior state is the same minus the change under review: 25 inline policies widened
  (one of them gains iam:PassRole + lambda:CreateFunction next to role-0, an admin role
  Lambda may assume) and 5 new roles with their policies.

Steps, each timed: generate (not counted), then `iamscope check plan.json --format sarif`
in-process through click (read + both graphs + checks + policy rules + delta + SARIF), best
of ``--repeat`` runs; and the gate alone (``run_check`` on the loaded inventories). Target:
< 5 s for the whole command on this machine. Not a test: nothing here asserts a time.

Every bucket policy names one role. The audit's sensitive blast radius asks every
principal's S3 probes about the buckets; a bucket policy that cannot reach the principal is
decided as if absent (``graph.named``), so only the policies naming it cost an engine run.
``--bucket-policies N`` (default 250) varies their count. Measured on the 2-CPU machine,
best of 3: 8.5 s for the command (gate 7.2 s) when every policy was asked, 1.1 s (gate
0.7 s) with the shortcut; 1.1-1.7 s while other jobs shared the CPUs.

Usage: python benchmarks/bench_check.py [--repeat N] [--bucket-policies N] [--keep DIR]
       [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ACCT = "111122223333"
REGION = "eu-west-1"
SERVICES = ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "dynamodb:PutItem",
            "sqs:SendMessage", "sqs:ReceiveMessage", "logs:PutLogEvents", "kms:Decrypt",
            "secretsmanager:GetSecretValue", "sns:Publish", "ec2:DescribeInstances"]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)},
                      separators=(",", ":"))


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCT}:{kind}/{name}"


def _resource(address: str, values: dict[str, Any]) -> dict[str, Any]:
    kind, name = address.split(".", 1)
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": values, "sensitive_values": {}}


def _statement(rng: random.Random, i: int) -> dict[str, Any]:
    action = rng.choice(SERVICES)
    service = action.split(":")[0]
    target = {"s3": f"arn:aws:s3:::bucket-{i % 250}/*",
              "dynamodb": f"arn:aws:dynamodb:{REGION}:{ACCT}:table/t-{i % 50}",
              "sqs": f"arn:aws:sqs:{REGION}:{ACCT}:q-{i % 40}",
              "sns": f"arn:aws:sns:{REGION}:{ACCT}:topic-{i % 30}",
              "kms": f"arn:aws:kms:{REGION}:{ACCT}:key/k-{i % 20}",
              "secretsmanager": f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:s-{i % 60}",
              "logs": f"arn:aws:logs:{REGION}:{ACCT}:log-group:/app/{i}:*"}.get(service, "*")
    return {"Effect": "Allow", "Action": [action], "Resource": target}


def build_states(seed: int = 7, bucket_policies: int = 250) -> tuple[list[dict], list[dict]]:
    """(prior resources, planned resources) in the plan's ``values`` shape; the first
    ``bucket_policies`` buckets have a policy (the others a public access block)."""
    rng = random.Random(seed)
    prior: list[dict] = []
    planned: list[dict] = []

    def both(address: str, values: dict, changed: dict | None = None,
             new: bool = False) -> None:
        if not new:
            prior.append(_resource(address, values))
        planned.append(_resource(address, changed if changed is not None else values))

    trusts = [_doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": s}})
              for s in ("lambda.amazonaws.com", "ec2.amazonaws.com")]
    widened = set(rng.sample(range(2, 395), 24))
    for i in range(400):
        name = f"role-{i}"
        new = i >= 395
        trust = trusts[i % 2] if i % 7 else _doc({
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": _arn("role", f"role-{(i + 1) % 400}")}})
        both(f"aws_iam_role.r{i}", {"name": name, "path": "/", "arn": _arn("role", name),
                                    "id": name, "assume_role_policy": trust,
                                    "unique_id": f"AROA{i:016d}"}, new=new)
        statements = [_statement(rng, i + k) for k in range(rng.randint(1, 4))]
        if i == 0:
            statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]  # ops admin
        policy = {"id": f"{name}:main", "name": "main", "role": name, "policy": _doc(*statements)}
        changed = None
        if i in widened or i == 1:
            extra = ({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction",
                                                    "lambda:InvokeFunction"], "Resource": "*"}
                     if i == 1 else _statement(rng, i + 1000))
            changed = {**policy, "policy": _doc(*statements, extra)}
        both(f"aws_iam_role_policy.r{i}", policy, changed, new=new)
    for i in range(100):
        name = f"user-{i}"
        both(f"aws_iam_user.u{i}", {"name": name, "path": "/", "arn": _arn("user", name),
                                    "id": name, "unique_id": f"AIDA{i:016d}"})
        both(f"aws_iam_user_policy.u{i}", {"id": f"{name}:main", "name": "main", "user": name,
                                           "policy": _doc(_statement(rng, i))})
    for i in range(100):
        name = f"managed-{i}"
        both(f"aws_iam_policy.m{i}", {"name": name, "path": "/", "arn": _arn("policy", name),
                                      "id": _arn("policy", name),
                                      "policy": _doc(*(_statement(rng, i + k)
                                                       for k in range(3)))})
    for i in range(300):
        role = f"role-{(i * 7) % 400}"
        both(f"aws_iam_role_policy_attachment.a{i}",
             {"id": f"{role}-{i}", "role": role,
              "policy_arn": _arn("policy", f"managed-{i % 100}")})
    for i in range(250):
        bucket = f"bucket-{i}"
        both(f"aws_s3_bucket.b{i}", {"bucket": bucket, "id": bucket,
                                     "arn": f"arn:aws:s3:::{bucket}"})
        if i >= bucket_policies:
            both(f"aws_s3_bucket_public_access_block.b{i}", {
                "bucket": bucket, "id": bucket, "block_public_acls": True,
                "block_public_policy": True, "ignore_public_acls": True,
                "restrict_public_buckets": True})
            continue
        reader = _arn("role", f"role-{i % 400}")
        both(f"aws_s3_bucket_policy.b{i}", {"bucket": bucket, "id": bucket, "policy": _doc({
            "Effect": "Allow", "Principal": {"AWS": reader}, "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*"})})
    for i in range(100):
        name = f"fn-{i}"
        both(f"aws_lambda_function.f{i}", {
            "function_name": name, "id": name, "runtime": "python3.12", "handler": "app.main",
            "arn": f"arn:aws:lambda:{REGION}:{ACCT}:function:{name}",
            "role": _arn("role", f"role-{(i * 3) % 400}")})
    return prior, planned


def build_plan(seed: int = 7, bucket_policies: int = 250) -> dict[str, Any]:
    prior, planned = build_states(seed, bucket_policies)
    before = {r["address"]: r for r in prior}
    changes = []
    for item in planned:
        old = before.get(item["address"])
        actions = ["create"] if old is None else (
            ["no-op"] if old["values"] == item["values"] else ["update"])
        changes.append({"address": item["address"], "mode": "managed", "type": item["type"],
                        "name": item["name"], "provider_name": item["provider_name"],
                        "change": {"actions": actions,
                                   "before": old["values"] if old else None,
                                   "after": item["values"], "after_unknown": {}}})
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "prior_state": {"format_version": "1.0", "terraform_version": "1.9.8",
                            "values": {"root_module": {"resources": prior}}},
            "configuration": {"root_module": {"resources": []}}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bucket-policies", type=int, default=250,
                        help="how many of the 250 buckets have a bucket policy (default 250; "
                             "the others get a public access block)")
    parser.add_argument("--keep", type=Path, help="write plan.json into this directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    plan = build_plan(bucket_policies=args.bucket_policies)
    resources = len(plan["planned_values"]["root_module"]["resources"])
    principals = sum(1 for r in plan["planned_values"]["root_module"]["resources"]
                     if r["type"] in ("aws_iam_role", "aws_iam_user"))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="iamscope-bench-check-"))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "plan.json"
    target.write_text(json.dumps(plan))
    figures: dict[str, Any] = {"resources": resources, "principals": principals}

    try:
        from iamscope.collect.terraform.load import load_terraform
    except ImportError:
        print("the Terraform collector (load_terraform) is not available: nothing to time",
              file=sys.stderr)
        return 1
    from iamscope.ci.gate import CheckInput, run_check
    from iamscope.cli.main import _register, cli

    _register()
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = CliRunner().invoke(cli, ["check", str(target), "--format", "sarif", "-o",
                                          str(folder / "out.sarif"), "--fail-on", "none"])
        runs.append(time.perf_counter() - start)
        if result.exit_code != 0:
            print(result.stderr or result.output, file=sys.stderr)
            return 1
    figures["check_command_s"] = round(min(runs), 3)

    start = time.perf_counter()
    load = load_terraform(target)
    figures["load_s"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    checked = run_check(CheckInput(load.planned, load.prior, "plan", load.suppressions,
                                   load.addresses))
    figures["gate_s"] = round(time.perf_counter() - start, 3)
    figures["findings"] = len(checked.findings)
    figures["delta_items"] = len(checked.delta.items) if checked.delta else 0
    figures["headline"] = checked.delta.items[0].headline if checked.delta and \
        checked.delta.items else None
    figures["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>16}: {value}")
        print(f"{'target':>16}: check < 5 s -> "
              f"{'met' if figures['check_command_s'] < 5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
