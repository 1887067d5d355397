"""Packaged AWS-managed policy set: size of the data file and time to load it.

``read_packaged`` (gunzip + JSON parse + header check) is what ``load_terraform`` pays once
per call when a configuration attaches an AWS-managed ARN that no other source resolves.

Usage: python benchmarks/bench_managed_policies.py [--repeat R]
"""

from __future__ import annotations

import argparse
import time
from importlib import resources

from iamscope.collect.terraform.managed_policies import PACKAGED, read_packaged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = resources.files("iamscope.collect.terraform").joinpath(PACKAGED)
    size = len(path.read_bytes())
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        packaged = read_packaged()
        timings.append(time.perf_counter() - started)
    print(f"{PACKAGED}: {size:,} bytes, {len(packaged.documents)} policies ({packaged.label})")
    print(f"load: best {min(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms "
          f"over {args.repeat} runs")


if __name__ == "__main__":
    main()
