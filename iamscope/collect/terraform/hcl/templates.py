"""Template text (heredocs, ``templatefile()`` files) split into text and interpolations."""

from __future__ import annotations


class UnterminatedTemplate(ValueError):
    def __init__(self, marker: str, position: int):
        super().__init__(f"unterminated {marker}")
        self.marker = marker
        self.position = position


def split_template(text: str) -> list[tuple[str, str, int]]:
    """``(kind, content, offset)`` pieces: kind is "text", "interpolation" (the expression
    source inside ``${ }``) or "directive" (``%{ }``); ``$${`` and ``%%{`` are literal."""
    pieces: list[tuple[str, str, int]] = []
    literal: list[str] = []
    literal_start = 0
    position = 0
    while position < len(text):
        start = _next_marker(text, position)
        if start < 0:
            literal.append(text[position:])
            break
        literal.append(text[position:start])
        marker = text[start:start + 3]
        if marker in ("$${", "%%{"):
            literal.append(marker[1:])
            position = start + 3
            continue
        end = _closing_brace(text, start + 2)
        if end < 0:
            raise UnterminatedTemplate(marker[:2], start)
        if any(literal):
            pieces.append(("text", "".join(literal), literal_start))
        literal = []
        kind = "directive" if marker.startswith("%") else "interpolation"
        pieces.append((kind, text[start + 2:end], start))
        position = literal_start = end + 1
    if any(literal):
        pieces.append(("text", "".join(literal), literal_start))
    return pieces


def _next_marker(text: str, position: int) -> int:
    found = [i for i in (text.find("${", position), text.find("%{", position)) if i >= 0]
    if not found:
        return -1
    start = min(found)
    if start > position and text[start - 1] == text[start]:  # $${ or %%{: escaped
        return start - 1
    return start


def _closing_brace(text: str, position: int) -> int:
    """The index of the ``}`` closing an interpolation opened just before ``position``."""
    depth = 0
    quoted = False
    index = position
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1
