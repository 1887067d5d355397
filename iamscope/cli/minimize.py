"""``iamscope minimize`` and ``iamscope unused``: proposals from the usage store (docs/minimize.md,
JSON contract in docs/output.md)."""

from __future__ import annotations

import dataclasses
import gc
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from iamscope.cli.inventory_input import PathType, principal_id, read_inventory
from iamscope.cli.main import handle_errors
from iamscope.errors import IamscopeError, InputError
from iamscope.minimize.blast_delta import blast_before_after
from iamscope.minimize.minimizer import DEFAULT_THRESHOLD, Minimizer, denied_note
from iamscope.minimize.render_terraform import (
    definition_from_reading,
    definition_from_text,
    render_blocks,
    terraform_patch,
)
from iamscope.minimize.result import MinimizeReport, Proposal
from iamscope.minimize.unused import (
    CLOUDTRAIL,
    UnusedEntry,
    find_unused,
    unjudged_accounts,
    unjudged_principals,
)
from iamscope.report.terminal import sanitize
from iamscope.usage.store import DEFAULT_STORE, UsageStore

DATES = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"])


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _write(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("inventory", type=PathType, required=False)
@click.option("--usage", "usage_db", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_STORE, show_default=True, help="The usage store to read.")
@click.option("--principal", "principals", multiple=True,
              help="Only this principal (ARN, or a name when INVENTORY is given); repeatable.")
@click.option("--since", type=DATES, help="Window start (UTC date or time).")
@click.option("--until", type=DATES, help="Window end (UTC date or time).")
@click.option("--threshold", type=click.IntRange(min=2), default=DEFAULT_THRESHOLD,
              show_default=True,
              help="Distinct observed resources needed to generalise to a shared prefix.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "terraform"]),
              default="text", show_default=True)
@click.option("--terraform", "terraform_dir",
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="With --format terraform: a patch against the Terraform defining each "
                   "principal.")
@click.option("--blast", is_flag=True,
              help="With INVENTORY: blast radius before and after the proposals (builds the "
                   "access graph twice).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of standard output.")
@handle_errors
def minimize(inventory: Path | None, usage_db: Path, principals: tuple[str, ...],
             since: datetime | None, until: datetime | None, threshold: int, fmt: str,
             terraform_dir: Path | None, blast: bool, output: Path | None) -> None:
    """Propose least-privilege identity policies from observed usage, each proved to grant
    nothing the current policies do not (needs INVENTORY) and to allow every successful
    call in the window (replay). A proposal that fails a proof is not emitted."""
    loaded = read_inventory(inventory) if inventory is not None else None
    since, until = _utc(since), _utc(until)
    if since and until and since > until:
        raise InputError("--since is after --until")
    gc.disable()  # one-shot: hundreds of thousands of long-lived rows (see read_inventory)
    with UsageStore.open(usage_db) as store:
        wanted = [principal_id(loaded, p) if loaded else p for p in principals] or \
            store.principals()
        rows = store.usage(since=since, until=until)
        history = store.usage() if since or until else rows
        attempts: dict[str, list[tuple[str, str, str, int]]] = defaultdict(list)
        for item in store.denied(since=since, until=until):
            attempts[item.principal].append((item.action, item.resource, item.error_code,
                                             item.count))
        coverage: dict[str, set[str]] = defaultdict(set)
        for item in store.coverage():
            coverage[item.account].add(item.kind)
    by_principal: dict[str, list] = defaultdict(list)
    for row in rows:
        by_principal[row.principal].append(row)
    past: dict[str, list] = defaultdict(list)
    for row in history:
        past[row.principal].append(row)
    minimizer = Minimizer(loaded, coverage=coverage, threshold=threshold)
    todo = [p for p in wanted if by_principal.get(p)]
    proposals = [_with_denied(minimizer.minimize(p, by_principal[p], past[p]), attempts[p])
                 for p in _with_progress(todo)]
    if blast:
        if loaded is None:
            raise InputError("--blast needs an INVENTORY")
        deltas = blast_before_after(loaded, proposals)
        proposals = [dataclasses.replace(p, blast={
            "before": deltas[p.principal][0].to_dict(),
            "after": deltas[p.principal][1].to_dict()}) if p.principal in deltas else p
            for p in proposals]
    missing = [p for p in wanted if not by_principal.get(p)]
    notes = [f"no usage in the window for {p}" for p in missing]
    if loaded is None:
        notes.append("no inventory given: proof (a), no new access, was not possible")
    report = MinimizeReport(tuple(proposals), loaded is not None, threshold, since, until,
                            tuple(notes))
    if fmt == "json":
        _write(report.to_json(), output)
    elif fmt == "terraform":
        _write(_terraform(report, terraform_dir), output)
    else:
        _print_text(report, output)


def _with_denied(proposal: Proposal, attempts: list[tuple[str, str, str, int]]) -> Proposal:
    note = denied_note(attempts)
    if note is None:
        return proposal
    return dataclasses.replace(proposal, notes=(*proposal.notes, note))


def _with_progress(principals: list[str]) -> Iterator[str]:
    """The principals, with a progress bar on standard error when it is a terminal."""
    stderr = Console(stderr=True, highlight=False)
    if not stderr.is_terminal or len(principals) < 2:
        yield from principals
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("minimizing"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=stderr, transient=True) as progress:
        task = progress.add_task("minimize", total=len(principals))
        for principal in principals:
            yield principal
            progress.advance(task)


def _terraform(report: MinimizeReport, directory: Path | None) -> str:
    if directory is None:
        return render_blocks(report.proposals)
    texts = {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8",
                                                                errors="replace")
             for p in sorted(directory.glob("*.tf"))}
    if not texts and any(directory.glob("*.tf.json")):
        # A patch is a diff of HCL text; JSON configurations (CDK for Terraform) get the
        # policy blocks to port by hand.
        return (f"# {sanitize(str(directory))} holds only *.tf.json files: no patch is "
                "written against JSON syntax; the proposed policy documents follow.\n"
                + render_blocks(report.proposals))
    if not texts:
        raise InputError(f"{directory}: no .tf files")
    resources: tuple = ()
    try:
        from iamscope.collect.terraform.hcl.read import read_hcl
        resources = read_hcl(directory).resources
    except (ImportError, IamscopeError):
        resources = ()  # fall back to finding the block by its text
    patches = []
    for proposal in report.proposals:
        found = definition_from_reading(resources, proposal.principal) or \
            definition_from_text(texts, proposal.principal)
        patch = None
        if found is not None and found.file in texts:
            patch = terraform_patch(texts[found.file], found, proposal)
        if patch is None:
            patches.append(f"# {sanitize(proposal.principal)}: "
                           + ("no proposal" if not proposal.emitted else
                              "not defined in the Terraform directory") + "\n")
        else:
            patches.append(patch)
    return "".join(patches)


def _print_text(report: MinimizeReport, output: Path | None) -> None:
    console = Console(highlight=False, soft_wrap=True, record=output is not None,
                      file=io.StringIO() if output else None)
    for note in report.notes:
        console.print(Text(sanitize(f"note: {note}"), style="dim"))
    for proposal in report.proposals:
        _print_proposal(console, proposal)
    if output:
        output.write_text(console.export_text(), encoding="utf-8")


def _print_proposal(console: Console, proposal: Proposal) -> None:
    proof_a = {True: "holds", False: "FAILS", None: "not possible (no inventory)"}[
        proposal.no_new_access]
    status = "proposed" if proposal.emitted else "REFUSED"
    console.print(Text(sanitize(f"{proposal.principal}: {status}"), style="bold"))
    console.print(Text(f"  proof (a) no new access: {proof_a}; proof (b) replay: "
                       f"{proposal.replay.allowed}/{proposal.replay.total} observed calls "
                       "allowed"))
    if proposal.policy is not None:
        text = json.dumps(proposal.policy, indent=2)
        console.print(Text("  " + sanitize(text, keep_newlines=True).replace("\n", "\n  ")))
    if proposal.blast is not None:
        console.print(Text(f"  blast radius before: {proposal.blast['before']}"))
        console.print(Text(f"  blast radius after:  {proposal.blast['after']}"))
    for reason in proposal.refused:
        console.print(Text(sanitize(f"  refused: {reason}"), style="red"))
    if proposal.removed:
        console.print(Text("  removed (highest risk first):"))
        for removed in proposal.removed[:15]:
            when = removed.last_used.date().isoformat() if removed.last_used else "never"
            console.print(Text(sanitize(f"    {removed.risk:<22} {removed.action} "
                                        f"({removed.actions} actions, last used {when})")))
        if len(proposal.removed) > 15:
            console.print(Text(f"    ... {len(proposal.removed) - 15} more (--format json)"))
    for note in proposal.notes:
        console.print(Text(sanitize(f"  note: {note}"), style="dim"))


@click.command()
@click.argument("inventory", type=PathType)
@click.option("--usage", "usage_db", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_STORE, show_default=True, help="The usage store to read.")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Unused means: no use in the last N days (of the logs, or before the "
                   "IAM last-accessed report).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def unused(inventory: Path, usage_db: Path, days: int, fmt: str, output: Path | None) -> None:
    """Users and roles of INVENTORY, and the services they are granted, with no use in the
    last N days: from the usage logs (CloudTrail management events) for accounts they
    cover, else from the IAM service-last-accessed reports in INVENTORY (`collect aws
    --last-accessed`). Principals with neither are not judged."""
    loaded = read_inventory(inventory)
    with UsageStore.open(usage_db) as store:
        window = store.window()
        rows = store.usage()
        logged = {c.account for c in store.coverage() if c.kind == "management"}
    if window is None:
        logged = set()
        if not any(p.last_accessed for p in loaded.principals.values()):
            raise InputError(f"{usage_db} holds no logs yet, and the inventory has no IAM "
                             "last-accessed data (iamscope collect aws --last-accessed)")
    as_of = window.end if window is not None else None
    entries = find_unused(loaded, rows, as_of=as_of, days=days, logged_accounts=logged)
    unjudged = unjudged_principals(loaded, logged)
    accounts = unjudged_accounts(loaded, logged)
    if fmt == "json":
        _write(json.dumps({"as_of": as_of.isoformat() if as_of else None, "days": days,
                           "accounts_without_logs": accounts,
                           "principals_not_judged": unjudged,
                           "principals": [e.to_dict() for e in entries]}, indent=2) + "\n",
               output)
        return
    _write(_unused_text(entries, days, as_of, accounts, len(unjudged)), output)


def _unused_text(entries: list[UnusedEntry], days: int, as_of: datetime | None,
                 accounts: list[str], unjudged: int) -> str:
    when = as_of.date().isoformat() if as_of else "the IAM last-accessed reports"
    lines = [f"unused for {days} days as of {when}:"]
    if accounts:
        lines.append(sanitize(
            "  not judged, no CloudTrail management events in the store for account(s) "
            + ", ".join(accounts) + f" and no IAM last-accessed data for {unjudged} user(s) "
            "and role(s) there"))
    for entry in entries:
        source = "logs" if entry.source == CLOUDTRAIL else "IAM last accessed"
        last = entry.last_used.date().isoformat() if entry.last_used else f"never in the {source}"
        flag = "UNUSED " if entry.unused else ""
        services = ", ".join(s.service for s in entry.unused_services)
        detail = ""
        if entry.source != CLOUDTRAIL and entry.as_of is not None:
            detail = f", {entry.source} as of {entry.as_of.date().isoformat()}"
        lines.append(sanitize(f"  {flag}{entry.principal} (last used {last}{detail})"
                              + (f"; unused services: {services}" if services else "")
                              + (f"; not in the report: {', '.join(entry.unjudged_services)}"
                                 if entry.unjudged_services else "")))
    return "\n".join(lines) + "\n"
