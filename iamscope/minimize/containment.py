"""Is every resource a proposed pattern matches also matched by a current pattern?

Patterns are compared the way the engine matches them (``evaluate/matchers.py``, IAM User
Guide "IAM JSON policy elements: Resource"): ``*`` alone matches everything; an ARN pattern
(six colon-separated fields) is matched field by field, the first five fields on their own
and the resource part as a whole, case-sensitively; any other pattern is one glob over the
whole string. Policy variables are substituted only in the resource part and only in
Version 2012-10-17 documents.

Glob containment ``L(p) <= L(c)`` is decided by a quadratic dynamic programme that maps the
units of ``p`` (characters, ``?``, ``*``) onto those of ``c``: a character onto the same
character, ``?`` or a star of ``c``; a ``?`` onto a ``?`` or a star; a star of ``p`` only
onto a star of ``c``. A mapping is a witness: every string of ``p`` is then matched by ``c``
along it, so the check is sound. It is complete for the patterns the minimizer emits (a
literal, or a literal prefix followed by one ``*``) once runs of wildcards are put in the
canonical order ``?...?*`` (``*?`` and ``?*`` denote the same strings); for exotic pairs it
may answer "not contained" when the languages are in fact nested, which only makes a proof
refuse, never accept, a proposal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from iamscope.evaluate.matchers import split_fields
from iamscope.policy.variables import Unresolved, has_variables, parse_template, to_pieces
from iamscope.policy.wildcard import QMARK, STAR, Piece, glob_from_pieces, pieces_of

Unit = object  # a one-character str, STAR or QMARK
Units = tuple[Unit, ...]


def units_of_pieces(pieces: Sequence[Piece]) -> Units:
    """Flatten glob pieces into units and put wildcard runs in canonical order."""
    flat: list[Unit] = []
    for piece in pieces:
        if piece is STAR or piece is QMARK:
            flat.append(piece)
        else:
            flat.extend(piece)  # type: ignore[arg-type]
    return canonical(flat)


def canonical(units: Sequence[Unit]) -> Units:
    """Rewrite every run of wildcards holding a star as its question marks then one star."""
    out: list[Unit] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit is STAR or unit is QMARK:
            j = i
            stars = qmarks = 0
            while j < len(units) and (units[j] is STAR or units[j] is QMARK):
                stars += units[j] is STAR
                qmarks += units[j] is QMARK
                j += 1
            out.extend([QMARK] * qmarks)
            if stars:
                out.append(STAR)
            i = j
        else:
            out.append(unit)
            i += 1
    return tuple(out)


def glob_units(text: str) -> Units:
    """A plain glob (``*`` and ``?`` are wildcards, no variables)."""
    return units_of_pieces(pieces_of(text))


def units_contained(proposed: Units, current: Units) -> bool:
    """Sound test of ``L(proposed) <= L(current)`` in O(len(proposed) * len(current)).

    ``at[j]``: the units of ``proposed`` read so far can be mapped onto ``current`` with
    ``current[j]`` the next unit to use (a star of ``current`` stays in place while it
    absorbs units, and may be passed over at any time)."""
    if proposed == current or current == (STAR,):
        return True  # the same glob, or one star: no need to map
    m = len(current)
    at = _pass_stars([True] + [False] * m, current)
    for unit in proposed:
        nxt = [False] * (m + 1)
        for j in range(m):
            if not at[j]:
                continue
            c = current[j]
            if c is STAR:
                nxt[j] = True  # the star absorbs the unit (a character, ? or *)
            elif c is QMARK:
                if unit is not STAR:
                    nxt[j + 1] = True
            elif unit is not STAR and unit is not QMARK and unit == c:
                nxt[j + 1] = True
        at = _pass_stars(nxt, current)
        if not any(at):
            return False
    return at[m]


def _pass_stars(at: list[bool], current: Units) -> list[bool]:
    for j in range(len(current)):
        if at[j] and current[j] is STAR:
            at[j + 1] = True
    return at


def units_match(pattern: Units, text: str) -> bool:
    """Does the glob ``pattern`` match the concrete string ``text`` (linear time)?"""
    return glob_from_pieces(_pieces(pattern)).matches(text)


def _pieces(units: Units) -> list[Piece]:
    out: list[Piece] = []
    for unit in units:
        out.append(unit if unit is STAR or unit is QMARK else str(unit))
    return out


def is_literal(units: Units) -> bool:
    return not any(u is STAR or u is QMARK for u in units)


def literal_text(units: Units) -> str:
    return "".join(str(u) for u in units)


# --- resource patterns ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A Resource entry as units: ``everything`` for ``*``; ``fields`` (six unit tuples) for
    an ARN pattern; ``whole`` for any other glob. ``None`` fields mean the pattern could not
    be resolved statically (a policy variable whose value depends on the request)."""

    text: str
    everything: bool = False
    fields: tuple[Units, ...] | None = None
    whole: Units | None = None
    resolved: bool = True

    def whole_units(self) -> Units | None:
        if self.whole is not None:
            return self.whole
        if self.fields is None:
            return None
        out: list[Unit] = []
        for k, field_units in enumerate(self.fields):
            if k:
                out.append(":")
            out.extend(field_units)
        return canonical(out)


def compile_pattern(text: str, *, variables: bool,
                    context: Mapping[str, object] | None = None) -> CompiledPattern:
    """Compile a Resource entry. With ``variables`` (a 2012-10-17 policy) variables in the
    resource part are resolved from ``context`` (values fixed for the principal, such as
    ``aws:username``); an unresolvable one leaves the pattern ``resolved=False``."""
    if text == "*":
        return CompiledPattern(text, everything=True)
    fields = split_fields(text)
    if len(fields) != 6:
        return CompiledPattern(text, whole=glob_units(text))
    head = tuple(glob_units(f) for f in fields[:5])
    tail_text = fields[5]
    if variables:
        template = parse_template(tail_text)
        if has_variables(template):
            try:
                pieces = to_pieces(template, context or {}, wildcards=True)
            except Unresolved:
                return CompiledPattern(text, resolved=False)
            return CompiledPattern(text, fields=(*head, units_of_pieces(pieces)))
    return CompiledPattern(text, fields=(*head, glob_units(tail_text)))


def pattern_contained(proposed: CompiledPattern, current: CompiledPattern) -> bool:
    """Sound: True only if every resource ``proposed`` matches, ``current`` matches too."""
    if current.everything and current.resolved:
        return True
    if not proposed.resolved or not current.resolved or proposed.everything:
        return False
    if current.whole is not None:
        whole = proposed.whole_units()
        return whole is not None and units_contained(whole, current.whole)
    if proposed.fields is None or current.fields is None:
        return False
    return all(units_contained(p, c) for p, c in zip(proposed.fields, current.fields,
                                                       strict=True))


def pattern_matches(pattern: CompiledPattern, resource: str) -> bool:
    """Does ``pattern`` match the concrete resource (the engine's semantics)?"""
    if not pattern.resolved:
        raise ValueError("unresolved pattern")
    if pattern.everything:
        return True
    if pattern.whole is not None:
        return units_match(pattern.whole, resource)
    fields = resource.split(":", 5)
    if len(fields) != 6 or pattern.fields is None:
        return False
    return all(units_match(p, f) for p, f in zip(pattern.fields, fields, strict=True))


def escape_resource(resource: str) -> str:
    """A concrete resource as policy text matching only itself in a 2012-10-17 policy:
    ``*``, ``?`` and ``$`` become ``${*}``, ``${?}`` and ``${$}``."""
    if not any(ch in resource for ch in "*?$"):
        return resource
    return "".join("${" + ch + "}" if ch in "*?$" else ch for ch in resource)
