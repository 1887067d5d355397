"""Inline suppressions: ``# iamscope:ignore RULE_ID reason`` (or ``//``) on a resource.

python-hcl2's parse tree is not used for comments: the file text is scanned between the
block's first and last lines, plus the comment lines directly above the block.
"""

from __future__ import annotations

import re

from iamscope.collect.terraform.resources import Suppression
from iamscope.model.source import SourceRef

_MARKER = re.compile(r"(?:#|//)\s*iamscope:ignore\b[ \t]*(\S*)[ \t]*(.*?)\s*$")
_COMMENT = re.compile(r"^\s*(?:#|//)")


def find_suppressions(lines: list[str], start: int, end: int, file: str, address: str,
                      warnings: list[str]) -> tuple[Suppression, ...]:
    """Suppressions written on the block spanning 1-based lines ``start``..``end``."""
    first = start
    while first > 1 and _COMMENT.match(lines[first - 2]):
        first -= 1
    found: list[Suppression] = []
    for number in range(first, min(end, len(lines)) + 1):
        line = lines[number - 1]
        if "iamscope:ignore" not in line:
            continue
        match = _MARKER.search(line)
        if match is None:
            continue
        rule, reason = match.group(1), match.group(2)
        if not rule or not reason:
            warning = (f"{file}:{number}: iamscope:ignore needs a rule id and a reason "
                       f"(# iamscope:ignore RULE_ID why); ignored")
            if warning not in warnings:
                warnings.append(warning)
            continue
        found.append(Suppression(rule, reason, SourceRef(file=file, line=number,
                                                         address=address)))
    return tuple(found)
