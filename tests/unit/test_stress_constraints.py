"""The Constraints parser on real statement lines (PIE problems in datasets/pie-dev)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfopt.stress.constraints import evaluate, normalize, parse_constraints

PROBLEMS = Path(__file__).resolve().parents[2] / "datasets" / "pie-dev" / "problems"


def _range(cons, name, env=None):
    spec = cons.get(name)
    env = env or {}
    return (max(evaluate(e, env) for e in spec.lows), min(evaluate(e, env) for e in spec.highs))


def test_latex_bounds_with_times():
    cons = parse_constraints(r"1 \leq N \leq 2\times 10^5")
    assert _range(cons, "N") == (1, 200000)


def test_unicode_chain_gives_both_variables_bounds():
    cons = parse_constraints("1 ≤ K ≤ N ≤ 200000")
    assert _range(cons, "K", {"N": 50}) == (1, 50)
    assert cons.get("N").highs == ("200000",)
    assert ("K", "<=", "N") in cons.relations


def test_names_list_and_absolute_value():
    cons = parse_constraints(r"|X_i|,|Y_i| \leq 2\times 10^5")
    assert evaluate(cons.get("X").abs_highs[0], {}) == 200000
    assert cons.get("Y").abs_highs == cons.get("X").abs_highs


def test_strict_bound_and_digit_groups():
    cons = parse_constraints(r"0 \leq A, B < M" + "\n" + r"1 \leq X \leq 1 \ 000" + "\n"
                             + "1 \\leq T \\leq 100,000")
    assert evaluate(cons.get("A").highs[0], {"M": 10}) == 9
    assert _range(cons, "X") == (1, 1000)
    assert _range(cons, "T") == (1, 100000)


def test_min_and_frac_expression():
    cons = parse_constraints(r"1 \leq M \leq \min(20,\frac{N(N-1)}{2})")
    assert evaluate(cons.get("M").highs[0], {"N": 4}) == 6
    assert evaluate(cons.get("M").highs[0], {"N": 50}) == 20


def test_prose_string_length_charset_and_distinct():
    cons = parse_constraints(
        "S_i (1 \\leq i \\leq N) are strings consisting of lowercase English letters.\n"
        "The length of S_i (1 \\leq i \\leq N) is between 1 and 10 (inclusive).\n"
        "A_i \\neq A_j (i \\neq j)\nN is an integer between 1 and 10 \\ 000 (inclusive).")
    s = cons.get("S")
    assert s.charset == "abcdefghijklmnopqrstuvwxyz"
    assert (s.len_lows, s.len_highs) == (("1",), ("10",))
    assert cons.get("A").distinct
    assert _range(cons, "N") == (1, 10000)


@pytest.mark.parametrize(("pid", "name", "env", "expected"), [
    ("p02595", "N", {}, (1, 200000)),
    ("p02615", "A", {}, (1, 10**9)),
    ("p03037", "R", {"N": 7}, (None, 7)),
    ("p02881", "N", {}, (2, 10**12)),
    ("p02560", "A", {"M": 5}, (0, 4)),
    ("p03013", "M", {"N": 10}, (0, 9)),
    ("p03592", "K", {"N": 30, "M": 7}, (0, 210)),  # 0 <= K <= NM
])
def test_real_statements(pid, name, env, expected):
    cons = parse_constraints((PROBLEMS / pid / "statement.txt").read_text(encoding="utf-8"))
    spec = cons.get(name)
    assert min(evaluate(e, env) for e in spec.highs) == expected[1]
    if expected[0] is not None:
        assert max(evaluate(e, env) for e in spec.lows) == expected[0]


def test_juxtaposed_names_are_a_product_and_not_a_variable():
    cons = parse_constraints("1 \\leq N,M,A,B \\leq 1000\n0 \\leq K \\leq NM\n"
                             "1 \\leq AB \\leq 10")
    assert "NM" not in cons.variables and ("K", "<=", "NM") not in cons.relations
    assert evaluate(cons.get("K").highs[0], {"N": 4, "M": 5}) == 20
    assert cons.get("AB").highs == ("10",)  # a name with a constant bound is a variable


def test_real_statement_flags():
    tree = parse_constraints((PROBLEMS / "p02822" / "statement.txt").read_text())
    assert tree.tree
    graph = parse_constraints((PROBLEMS / "p03579" / "statement.txt").read_text())
    assert graph.connected and graph.simple
    digits = parse_constraints((PROBLEMS / "p02702" / "statement.txt").read_text())
    assert digits.get("S").charset == "123456789"
    increasing = parse_constraints((PROBLEMS / "p03457" / "statement.txt").read_text())
    assert increasing.get("t").increasing == "<"


def test_normalize_drops_index_notes():
    assert normalize(r"1 \leq A_i \leq 10^9\ (1 \leq i \leq N)") == "1 <= A_i <= 10**9"


def test_prose_gloss_and_graph_guarantees_of_a_real_statement():
    # p03608: "2≤R≤min(8,N) (min(8,N) is the smaller of 8 and N.)", a connected simple graph
    cons = parse_constraints((PROBLEMS / "p03608" / "statement.txt").read_text(encoding="utf-8"))
    assert cons.get("R").highs == ("min(8,N)",)
    assert cons.connected and cons.simple


def test_a_product_bound_is_joint_and_not_a_bound_of_each_factor():
    # p03039: "2 <= N x M <= 2 x 10^5" lets N = 10^5 with M = 2 as well as N = M = 447
    cons = parse_constraints((PROBLEMS / "p03039" / "statement.txt").read_text())
    assert cons.products == ((("N", "M"), "2 * 10**5"),)
    assert cons.get("N").highs == () and cons.get("M").highs == ()
    # the floors: 2 <= N x M, and K <= N x M
    assert cons.product_lows == ((("N", "M"), "2"), (("N", "M"), "K"))
    assert cons.get("N").lows == () and cons.get("M").lows == ()
    strict = parse_constraints("1 \\leq H \\times W < 100")
    assert [(f, evaluate(b, {})) for f, b in strict.products] == [(("H", "W"), 99)]
