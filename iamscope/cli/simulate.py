"""``iamscope simulate``: decide requests locally, exactly as AWS would, and explain why."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.cli.main import EXIT_FAILED, handle_errors
from iamscope.collect.files import read_json_file
from iamscope.errors import InputError, PolicyParseError, RequestError
from iamscope.evaluate import Decision, Engine, Evaluation, PolicyLayers, Request
from iamscope.evaluate.simulation_input import SimulationCase, read_cases
from iamscope.model.policy import Policy, PolicyKind
from iamscope.policy.parse import parse_policy
from iamscope.report.terminal import sanitize
from iamscope.validate.layers import lint_case

PathType = click.Path(dir_okay=False, path_type=Path)
ONE_OFF = ("policy", "boundary", "scp", "rcp", "resource_policy", "session_policy", "caller",
           "action", "resource", "context", "resource_account", "principal_arn")


def _policy_file(path: Path, policy_id: str, kind: PolicyKind) -> Policy:
    try:
        return parse_policy(read_json_file(path), policy_id=policy_id, kind=kind)
    except PolicyParseError as exc:
        raise InputError(f"{path}: {exc}") from None


def _level_file(path: Path, name: str, kind: PolicyKind) -> tuple[Policy, ...]:
    """One organisation level: a policy document, or a JSON list of them."""
    data = read_json_file(path)
    documents = data if isinstance(data, list) else [data]
    out = []
    for i, doc in enumerate(documents):
        try:
            out.append(parse_policy(doc, policy_id=f"{name}[{i}]", kind=kind))
        except PolicyParseError as exc:
            raise InputError(f"{path}: {exc}") from None
    return tuple(out)


def parse_context(items: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a key given twice is multivalued; ``KEY=[...]`` is a JSON list
    (``KEY=[]`` is the empty set)."""
    context: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--context {item!r}: expected KEY=VALUE")
        parsed: Any = value
        if value.startswith("["):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                raise InputError(f"--context {key}: {value!r} is not a JSON list") from None
            if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
                raise InputError(f"--context {key}: a list value must hold strings only")
        lowered = key.lower()
        existing = next((k for k in context if k.lower() == lowered), None)
        if existing is None:
            context[key] = parsed
        else:
            previous = context[existing]
            previous = previous if isinstance(previous, list) else [previous]
            context[existing] = previous + (parsed if isinstance(parsed, list) else [parsed])
    return context


LAYER_FLAGS = {"policy": "identity", "boundary": "boundary", "scp": "scps", "rcp": "rcps",
               "resource_policy": "resource", "session_policy": "session"}


def _one_off_cases(opts: dict[str, Any]) -> list[SimulationCase]:
    if not opts["caller"]:
        raise InputError("--caller (or --principal) is required without --input")
    if not opts["action"] or not opts["resource"]:
        raise InputError("give at least one --action and one --resource (or use --input)")
    layers = PolicyLayers(
        identity=tuple(_policy_file(p, f"{p.name}", PolicyKind.MANAGED) for p in opts["policy"]),
        boundary=(_policy_file(opts["boundary"], opts["boundary"].name, PolicyKind.MANAGED)
                  if opts["boundary"] else None),
        scps=tuple(_level_file(p, f"scp:{p.name}", PolicyKind.SCP) for p in opts["scp"]),
        rcps=tuple(_level_file(p, f"rcp:{p.name}", PolicyKind.RCP) for p in opts["rcp"]),
        resource=(_policy_file(opts["resource_policy"], opts["resource_policy"].name,
                               PolicyKind.RESOURCE) if opts["resource_policy"] else None),
        session=tuple(_policy_file(p, p.name, PolicyKind.SESSION)
                      for p in opts["session_policy"]),
    )
    context = parse_context(opts["context"])
    cases = []
    for action in opts["action"]:
        for resource in opts["resource"]:
            try:
                request = Request.create(
                    opts["caller"], action, resource,
                    resource_account=opts["resource_account"], context=context,
                    principal_arn=opts["principal_arn"],
                )
                request.caller()
            except RequestError as exc:
                raise InputError(str(exc)) from None
            cases.append(SimulationCase(request=request, layers=layers, position=len(cases)))
    return cases


def _input_cases(path: Path, *, with_inventory: bool) -> list[SimulationCase]:
    cases = read_cases(read_json_file(path), source=str(path))
    for case in cases:
        if case.layers is None and not with_inventory:
            label = repr(case.id) if case.id else str(case.position)
            raise InputError(f"{path}: request {label} has no 'policies'; give them in the "
                             "file, or take them from a collected inventory with --inventory")
    return cases


def _from_inventory(cases: list[SimulationCase], inventory_path: Path, overrides: set[str],
                    *, one_off: bool) -> list[tuple[SimulationCase, list[str]]]:
    """Fill in each case's policies from the inventory. In one-off mode, layers given by
    flags replace the inventory's; requests with their own ``policies`` are kept as-is."""
    from iamscope.collect.load import load_inventory
    from iamscope.evaluate.inventory_layers import InventoryResolver

    loaded = load_inventory(inventory_path)
    resolver = InventoryResolver(loaded.inventory)
    out = []
    for case in cases:
        if case.layers is not None and not one_off:
            out.append((case, []))  # the request brought its own policies
            continue
        try:
            resolved = resolver.resolve(case.request)
        except RequestError as exc:
            label = repr(case.id) if case.id else str(case.position)
            raise InputError(f"request {label}: {exc}") from None
        layers = resolved.layers
        if case.layers is not None:
            layers = replace(layers, **{field: getattr(case.layers, field)
                                        for field in overrides})
        out.append((replace(case, request=resolved.request, layers=layers),
                    list(resolved.notes)))
    return out


def _record(case: SimulationCase, evaluation: Evaluation, warnings: list[str]) -> dict[str, Any]:
    request = case.request
    record: dict[str, Any] = {}
    if case.id is not None:
        record["id"] = case.id
    record.update({
        "principal": request.principal,
        "action": request.action,
        "resource": request.resource,
        "decision": evaluation.decision.value,
        "reason": evaluation.reason,
    })
    if case.expected is not None:
        record["expected"] = case.expected.value
        record["matches_expected"] = case.expected is evaluation.decision
    record["trace"] = evaluation.to_dict()
    if warnings:
        record["warnings"] = warnings
    return record


DECISION_STYLE = {Decision.ALLOW: "green", Decision.EXPLICIT_DENY: "bold red",
                  Decision.IMPLICIT_DENY: "yellow"}


def _why(evaluation: Evaluation) -> str:
    why = evaluation.reason
    marker = " because " if " because " in why else " with " if " with " in why else None
    if marker:
        why = why.split(marker, 1)[1]
        if evaluation.deciding:
            why += ": " + ", ".join(r.label for r in evaluation.deciding)
    elif evaluation.deciding:
        why = "allowed by " + ", ".join(r.label for r in evaluation.deciding)
    else:
        why = "allowed"
    if evaluation.notes:
        why += " (" + "; ".join(evaluation.notes) + ")"
    return why


def _table(rows: list[tuple[SimulationCase, Evaluation]], console: Console) -> None:
    table = Table(show_lines=True, expand=False)
    table.add_column("request", overflow="fold", ratio=3)
    table.add_column("decision", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=2)
    for case, evaluation in rows:
        request = case.request
        label = case.id if case.id is not None else f"#{case.position}"
        cell = Text(sanitize(label), style="bold")
        cell.append("\n" + sanitize(request.principal), style="cyan")
        cell.append("\n" + sanitize(request.action))
        cell.append(" on " + sanitize(request.resource), style="dim")
        decision = Text(evaluation.decision.value, style=DECISION_STYLE[evaluation.decision])
        if case.expected is not None and case.expected is not evaluation.decision:
            decision.append(f"\nexpected {case.expected.value}", style="bold magenta")
        table.add_row(cell, decision, Text(sanitize(_why(evaluation))))
    console.print(table)


@click.command()
@click.option("--input", "input_file", type=PathType,
              help="JSON file with one request or a list (docs/simulate.md).")
@click.option("--policy", multiple=True, type=PathType, help="Identity policy (repeatable).")
@click.option("--boundary", type=PathType, help="Permissions boundary policy.")
@click.option("--scp", multiple=True, type=PathType,
              help="SCPs of one organisation level, root first (repeatable).")
@click.option("--rcp", multiple=True, type=PathType,
              help="RCPs of one organisation level, root first (repeatable).")
@click.option("--resource-policy", type=PathType,
              help="Resource-based policy of the target (trust policy for sts:AssumeRole, key "
                   "policy for kms:*).")
@click.option("--session-policy", multiple=True, type=PathType,
              help="Session policy (repeatable).")
@click.option("--caller", "--principal", "caller",
              help="Principal making the request (ARN, service principal or 'anonymous').")
@click.option("--inventory", type=PathType,
              help="Take the policies in force from an inventory (snapshot, raw collection or "
                   "authorization-details file).")
@click.option("--principal-arn", help="Role ARN with path behind a role session.")
@click.option("--action", multiple=True, help="Action, e.g. s3:GetObject (repeatable).")
@click.option("--resource", multiple=True, help="Resource ARN or * (repeatable).")
@click.option("--resource-account", help="Account that owns the resource.")
@click.option("--context", multiple=True, metavar="KEY=VALUE",
              help="Request context (repeatable; a repeated key is multivalued).")
@click.option("--format", "output_format", type=click.Choice(["json", "table"]),
              help="Output format (default: table on a terminal, JSON lines otherwise).")
@handle_errors
def simulate(input_file: Path | None, output_format: str | None, inventory: Path | None,
             **opts: Any) -> None:
    """Decide requests as AWS would, with the layer-by-layer explanation.

    Either --input FILE, or the one-off flags (like `aws iam simulate-custom-policy`):
    every --action is evaluated against every --resource. With --inventory, the policies in
    force (identity and group policies, boundary, SCP and RCP chains, the target's resource
    or trust policy) come from the inventory; layer flags given as well replace those.
    """
    given = [name for name in ONE_OFF if opts.get(name)]
    if input_file is not None and given:
        raise InputError(f"--input cannot be combined with --{given[0].replace('_', '-')}")
    if input_file is None and not given:
        raise InputError("nothing to simulate: give --input FILE or --caller, --action and "
                         "--resource (see `iamscope simulate --help`)")
    cases = (_input_cases(input_file, with_inventory=inventory is not None) if input_file
             else _one_off_cases(opts))
    overrides = {LAYER_FLAGS[name] for name in LAYER_FLAGS if opts.get(name)}
    catalog = ActionCatalog()
    # Lint what the user wrote (files and flags), not the policies AWS already accepted
    # into a collected inventory; each distinct warning once.
    lint = {id(case): lint_case(case, catalog) for case in cases}
    prepared = (_from_inventory(cases, inventory, overrides, one_off=input_file is None)
                if inventory is not None else [(case, []) for case in cases])
    lint_by_position = {case.position: lint[id(case)] for case in cases}
    shown: set[str] = set()
    engine = Engine(catalog)
    stderr = Console(stderr=True, highlight=False)
    rows = []
    failed = False
    fmt = output_format or ("table" if sys.stdout.isatty() else "json")
    for case, notes in prepared:
        warnings = notes + lint_by_position.get(case.position, [])
        for warning in warnings:
            if warning in shown:
                continue
            shown.add(warning)
            label = repr(case.id) if case.id else str(case.position)
            stderr.print(Text(sanitize(f"warning: request {label}: {warning}")))
        evaluation = engine.evaluate(case.request, case.layers)  # type: ignore[arg-type]
        if case.expected is not None and case.expected is not evaluation.decision:
            failed = True
        if fmt == "json":
            click.echo(json.dumps(_record(case, evaluation, warnings), ensure_ascii=True))
        else:
            rows.append((case, evaluation))
    if fmt == "table":
        _table(rows, Console(highlight=False))
    if failed:
        sys.exit(EXIT_FAILED)
