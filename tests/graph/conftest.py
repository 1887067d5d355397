"""The flawed-org scenario as collected from the embedded AWS (fixtures/aws/snapshots), and
analyses over it shared by the module's tests."""

from __future__ import annotations

import pytest

from iamscope.collect.load import load_inventory
from iamscope.evaluate import Engine
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.build import build_graph
from iamscope.model.inventory import Inventory
from iamscope.model.principal import PrincipalKind
from tests.conftest import FIXTURES

FLAWED = FIXTURES / "aws" / "snapshots" / "flawed-org.json"


class Org:
    """Ids of the flawed-org scenario by alias (account ids are assigned by the server)."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self.accounts = {p.name.removeprefix("acme-"): p.account
                         for p in inventory.principals.values()
                         if p.kind is PrincipalKind.ACCOUNT_ROOT}

    def __call__(self, account: str, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.accounts[account]}:{kind}/{name}"

    def resource(self, prefix: str) -> str:
        [found] = [r for r in self.inventory.resources if r.startswith(prefix)]
        return found


@pytest.fixture(scope="session")
def flawed() -> Inventory:
    return load_inventory(FLAWED).inventory


@pytest.fixture(scope="session")
def org(flawed: Inventory) -> Org:
    return Org(flawed)


@pytest.fixture(scope="session")
def analysis(flawed: Inventory) -> BlastAnalysis:
    engine = Engine()
    return BlastAnalysis(build_graph(flawed, engine), engine)
