"""Are two program outputs the same answer? Token by token, floats within a tolerance.

This is the judge's (and PIE's) notion of a correct output: whitespace layout does not
matter, "0.3333333" and "0.33333334" do (within 1e-6 abs or rel), "1" and "1.0" compare
as numbers only when one of them has a decimal point or exponent (an integer answer
printed as a float is still a different answer to a strict judge, but not to PIE).
"""

from __future__ import annotations

import math

ABS_TOL = 1e-6
REL_TOL = 1e-6


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_float_literal(token: str) -> bool:
    return any(ch in token for ch in ".eE") and _number(token) is not None


def same_token(a: str, b: str, abs_tol: float = ABS_TOL, rel_tol: float = REL_TOL) -> bool:
    if a == b:
        return True
    if not (_is_float_literal(a) or _is_float_literal(b)):
        return False  # two different integers or words
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return False
    return math.isclose(x, y, rel_tol=rel_tol, abs_tol=abs_tol)


def first_difference(
    expected: str, actual: str, abs_tol: float = ABS_TOL, rel_tol: float = REL_TOL
) -> str | None:
    """None when the outputs are the same answer; else where they first differ, in words."""
    want, got = expected.split(), actual.split()
    for k, (a, b) in enumerate(zip(want, got, strict=False)):
        if not same_token(a, b, abs_tol, rel_tol):
            return f"token {k + 1}: expected {_clip(a)!r}, got {_clip(b)!r}"
    if len(want) != len(got):
        return f"expected {len(want)} tokens, got {len(got)}"
    return None


def _clip(token: str, limit: int = 40) -> str:
    return token if len(token) <= limit else token[:limit] + "..."
