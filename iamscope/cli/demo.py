"""``iamscope demo``: the whole pipeline on an embedded AWS, no cloud account needed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from iamscope.cli.collect import summary_table
from iamscope.cli.main import handle_errors
from iamscope.report.terminal import sanitize


@click.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("iamscope-demo"), show_default=True,
              help="Folder for the inventory and the reports.")
@click.option("--top", type=click.IntRange(1, 500), default=12, show_default=True,
              help="How many findings to print.")
@handle_errors
def demo(out: Path, top: int) -> None:
    """Start an embedded AWS (moto on 127.0.0.1), seed a deliberately flawed organisation,
    collect it live, audit it, print the top findings and write everything to a folder."""
    from iamscope.demo.run import collect_demo, write_outputs
    from iamscope.pipeline import run_audit
    from iamscope.report import audit_json, audit_text

    # moto reads this when it creates an account's IAM backend; the scenario attaches
    # AWS-managed policies (ReadOnlyAccess, AdministratorAccess), which must then exist.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    stderr = Console(stderr=True, highlight=False)
    console = Console(highlight=False)
    started = time.monotonic()

    def say(message: str) -> None:
        stderr.print(Text(sanitize(f"· {message}"), style="dim"))

    say("starting an embedded AWS (moto) on 127.0.0.1 and seeding the flawed-org scenario")
    run = collect_demo()
    say("collected the organisation live over HTTP")
    paths = write_outputs(run, out)
    console.print(summary_table(run.inventory, time.monotonic() - started, run.warnings))
    say("auditing: access graph, escalation paths, blast radius, findings")
    result = run_audit(run.inventory)
    (out / "audit.json").write_text(audit_json.render(result))
    (out / "audit.txt").write_text(audit_text.render(result).plain)
    console.print(audit_text.render(result, top=top))
    console.print()
    console.print(Text(sanitize(
        f"wrote {paths['inventory']}, {out / 'audit.json'}, {out / 'audit.txt'} "
        f"({time.monotonic() - started:.0f} s). Next: iamscope audit {paths['inventory']}, "
        f"iamscope who-can {paths['inventory']} iam:PassRole '*'"), style="dim"))
