"""Inventory snapshots: the versioned JSON hand-off between collectors and everything else.

The format is specified in docs/inventory.md. Conversion is driven by the model's dataclass
fields and type hints: enums become their values, tuples arrays (tag pairs ``[key, value]``),
nested dataclasses objects, and ``None`` fields are left out. Element lists are sorted by id
so that snapshots diff cleanly. Reading validates everything and raises ``SnapshotError``
naming the element and field at fault; unknown members are errors except inside an
``extensions`` object, which readers ignore.
"""

from __future__ import annotations

import json
import os
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum
from functools import cache
from importlib import metadata as importlib_metadata
from itertools import repeat
from pathlib import Path
from typing import Any

from iamscope.errors import SnapshotError
from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.policy import Policy
from iamscope.model.principal import Principal
from iamscope.model.resource import OrgNode, Resource
from iamscope.model.source import CoverageGap

FORMAT = "iamscope-inventory"
SCHEMA_VERSION = 2  # the version this build writes, and the newest it reads
OLDEST_SCHEMA_VERSION = 1  # the oldest version this build reads
# Fields added after version 1, by element type: (field, the version that added it).
# A version 1 snapshot is a version 2 snapshot without them (docs/inventory.md).
_ADDED: dict[type, tuple[tuple[str, int], ...]] = {Principal: (("last_accessed", 2),)}
EXTENSIONS = "extensions"

# (snapshot member, element type, what an element is called in messages)
_SECTIONS: tuple[tuple[str, type, str], ...] = (
    ("principals", Principal, "principal"),
    ("policies", Policy, "policy"),
    ("resources", Resource, "resource"),
    ("org_nodes", OrgNode, "organisation node"),
)
_TOP_LEVEL = frozenset(
    {"format", "schema_version", "generator", "metadata", "gaps", EXTENSIONS}
    | {name for name, _, _ in _SECTIONS}
)


@cache
def iamscope_version() -> str:
    """The installed iamscope version, or ``0+unknown`` when running from a bare checkout."""
    try:
        return importlib_metadata.version("iamscope")
    except importlib_metadata.PackageNotFoundError:
        return "0+unknown"


# ---------------------------------------------------------------------------- writing


def inventory_to_dict(inv: Inventory) -> dict[str, Any]:
    """The snapshot of ``inv`` as plain JSON-ready data.

    ``Policy.document`` dicts are shared with the inventory, not copied; do not mutate them.
    """
    out: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "generator": f"iamscope {iamscope_version()}",
        "metadata": _encode(inv.metadata),
    }
    for name, _, what in _SECTIONS:
        mapping: dict[str, Any] = getattr(inv, name)
        for key, item in mapping.items():
            if key != item.id:
                raise ValueError(f"inventory {name} maps {key!r} to the {what} {item.id!r}")
        out[name] = [_encode(mapping[key]) for key in sorted(mapping)]
    out["gaps"] = [_encode(gap) for gap in inv.gaps]
    return out


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        if all(type(item) is str for item in value):
            return list(value)  # the common case, without a call per string
        return [_encode(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    names = _field_names(kind)
    if names is None:
        return value  # a raw JSON document kept verbatim (Policy.document)
    encoded = {}
    for name in names:
        item = getattr(value, name)
        if item is not None:
            encoded[name] = _encode(item)
    return encoded


_PLAIN = frozenset({str, int, float, bool, type(None)})


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None


def dumps(inv: Inventory, *, ensure_ascii: bool = False) -> str:
    """The snapshot of ``inv`` as JSON text indented by two spaces, ending in a newline."""
    data = inventory_to_dict(inv)
    return json.dumps(data, indent=2, ensure_ascii=ensure_ascii, allow_nan=False) + "\n"


def write_snapshot(inv: Inventory, path: str | os.PathLike[str]) -> None:
    """Write ``inv`` to ``path`` as UTF-8 JSON, replacing the file atomically."""
    target = Path(path)
    try:
        payload = dumps(inv).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape: keep it escaped
        payload = dumps(inv, ensure_ascii=True).encode("ascii")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(payload)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- reading


def read_snapshot(path: str | os.PathLike[str]) -> Inventory:
    """Read a snapshot file; every problem is a ``SnapshotError`` that names the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc
        raise SnapshotError(f"cannot read snapshot {os.fspath(path)}: {reason}") from exc
    try:
        return loads(raw)
    except SnapshotError as exc:
        raise SnapshotError(f"{os.fspath(path)}: {exc}") from None


def loads(text: str | bytes) -> Inventory:
    """Parse snapshot JSON text (str, or bytes in UTF-8/16/32)."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # not UTF-8, or an integer with too many digits
        raise SnapshotError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise SnapshotError("invalid JSON: arrays or objects are nested too deeply") from None
    return inventory_from_dict(data)


def _reject_constant(name: str) -> Any:
    raise SnapshotError(f"invalid JSON: {name} is not a JSON number")


def inventory_from_dict(data: Any) -> Inventory:
    """Validate snapshot data (as parsed from JSON) and rebuild the inventory.

    ``Policy.document`` objects are taken over from ``data``, not copied.
    """
    version = _check_header(data)
    try:
        _check_members(data, _TOP_LEVEL)
    except _Invalid as exc:
        raise exc.error("the snapshot") from None
    if "metadata" not in data:
        raise SnapshotError("the snapshot has no 'metadata' object")
    metadata = _decode_at(InventoryMetadata, data["metadata"], "metadata")
    sections: dict[str, dict[str, Any]] = {}
    for name, cls, what in _SECTIONS:
        sections[name] = _decode_section(data.get(name, []), name, cls, what)
        _check_added(sections[name], name, cls, version)
    gaps = _decode_at(tuple[CoverageGap, ...], data.get("gaps", []), "gaps")
    return Inventory(metadata=metadata, gaps=gaps, **sections)


def _check_added(items: dict[str, Any], name: str, cls: type, version: int) -> None:
    """Fields newer than ``version`` must be absent: an older snapshot cannot hold them."""
    for field_name, since in _ADDED.get(cls, ()):
        if version >= since:
            continue
        for index, item in enumerate(items.values()):
            if getattr(item, field_name) is not None:
                raise SnapshotError(
                    f"{name}[{index}] (id {item.id!r}): {field_name!r} needs schema_version "
                    f"{since}, but the snapshot says {version}")


def _check_header(data: Any) -> int:
    """Check the header; the snapshot's schema_version."""
    if not isinstance(data, dict):
        raise SnapshotError(
            f"not an iamscope inventory snapshot: the top level is {_got(data)}, "
            "expected an object"
        )
    if data.get("format") != FORMAT:
        got = _got(data["format"]) if "format" in data else "missing"
        raise SnapshotError(
            f"not an iamscope inventory snapshot: \"format\" is {got}, not {json.dumps(FORMAT)}"
        )
    if "schema_version" not in data:
        raise SnapshotError("the snapshot has no 'schema_version'; cannot tell how to read it")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"schema_version must be an integer, got {_got(version)}")
    if version > SCHEMA_VERSION:
        by = data.get("generator")
        by_text = f" ({by})" if isinstance(by, str) else ""
        raise SnapshotError(
            f"snapshot schema_version {version} was written by a newer iamscope{by_text}; "
            f"this build reads schema_version {SCHEMA_VERSION} at most; upgrade iamscope"
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise SnapshotError(
            f"unknown snapshot schema_version {version}; this build reads schema_version "
            f"{OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}"
        )
    generator = data.get("generator")
    if generator is not None and not isinstance(generator, str):
        raise SnapshotError(f"generator: expected a string, got {_got(generator)}")
    return version


def _decode_at(tp: Any, raw: Any, where: str) -> Any:
    try:
        return _decoder(tp)(raw)
    except _Invalid as exc:
        raise exc.error(where) from None


def _decode_section(raw: Any, name: str, cls: type, what: str) -> dict[str, Any]:
    if not isinstance(raw, list):
        raise SnapshotError(f"{name}: expected an array, got {_got(raw)}")
    decode = _decoder(cls)
    out: dict[str, Any] = {}
    for index, raw_item in enumerate(raw):
        try:
            item = decode(raw_item)
            if item.id in out:
                first = next(i for i, key in enumerate(out) if key == item.id)
                raise _Invalid(f"duplicate {what} id {item.id!r} (first at {name}[{first}])")
        except _Invalid as exc:
            where = f"{name}[{index}]"
            if isinstance(raw_item, dict) and isinstance(raw_item.get("id"), str):
                where += f" (id {raw_item['id']!r})"
            raise exc.error(where) from None
        out[item.id] = item
    return out


# ------------------------------------------------------------ type-hint driven decoding

Decoder = Callable[[Any], Any]


class _Invalid(Exception):
    """A problem deep inside a value; each enclosing decoder adds its step to ``steps``."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem
        self.steps: list[str] = []  # innermost first

    def error(self, where: str) -> SnapshotError:
        return SnapshotError(f"{where}{''.join(reversed(self.steps))}: {self.problem}")


@cache
def _decoder(tp: Any) -> Decoder:
    """A function turning JSON data into a value of type ``tp`` (built once per type)."""
    if tp is Any:
        return _identity
    if isinstance(tp, type):
        if is_dataclass(tp):
            return _dataclass_decoder(tp)
        if issubclass(tp, Enum):
            return _enum_decoder(tp)
        if tp in _SCALARS:
            return _SCALARS[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    present = [arg for arg in args if arg is not type(None)]
    if origin in (types.UnionType, typing.Union) and len(present) == 1 < len(args):
        inner = _decoder(present[0])
        return lambda raw: None if raw is None else inner(raw)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _array_decoder(_decoder(args[0]))
    if origin is tuple:
        return _pair_decoder(tuple(_decoder(arg) for arg in args))
    if origin is dict and args == (str, Any):
        return _object_decoder
    raise TypeError(f"the snapshot format cannot represent the type {tp!r}")


def _identity(raw: Any) -> Any:
    return raw


def _scalar(kind: type, expected: str) -> Decoder:
    def decode(raw: Any) -> Any:
        if isinstance(raw, kind) and (kind is bool or not isinstance(raw, bool)):
            return raw
        raise _Invalid(f"expected {expected}, got {_got(raw)}")

    return decode


_decode_str = _scalar(str, "a string")
_SCALARS: dict[type, Decoder] = {
    str: _decode_str, int: _scalar(int, "an integer"), bool: _scalar(bool, "true or false")
}


def _each(pairs: Iterable[tuple[Decoder, Any]]) -> tuple[Any, ...]:
    """Decode (decoder, item) pairs, naming the index of a bad item."""
    out = []
    for index, (decode, item) in enumerate(pairs):
        try:
            out.append(decode(item))
        except _Invalid as exc:
            exc.steps.append(f"[{index}]")
            raise
    return tuple(out)


def _array_decoder(item: Decoder) -> Decoder:
    """``tuple[X, ...]``: an array of any length."""

    def decode(raw: Any) -> tuple[Any, ...]:
        if not isinstance(raw, list):
            raise _Invalid(f"expected an array, got {_got(raw)}")
        if item is _decode_str and all(isinstance(x, str) for x in raw):
            return tuple(raw)  # the common case, without a call per string
        return _each(zip(repeat(item), raw))

    return decode


def _pair_decoder(items: tuple[Decoder, ...]) -> Decoder:
    """``tuple[X, Y]``: an array of exactly that many items, such as a tag pair."""

    def decode(raw: Any) -> tuple[Any, ...]:
        if not isinstance(raw, list) or len(raw) != len(items):
            raise _Invalid(f"expected an array of {len(items)} items, got {_got(raw)}")
        return _each(zip(items, raw, strict=True))

    return decode


def _object_decoder(raw: Any) -> dict[str, Any]:
    """A raw JSON object kept verbatim (``Policy.document``)."""
    if not isinstance(raw, dict):
        raise _Invalid(f"expected an object, got {_got(raw)}")
    for key in raw:
        if not isinstance(key, str):
            raise _Invalid(f"object keys must be strings, got {key!r}")
    return raw


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    decoders: dict[str, Decoder] = {}
    required: list[str] = []
    for f in fields(cls):
        if f.name == EXTENSIONS:
            raise TypeError(f"{cls.__name__}.{EXTENSIONS} clashes with the snapshot format")
        decoders[f.name] = _decoder(hints[f.name])
        if f.default is MISSING and f.default_factory is MISSING:
            required.append(f.name)
    allowed = frozenset(decoders) | {EXTENSIONS}

    def decode(raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise _Invalid(f"expected an object ({cls.__name__}), got {_got(raw)}")
        _check_members(raw, allowed)
        kwargs: dict[str, Any] = {}
        for name, value in raw.items():
            if name == EXTENSIONS:
                continue
            try:
                kwargs[name] = decoders[name](value)
            except _Invalid as exc:
                exc.steps.append(f".{name}")
                raise
        for name in required:
            if name not in kwargs:
                raise _Invalid(f"missing required field {name!r}")
        return cls(**kwargs)

    return decode


def _enum_decoder(cls: type[Enum]) -> Decoder:
    members = {member.value: member for member in cls}
    allowed = ", ".join(json.dumps(value) for value in members)

    def decode(raw: Any) -> Enum:
        if isinstance(raw, str) and raw in members:
            return members[raw]
        if isinstance(raw, str):
            problem = f"unknown {cls.__name__} value {json.dumps(raw)}; expected one of {allowed}"
        else:
            problem = f"expected one of {allowed}; got {_got(raw)}"
        raise _Invalid(problem)

    return decode


def _check_members(raw: dict[Any, Any], allowed: frozenset[str]) -> None:
    if not allowed.issuperset(raw):
        unknown = [key for key in raw if key not in allowed]
        names = ", ".join(repr(key) for key in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise _Invalid(
            f"unknown field{plural} {names} (newer data belongs in an "
            f"'{EXTENSIONS}' object, which readers ignore)"
        )
    if EXTENSIONS in raw and not isinstance(raw[EXTENSIONS], dict):
        exc = _Invalid(f"expected an object, got {_got(raw[EXTENSIONS])}")
        exc.steps.append(f".{EXTENSIONS}")
        raise exc


def _got(raw: Any) -> str:
    """How a JSON value is named in messages."""
    if raw is None or isinstance(raw, bool):
        return json.dumps(raw)
    if isinstance(raw, int | float):
        return f"the number {raw!r}"
    if isinstance(raw, str):
        text = raw if len(raw) <= 60 else raw[:57] + "..."
        return f"the string {json.dumps(text, ensure_ascii=False)}"
    if isinstance(raw, list):
        return f"an array of {len(raw)} item{'' if len(raw) == 1 else 's'}"
    return "an object" if isinstance(raw, dict) else f"a {type(raw).__name__}"
