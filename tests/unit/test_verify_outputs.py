"""Output equivalence for whole programs: tokens, floats within a tolerance."""

from __future__ import annotations

import pytest

from perfopt.verify.outputs import first_difference, same_token


@pytest.mark.parametrize(("a", "b", "same"), [
    ("42", "42", True),
    ("42", "43", False),
    ("Yes", "YES", False),
    ("0.3333333", "0.33333334", True),
    ("0.5", "0.6", False),
    ("1e9", "1000000000.0000001", True),
    ("1", "1.0", True),  # PIE compares numbers: an int printed as a float is the same answer
    ("1", "2.0", False),
    ("nan", "nan", True),
    ("inf", "1e308", False),
    ("3", "03", False),  # two integers: compared as text, as a judge does
])
def test_same_token(a, b, same):
    assert same_token(a, b) is same


def test_layout_does_not_matter_but_tokens_do():
    assert first_difference("1 2\n3\n", "1\n2 3") is None
    assert first_difference("1 2 3", "1 2") == "expected 3 tokens, got 2"
    assert first_difference("1 2 3", "1 5 3") == "token 2: expected '2', got '5'"


def test_tolerance_is_configurable():
    assert first_difference("0.1", "0.1001") is not None
    assert first_difference("0.1", "0.1001", abs_tol=1e-3, rel_tol=0) is None
