"""Make user-controlled text safe for a terminal.

Resource names, tags and policy ids are attacker-controlled. Before they reach a terminal,
control characters (ANSI escape sequences, carriage returns, backspaces, newlines inside a
cell) are replaced by visible escapes, so a name cannot rewrite the screen or forge lines.
Rich markup is never interpreted in such text: callers pass it as ``rich.text.Text``.
"""

from __future__ import annotations

import unicodedata


def sanitize(text: str, *, keep_newlines: bool = False) -> str:
    """Replace control and format characters with ``\\xNN``/``\\uNNNN`` escapes."""
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Zl", "Zp") or ch == "\x7f":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
