"""JSON text -> a tree of values that keeps the line of every value and object key.

Python's ``json`` module gives no positions, and Terraform's JSON syntax needs them for
messages (file:line of a resource). The text is first decoded by ``json.loads`` (so malformed
JSON is reported with its line by the standard decoder), then scanned again, iteratively
(no recursion however deep the nesting), to build ``JsonNode`` trees with lines.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring
from typing import Any

from iamscope.errors import InputError

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_WORDS = {"true": True, "false": False, "null": None}
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(slots=True)
class JsonNode:
    """``kind`` "object" (``pairs``: key, key line, value), "array" (``items``) or "scalar"
    (``value``); ``line``/``end_line`` are 1-based."""

    kind: str
    line: int
    value: Any = None
    items: list[JsonNode] = field(default_factory=list)
    pairs: list[tuple[str, int, JsonNode]] = field(default_factory=list)
    end_line: int = 0


def scan_json(text: str, where: str) -> JsonNode:
    """Decode ``text`` (a JSON document whose top level is an object) with lines."""
    try:
        json.loads(text, object_pairs_hook=lambda pairs: None, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}:{error.lineno}: invalid JSON ({error.msg}, column "
                         f"{error.colno})") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply to read") from None
    except ValueError as error:  # e.g. an integer with too many digits
        raise InputError(f"{where}: invalid JSON ({str(error)[:80]})") from None
    root = _Scanner(text).scan()
    if root.kind != "object":
        raise InputError(f"{where}:{root.line}: a Terraform JSON file must hold a JSON object")
    return root


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _Scanner:
    """Walks text already known to be valid JSON."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def scan(self) -> JsonNode:
        text = self.text
        stack: list[JsonNode] = []
        keys: list[tuple[str, int] | None] = []
        root: JsonNode | None = None
        index = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
        while True:
            char = text[index]
            node: JsonNode | None = None
            if char in "{[":
                node = JsonNode("object" if char == "{" else "array", self.line(index))
                index += 1
            elif char in "}]":
                done = stack.pop()
                keys.pop()
                done.end_line = self.line(index)
                index += 1
                if not stack:
                    return done
            elif char in ",:":
                index += 1
            elif char == '"':
                value, end = scanstring(text, index + 1)
                if stack and stack[-1].kind == "object" and keys[-1] is None:
                    keys[-1] = (value, self.line(index))
                else:
                    line = self.line(index)
                    node = JsonNode("scalar", line, value, end_line=line)
                index = end
            else:
                node, index = self._scalar(index)
            if node is not None:
                if not stack:
                    root = node
                elif stack[-1].kind == "object":
                    key = keys[-1]
                    assert key is not None
                    stack[-1].pairs.append((key[0], key[1], node))
                    keys[-1] = None
                else:
                    stack[-1].items.append(node)
                if node.kind != "scalar":
                    stack.append(node)
                    keys.append(None)
                elif not stack:
                    return node
            index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
            if index >= len(text):
                assert root is not None
                return root

    def _scalar(self, index: int) -> tuple[JsonNode, int]:
        line = self.line(index)
        for word, value in _WORDS.items():
            if self.text.startswith(word, index):
                return JsonNode("scalar", line, value, end_line=line), index + len(word)
        match = _NUMBER.match(self.text, index)
        assert match is not None
        number: int | float = (float(match.group()) if match.group(1) or match.group(2)
                               else int(match.group()))
        return JsonNode("scalar", line, number, end_line=line), match.end()
