"""Reading user-supplied files with clear errors (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iamscope.errors import InputError

MAX_JSON_BYTES = 512 * 1024 * 1024


def read_json_file(path: Path) -> Any:
    """Decode a JSON file, naming the file and the position of any problem."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a JSON file")
    if size > MAX_JSON_BYTES:
        raise InputError(f"{path}: {size} bytes is larger than the {MAX_JSON_BYTES} byte limit")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
