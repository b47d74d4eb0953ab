"""Input grammar inference on real sample inputs (PIE problems) and input generation."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from perfopt.stress.constraints import parse_constraints
from perfopt.stress.stdin_gen import InputModel, Plan, is_prime
from perfopt.stress.structure import (
    Array,
    Block,
    Rows,
    Scalars,
    Structure,
    infer_structure,
    parse_format,
    read_sample,
)

PROBLEMS = Path(__file__).resolve().parents[2] / "datasets" / "pie-dev" / "problems"


def _components(n: int, edges: list[tuple[int, int]]) -> int:
    """Connected components of nodes 1..n."""
    parent = list(range(n + 1))

    def find(v: int) -> int:
        while parent[v] != v:
            v = parent[v]
        return v
    for a, b in edges:
        parent[find(a)] = find(b)
    return len({find(v) for v in range(1, n + 1)})


def _load(pid: str) -> tuple[str, list[str]]:
    folder = PROBLEMS / pid
    samples = [p.read_text() for p in sorted(folder.glob("input.*.txt"))]
    return (folder / "statement.txt").read_text(encoding="utf-8"), samples


def _model(pid: str) -> tuple[Structure, InputModel]:
    """The problem's grammar (statement and samples) and its input writer."""
    statement, samples = _load(pid)
    structure = infer_structure(samples, statement)
    return structure, InputModel(structure, parse_constraints(statement))


@pytest.mark.parametrize(("pid", "nodes"), [
    ("p02615", (Scalars(("N",)), Array("A", "N"))),
    ("p02595", (Scalars(("N", "D")), Rows(("X", "Y"), "N"))),
    ("p02959", (Scalars(("N",)), Array("A", "N+1"), Array("B", "N"))),
    ("p03634", (Scalars(("N",)), Rows(("a", "b", "c"), "N-1"), Scalars(("Q", "K")),
                Rows(("x", "y"), "Q"))),
    ("p02773", (Scalars(("N",)), Rows(("S",), "N"))),
    # "N M_a M_b": subscripted scalars beside a plain one (no row); bounded by "1≦M_a,M_b≦10"
    ("p03806", (Scalars(("N", "M_a", "M_b")), Rows(("a", "b", "c"), "N"))),
])
def test_format_block_of_real_statements(pid, nodes):
    statement, samples = _load(pid)
    structure = infer_structure(samples, statement)
    assert structure is not None and structure.source == "format"
    assert structure.nodes == nodes


def test_types_come_from_the_samples():
    statement, samples = _load("p02773")
    structure = infer_structure(samples, statement)
    assert structure.observed["S"].kind == "str"
    assert structure.observed["N"].kind == "int"
    assert structure.counts == {"N"}


def test_samples_alone_when_the_statement_has_no_format():
    # p03806's statement has no "in the following format" block: N lines follow "N Ma Mb"
    _, samples = _load("p03806")
    structure = infer_structure(samples, None)
    assert structure is not None and structure.source == "samples"
    assert isinstance(structure.nodes[1], Rows) and structure.nodes[1].count == "v0"


def test_a_sample_that_does_not_fit_is_rejected():
    assert read_sample((Scalars(("N",)), Array("A", "N")), "3\n1 2\n") is None


@pytest.mark.parametrize("pid", ["p02615", "p03037", "p02822", "p02773", "p03457", "p02702"])
def test_generated_inputs_respect_bounds_and_reread(pid):
    structure, model = _model(pid)
    text = model.render(Plan(0.001, seed=random.Random(pid).randrange(1000)))
    values = read_sample(structure.nodes, text)
    assert values is not None  # the grammar reads what it wrote
    if pid == "p03037":  # 1 <= L_i <= R_i <= N
        n = int(values["N"][0])
        pairs = zip(values["L"], values["R"], strict=True)
        assert all(1 <= int(lo) <= int(hi) <= n for lo, hi in pairs)
    if pid == "p02822":  # a tree: N-1 edges that connect all N nodes
        n = int(values["N"][0])
        edges = [(int(a), int(b)) for a, b in zip(values["A"], values["B"], strict=True)]
        assert _components(n, edges) == 1
    if pid == "p03457":  # t_i < t_{i+1}
        ts = [int(t) for t in values["t"]]
        assert ts == sorted(set(ts))
    if pid == "p02702":  # digits 1-9 only
        assert set(values["S"][0]) <= set("123456789")


def test_edges_written_in_order_still_make_a_connected_simple_graph():
    # p03575: "1 <= a_i < b_i <= N", "does not contain self-loops and double edges", "is
    # connected": a and b have different ranges (1..N-1, 2..N) yet are one graph's ends
    structure, model = _model("p03575")
    for seed in range(5):
        values = read_sample(structure.nodes, model.render(Plan(1.0, seed)))
        n = int(values["N"][0])
        edges = [(int(a), int(b)) for a, b in zip(values["a"], values["b"], strict=True)]
        assert n == 50 and len(edges) == int(values["M"][0]) >= n - 1
        assert all(1 <= a < b <= n for a, b in edges) and len(set(edges)) == len(edges)
        assert _components(n, edges) == 1, seed


def test_distinct_values_stay_distinct_beyond_the_samples_range():
    # p03608: "r_i != r_j (i != j)" with R up to min(8, N), and no stated bound on r_i: the
    # samples show towns 1..4 only, yet 8 distinct towns must be written
    structure, model = _model("p03608")
    for how in ("random", "reverse", "equal"):
        values = read_sample(structure.nodes, model.render(Plan(1.0, 3, (("r", how),))))
        towns = [int(v) for v in values["r"]]
        assert len(towns) == int(values["R"][0]) == 8
        assert len(set(towns)) == 8 and all(1 <= t <= int(values["N"][0]) for t in towns)


def test_subscripted_scalars_take_their_base_names_bounds():
    # p03806: "1≦N≦40" and "1≦M_a,M_b≦10" hold for every written input
    structure, model = _model("p03806")
    for seed in range(3):
        values = read_sample(structure.nodes, model.render(Plan(1.0, seed)))
        assert int(values["N"][0]) == 40 and len(values["a"]) == 40
        assert all(1 <= int(values[m][0]) <= 10 for m in ("M_a", "M_b"))


def test_scale_sets_the_size():
    _, model = _model("p02615")
    small, big = model.render(Plan(0.001)), model.render(Plan(0.01))
    assert int(small.split()[0]) < int(big.split()[0]) <= 200000
    assert int(model.render(Plan(1.0, choices=(("A", "max"),))).split()[1]) == 10**9


def test_prime_strategies_pick_primes_within_bounds():
    # p02881: one N <= 10^12, walked by trial division (slowest when N is prime)
    _, model = _model("p02881")
    assert int(model.render(Plan(1.0, choices=(("N", "prime"),)))) == 999_999_999_989
    assert int(model.render(Plan(1.0, choices=(("N", "max"),)))) == 10**12
    # p02615: A_i <= 10^9, every value drawn from the primes just below the bound
    _, model = _model("p02615")
    values = [int(v) for v in model.render(Plan(0.01, choices=(("A", "primes"),))).split()[1:]]
    assert values and all(10**9 - 5_000 <= v <= 10**9 and is_prime(v) for v in values)
    assert is_prime(10**9 + 7) and not is_prime(561) and not is_prime(1)  # 561: Carmichael
    assert [n for n in range(60) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,
                                                    37, 41, 43, 47, 53, 59]


def test_a_bound_that_points_forward_on_its_line_holds():
    # p03548: "X Y Z" on one line with Y + 2Z <= X: X is filled after Y and Z
    _, model = _model("p03548")
    for seed in range(20):
        for scale in (0.001, 0.1, 0.3):
            x, y, z = map(int, model.render(Plan(scale, seed)).split())
            assert y + 2 * z <= x, (scale, seed, x, y, z)


def test_rare_string_is_the_worst_case_of_a_scan():
    # p02937: s.find(c, last) for each c of t; s = "aa...ab" and t = "abab..." make every
    # search for "b" walk the whole of s
    _, model = _model("p02937")
    s, t = model.render(Plan(1.0, 0, (("s", "rare"), ("t", "alternate")))).split()
    assert s == "a" * (10**5 - 1) + "b" and t == "ab" * (10**5 // 2)


def test_neighbours_stay_within_a_bound_stated_on_a_later_line():
    # p04017: "x_{i+1} - x_i <= L", strictly increasing x, and L two lines below x
    statement, samples = _load("p04017")
    cons = parse_constraints(statement)
    assert cons.get("x").step_highs == ("L",) and "x__step" in cons.get("L").lows
    model = InputModel(infer_structure(samples, statement), cons)
    for seed in range(5):
        for plan in (Plan(0.001, seed), Plan(0.3, seed, (("L", "min"),)), Plan(1.0, seed)):
            lines = model.render(plan).splitlines()
            x, limit = [int(v) for v in lines[1].split()], int(lines[2])
            steps = [b - a for a, b in zip(x, x[1:], strict=False)]
            assert len(x) == int(lines[0]) and 1 <= x[0] and x[-1] <= 10**9
            assert min(steps) >= 1 and max(steps) <= limit <= 10**9, (plan, limit)
        # "min" puts L at the largest step: the most jumps a query can take
        lines = model.render(Plan(0.3, seed, (("L", "min"),))).splitlines()
        x = [int(v) for v in lines[1].split()]
        assert int(lines[2]) == max(b - a for a, b in zip(x, x[1:], strict=False))


def test_neighbours_stay_within_a_bound_drawn_before_the_list():
    statement = ("Constraints\n2 \\leq N \\leq 1000\n1 \\leq L \\leq 5\n"
                 "1 \\leq x_1 < x_2 < ... < x_N \\leq 10^9\nx_{i+1} - x_i < L\n"
                 "Input\nInput is given from Standard Input in the following format:\n"
                 "N L\nx_1 x_2 ... x_N\nOutput\n")
    model = InputModel(infer_structure(["3 3\n1 2 4\n"], statement),
                       parse_constraints(statement))
    for seed, how in itertools.product(range(5), ("max", "scale")):
        lines = model.render(Plan(0.5, seed, (("L", how),))).splitlines()
        limit, x = int(lines[0].split()[1]), [int(v) for v in lines[1].split()]
        assert limit == {"max": 5, "scale": 3}[how] and len(x) == 501  # 2 + (1000 - 2) / 2
        assert all(1 <= b - a < limit for a, b in zip(x, x[1:], strict=False))
    with pytest.raises(ValueError, match="cannot step"):  # L = 1 leaves no strict step
        model.render(Plan(1.0, 0, (("L", "min"),)))


@pytest.mark.parametrize(("pid", "node"), [
    ("p02688", Block("K", (Scalars(("d",)), Array("A", "d")))),  # d_i, then d_i values
    ("p02901", Block("M", (Scalars(("a", "b")), Array("c", "b")))),
    ("p03126", Block("N", (Array("A", "K", head=("K",)),))),  # K_i A_i1 ... A_iK_i
])
def test_blocks_of_rows_sized_by_their_own_count(pid, node):
    statement, samples = _load(pid)
    structure = infer_structure(samples, statement)
    assert structure is not None and structure.source == "format"
    assert structure.nodes[-1] == node
    model = InputModel(structure, parse_constraints(statement))
    text = model.render(Plan(1.0, seed=1))
    values = read_sample(structure.nodes, text)
    assert values is not None  # the grammar reads what it wrote, row lengths varying
    lengths = {len(line.split()) for line in text.splitlines()[1:]}
    assert max(lengths) > 2


def test_spaced_matrix_is_a_block_of_arrays():
    nodes = parse_format("N M\nA_{1,1} A_{1,2} \\ldots A_{1,M}\n:\nA_{N,1} A_{N,2} \\ldots A_{N,M}")
    assert nodes == (Scalars(("N", "M")), Block("N", (Array("A", "M"),)))
    assert read_sample(nodes, "2 3\n1 2 3\n4 5 6\n") == {
        "N": ["2"], "M": ["3"], "A": ["1", "2", "3", "4", "5", "6"]}
    assert read_sample(nodes, "2 3\n1 2 3\n4 5\n") is None


def test_samples_alone_rows_of_varying_length_led_by_their_count():
    structure = infer_structure(["3\n2 1 3\n3 1 2 3\n1 3\n"], None)
    assert structure is not None and structure.source == "samples"
    assert structure.nodes == (Scalars(("v0",)), Block("v0", (Array("v2", "v1", head=("v1",)),)))
    assert read_sample(structure.nodes, "2\n1 5\n2 5 6\n") is not None
    assert read_sample(structure.nodes, "2\n1 5\n2 5\n") is None


def test_a_product_bound_writes_square_and_skewed_shapes():
    # p03039: 2 <= N x M <= 2 x 10^5. The scale writes a square; N = max takes the room
    # the other factor's minimum leaves (M = 1: the product's floor, not the samples'
    # least M of 2), and M then fills what N left: every input keeps the product and K
    # within their bounds
    structure, model = _model("p03039")
    shapes = {}
    for how in ("scale", "max", "min", "random"):
        for seed in range(5):
            for factor in ("N", "M"):
                values = read_sample(structure.nodes,
                                     model.render(Plan(1.0, seed, ((factor, how),))))
                n, m, k = (int(values[v][0]) for v in ("N", "M", "K"))
                assert 2 <= n * m <= 2 * 10**5 and 2 <= k <= n * m, (how, n, m, k)
                shapes[factor, how] = (n, m)
    assert shapes["N", "scale"] == (447, 447)
    assert shapes["N", "max"] == (200_000, 1)
    assert shapes["N", "min"] == (1, 200_000)  # the last factor makes up the floor's 2
    assert shapes["M", "min"] == (447, 1)
    assert model.int_range("N", {"M": 3}) == (1, 66_666)
    assert model.int_range("M", {"N": 1}) == (2, 200_000)


def test_a_count_leaves_the_scale_and_distinct_values_take_the_top_of_their_range():
    # p03170: N <= 100 items a_1 < ... < a_N <= K <= 10^5. One item as large as K is the
    # slow programs' worst case (K steps, each shifting a K-bit set): a count steered on
    # its own with the value knobs at the scale, and the n largest distinct values
    from perfopt.stress.stdin_gen import COUNT_STRATEGIES, strategy_options
    structure, model = _model("p03170")
    assert ("N", COUNT_STRATEGIES) in strategy_options(model)
    one = read_sample(structure.nodes, model.render(Plan(1.0, 1, (("N", "min"), ("a", "max")))))
    assert one["N"] == ["1"] and one["K"] == ["100000"] and one["a"] == ["100000"]
    top = read_sample(structure.nodes, model.render(Plan(1.0, 1, (("a", "max"),))))
    assert [int(v) for v in top["a"]] == list(range(99_901, 100_001))
    low = read_sample(structure.nodes, model.render(Plan(1.0, 1, (("a", "min"),))))
    assert [int(v) for v in low["a"]] == list(range(1, 101))
    many = read_sample(structure.nodes, model.render(Plan(0.01, 1, (("N", "max"),))))
    assert many["N"] == ["100"] and int(many["K"][0]) < 2_000
