"""``iamscope reach``, ``iamscope blast-radius`` and ``iamscope who-can``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from iamscope.cli.inventory_input import PathType, principal_id, read_inventory
from iamscope.cli.main import handle_errors
from iamscope.errors import InputError
from iamscope.evaluate import Engine
from iamscope.graph.authorizer import Authorizer
from iamscope.graph.blast import BlastAnalysis, BlastRadius, WhoCan
from iamscope.graph.build import build_graph
from iamscope.graph.effective import EffectiveReach
from iamscope.graph.reach import Path as EdgePath
from iamscope.graph.sensitive import CATEGORIES
from iamscope.model.reach import Reach
from iamscope.report.audit_json import hop
from iamscope.report.terminal import sanitize

FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                      default="text", show_default=True)
SHOWN = 5


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


def _cell(values: list[str] | tuple[str, ...], limit: int = SHOWN) -> Text:
    text = Text(sanitize(", ".join(values[:limit])))
    if len(values) > limit:
        text.append(f" (+{len(values) - limit})", style="dim")
    return text


def path_text(path: EdgePath) -> Text:
    out = Text()
    if not path.hops:
        return out
    out.append(sanitize(path.hops[0].source))
    for edge in path.hops:
        style = "green" if edge.confidence.value == "definite" else "yellow"
        out.append(f" -[{sanitize(edge.technique)}]-> ", style=style)
        out.append(sanitize(edge.target))
    return out


def _analysis(inventory_path: Path) -> BlastAnalysis:
    inventory = read_inventory(inventory_path)
    engine = Engine(cache_size=max(4096, 2 * len(inventory.principals)))
    return BlastAnalysis(build_graph(inventory, engine), engine)


# --- reach -------------------------------------------------------------------------------

@click.command()
@click.argument("inventory", type=PathType)
@click.argument("principal")
@FORMAT
@click.option("--service", help="Only this service (e.g. s3).")
@handle_errors
def reach(inventory: Path, principal: str, fmt: str, service: str | None) -> None:
    """What PRINCIPAL (ARN or unique name) can do, after every policy layer: per service
    and access level, the actions and the resources (listed ones, or ARN patterns for
    every unlisted resource of a type in its account)."""
    loaded = read_inventory(inventory)
    pid = principal_id(loaded, principal, outside=False)
    subject = loaded.principals[pid]
    effective = EffectiveReach(Authorizer(loaded, Engine()))
    if subject not in effective.authorizer.principals:
        raise InputError(f"{sanitize(pid)} is not a user or role: it does not act itself")
    result = effective.reach(subject)
    items = [i for i in result.items if service is None or i.service == service.lower()]
    if fmt == "json":
        _json({"principal": pid,
               "summary": [_row(row) for row in Reach(pid, tuple(items)).summary()],
               "items": [_item(i) for i in items]})
        return
    table = Table(title=Text(sanitize(f"reach of {pid}")), show_lines=False)
    for column in ("service", "access level", "actions", "resources", "conditional"):
        table.add_column(column, overflow="fold")
    for row in Reach(pid, tuple(items)).summary():
        table.add_row(Text(sanitize(row.service)), row.access_level,
                      _cell(list(row.actions), 4),
                      _cell([*row.resources, *row.scopes]),
                      "yes" if row.conditional else "")
    _console().print(table)


def _row(row: Any) -> dict[str, Any]:
    return {"service": row.service, "access_level": row.access_level,
            "actions": list(row.actions), "resources": list(row.resources),
            "scopes": list(row.scopes), "conditional": row.conditional}


def _item(item: Any) -> dict[str, Any]:
    return {"service": item.service, "access_level": item.access_level,
            "target": item.target, "scope": item.scope, "actions": list(item.actions),
            "conditions": list(item.conditions)}


# --- blast radius ------------------------------------------------------------------------

@click.command("blast-radius")
@click.argument("inventory", type=PathType)
@click.argument("principal", required=False)
@FORMAT
@click.option("--reach", "with_reach", is_flag=True,
              help="Also the union of the reach of every principal it can become (slower).")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="Without PRINCIPAL: how many principals to show (0: all).")
@handle_errors
def blast_radius(inventory: Path, principal: str | None, fmt: str, with_reach: bool,
                 top: int) -> None:
    """What a compromise of PRINCIPAL gives: the principals it can become (with shortest
    paths), whether that includes an admin, and the secrets, KMS keys, data stores, IAM
    writes and other accounts within reach. Without PRINCIPAL: every principal, ranked."""
    analysis = _analysis(inventory)
    if principal is None:
        _ranked(analysis, fmt, top)
        return
    node = principal_id(analysis.access.inventory, principal)
    if node not in analysis.escalation.index:
        raise InputError(f"{sanitize(node)} is not in the access graph")
    result = analysis.blast(node, with_reach=with_reach)
    if fmt == "json":
        _json(_blast_json(result))
        return
    _blast_text(result)


def _blast_json(result: BlastRadius) -> dict[str, Any]:
    return {
        "principal": result.principal, "admin": result.admin,
        "reaches_admin": result.reaches_admin,
        "admin_paths": [[hop(h) for h in p.hops] for p in result.admin_paths],
        "becomes": [{"id": b.principal, "path": [hop(h) for h in b.path.hops]}
                    for b in result.becomes],
        "highlights": result.highlights(),
        "sensitive": [{"category": s.hit.category, "action": s.hit.action,
                       "target": s.hit.target, "scope": s.hit.scope, "account": s.hit.account,
                       "conditions": list(s.hit.conditions), "via": s.via}
                      for s in result.sensitive],
        "reach": [_row(r) for r in result.reach],
    }


def _blast_text(result: BlastRadius) -> None:
    out = Text()
    out.append("blast radius of ", style="bold")
    out.append(sanitize(result.principal) + "\n", style="bold cyan")
    status = "admin-equivalent" if result.admin else (
        "can become admin" if result.reaches_admin else "cannot become admin")
    out.append(f"  {status}\n", style="bold red" if result.reaches_admin else "green")
    for path in result.admin_paths:
        out.append("    ")
        out.append_text(path_text(path))
        out.append("\n")
    out.append(f"  can become {len(result.becomes)} principal(s)\n")
    for becoming in result.becomes[:SHOWN * 4]:
        out.append("    ")
        out.append_text(path_text(becoming.path))
        out.append("\n")
    if len(result.becomes) > SHOWN * 4:
        out.append(f"    ... {len(result.becomes) - SHOWN * 4} more\n", style="dim")
    for category, targets in result.highlights().items():
        out.append(f"  {category}: ", style="bold")
        out.append_text(_cell(targets, SHOWN * 2) if targets else Text("none", style="dim"))
        out.append("\n")
    console = _console()
    console.print(out, end="")
    if result.reach:
        table = Table(title="union of reach")
        for column in ("service", "access level", "actions", "resources"):
            table.add_column(column, overflow="fold")
        for row in result.reach:
            table.add_row(Text(sanitize(row.service)), row.access_level,
                          str(len(row.actions)), _cell([*row.resources, *row.scopes]))
        console.print(table)


def _ranked(analysis: BlastAnalysis, fmt: str, top: int) -> None:
    esc = analysis.escalation
    rows = []
    graph = analysis.access.graph
    nodes = [n for n, d in graph.nodes(data=True) if d.get("node_type") == "principal"
             and (analysis.principal(n) is not None or d.get("kind") == "external")]
    for node in nodes:
        mine, gained = analysis.sensitive_summary(node)
        counts = {c: len({k[2] for k in (*mine, *gained) if k[0] == c}) for c in CATEGORIES}
        rows.append({"principal": node, "admin": node in analysis.access.admins,
                     "reaches_admin": esc.reaches_admin(node),
                     "becomes": len(esc.closure(node)), **counts})
    rows.sort(key=lambda r: (not r["reaches_admin"], -sum(r[c] for c in CATEGORIES[:3]),
                             -r["data"], -r["becomes"], r["principal"]))
    rows = rows[:top] if top else rows
    if fmt == "json":
        _json(rows)
        return
    table = Table(title="blast radius, largest first")
    for column in ("principal", "admin", "becomes", *CATEGORIES):
        table.add_column(column, overflow="fold")
    for row in rows:
        admin = "admin" if row["admin"] else ("reachable" if row["reaches_admin"] else "")
        table.add_row(Text(sanitize(row["principal"])), admin, str(row["becomes"]),
                      *(str(row[c]) for c in CATEGORIES))
    _console().print(table)


# --- who can ----------------------------------------------------------------------------

@click.command("who-can")
@click.argument("inventory", type=PathType)
@click.argument("action")
@click.argument("resource")
@FORMAT
@handle_errors
def who_can(inventory: Path, action: str, resource: str, fmt: str) -> None:
    """Who can perform ACTION on RESOURCE: directly (after every policy layer), from
    outside the inventory through the resource's policy, and through escalation (anyone
    who can become a direct principal), with the shortest path."""
    if ":" not in action:
        raise InputError(f"action {sanitize(action)!r} must look like service:Action")
    analysis = _analysis(inventory)
    space = analysis.effective.space
    if not space.bit(action)[1]:
        Console(stderr=True, highlight=False).print(Text(sanitize(
            f"warning: {action} is not in the action catalog ({space.catalog.version})")))
    result = analysis.who_can(action, resource)
    if fmt == "json":
        _json(_who_json(result))
        return
    _who_text(result)


def _who_json(result: WhoCan) -> dict[str, Any]:
    return {
        "action": result.action, "resource": result.resource,
        "direct": [{"principal": d.principal, "conditions": list(d.conditions),
                    "evidence": list(d.evidence)} for d in result.direct],
        "outside": [{"audience": e.audience.kind, "account": e.audience.account,
                     "conditions": list(e.conditions), "evidence": list(e.statements),
                     "blocked": e.blocked} for e in result.outside],
        "through_escalation": [{"principal": i.principal, "via": i.via,
                                "path": [hop(h) for h in i.path.hops]}
                               for i in result.indirect],
    }


def _who_text(result: WhoCan) -> None:
    out = Text()
    out.append(sanitize(f"who can {result.action} on {result.resource}") + "\n", style="bold")
    out.append(f"directly ({len(result.direct)}):\n", style="bold")
    for direct in result.direct:
        out.append("  " + sanitize(direct.principal))
        if direct.conditions:
            out.append(sanitize(f"  if {', '.join(direct.conditions)}"), style="yellow")
        out.append("\n")
        for line in direct.evidence[:2]:
            out.append("    " + sanitize(line) + "\n", style="dim")
    if result.outside:
        out.append(f"from outside the inventory ({len(result.outside)}):\n", style="bold")
        for exposure in result.outside:
            who = exposure.audience.account or exposure.audience.kind
            out.append(sanitize(f"  {exposure.audience.kind} {who}"))
            if exposure.blocked:
                out.append(sanitize(f"  blocked by {exposure.blocked}"), style="dim")
            out.append("\n")
    out.append(f"through escalation ({len(result.indirect)}):\n", style="bold")
    for indirect in result.indirect:
        out.append("  ")
        out.append_text(path_text(indirect.path))
        out.append("\n")
    _console().print(out, end="")
