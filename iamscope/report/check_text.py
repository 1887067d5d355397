"""``iamscope check`` for people: the verdict, the plan's delta (its headline first), the
findings ranked by severity, then the suppressed ones, counted and listed.

Every name and message is attacker-influenced: it goes through ``terminal.sanitize`` into
``rich.text.Text`` pieces, never through markup.
"""

from __future__ import annotations

from rich.text import Text

from iamscope.model.check import CheckedFinding, CheckResult
from iamscope.model.finding import Severity
from iamscope.report.audit_text import EVIDENCE_SHOWN, STYLE
from iamscope.report.terminal import sanitize


def render(result: CheckResult, *, top: int | None = None) -> Text:
    out = Text()
    out.append("iamscope check", style="bold")
    out.append(sanitize(f" ({result.source}, {len(result.metadata.accounts)} account(s))")
               + ": ")
    if result.failed:
        out.append("FAILED", style="bold white on red")
    else:
        out.append("passed", style="bold green")
    if result.fail_on is not None:
        out.append(f" (fail on {result.fail_on.value} and above)")
    out.append("\n")
    _counts(out, result)
    delta = result.delta
    if delta is not None:
        out.append(f"\nWhat this plan changes ({len(delta.items)}):\n", style="bold")
        if not delta.items:
            out.append("  no principal gains admin, an escalation path, sensitive access or "
                       "new permissions\n", style="dim")
        for item in delta.items:
            out.append("  ")
            out.append(f"{item.severity.value.upper():8}", style=STYLE[item.severity])
            out.append(" " + sanitize(item.headline) + "\n")
    shown = result.active if top is None else result.active[:top]
    for item in shown:
        _checked(out, item)
    if len(shown) < len(result.active):
        out.append(f"\n... {len(result.active) - len(shown)} more findings (--format json "
                   "for all)\n", style="dim")
    if result.suppressed:
        out.append(f"\nSuppressed ({len(result.suppressed)}):\n", style="bold")
        for item in result.suppressed:
            found = item.finding
            reason = item.suppression.justification if item.suppression else ""
            kind = item.suppression.kind.value if item.suppression else ""
            out.append(sanitize(f"  {found.severity.value} {found.rule_id} {found.subject}"
                                f" [{kind}: {reason}]") + "\n", style="dim")
    for warning in result.warnings:
        out.append(f"warning: {sanitize(warning)}\n", style="yellow")
    for note in result.notes:
        out.append(f"note: {sanitize(note)}\n", style="dim")
    return out


def _counts(out: Text, result: CheckResult) -> None:
    counts = dict.fromkeys(Severity, 0)
    for item in result.active:
        counts[item.finding.severity] += 1
    out.append(f"{len(result.active)} findings" + (":" if result.active else ""))
    for severity, n in counts.items():
        if n:
            out.append(" ")
            out.append(f"{n} {severity.value}", style=STYLE[severity])
    out.append(f"; {len(result.suppressed)} suppressed")
    if result.delta is not None:
        out.append(f"; {sum(1 for f in result.active if f.introduced)} introduced by this "
                   "plan")
    out.append("\n")


def _checked(out: Text, item: CheckedFinding) -> None:
    found = item.finding
    out.append("\n")
    out.append(f"{found.severity.value.upper():8}", style=STYLE[found.severity])
    out.append(f" {found.rule_id}  ", style="bold")
    out.append(sanitize(found.subject), style="cyan")
    if item.introduced:
        out.append("  (new in this plan)", style="magenta")
    out.append("\n  " + sanitize(found.message) + "\n")
    for line in found.evidence[:EVIDENCE_SHOWN]:
        out.append("  - " + sanitize(line) + "\n", style="dim")
    if len(found.evidence) > EVIDENCE_SHOWN:
        out.append(f"  - ... {len(found.evidence) - EVIDENCE_SHOWN} more\n", style="dim")
    ref = found.location
    if ref is not None and (ref.file or ref.address):
        text = ref.file or ""
        if ref.file and ref.line:
            text += f":{ref.line}"
        if ref.address:
            text = f"{ref.address} ({text})" if text else ref.address
        out.append("  at " + sanitize(text) + "\n", style="dim")
