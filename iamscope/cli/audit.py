"""``iamscope audit``: ranked findings for an inventory (docs/output.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from iamscope.cli.inventory_input import PathType, read_inventory
from iamscope.cli.main import EXIT_FAILED, handle_errors
from iamscope.model.finding import Severity
from iamscope.pipeline import run_audit
from iamscope.report import audit_json, audit_text
from iamscope.report.terminal import sanitize

SEVERITIES = [s.value for s in Severity]


@click.command()
@click.argument("inventory", type=PathType)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format (JSON: docs/output.md).")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit with status 1 when a finding at or above this severity exists.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--top", type=click.IntRange(min=0), default=None,
              help="Text format: show only the N most severe findings (0: all).")
@click.option("-v", "--verbose", is_flag=True, help="Show progress on standard error.")
@handle_errors
def audit(inventory: Path, fmt: str, fail_on: str | None, output: Path | None,
          top: int | None, verbose: bool) -> None:
    """Audit INVENTORY: admin-equivalent principals, escalation paths to admin, trusts and
    resource policies open to other accounts or to everyone, and principals whose blast
    radius includes sensitive resources, ranked by severity.

    INVENTORY is a snapshot (`iamscope collect`), a raw collection, or the output of
    `aws iam get-account-authorization-details`. Exit status: 0 done; 1 a finding at or
    above --fail-on exists; 2 unreadable input; 70 internal error.
    """
    stderr = Console(stderr=True, highlight=False)
    loaded = read_inventory(inventory)

    def progress(message: str) -> None:
        stderr.print(Text(sanitize(message), style="dim"))

    result = run_audit(loaded, progress=progress if verbose else None)
    if fmt == "json":
        text = audit_json.render(result)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    else:
        report = audit_text.render(result, top=top or None)
        if output:
            output.write_text(report.plain, encoding="utf-8")
        else:
            Console(highlight=False, soft_wrap=True).print(report, end="")
    if fail_on is not None:
        threshold = Severity(fail_on).rank
        if any(f.severity.rank <= threshold for f in result.findings):
            sys.exit(EXIT_FAILED)
