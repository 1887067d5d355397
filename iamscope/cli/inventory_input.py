"""Reading the INV argument of the analysis commands, and naming principals in it."""

from __future__ import annotations

import gc
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from iamscope.collect.load import inventory_from_data
from iamscope.errors import InputError
from iamscope.model.inventory import Inventory
from iamscope.model.principal import PrincipalKind
from iamscope.report.terminal import sanitize

PathType = click.Path(exists=False, dir_okay=True, path_type=Path)
ACTING = (PrincipalKind.USER, PrincipalKind.ROLE)


def terraform_variables(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--var NAME=VALUE`` options -> a mapping (a later value wins, as in Terraform)."""
    variables: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"--var {sanitize(pair)!r}: expected NAME=VALUE")
        variables[name] = value
    return variables


def read_inventory(path: Path) -> Inventory:
    """Any file ``load_inventory`` accepts; its warnings go to stderr, escaped.

    The analysis commands are one-shot processes that build millions of long-lived objects:
    the cyclic garbage collector would rescan them all at every allocation burst for nothing
    (see ``pipeline.bulk_work``), so it is switched off for the rest of the command."""
    gc.disable()
    stderr = Console(stderr=True, highlight=False)
    inventory, warnings = _load(path)
    for warning in warnings:
        stderr.print(Text(sanitize(f"warning: {warning}")))
    return inventory


def _load(path: Path) -> tuple[Inventory, tuple[str, ...]]:
    """A Terraform directory or plan JSON (its planned inventory, ``collect/terraform/
    load.py``), else an inventory file; a file is decoded once whichever it is."""
    from iamscope.collect.files import read_json_file
    from iamscope.collect.terraform.load import load_terraform
    from iamscope.collect.terraform.plan import is_plan

    if path.is_dir():
        terraform = load_terraform(path)
        return terraform.planned, terraform.warnings
    data = read_json_file(path)
    if is_plan(data):
        terraform = load_terraform(path, plan=data)
        return terraform.planned, terraform.warnings
    loaded = inventory_from_data(data, source=str(path))
    return loaded.inventory, tuple(loaded.warnings)


def principal_id(inventory: Inventory, text: str, *, outside: bool = True) -> str:
    """A principal by ARN, or by name when the name is unique among users and roles.
    ``*`` and ARNs of other accounts name principals outside the inventory."""
    if text in inventory.principals:
        return text
    if outside and (text == "*" or text.startswith("arn:")):
        return text
    matches = sorted(p.id for p in inventory.principals.values()
                     if p.kind in ACTING and p.name == text)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(f"no user or role named {sanitize(text)!r} in the inventory "
                         "(give its ARN)")
    raise InputError(f"{len(matches)} principals are named {sanitize(text)!r}: "
                     + ", ".join(sanitize(m) for m in matches[:5]) + " (give the ARN)")
