"""Helpers for the HCL reader tests: fixture directories and small inline configurations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iamscope.collect.terraform.hcl import read_hcl
from iamscope.collect.terraform.resources import TerraformReading, TerraformResource

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "terraform" / "hcl"


def by_address(reading: TerraformReading) -> dict[str, TerraformResource]:
    return {resource.address: resource for resource in reading.resources}


@pytest.fixture
def read_text(tmp_path: Path):
    """Write ``main.tf`` (and other files) into a fresh directory and read it."""

    def read(main: str, files: dict[str, str] | None = None, **options: Any) -> TerraformReading:
        (tmp_path / "main.tf").write_text(main)
        for name, text in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return read_hcl(tmp_path, **options)

    return read
