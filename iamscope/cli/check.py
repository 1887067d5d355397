"""``iamscope check``: the CI gate over a Terraform plan, a Terraform directory or an
inventory (docs/ci.md, docs/output.md)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from iamscope.ci import baseline as baseline_file
from iamscope.ci.gate import DEFAULT_FAIL_ON, CheckInput, run_check
from iamscope.cli.inventory_input import terraform_variables
from iamscope.cli.main import EXIT_FAILED, handle_errors
from iamscope.collect.files import read_json_file
from iamscope.collect.load import inventory_from_data
from iamscope.collect.terraform.load import load_terraform
from iamscope.collect.terraform.plan import is_plan
from iamscope.errors import InputError
from iamscope.model.check import CheckResult, SuppressionKind
from iamscope.model.finding import Severity
from iamscope.report import check_json, check_text, markdown, sarif
from iamscope.report.terminal import sanitize

FORMATS = ["text", "json", "sarif", "markdown"]
FAIL_ON = [s.value for s in Severity] + ["none"]


def read_input(path: Path, variables: tuple[str, ...], var_files: tuple[Path, ...],
               source_dir: Path | None) -> CheckInput:
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    data = None
    if path.is_file():
        data = read_json_file(path)
        if not is_plan(data):
            loaded = inventory_from_data(data, source=str(path))
            return CheckInput(loaded.inventory, source="inventory",
                              warnings=tuple(loaded.warnings))
    load = load_terraform(path, variables=terraform_variables(variables), var_files=var_files,
                          source_dir=source_dir, plan=data)
    return CheckInput(load.planned, load.prior, "plan" if data is not None else "terraform",
                      load.suppressions, load.addresses, tuple(load.warnings), load.locations)


@click.command()
@click.argument("target", metavar="PLAN_OR_DIR",
                type=click.Path(exists=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format (docs/output.md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=DEFAULT_FAIL_ON.value,
              show_default=True,
              help="Exit with status 1 when an unsuppressed finding at or above this "
                   "severity exists ('none': never).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Suppress the findings whose fingerprints this baseline file lists.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every current finding's fingerprint to FILE (then exit 0).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="A Terraform variable (HCL directories).")
@click.option("--var-file", "var_files", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path), help="A .tfvars file.")
@click.option("--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
              help="For a plan: the configuration directory (maps addresses to file:line).")
@click.option("--uri-base", type=click.Path(file_okay=False, path_type=Path),
              help="SARIF: make file URIs relative to DIR (default: the current directory).")
@click.option("--top", type=click.IntRange(min=0), default=None,
              help="Text format: show only the N most severe findings.")
@click.option("-v", "--verbose", is_flag=True, help="Show progress on standard error.")
@handle_errors
def check(target: Path, fmt: str, output: Path | None, fail_on: str,
          baseline_path: Path | None, write_baseline: Path | None,
          variables: tuple[str, ...], var_files: tuple[Path, ...], source_dir: Path | None,
          uri_base: Path | None, top: int | None, verbose: bool) -> None:
    """Gate a change: check PLAN_OR_DIR (a `terraform show -json` plan, a directory of .tf
    files, or an inventory) for over-permissive IAM, and for a plan with a prior state,
    report what the plan adds to each principal's blast radius.

    Exit status: 0 nothing unsuppressed at or above --fail-on; 1 something is; 2 input
    error; 70 internal error.
    """
    stderr = Console(stderr=True, highlight=False)

    def progress(message: str) -> None:
        stderr.print(Text(sanitize(message), style="dim"))

    request = read_input(target, variables, var_files, source_dir)
    if fmt != "text" or output is not None:  # the text report on stdout lists them itself
        for warning in request.warnings:
            stderr.print(Text(sanitize(f"warning: {warning}")))
    accepted = None
    if baseline_path is not None:
        accepted = baseline_file.from_dict(read_json_file(baseline_path),
                                           source=str(baseline_path))
    threshold = None if fail_on == "none" else Severity(fail_on)
    result = run_check(request, baseline=accepted, fail_on=threshold,
                       progress=progress if verbose else None)
    if write_baseline is not None:
        document = baseline_file.to_dict(  # inline-suppressed findings keep their comment
            f.finding for f in result.findings
            if f.suppression is None or f.suppression.kind is SuppressionKind.BASELINE)
        write_baseline.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        stderr.print(Text(sanitize(f"wrote {len(document['findings'])} fingerprints to "
                                   f"{write_baseline}")))
    # Terraform file names are relative to the configuration directory; a saved inventory
    # keeps whatever its collector wrote.
    root = None
    if request.source in ("terraform", "plan"):
        root = (target if target.is_dir() else (source_dir or target.parent)).resolve()
    _emit(result, fmt, output, top, uri_base, root)
    if result.failed and write_baseline is None:
        sys.exit(EXIT_FAILED)


def _emit(result: CheckResult, fmt: str, output: Path | None, top: int | None,
          uri_base: Path | None, root: Path | None) -> None:
    if fmt == "text":
        report = check_text.render(result, top=top or None)
        if output:
            output.write_text(report.plain, encoding="utf-8")
        else:
            Console(highlight=False, soft_wrap=True).print(report, end="")
        return
    base = str((uri_base or Path(os.getcwd())).resolve())
    if fmt == "json":
        text = check_json.render(result)
    elif fmt == "sarif":
        text = sarif.render(result, base=base, root=str(root) if root else None)
    else:
        text = markdown.render(result)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
