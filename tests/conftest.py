"""Shared test fixtures: one engine and catalog per session, and the shared vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.evaluate import Engine

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def catalog() -> ActionCatalog:
    return ActionCatalog()


@pytest.fixture(scope="session")
def engine(catalog: ActionCatalog) -> Engine:
    return Engine(catalog)


@pytest.fixture(scope="session")
def moto_endpoint():
    """One moto server for the test session; tests reset it as they need."""
    from tests.moto_server import moto_server

    with moto_server() as endpoint:
        yield endpoint
