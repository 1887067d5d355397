"""The audit for people: ranked findings, then who can reach admin, then what is missing.

Every name, ARN, tag and message is attacker-influenced text: it goes through
``terminal.sanitize`` and into ``rich.text.Text`` pieces, never through markup, so an ANSI
escape, a newline or a ``[bold]`` in a role name is shown, not obeyed.
"""

from __future__ import annotations

from rich.text import Text

from iamscope.model.audit import AuditResult, PrincipalSummary
from iamscope.model.edge import Confidence, Edge
from iamscope.model.finding import Finding, Severity
from iamscope.report.terminal import sanitize

STYLE = {Severity.CRITICAL: "bold white on red", Severity.HIGH: "bold red",
         Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.INFO: "dim"}
EVIDENCE_SHOWN = 6


def render(result: AuditResult, *, top: int | None = None) -> Text:
    out = Text()
    _header(out, result)
    findings = result.findings if top is None else result.findings[:top]
    for item in findings:
        _finding(out, item)
    if len(findings) < len(result.findings):
        out.append(f"\n... {len(result.findings) - len(findings)} more findings (use "
                   "--format json, or --top 0 for all)\n", style="dim")
    reaching = [p for p in result.principals if p.reaches_admin and not p.admin]
    if reaching:
        out.append(f"\nCan become admin ({len(reaching)})\n", style="bold")
        for summary in reaching[: top or None]:
            _principal(out, summary)
    if result.gaps:
        out.append(f"\nNot collected ({len(result.gaps)}): analysis could not see these\n",
                   style="bold")
        for gap in result.gaps:
            where = ""
            if gap.account:
                where = f" [{gap.account}{' ' + gap.region if gap.region else ''}]"
            out.append("  " + sanitize(f"{gap.scope}{where}: {gap.reason}"))
            if gap.permission:
                out.append(sanitize(f" (needs {gap.permission})"), style="dim")
            out.append("\n")
    for note in result.notes:
        out.append(f"note: {sanitize(note)}\n", style="dim")
    return out


def _header(out: Text, result: AuditResult) -> None:
    meta = result.metadata
    out.append("iamscope audit", style="bold")
    out.append(sanitize(f" of {len(meta.accounts)} account(s) ({meta.collector}"
                        + (f", collected {meta.collected_at}" if meta.collected_at else "")
                        + ")") + "\n")
    admins = sum(1 for p in result.principals if p.admin)
    reach = sum(1 for p in result.principals if p.reaches_admin and not p.admin)
    out.append(f"{len(result.principals)} principals: {admins} admin-equivalent, {reach} "
               "more can become admin\n")
    counts = dict.fromkeys(Severity, 0)
    for item in result.findings:
        counts[item.severity] += 1
    out.append(f"{len(result.findings)} findings" + (":" if result.findings else ""))
    for severity, n in counts.items():
        if n:
            out.append(" ")
            out.append(f"{n} {severity.value}", style=STYLE[severity])
    out.append("\n")


def _finding(out: Text, item: Finding) -> None:
    out.append("\n")
    out.append(f"{item.severity.value.upper():8}", style=STYLE[item.severity])
    out.append(f" {item.rule_id}  ", style="bold")
    out.append(sanitize(item.subject), style="cyan")
    out.append("\n  " + sanitize(item.message) + "\n")
    if item.path:
        out.append("  path: ", style="dim")
        _path(out, item.path)
    for line in item.evidence[:EVIDENCE_SHOWN]:
        out.append("  - " + sanitize(line) + "\n", style="dim")
    if len(item.evidence) > EVIDENCE_SHOWN:
        out.append(f"  - ... {len(item.evidence) - EVIDENCE_SHOWN} more\n", style="dim")
    if item.location is not None:
        ref = item.location
        where = ref.file or ref.api or (f"account {ref.account}" if ref.account else "")
        if ref.pointer:
            where += f" {ref.pointer}"
        if ref.line:
            where += f":{ref.line}"
        if where.strip():
            out.append("  at " + sanitize(where.strip()) + "\n", style="dim")


def _path(out: Text, hops: tuple[Edge, ...]) -> None:
    out.append(sanitize(hops[0].source))
    for edge in hops:
        style = "green" if edge.confidence is Confidence.DEFINITE else "yellow"
        out.append(f" -[{sanitize(edge.technique)}", style=style)
        if edge.confidence is Confidence.CONDITIONAL:
            out.append(", conditional", style=style)
        out.append("]-> ", style=style)
        out.append(sanitize(edge.target))
    out.append("\n")


def _principal(out: Text, summary: PrincipalSummary) -> None:
    out.append("  " + sanitize(f"{summary.type} {summary.id}") + "\n")
    for hops in summary.paths[:1]:
        out.append("    ")
        _path(out, hops)
