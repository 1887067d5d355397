"""Glob and resource-pattern containment, checked against brute-force enumeration."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from iamscope.minimize.containment import (
    compile_pattern,
    escape_resource,
    glob_units,
    pattern_contained,
    pattern_matches,
    units_contained,
)
from iamscope.policy.wildcard import glob_match

ALPHABET = "ab"


def _strings(max_len: int):
    for length in range(max_len + 1):
        for chars in product(ALPHABET + "c", repeat=length):
            yield "".join(chars)


def _brute_contained(proposed: str, current: str, max_len: int = 7) -> bool:
    return all(glob_match(current, s) for s in _strings(max_len) if glob_match(proposed, s))


globs = st.text(alphabet="ab*?", max_size=5)


@settings(max_examples=400, deadline=None)
@given(globs, globs)
def test_containment_is_sound(proposed: str, current: str) -> None:
    # Soundness: whenever the check says "contained", no string up to length 7 over a
    # three-letter alphabet is matched by the proposed glob and missed by the current one.
    if units_contained(glob_units(proposed), glob_units(current)):
        assert _brute_contained(proposed, current), (proposed, current)


literal_or_prefix = st.builds(lambda text, star: text + ("*" if star else ""),
                              st.text(alphabet="ab", max_size=4), st.booleans())


@settings(max_examples=400, deadline=None)
@given(literal_or_prefix, globs)
def test_containment_is_complete_for_emitted_shapes(proposed: str, current: str) -> None:
    # The minimizer emits literals and "literal prefix + *": for those the check is exact.
    assert units_contained(glob_units(proposed), glob_units(current)) == \
        _brute_contained(proposed, current), (proposed, current)


def test_star_question_runs_are_canonical() -> None:
    assert units_contained(glob_units("*?"), glob_units("?*"))
    assert units_contained(glob_units("a*?b"), glob_units("a?*b"))
    assert not units_contained(glob_units("*"), glob_units("?*"))


def test_examples() -> None:
    assert units_contained(glob_units("logs/2024/*"), glob_units("logs/*"))
    assert not units_contained(glob_units("logs/*"), glob_units("logs/2024/*"))
    assert units_contained(glob_units("a?c"), glob_units("a*"))
    assert not units_contained(glob_units("a*"), glob_units("a?*c"))
    assert units_contained(glob_units("abc"), glob_units("a?c"))


def test_arn_fields_are_compared_on_their_own() -> None:
    current = compile_pattern("arn:aws:s3:::bucket/*", variables=True)
    assert pattern_contained(compile_pattern("arn:aws:s3:::bucket/logs/*", variables=True),
                             current)
    assert not pattern_contained(compile_pattern("arn:aws:s3:::bucket*", variables=True),
                                 current)
    # A star in the region field spans one field only.
    any_region = compile_pattern("arn:aws:sqs:*:111122223333:q", variables=True)
    assert pattern_contained(compile_pattern("arn:aws:sqs:eu-west-1:111122223333:q",
                                             variables=True), any_region)
    assert not pattern_contained(compile_pattern("*", variables=True), any_region)
    assert pattern_contained(compile_pattern("arn:aws:sqs:eu-west-1:1:q", variables=True),
                             compile_pattern("*", variables=True))


def test_whole_glob_current_pattern() -> None:
    current = compile_pattern("arn:aws:s3*", variables=True)  # not an ARN: one glob
    assert pattern_contained(compile_pattern("arn:aws:s3:::b/*", variables=True), current)
    assert not pattern_contained(compile_pattern("arn:aws:sqs:::b", variables=True), current)


def test_policy_variables_are_resolved_or_refused() -> None:
    # IAM User Guide, "IAM policy elements: Variables and tags".
    current = "arn:aws:s3:::home/${aws:username}/*"
    known = compile_pattern(current, variables=True, context={"aws:username": "alice"})
    assert pattern_contained(compile_pattern("arn:aws:s3:::home/alice/x", variables=True), known)
    assert not pattern_contained(compile_pattern("arn:aws:s3:::home/bob/x", variables=True),
                                 known)
    unknown = compile_pattern(current, variables=True, context={})
    assert not pattern_contained(compile_pattern("arn:aws:s3:::home/alice/x", variables=True),
                                 unknown)
    # In a 2008-10-17 policy the text is literal.
    literal = compile_pattern(current, variables=False)
    assert not pattern_contained(compile_pattern("arn:aws:s3:::home/alice/x", variables=True),
                                 literal)


def test_escaped_concrete_resources_match_only_themselves() -> None:
    key = "arn:aws:s3:::b/odd*key?$"
    text = escape_resource(key)
    assert text == "arn:aws:s3:::b/odd${*}key${?}${$}"
    pattern = compile_pattern(text, variables=True)
    assert pattern_matches(pattern, key)
    assert not pattern_matches(pattern, "arn:aws:s3:::b/oddXkeyY$")
    assert not pattern_contained(compile_pattern("arn:aws:s3:::b/oddXkey", variables=True),
                                 pattern)
