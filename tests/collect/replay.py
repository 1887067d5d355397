"""Recorded AWS API responses replayed through botocore's Stubber, for the APIs the moto
server cannot serve (and for answers moto never gives: AccessDenied, throttling, opt-in
regions, several pages).

A scenario is a folder ``fixtures/aws/api/<scenario>/`` of files
``<service>.<Operation>_<n>.json``; ``n`` is the position of the call among that service
client's calls (so the replay order is the call order). Each file holds
``{"response": {...}}`` or ``{"error": {"code": ..., "message": ..., "http_status": ...}}``
and optionally ``"expected_params"``, which the Stubber checks.

``ReplayConnection`` is an ``AwsConnection``: clients come from the real factory (same
config, same session); a client whose service has files in a scenario covering its region
gets a Stubber with those responses, every other client talks to the moto server.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import xform_name
from botocore.stub import Stubber

from iamscope.collect.aws.session import AwsConnection

API_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "aws" / "api"
FILE_NAME = re.compile(r"^(?P<service>[a-z0-9-]+)\.(?P<operation>[A-Za-z0-9]+)_(?P<n>\d+)\.json$")


@dataclass(frozen=True)
class Scenario:
    """Recorded responses; ``regions`` limits the regions it answers for (None: all)."""

    name: str
    regions: frozenset[str] | None = None

    @property
    def folder(self) -> Path:
        return API_FIXTURES / self.name

    def calls(self, service: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for path in self.folder.iterdir():
            match = FILE_NAME.match(path.name)
            if match and match["service"] == service:
                found.append((int(match["n"]), match["operation"], json.loads(path.read_text())))
        return [(operation, data) for _, operation, data in sorted(found, key=lambda c: c[0])]

    def serves(self, service: str, region: str) -> bool:
        if self.regions is not None and region not in self.regions:
            return False
        return bool(self.calls(service))


@dataclass
class ReplayConnection(AwsConnection):
    scenarios: tuple[Scenario, ...] = ()
    _stubbed: dict[tuple[str, str], tuple[Any, Stubber]] = field(default_factory=dict,
                                                                   repr=False)
    _replay_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str, region: str | None = None) -> Any:
        where = region or self.region
        for scenario in self.scenarios:
            if scenario.serves(service, where):
                with self._replay_lock:
                    if (service, where) not in self._stubbed:
                        self._stubbed[(service, where)] = self._stub(scenario, service, where)
                    return self._stubbed[(service, where)][0]
        return super().client(service, region)

    def _stub(self, scenario: Scenario, service: str, region: str) -> tuple[Any, Stubber]:
        client = super().client(service, region)
        stubber = Stubber(client)
        for operation, data in scenario.calls(service):
            method = xform_name(operation)
            expected = data.get("expected_params")
            if "error" in data:
                error = data["error"]
                stubber.add_client_error(method, service_error_code=error["code"],
                                         service_message=error.get("message", ""),
                                         http_status_code=error.get("http_status", 400),
                                         expected_params=expected)
            else:
                stubber.add_response(method, data.get("response", {}), expected)
        stubber.activate()
        return client, stubber

    def assert_consumed(self) -> None:
        """Every recorded response was used (the fetcher made exactly those calls)."""
        for (service, region), (_, stubber) in sorted(self._stubbed.items()):
            try:
                stubber.assert_no_pending_responses()
            except AssertionError as exc:
                raise AssertionError(f"{service} {region}: {exc}") from exc
