"""``iamscope check --format markdown``: a pull-request comment.

Resource names, tags, policy ids and messages are attacker-controlled (anyone who can open a
pull request writes them), so every such string goes through ``escape``: Markdown syntax is
backslash-escaped, ``<``, ``>`` and ``&`` become entities (no raw HTML reaches the page),
``@`` becomes an entity (no one is mentioned by a role name), and line breaks become spaces
(no text forges a new line, heading or table row). Only the report's own structure is
Markdown or HTML (``<details>``).
"""

from __future__ import annotations

from iamscope.model.check import CheckedFinding, CheckResult, DeltaItem
from iamscope.model.finding import Severity
from iamscope.model.source import SourceRef

MARKDOWN_SPECIAL = set("\\`*_{}[]|~")
ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;", '"': "&quot;"}
ICON = {Severity.CRITICAL: "🟥", Severity.HIGH: "🟧", Severity.MEDIUM: "🟨",
        Severity.LOW: "🟦", Severity.INFO: "⬜"}
MAX_ROWS = 50
MAX_CELL = 400


def escape(text: str, *, limit: int | None = MAX_CELL) -> str:
    """Inert Markdown for untrusted text (also safe inside a table cell)."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    out = []
    for ch in text:
        if ch in ENTITIES:
            out.append(ENTITIES[ch])
        elif ch in MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        elif ch in "\r\n\t\v\f\u2028\u2029" or (ord(ch) < 32 or ord(ch) == 127):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def where(ref: SourceRef | None) -> str:
    if ref is None:
        return ""
    text = ref.file or ref.address or ref.api or ""
    if ref.file and ref.line:
        text += f":{ref.line}"
    if ref.file and ref.address:
        text = f"{ref.address} ({text})"
    return escape(text)


def render(result: CheckResult, *, max_rows: int = MAX_ROWS) -> str:
    lines: list[str] = []
    verdict = "❌ failed" if result.failed else "✅ passed"
    threshold = f" (fail on {result.fail_on.value} and above)" if result.fail_on else ""
    lines.append(f"## iamscope check: {verdict}{threshold}")
    lines.append("")
    lines.append(_summary(result))
    if result.delta is not None:
        lines += ["", "### What this plan changes", ""]
        if not result.delta.items:
            lines.append("No principal gains admin, an escalation path, sensitive access "
                         "or new permissions.")
        for item in result.delta.items[:max_rows]:
            lines.append(_delta(item))
        if len(result.delta.items) > max_rows:
            lines.append(f"- … and {len(result.delta.items) - max_rows} more")
    if result.active:
        lines += ["", f"### Findings ({len(result.active)})", ""]
        lines += _table(result.active, max_rows, introduced=result.delta is not None)
    if result.suppressed:
        lines += ["", f"<details><summary>Suppressed findings ({len(result.suppressed)})"
                      "</summary>", ""]
        lines += _table(result.suppressed, max_rows, suppressed=True)
        lines += ["", "</details>"]
    for warning in result.warnings[:max_rows]:
        lines.append(f"\n> warning: {escape(warning)}")
    for note in result.notes:
        lines.append(f"\n> note: {escape(note)}")
    return "\n".join(lines) + "\n"


def _summary(result: CheckResult) -> str:
    counts = dict.fromkeys(Severity, 0)
    for item in result.active:
        counts[item.finding.severity] += 1
    parts = [f"{n} {s.value}" for s, n in counts.items() if n]
    text = f"**{len(result.active)} finding{'s' if len(result.active) != 1 else ''}**"
    if parts:
        text += f" ({', '.join(parts)})"
    text += f", {len(result.suppressed)} suppressed"
    if result.delta is not None:
        new = sum(1 for f in result.active if f.introduced)
        text += f"; {new} introduced by this plan"
    return text + "."


def _delta(item: DeltaItem) -> str:
    line = f"- {ICON[item.severity]} **{item.severity.value}** `{item.rule_id}`: " \
           f"{escape(item.headline, limit=800)}"
    return line


def _table(items: tuple[CheckedFinding, ...], max_rows: int, *, introduced: bool = False,
           suppressed: bool = False) -> list[str]:
    head = "| severity | rule | subject | finding | location |"
    rule = "| --- | --- | --- | --- | --- |"
    if suppressed:
        head, rule = head + " suppressed by |", rule + " --- |"
    out = [head, rule]
    for item in items[:max_rows]:
        found = item.finding
        mark = " 🆕" if introduced and item.introduced else ""
        row = (f"| {ICON[found.severity]} {found.severity.value}{mark} | `{found.rule_id}` | "
               f"{escape(found.subject)} | {escape(found.message)} | "
               f"{where(found.location)} |")
        if suppressed and item.suppression is not None:
            row += f" {item.suppression.kind.value}: {escape(item.suppression.justification)} |"
        out.append(row)
    if len(items) > max_rows:
        out.append(f"\n… and {len(items) - max_rows} more (see the SARIF or JSON report)")
    return out
