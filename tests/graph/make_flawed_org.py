"""Regenerate fixtures/aws/snapshots/flawed-org.json: seed the flawed-org scenario on an
in-process moto server, collect it (org mode) and write the snapshot.

    .venv/bin/python -m tests.graph.make_flawed_org

Member account ids are assigned by the server, so they change on every run: tests look
principals up by account alias (``tests.graph.conftest.Org``), never by id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import REPO


def main() -> None:
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from iamscope.collect.aws.collect import collect
    from iamscope.collect.aws.normalize import normalize_collection
    from iamscope.demo.seed import seed_scenario
    from iamscope.model.snapshot import write_snapshot
    from tests.collect.moto_gaps import MotoConnection
    from tests.moto_server import moto_server, session

    scenario = REPO / "iamscope" / "demo" / "scenarios" / "flawed-org.json"
    if not scenario.exists():
        scenario = REPO / "fixtures" / "aws" / "scenarios" / "flawed-org.json"
    with moto_server() as endpoint:
        seed_scenario(endpoint, json.loads(scenario.read_text()))
        connection = MotoConnection(_session=session("us-east-1"), endpoint_url=endpoint)
        raw = collect(connection, org=True, regions=["us-east-1"])
    target = REPO / "fixtures" / "aws" / "snapshots" / "flawed-org.json"
    write_snapshot(normalize_collection(raw, collector="aws").inventory, target)
    print(f"wrote {Path(target).relative_to(REPO)}")


if __name__ == "__main__":
    main()
