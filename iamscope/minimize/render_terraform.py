"""Proposals as Terraform: ``data "aws_iam_policy_document"`` blocks, and a unified-diff
patch that attaches the proposal to the role or user defined in a Terraform directory.
Pure: the CLI reads the files (and the HCL reader's records) and passes them in."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamscope.minimize.result import Proposal
from iamscope.report.terminal import sanitize

_BLOCK = re.compile(r'resource\s+"aws_iam_(role|user)"\s+"([^"]+)"\s*\{')


def hcl_string(text: str) -> str:
    """A quoted HCL string: ``${`` and ``%{`` are escaped so IAM policy variables reach the
    policy verbatim, and control and format characters (an S3 key from a log may hold ANSI
    escapes) become ``\\uNNNN`` escapes, so the output never carries them raw to a
    terminal (Terraform language, "Strings and Templates": escape sequences)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("${", "$${").replace("%{", "%%{"))
    return '"' + "".join(_hcl_char(ch) for ch in escaped) + '"'


def _hcl_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
        return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"
    return ch


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(hcl_string(v) for v in values) + "]"


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def label_for(principal: str) -> str:
    name = principal.rsplit("/", 1)[-1] or "principal"
    return re.sub(r"[^A-Za-z0-9_]", "_", name) + "_minimized"


def policy_document_block(label: str, document: Mapping[str, object]) -> str:
    lines = [f'data "aws_iam_policy_document" "{label}" {{']
    for statement in document.get("Statement", []):  # type: ignore[union-attr]
        lines.append("  statement {")
        if statement.get("Sid"):
            lines.append(f"    sid    = {hcl_string(str(statement['Sid']))}")
        lines.append(f"    effect = {hcl_string(str(statement.get('Effect', 'Allow')))}")
        for key, attribute in (("Action", "actions"), ("NotAction", "not_actions"),
                               ("Resource", "resources"), ("NotResource", "not_resources")):
            if key in statement:
                lines.append(f"    {attribute} = {_list(_as_list(statement[key]))}")
        for operator, pairs in sorted((statement.get("Condition") or {}).items()):
            for variable, values in sorted(pairs.items()):
                lines += ["    condition {", f"      test     = {hcl_string(operator)}",
                          f"      variable = {hcl_string(variable)}",
                          f"      values   = {_list(_as_list(values))}", "    }"]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_blocks(proposals: Sequence[Proposal]) -> str:
    parts = []
    for proposal in proposals:
        if proposal.policy is None:
            parts.append(f"# {sanitize(proposal.principal)}: no proposal (a proof failed)\n")
            continue
        parts.append(f"# {sanitize(proposal.principal)}\n"
                     + policy_document_block(label_for(proposal.principal), proposal.policy))
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Definition:
    """Where a principal is defined: file (relative to the directory), ``role``/``user``,
    resource label, line of the block, and the other policies attached to it."""

    file: str
    kind: str
    label: str
    line: int
    attached: tuple[str, ...] = ()  # "aws_iam_role_policy_attachment.x (main.tf:12)"


_ATTACHING = {
    "role": ("aws_iam_role_policy", "aws_iam_role_policy_attachment",
             "aws_iam_role_policies_exclusive", "aws_iam_role_policy_attachments_exclusive"),
    "user": ("aws_iam_user_policy", "aws_iam_user_policy_attachment",
             "aws_iam_user_group_membership", "aws_iam_group_membership"),
}


def _kind_and_name(principal: str) -> tuple[str, str]:
    return ("role" if ":role/" in principal else "user"), principal.rsplit("/", 1)[-1]


def definition_from_reading(resources: Sequence[Any], principal: str) -> Definition | None:
    """Find the principal among the resources ``read_hcl`` evaluated (root module only):
    by its ``name`` value, else by its label; collect the blocks that attach policies."""
    kind, name = _kind_and_name(principal)
    root = [r for r in resources if not r.module and r.mode == "managed" and r.source]
    matches = [r for r in root if r.type == f"aws_iam_{kind}" and r.values.get("name") == name]
    matches = matches or [r for r in root if r.type == f"aws_iam_{kind}" and r.name == name]
    if not matches:
        return None
    found = matches[0]
    attached = tuple(
        f"{r.address} ({r.source.file}:{r.source.line})" for r in root
        if r.type in _ATTACHING[kind] and name in _as_list(r.values.get(kind)
                                                           or r.values.get("users") or []))
    return Definition(found.source.file, kind, found.name, found.source.line or 1, attached)


def definition_from_text(texts: Mapping[str, str], principal: str) -> Definition | None:
    """Without the HCL reader: the ``resource "aws_iam_role"`` block whose literal ``name``
    is the principal's name, else whose label is."""
    kind, name = _kind_and_name(principal)
    by_label = None
    for file, text in sorted(texts.items()):
        for match in _BLOCK.finditer(text):
            if match.group(1) != kind:
                continue
            body = text[match.end():_block_end(text, match.start())]
            line = text.count("\n", 0, match.start()) + 1
            if re.search(r'^\s*name\s*=\s*"' + re.escape(name) + '"', body, re.M):
                return Definition(file, kind, match.group(2), line)
            if match.group(2) == name and by_label is None:
                by_label = Definition(file, kind, match.group(2), line)
    return by_label


def _block_end(text: str, start: int) -> int:
    """Index just after the brace closing the block opened at or after ``start``."""
    depth = 0
    in_string = False
    i = text.find("{", start)
    if i < 0:
        return len(text)
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#" or text.startswith("//", i):
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def terraform_patch(text: str, definition: Definition, proposal: Proposal) -> str | None:
    """A unified diff of ``definition.file`` (whose content is ``text``) adding the proposal
    after the principal's block. The patch never deletes code: the policies to remove once
    it is applied are listed in a comment."""
    if proposal.policy is None:
        return None
    offset = 0
    for _ in range(definition.line - 1):
        offset = text.find("\n", offset) + 1
    end = _block_end(text, offset)
    data_label = label_for(proposal.principal)
    kind, label = definition.kind, definition.label
    attachment = f"aws_iam_{kind}_policy"
    reference = f"aws_iam_{kind}.{label}." + ("id" if kind == "role" else "name")
    remove = "".join(f"#   {sanitize(item)}\n" for item in definition.attached) or \
        "#   (its inline and attached policies)\n"
    addition = (
        "\n\n# iamscope minimize: least-privilege policy proved to grant nothing new and to\n"
        "# allow every call observed in the usage window. Once applied, remove:\n" + remove
        + policy_document_block(data_label, proposal.policy)
        + f'\nresource "{attachment}" "{data_label}" {{\n'
        + f'  name   = "iamscope-minimized"\n  {kind:<6} = {reference}\n'
        + f"  policy = data.aws_iam_policy_document.{data_label}.json\n}}"
    )
    patched = text[:end] + addition + text[end:]
    return "".join(difflib.unified_diff(
        text.splitlines(keepends=True), patched.splitlines(keepends=True),
        fromfile=f"a/{definition.file}", tofile=f"b/{definition.file}"))
