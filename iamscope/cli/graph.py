"""``iamscope paths`` and ``iamscope graph``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from iamscope.cli.inventory_input import PathType, principal_id, read_inventory
from iamscope.cli.main import handle_errors
from iamscope.cli.reach import FORMAT, _analysis, _console, _json, path_text
from iamscope.errors import InputError
from iamscope.evaluate import Engine
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.build import build_graph
from iamscope.graph.export import WRITERS
from iamscope.graph.reach import Path as EdgePath
from iamscope.graph.resource_reach import ResourceReach
from iamscope.report.audit_json import hop
from iamscope.report.terminal import sanitize


@click.command()
@click.argument("inventory", type=PathType)
@click.option("--from", "source", required=True,
              help="Where paths start: a principal ARN or unique name (or * for anyone).")
@click.option("--to", "target", default="admin", show_default=True,
              help="'admin', a principal (ARN or unique name) or a resource ARN.")
@click.option("--limit", type=click.IntRange(min=1), default=3, show_default=True,
              help="At most this many paths.")
@FORMAT
@handle_errors
def paths(inventory: Path, source: str, target: str, limit: int, fmt: str) -> None:
    """Shortest escalation paths from a principal: to admin, to another principal, or to
    principals that can act on a resource (with what they can do to it)."""
    analysis = _analysis(inventory)
    inv = analysis.access.inventory
    start = principal_id(inv, source)
    if start not in analysis.escalation.index:
        raise InputError(f"{sanitize(start)} is not in the access graph")
    found: list[tuple[EdgePath, list[str]]]
    if target == "admin":
        found = [(p, []) for p in analysis.escalation.admin_paths(start, limit)]
        if start in analysis.access.admins:
            found = [(EdgePath(()), ["admin-equivalent itself"])]
    elif target in analysis.escalation.index and target not in inv.resources:
        one = analysis.escalation.shortest_path(start, target)
        found = [(one, [])] if one is not None else []
    else:
        if target not in inv.resources and not target.startswith("arn:"):
            target = principal_id(inv, target)
        found = _to_resource(analysis, start, target, limit)
    if fmt == "json":
        _json({"from": start, "to": target,
               "paths": [_path_json(p, actions) for p, actions in found]})
        return
    out = Text(sanitize(f"paths from {start} to {target}: {len(found)}") + "\n", style="bold")
    for path, actions in found:
        out.append("  ")
        out.append_text(path_text(path) if path.hops else Text(sanitize(start)))
        if actions:
            out.append(sanitize("  can " + ", ".join(actions[:6])
                                + (" ..." if len(actions) > 6 else "")), style="dim")
        out.append("\n")
    _console().print(out, end="")


def _path_json(path: EdgePath, actions: list[str]) -> dict[str, Any]:
    return {"hops": [hop(h) for h in path.hops], "actions": actions}


def _to_resource(analysis: BlastAnalysis, start: str, resource: str,
                 limit: int) -> list[tuple[EdgePath, list[str]]]:
    """Principals ``start`` can become (itself first, then by distance) that can act on
    ``resource``, with the actions."""
    esc = analysis.escalation
    reachable = esc.paths_from(start)
    order = sorted(reachable, key=lambda n: (len(reachable[n].hops), n))
    if start not in reachable:
        order.insert(0, start)
        reachable[start] = EdgePath(())
    out = []
    reach = ResourceReach(analysis.effective)
    for node in order:
        principal = analysis.principal(node)
        if principal is None:
            continue
        items = reach.of(principal, resource)
        if items:
            actions = sorted({f"{i.service}:{a}" for i in items for a in i.actions})
            out.append((reachable[node], actions))
            if len(out) >= limit:
                break
    return out


@click.command()
@click.argument("inventory", type=PathType)
@click.option("--format", "fmt", type=click.Choice(sorted(WRITERS)), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="File to write.")
@handle_errors
def graph(inventory: Path, fmt: str, output: Path) -> None:
    """Export the access graph (principals, resources, escalation and assumption edges
    with technique, confidence, conditions and evidence) as JSON, GraphML or DOT."""
    loaded = read_inventory(inventory)
    access = build_graph(loaded, Engine(cache_size=max(4096, 2 * len(loaded.principals))))
    with output.open("w", encoding="utf-8") as handle:
        WRITERS[fmt](access, handle)
    click.echo(f"wrote {access.graph.number_of_nodes()} nodes and {len(access.edges)} edges "
               f"to {sanitize(str(output))}", err=True)
