"""The main job on an embedded default: an in-process AWS (moto) seeded with a flawed
organisation, collected live over HTTP, audited, and written to a folder.

No cloud account and no network beyond 127.0.0.1 are involved: the server listens on a
free loopback port, the credentials are moto's dummy keys, and nothing else is contacted.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iamscope.collect.aws.normalize import normalize_collection
from iamscope.demo.seed import DEFAULT_CREDENTIALS, seed_scenario
from iamscope.errors import InputError
from iamscope.model.inventory import Inventory
from iamscope.model.snapshot import write_snapshot

SCENARIO = "flawed-org"
REGION = "us-east-1"


def load_scenario(name: str = SCENARIO) -> dict[str, Any]:
    text = resources.files("iamscope.demo").joinpath(f"scenarios/{name}.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def embedded_aws() -> Iterator[str]:
    """A moto server on 127.0.0.1; yields its endpoint URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        raise InputError("the demo needs moto: pip install 'iamscope[aws]' moto[server]") from exc
    # moto reads MOTO_IAM_LOAD_MANAGED_POLICIES when it creates an account's IAM backend;
    # the scenario attaches AWS-managed policies, so the CLI sets it before calling here.
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class DemoRun:
    inventory: Inventory
    ids: dict[str, str]
    raw: dict[str, Any]
    warnings: list[str]


def collect_demo(progress: Callable[[str], None] | None = None) -> DemoRun:
    """Seed the embedded AWS with the scenario and collect the whole organisation."""
    import boto3

    from iamscope.collect.aws.collect import collect
    from iamscope.collect.aws.session import AwsConnection

    scenario = load_scenario()
    with embedded_aws() as endpoint:
        if progress:
            progress(f"embedded AWS on {endpoint}: seeding the {SCENARIO} organisation")
        ids = seed_scenario(endpoint, scenario)
        if progress:
            progress("collecting the organisation over HTTP")
        session = boto3.session.Session(region_name=REGION, **DEFAULT_CREDENTIALS)
        connection = AwsConnection.from_session(session, endpoint_url=endpoint, region=REGION)
        raw = dict(collect(connection, org=True, regions=[REGION], progress=progress))
    result = normalize_collection(raw, collector="aws")  # type: ignore[arg-type]
    return DemoRun(result.inventory, ids, raw, result.warnings)


def write_outputs(run: DemoRun, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"inventory": out / "inventory.json", "raw": out / "raw-collection.json"}
    write_snapshot(run.inventory, paths["inventory"])
    paths["raw"].write_text(json.dumps(run.raw, indent=1, sort_keys=True, default=str))
    return paths
