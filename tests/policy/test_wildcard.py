"""The glob matcher: agreement with a reference implementation, and linear time."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from iamscope.policy.wildcard import (
    QMARK,
    STAR,
    compile_glob,
    glob_from_pieces,
    glob_match,
    pieces_of,
    reference_glob_match,
)

ALPHABET = "ab*?:/"


@given(st.text(alphabet=ALPHABET, max_size=12), st.text(alphabet="ab:/?*", max_size=16))
@settings(max_examples=3000)
def test_agrees_with_reference(pattern: str, text: str) -> None:
    assert glob_match(pattern, text) == reference_glob_match(pieces_of(pattern), text)


@given(
    st.lists(st.one_of(st.sampled_from([STAR, QMARK]), st.text(alphabet="ab*?", max_size=3)),
             max_size=8),
    st.text(alphabet="ab*?", max_size=14),
)
@settings(max_examples=2000)
def test_literal_star_and_question_pieces(pieces: list, text: str) -> None:
    """Literal text pieces may hold '*' and '?' (from ${*} and ${?}): they match only
    themselves."""
    assert glob_from_pieces(pieces).matches(text) == reference_glob_match(pieces, text)


def test_examples_from_the_iam_user_guide() -> None:
    # reference_policies_elements_resource: "*" any run, "?" exactly one character.
    assert glob_match("s3:Get*", "s3:GetObject")
    assert glob_match("*", "")
    assert glob_match("2024-0?", "2024-01")
    assert not glob_match("2024-0?", "2024-011")
    assert not glob_match("v1.2+beta", "v1x2+beta")  # regex metacharacters are literal
    assert glob_match("a[b]c", "a[b]c")
    assert not glob_match("a[b]c", "abc")


def test_pathological_pattern_is_linear() -> None:
    """a*a*a*...*b against a long run of a's must not backtrack exponentially (or
    quadratically per star): the matcher finds each segment once, left to right."""
    pattern = "a*" * 40 + "b"
    text = "a" * 200_000
    start = time.perf_counter()
    assert not glob_match(pattern, text)
    assert not compile_glob("?a*" * 40 + "?b").matches(text)
    # No timing assertion (benchmarks measure speed); the test simply must finish.
    assert time.perf_counter() - start >= 0


@given(st.text(max_size=60), st.text(max_size=200))
def test_never_raises_on_arbitrary_input(pattern: str, text: str) -> None:
    glob_match(pattern, text)
