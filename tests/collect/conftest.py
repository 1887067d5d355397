"""Collector test fixtures: a freshly reset moto server, clients to seed it, and
connections for the fetchers (moto over HTTP, plus recorded responses where moto cannot
answer)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.collect.replay import ReplayConnection, Scenario
from tests.moto_server import reset, session

ACCOUNT = "123456789012"  # moto's default account
PARTITION = "aws"
REGION = "us-east-1"


class Aws:
    """The moto server of one test: ``client`` seeds it, ``connection`` reads it."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self._session = session(REGION)

    def client(self, service: str, region: str = REGION) -> Any:
        return self._session.client(service, region_name=region, endpoint_url=self.endpoint)

    def connection(self, *scenarios: Scenario | str, max_pool: int = 16) -> ReplayConnection:
        """A connection to moto; services with files in ``scenarios`` are replayed."""
        resolved = tuple(s if isinstance(s, Scenario) else Scenario(s) for s in scenarios)
        return ReplayConnection(_session=session(REGION), region=REGION,
                                endpoint_url=self.endpoint, max_pool=max_pool,
                                scenarios=resolved)


@pytest.fixture
def aws(moto_endpoint: str) -> Aws:
    reset(moto_endpoint)
    return Aws(moto_endpoint)


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*",
          **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(service: str) -> str:
    return json.dumps(doc({"Effect": "Allow", "Principal": {"Service": service},
                           "Action": "sts:AssumeRole"}))
