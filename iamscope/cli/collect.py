"""``iamscope collect aws`` and ``iamscope permissions aws``."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.cli.inventory_input import terraform_variables
from iamscope.cli.main import EXIT_FAILED, handle_errors
from iamscope.collect.files import read_json_file
from iamscope.collect.load import inventory_from_data
from iamscope.errors import InputError
from iamscope.model.inventory import Inventory
from iamscope.model.snapshot import write_snapshot
from iamscope.report.terminal import sanitize

PathType = click.Path(dir_okay=False, path_type=Path)
DEFAULT_ASSUME_ROLE = "OrganizationAccountAccessRole"


@click.group()
def collect() -> None:
    """Collect a cloud source into an inventory snapshot."""


def summary_table(inventory: Inventory, seconds: float, warnings: list[str]) -> Table:
    table = Table(title="iamscope inventory", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    meta = inventory.metadata
    table.add_row("source", Text(sanitize(meta.collector)))
    table.add_row("accounts", Text(sanitize(", ".join(meta.accounts) or "-")))
    if meta.organization_id:
        table.add_row("organization", Text(sanitize(
            f"{meta.organization_id} (management account {meta.management_account})")))
    kinds = Counter(p.kind.value for p in inventory.principals.values())
    table.add_row("principals", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "0")
    policy_kinds = Counter(p.kind.value for p in inventory.policies.values())
    table.add_row("policies", ", ".join(f"{n} {k}" for k, n in sorted(policy_kinds.items()))
                  or "0")
    types = Counter(r.type for r in inventory.resources.values())
    table.add_row("resources", Text(sanitize(
        ", ".join(f"{n} {t.removeprefix('aws:')}" for t, n in sorted(types.items())) or "0")))
    if inventory.org_nodes:
        table.add_row("org nodes", str(len(inventory.org_nodes)))
    gaps = inventory.gaps
    gap_text = Text(f"{len(gaps)}", style="bold yellow" if gaps else "green")
    for gap in gaps[:8]:
        reason = " ".join(gap.reason.split())
        if len(reason) > 100:
            reason = reason[:97] + "..."
        where = f" [{gap.account}{' ' + gap.region if gap.region else ''}]" if gap.account else ""
        line = f"{gap.scope}{where}: {reason}"
        if gap.permission:
            line += f" (needs {gap.permission})"
        gap_text.append("\n- " + sanitize(line))
    if len(gaps) > 8:
        gap_text.append(f"\n... and {len(gaps) - 8} more (all are in the snapshot)")
    table.add_row("coverage gaps", gap_text)
    if warnings and len(warnings) != len(gaps):
        table.add_row("warnings", str(len(warnings)))
    table.add_row("duration", f"{seconds:.1f} s")
    return table


@collect.command("aws")
@click.option("--from-authorization-details", "dump", type=PathType,
              help="Read `aws iam get-account-authorization-details` output instead of AWS.")
@click.option("--account-id", help="Account of the dump when it cannot be inferred.")
@click.option("--profile", help="AWS CLI profile (default: boto3's credential chain).")
@click.option("--role-arn", help="Assume this audit role first.")
@click.option("--endpoint-url", help="Send every API call here (moto, LocalStack).")
@click.option("--region", "regions", multiple=True,
              help="Collect only these regions (repeatable; default: all enabled regions).")
@click.option("--org", is_flag=True, help="Collect the whole AWS Organization.")
@click.option("--account", "accounts", multiple=True,
              help="Collect only these accounts, assuming --assume-role-name in each (repeatable).")
@click.option("--assume-role-name", default=DEFAULT_ASSUME_ROLE, show_default=True,
              help="Role assumed in each member account with --org.")
@click.option("--max-workers", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("-o", "--output", type=PathType, default=Path("inventory.json"),
              show_default=True, help="Where to write the inventory snapshot.")
@click.option("--raw-output", type=PathType, help="Also write the raw collection here.")
@click.option("--fail-on-gaps", is_flag=True, help="Exit 1 when anything could not be read.")
@click.option("--last-accessed", is_flag=True,
              help="Also read IAM service-last-accessed data of every user and role (starts "
                   "one IAM report job each; needs the optional permissions of "
                   "`iamscope permissions aws --last-accessed`).")
@handle_errors
def collect_aws(dump: Path | None, account_id: str | None, profile: str | None,
                role_arn: str | None, endpoint_url: str | None, regions: tuple[str, ...],
                org: bool, accounts: tuple[str, ...], assume_role_name: str, max_workers: int,
                output: Path, raw_output: Path | None, fail_on_gaps: bool,
                last_accessed: bool) -> None:
    """Collect AWS IAM, resource policies, compute roles and the Organization into an
    inventory snapshot (read-only; see `iamscope permissions aws`)."""
    started = time.monotonic()
    catalog_version = ActionCatalog().version
    stderr = Console(stderr=True, highlight=False)
    if dump is not None:
        live = [n for n, v in (("--profile", profile), ("--role-arn", role_arn),
                               ("--endpoint-url", endpoint_url), ("--org", org),
                               ("--last-accessed", last_accessed)) if v]
        if live:
            raise InputError(f"--from-authorization-details cannot be combined with {live[0]}")
        loaded = inventory_from_data(read_json_file(dump), source=str(dump),
                                     account_id=account_id, catalog_version=catalog_version)
        inventory, warnings, raw = loaded.inventory, loaded.warnings, None
    else:
        raw = _collect_live(profile, role_arn, endpoint_url, list(regions) or None, org,
                            list(accounts) or None, assume_role_name, max_workers, stderr,
                            last_accessed)
        loaded = inventory_from_data(raw, source="live collection",
                                     catalog_version=catalog_version)
        inventory, warnings = loaded.inventory, loaded.warnings
    write_snapshot(inventory, output)
    if raw is not None and raw_output is not None:
        raw_output.write_text(json.dumps(raw, indent=1, sort_keys=True, default=str))
    console = Console(highlight=False)
    console.print(summary_table(inventory, time.monotonic() - started, warnings))
    console.print(Text(sanitize(f"wrote {output}"), style="dim"))
    if fail_on_gaps and inventory.gaps:
        sys.exit(EXIT_FAILED)


def _collect_live(profile: str | None, role_arn: str | None, endpoint_url: str | None,
                  regions: list[str] | None, org: bool, accounts: list[str] | None,
                  assume_role_name: str, max_workers: int, stderr: Console,
                  last_accessed: bool = False) -> dict[str, Any]:
    from iamscope.collect.aws.collect import collect as collect_raw
    from iamscope.collect.aws.last_accessed import LastAccessedOptions
    from iamscope.collect.aws.session import AwsConnection

    connection = AwsConnection(profile=profile, endpoint_url=endpoint_url,
                               region=(regions or ["us-east-1"])[0])
    if role_arn:
        connection = connection.assume(role_arn)
    options = LastAccessedOptions() if last_accessed else None
    if not stderr.is_terminal:
        return dict(collect_raw(connection, org=org, accounts=accounts,
                                assume_role_name=assume_role_name, regions=regions,
                                max_workers=max_workers, last_accessed=options))
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=stderr, transient=True) as progress:
        task = progress.add_task("collecting", total=None)

        def tick(label: str) -> None:
            progress.update(task, description=sanitize(f"collecting: {label}"))

        return dict(collect_raw(connection, org=org, accounts=accounts,
                                assume_role_name=assume_role_name, regions=regions,
                                max_workers=max_workers, progress=tick,
                                last_accessed=options))


@click.group()
def permissions() -> None:
    """Print the exact read-only IAM policy a collector needs."""


@permissions.command("aws")
@click.option("--no-org", is_flag=True, help="Leave out the Organizations permissions.")
@click.option("--assume-role-name", default=DEFAULT_ASSUME_ROLE, show_default=True)
@click.option("--last-accessed", is_flag=True,
              help="Add the optional permissions of `collect aws --last-accessed`.")
@handle_errors
def permissions_aws(no_org: bool, assume_role_name: str, last_accessed: bool) -> None:
    """The least-privilege policy for `iamscope collect aws` (docs/aws-collector.md)."""
    from iamscope.collect.aws.permissions import collector_policy

    policy = collector_policy(include_organizations=not no_org,
                              assume_role_name=assume_role_name,
                              last_accessed=last_accessed)
    click.echo(json.dumps(policy, indent=2))


@collect.command("terraform")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--var", "variables", multiple=True, help="NAME=VALUE (repeatable).")
@click.option("--var-file", "var_files", multiple=True, type=PathType,
              help="A .tfvars file (repeatable).")
@click.option("--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
              help="For a plan: the configuration directory, to map addresses to file/line.")
@click.option("--account", help="AWS account id for ARNs the configuration does not fix.")
@click.option("--managed-policies", type=PathType,
              help="Inventory or authorization-details dump with AWS-managed policy documents.")
@click.option("-o", "--output", type=PathType, default=Path("inventory.json"),
              show_default=True, help="Where to write the inventory snapshot.")
@handle_errors
def collect_terraform(path: Path, variables: tuple[str, ...], var_files: tuple[Path, ...],
                      source_dir: Path | None, account: str | None,
                      managed_policies: Path | None, output: Path) -> None:
    """Read a Terraform directory or a `terraform show -json` plan into an inventory
    snapshot (the planned state for a plan)."""
    from iamscope.collect.terraform.load import load_terraform

    started = time.monotonic()
    loaded = load_terraform(path, variables=terraform_variables(variables), var_files=var_files,
                            source_dir=source_dir, account=account,
                            managed_policies=managed_policies)
    stderr = Console(stderr=True, highlight=False)
    for warning in loaded.warnings:
        stderr.print(Text(sanitize(f"warning: {warning}")))
    write_snapshot(loaded.planned, output)
    console = Console(highlight=False)
    console.print(summary_table(loaded.planned, time.monotonic() - started,
                                list(loaded.warnings)))
    console.print(Text(sanitize(f"wrote {output}"), style="dim"))
