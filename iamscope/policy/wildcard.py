"""Glob matching with ``*`` and ``?`` in time linear in the input.

IAM wildcards: ``*`` matches any run of characters (including none), ``?`` exactly one
character; every other character is literal (IAM User Guide, "IAM JSON policy elements:
Resource" and "Condition operators: StringLike"). No regular expression is built from a
policy: a pattern is split at its stars into segments, and each segment is searched for at
its leftmost position after the previous one (leftmost placement is always safe for
star-separated segments). A segment without ``?`` is found with ``str.find``; one with
``?`` by a bit-parallel Shift-And scan. Every input character is therefore examined a
bounded number of times: ``a*a*a*a*b`` against a long string cannot backtrack.

A pattern is built from *pieces*: literal text, ``STAR`` and ``QMARK``. Literal text may
contain ``*`` or ``?`` characters (from the policy variables ``${*}`` and ``${?}``) that
match only themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final


class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


STAR: Final = _Token("STAR")
QMARK: Final = _Token("QMARK")

Piece = str | _Token


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str
    wild: int  # bit j set when position j is a '?' wildcard
    masks: tuple[tuple[str, int], ...] = ()  # Shift-And character masks, only when wild

    def matches_at(self, s: str, pos: int) -> bool:
        text = self.text
        if not self.wild:
            return s.startswith(text, pos)
        if pos + len(text) > len(s):
            return False
        wild = self.wild
        return all((wild >> j) & 1 or s[pos + j] == ch for j, ch in enumerate(text))

    def find(self, s: str, start: int, end: int) -> int:
        """Leftmost index i in [start, end - len] where the segment matches, else -1."""
        if not self.wild:
            return s.find(self.text, start, end)
        length = len(self.text)
        if length == 0:
            return start if start <= end else -1
        masks = dict(self.masks)
        wild = self.wild
        top = 1 << (length - 1)
        state = 0
        for i in range(start, end):
            state = ((state << 1) | 1) & (masks.get(s[i], 0) | wild)
            if state & top:
                return i - length + 1
        return -1


def _segment(chars: list[str], wild_positions: list[int]) -> _Segment:
    text = "".join(chars)
    wild = 0
    for j in wild_positions:
        wild |= 1 << j
    if not wild:
        return _Segment(text, 0)
    masks: dict[str, int] = {}
    for j, ch in enumerate(text):
        if not (wild >> j) & 1:
            masks[ch] = masks.get(ch, 0) | (1 << j)
    return _Segment(text, wild, tuple(masks.items()))


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled glob: segments separated by stars (``len(segments) - 1`` stars)."""

    segments: tuple[_Segment, ...]
    min_length: int

    @property
    def is_literal(self) -> bool:
        return len(self.segments) == 1 and not self.segments[0].wild

    @property
    def matches_everything(self) -> bool:
        return len(self.segments) == 2 and self.min_length == 0

    def matches(self, s: str) -> bool:
        segments = self.segments
        if len(s) < self.min_length:
            return False
        first = segments[0]
        if len(segments) == 1:
            return len(s) == len(first.text) and first.matches_at(s, 0)
        if not first.matches_at(s, 0):
            return False
        last = segments[-1]
        end = len(s) - len(last.text)
        if not last.matches_at(s, end):
            return False
        pos = len(first.text)
        for segment in segments[1:-1]:
            found = segment.find(s, pos, end)
            if found < 0:
                return False
            pos = found + len(segment.text)
        return pos <= end


def glob_from_pieces(pieces: Iterable[Piece]) -> Glob:
    segments: list[_Segment] = []
    chars: list[str] = []
    wild: list[int] = []
    for piece in pieces:
        if piece is STAR:
            segments.append(_segment(chars, wild))
            chars, wild = [], []
        elif piece is QMARK:
            wild.append(len(chars))
            chars.append("?")
        else:
            chars.extend(piece)  # type: ignore[arg-type]
    segments.append(_segment(chars, wild))
    # Collapse runs of stars: empty middle segments add nothing.
    collapsed = [segments[0]] + [seg for seg in segments[1:-1] if seg.text] + (
        [segments[-1]] if len(segments) > 1 else []
    )
    return Glob(tuple(collapsed), sum(len(seg.text) for seg in collapsed))


def pieces_of(text: str) -> list[Piece]:
    """Split plain pattern text (no policy variables) into pieces."""
    out: list[Piece] = []
    run: list[str] = []
    for ch in text:
        if ch == "*" or ch == "?":
            if run:
                out.append("".join(run))
                run = []
            out.append(STAR if ch == "*" else QMARK)
        else:
            run.append(ch)
    if run:
        out.append("".join(run))
    return out


@lru_cache(maxsize=65536)
def compile_glob(pattern: str) -> Glob:
    """Compile a pattern in which ``*`` and ``?`` are wildcards (memoised, pure)."""
    return glob_from_pieces(pieces_of(pattern))


def glob_match(pattern: str, text: str) -> bool:
    return compile_glob(pattern).matches(text)


def reference_glob_match(pattern: Sequence[Piece], text: str) -> bool:
    """Dynamic-programming reference matcher, O(len(pattern) * len(text)); tests compare the
    fast matcher against it."""
    units: list[object] = []
    for piece in pattern:
        if piece is STAR or piece is QMARK:
            units.append(piece)
        else:
            units.extend(piece)  # type: ignore[arg-type]
    reachable = [True] + [False] * len(text)
    for unit in units:
        nxt = [False] * (len(text) + 1)
        if unit is STAR:
            seen = False
            for i in range(len(text) + 1):
                seen = seen or reachable[i]
                nxt[i] = seen
        else:
            for i in range(len(text)):
                if reachable[i] and (unit is QMARK or text[i] == unit):
                    nxt[i + 1] = True
        reachable = nxt
    return reachable[len(text)]
