"""How far could ANY stressor take the pairs below 20x? Hand-made worst cases.

stress_power.py's acceptance asks for a median slowdown >= 20x over the PIE dev pairs. With
182 of 387 pairs at >= 20x, the median needs 12 more, and 25 pairs sit between 5x and 20x
(the other 180 are below 5x: stress_reach.py and stress_seed_ratio.py show why). This
script asks whether those 25 (and, with --low 2, the 107 between 2x and 5x) are short
because the stressor misses their worst inputs or because no valid input costs 20x their
samples.

For every problem with a pair in [--low, 20) in a stress_power rows file, WORST_CASES holds
inputs written by hand from the statement's constraints and the slow programs' code: the
bounds, and the shapes that drive each program's loops longest (a Hamiltonian cycle where a
bridge search visits every vertex, N = 10^12 where a loop runs to sqrt(N), ...). Each is
checked against the constraints here (`_check`), so an invalid input fails the script
rather than inflating a ceiling. For each such pair the slow program is measured on its
samples and on every hand-made input:

  wall  net wall cost (median of 5 runs interleaved with an empty script, minus the empty
        script's median, floored at 1 ms, as stress_power.py does with 3)
  ir    net instruction count (callgrind, PYTHONHASHSEED=0), for the samples and for the
        hand-made inputs costing <= 0.3 s net (CPython runs ~100x slower under callgrind)

and its CEILING is the costliest hand-made input over the samples' mean cost, by each
measure. A stress suite made of copies of that input would score it. A pair counts as able
to reach 20x when EITHER measure's ceiling is >= 20x (stress_power.py uses one of them
per pair, by a rule on the costs; the generous reading is taken here). Printed per pair:
the recorded slowdown and the two ceilings; overall: how many pairs could reach 20x, and the
median slowdown over all pairs of the rows file if every pair took the larger of its
recorded slowdown and its ceiling.

Usage: python bench/stress_ceiling.py --rows bench/results/stress_power_pie_dev.jsonl
       [--low 5] [--json out.json]   (the committed results: --low 2)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import stress_power  # noqa: E402

from perfopt.stress.programs import sample_inputs  # noqa: E402

REPEATS = 5
TARGET = 20.0


def _lines(*rows) -> str:
    return "".join(" ".join(map(str, r)) + "\n" if isinstance(r, (list, tuple)) else f"{r}\n"
                   for r in rows)


def _p02881() -> dict[str, str]:
    # 2 <= N <= 10^12; the slow programs loop x up to sqrt(N) (or a fixed 10^6)
    return {"N=10^12": "1000000000000\n", "N=prime": "999999999989\n",
            "N=999983^2": f"{999983 ** 2}\n"}


def _p03037() -> dict[str, str]:
    # 1 <= N, M <= 10^5, 1 <= L_i <= R_i <= N: read M lines, sweep N
    rng, n = random.Random(1), 100_000
    rand = [sorted((rng.randint(1, n), rng.randint(1, n))) for _ in range(n)]
    return {"all [1,N]": _lines((n, n), *[(1, n)] * n), "random": _lines((n, n), *rand),
            "all [N,N]": _lines((n, n), *[(n, n)] * n)}


def _p03575() -> dict[str, str]:
    # 2 <= N <= 50, N-1 <= M <= min(N(N-1)/2, 50), connected, simple: M x (N or M) loops
    n = 50
    cycle = [(i, i + 1) for i in range(1, n)] + [(1, n)]
    star = [(1, i) for i in range(2, n + 1)] + [(2, 3)]
    rng = random.Random(1)
    order = cycle[:]
    rng.shuffle(order)
    return {"cycle": _lines((n, n), *cycle), "cycle reversed": _lines((n, n), *cycle[::-1]),
            "cycle shuffled": _lines((n, n), *order), "star + 1": _lines((n, n), *star)}


def _p02767() -> dict[str, str]:
    # 1 <= N <= 100, 1 <= X_i <= 100: loops over P in 1..100 (or min..max) and the N points
    rng = random.Random(1)
    return {"1..100": _lines(100, list(range(1, 101))),
            "1,100 alternating": _lines(100, [1, 100] * 50),
            "random": _lines(100, [rng.randint(1, 100) for _ in range(100)])}


def _p03774() -> dict[str, str]:
    # 1 <= N, M <= 50, |coordinates| <= 10^8: N x M distances
    rng = random.Random(1)
    pts = [(rng.randint(-10**8, 10**8), rng.randint(-10**8, 10**8)) for _ in range(100)]
    # checkpoints ordered nearest-last for every student: the minimum changes at every j
    far = [(10**8 - j, 10**8 - j) for j in range(50)]
    return {"random": _lines((50, 50), *pts),
            "improving": _lines((50, 50), *[(-10**8, -10**8)] * 50, *far)}


def _p03720() -> dict[str, str]:
    # 2 <= N, M <= 50, 1 <= a_i, b_i <= N, a_i != b_i: N x M counting
    rng = random.Random(1)
    edges = []
    while len(edges) < 50:
        a, b = rng.randint(1, 50), rng.randint(1, 50)
        if a != b:
            edges.append((a, b))
    return {"random": _lines((50, 50), *edges), "1-2 only": _lines((50, 50), *[(1, 2)] * 50)}


def _p03494() -> dict[str, str]:
    # 1 <= N <= 200, 1 <= A_i <= 10^9: halve while all even
    rng = random.Random(1)
    return {"2^29 x 200": _lines(200, [2**29] * 200),
            "random multiples of 2^25": _lines(200, [2**25 * rng.randint(1, 29) for _ in
                                                    range(200)]),
            "10^9 x 200": _lines(200, [10**9] * 200)}


def _p03078() -> dict[str, str]:
    # X, Y, Z <= 1000, K <= min(3000, XYZ), values <= 10^10: top-K sums of three lists
    rng = random.Random(1)
    lists = [[rng.randint(1, 10**10) for _ in range(1000)] for _ in range(3)]
    equal = [[10**10] * 1000] * 3
    close = [[10**10 - rng.randint(0, 1000) for _ in range(1000)] for _ in range(3)]
    head = (1000, 1000, 1000, 3000)
    return {"random": _lines(head, *lists), "all equal": _lines(head, *equal),
            "close values": _lines(head, *close)}


def _p03013() -> dict[str, str]:
    # 1 <= N <= 10^5, 0 <= M <= N-1, 1 <= a_1 < ... < a_M <= N-1
    n = 100_000
    every_other = list(range(2, n, 2))
    every_third = list(range(3, n, 3))
    return {"M = N-1": _lines((n, n - 1), *range(1, n)), "M = 0": _lines((n, 0)),
            "every 2nd": _lines((n, len(every_other)), *every_other),
            "every 3rd": _lines((n, len(every_third)), *every_third)}


def _p03162() -> dict[str, str]:
    # 1 <= N <= 10^5, 1 <= a_i, b_i, c_i <= 10^4
    rng = random.Random(1)
    return {"N=10^5 random": _lines(100_000, *[(rng.randint(1, 10**4), rng.randint(1, 10**4),
                                                rng.randint(1, 10**4)) for _ in range(100_000)]),
            "N=10^5 max": _lines(100_000, *[(10**4,) * 3] * 100_000)}


def _p03806() -> dict[str, str]:
    # 1 <= N <= 40, 1 <= a_i, b_i <= 10, 1 <= c_i <= 100, 1 <= M_a, M_b <= 10
    rng = random.Random(1)
    rand = [(rng.randint(1, 10), rng.randint(1, 10), rng.randint(1, 100)) for _ in range(40)]
    return {"N=40 random": _lines((40, 1, 1), *rand),
            "N=40 a=b=10": _lines((40, 1, 1), *[(10, 10, 100)] * 40),
            "N=40 mixed 1 and 10": _lines((40, 3, 7), *[(1 + 9 * (i % 2), 10 - 9 * (i % 2),
                                                        1 + i) for i in range(40)])}


def _p03039() -> dict[str, str]:
    # 2 <= N*M <= 2*10^5, 2 <= K <= N*M: loops over N and M beside a 2*10^5 table
    return {"1 x 200000": "1 200000 100000\n", "447 x 447": "447 447 99000\n",
            "200000 x 1": "200000 1 200000\n", "2 x 100000": "2 100000 2\n"}


def _p02821() -> dict[str, str]:
    # 1 <= N <= 10^5, 1 <= M <= N^2, 1 <= A_i <= 10^5
    rng = random.Random(1)
    a = [rng.randint(1, 10**5) for _ in range(10**5)]
    n = 10**5
    return {"M = N^2": _lines((n, n * n), a), "M = N^2/2": _lines((n, n * n // 2), a),
            "M = 1": _lines((n, 1), a), "all 10^5, M = N^2/2": _lines((n, n * n // 2),
                                                                      [10**5] * n)}


def _p03170() -> dict[str, str]:
    # 1 <= N <= 100, 1 <= K <= 10^5, 1 <= a_1 < ... < a_N <= K
    k = 10**5
    return {"a = {K}": _lines((1, k), k), "a = K-99..K": _lines((100, k), list(range(k - 99,
                                                                                   k + 1))),
            "a = 1..100": _lines((100, k), list(range(1, 101))),
            "a = 2,4,..,200": _lines((100, k), list(range(2, 201, 2)))}


def _p02901() -> dict[str, str]:
    # N <= 12, M <= 10^3, a_i <= 10^5, keys open 1..N boxes
    rng = random.Random(1)
    single = []
    for i in range(1000):
        single += [(rng.randint(1, 10**5), 1), ((i % 12) + 1,)]
    rand = []
    for _ in range(1000):
        boxes = sorted(rng.sample(range(1, 13), rng.randint(1, 12)))
        rand += [(rng.randint(1, 10**5), len(boxes)), boxes]
    return {"M=1000 one box each": _lines((12, 1000), *single),
            "M=1000 random keys": _lines((12, 1000), *rand)}


def _ints(*values: int) -> dict[str, str]:
    return {f"N={v}": f"{v}\n" for v in values}


def _p03796() -> dict[str, str]:
    return _ints(100_000, 99_999)  # 1 <= N <= 10^5: N! mod 10^9+7


def _p02792() -> dict[str, str]:
    return _ints(200_000, 199_999, 199_998)  # 1 <= N <= 2*10^5


def _p03828() -> dict[str, str]:
    return _ints(1000, 999, 997)  # 1 <= N <= 10^3: divisors of N!


def _p02952() -> dict[str, str]:
    return _ints(100_000, 99_999, 99_998)  # 1 <= N <= 10^5


def _p02596() -> dict[str, str]:
    # 1 <= K <= 10^6: 7, 77, 777, ... mod K; -1 for multiples of 2 and 5; for a prime K
    # (not 3, 7) the answer is 10's order mod K, at most K - 1 (the sample 999983)
    return _ints(1_000_000, 999_999, 999_998, 999_983, 999_979, 999_961, 999_953, 999_907)


def _p03371() -> dict[str, str]:
    # 1 <= A, B, C <= 5000, 1 <= X, Y <= 10^5
    return {"cheap C": "5000 5000 1 100000 100000\n", "dear C": "1 1 5000 100000 100000\n",
            "all 5000": "5000 5000 5000 100000 100000\n",
            "X only": "5000 1 5000 100000 1\n", "Y only": "1 5000 5000 1 100000\n"}


def _p03253() -> dict[str, str]:
    # 1 <= N <= 10^5, 1 <= M <= 10^9: factor M, binomials up to N + exponents
    return {f"M={m}": f"100000 {m}\n" for m in (10**9, 735_134_400, 2**29, 999_999_937,
                                                   2 * 3 * 5 * 7 * 11 * 13 * 17 * 19 * 23)}


def _p03568() -> dict[str, str]:
    # 1 <= N <= 10, 1 <= A_i <= 100: 3^N choices
    return {"100 x 10": _lines(10, [100] * 10), "1 x 10": _lines(10, [1] * 10),
            "2 x 10": _lines(10, [2] * 10), "odd x 10": _lines(10, [99] * 10)}


def _p02886() -> dict[str, str]:
    # 2 <= N <= 50, 0 <= d_i <= 100: pairs of N
    return {"100 x 50": _lines(50, [100] * 50), "0 x 50": _lines(50, [0] * 50)}


def _p02691() -> dict[str, str]:
    # 2 <= N <= 2*10^5, 1 <= A_i <= 10^9
    rng, n = random.Random(1), 200_000
    return {"all 1": _lines(n, [1] * n), "random small": _lines(n, [rng.randint(1, 1000)
                                                                    for _ in range(n)]),
            "random": _lines(n, [rng.randint(1, 10**9) for _ in range(n)])}


def _p03723() -> dict[str, str]:
    # 1 <= A, B, C <= 10^9: halve and exchange until one is odd (forever when all equal)
    return {"equal even": "1000000000 1000000000 1000000000\n",
            "equal 2^29": f"{2**29} {2**29} {2**29}\n",
            "2^28 apart": f"{2**28} {2 * 2**28} {3 * 2**28}\n",
            "one step short": f"{2**29} {2**29} {2**29 + 2**28}\n"}


def _p03126() -> dict[str, str]:
    # 1 <= N, M <= 30, each person likes K_i distinct foods of M
    return {"all like all": _lines((30, 30), *[[30, *range(1, 31)]] * 30),
            "reversed": _lines((30, 30), *[[30, *range(30, 0, -1)]] * 30)}


def _p03553() -> dict[str, str]:
    # 1 <= N <= 100, |a_i| <= 10^9: smash multiples (a min cut)
    rng = random.Random(1)
    return {"random": _lines(100, [rng.randint(-10**9, 10**9) for _ in range(100)]),
            "alternating": _lines(100, [(-1) ** i * 10**9 for i in range(100)]),
            "all negative": _lines(100, [-(10**9)] * 100),
            "primes positive": _lines(100, [10**9 if i in (2, 3, 5, 7, 11, 13) else -1
                                            for i in range(1, 101)])}


WORST_CASES: dict[str, Callable[[], dict[str, str]]] = {
    "p02821": _p02821, "p02881": _p02881, "p02901": _p02901, "p02767": _p02767,
    "p03013": _p03013, "p03037": _p03037, "p03039": _p03039, "p03078": _p03078,
    "p03162": _p03162, "p03170": _p03170, "p03494": _p03494, "p03575": _p03575,
    "p03720": _p03720, "p03774": _p03774, "p03806": _p03806,
    # pairs between 2x and 5x (--low 2)
    "p02596": _p02596, "p02691": _p02691, "p02792": _p02792, "p02886": _p02886,
    "p02952": _p02952, "p03126": _p03126, "p03253": _p03253, "p03371": _p03371,
    "p03553": _p03553, "p03568": _p03568, "p03723": _p03723, "p03796": _p03796,
    "p03828": _p03828,
}


# single-integer problems: their bounds
SINGLE_INT = {"p03796": (1, 10**5), "p02792": (1, 2 * 10**5), "p03828": (1, 1000),
              "p02952": (1, 10**5), "p02596": (1, 10**6)}


def _check(pid: str, text: str) -> None:
    """The constraints of WORST_CASES' problems, checked on each hand-made input."""
    tok = [int(t) for t in text.split()]
    bad = ValueError(f"{pid}: a hand-made input breaks the constraints")

    def need(cond: bool) -> None:
        if not cond:
            raise bad

    if pid in ("p02881",):
        need(len(tok) == 1 and 2 <= tok[0] <= 10**12)
    elif pid == "p03037":
        n, m, rest = tok[0], tok[1], tok[2:]
        need(n <= 10**5 and m <= 10**5 and len(rest) == 2 * m)
        need(all(1 <= rest[i] <= rest[i + 1] <= n for i in range(0, len(rest), 2)))
    elif pid == "p03575":
        n, m, rest = tok[0], tok[1], tok[2:]
        edges = {(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)}
        need(2 <= n <= 50 and n - 1 <= m <= min(n * (n - 1) // 2, 50) and len(edges) == m)
        need(all(1 <= a < b <= n for a, b in edges))
        reach, todo = {1}, [1]
        while todo:
            v = todo.pop()
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == v and y not in reach:
                        reach.add(y)
                        todo.append(y)
        need(len(reach) == n)
    elif pid == "p02767":
        need(1 <= tok[0] <= 100 and len(tok) == tok[0] + 1 and all(1 <= x <= 100
                                                                    for x in tok[1:]))
    elif pid == "p03774":
        n, m = tok[0], tok[1]
        need(1 <= n <= 50 and 1 <= m <= 50 and len(tok) == 2 + 2 * (n + m))
        need(all(abs(x) <= 10**8 for x in tok[2:]))
    elif pid == "p03720":
        n, m, rest = tok[0], tok[1], tok[2:]
        need(2 <= n <= 50 and 2 <= m <= 50 and len(rest) == 2 * m)
        need(all(1 <= rest[i] <= n and 1 <= rest[i + 1] <= n and rest[i] != rest[i + 1]
                 for i in range(0, len(rest), 2)))
    elif pid == "p03494":
        need(1 <= tok[0] <= 200 and len(tok) == tok[0] + 1 and all(1 <= x <= 10**9
                                                                    for x in tok[1:]))
    elif pid == "p03078":
        x, y, z, k = tok[:4]
        need(max(x, y, z) <= 1000 and 1 <= k <= min(3000, x * y * z))
        need(len(tok) == 4 + x + y + z and all(1 <= v <= 10**10 for v in tok[4:]))
    elif pid == "p03013":
        n, m, a = tok[0], tok[1], tok[2:]
        need(1 <= n <= 10**5 and 0 <= m <= n - 1 and len(a) == m)
        need(all(1 <= v <= n - 1 for v in a) and all(u < v for u, v in pairwise(a)))
    elif pid == "p03162":
        need(1 <= tok[0] <= 10**5 and len(tok) == 1 + 3 * tok[0])
        need(all(1 <= v <= 10**4 for v in tok[1:]))
    elif pid == "p03806":
        n, ma, mb, rest = tok[0], tok[1], tok[2], tok[3:]
        need(1 <= n <= 40 and 1 <= ma <= 10 and 1 <= mb <= 10 and len(rest) == 3 * n)
        need(all(1 <= rest[i] <= 10 and 1 <= rest[i + 1] <= 10 and 1 <= rest[i + 2] <= 100
                 for i in range(0, len(rest), 3)))
    elif pid == "p03039":
        n, m, k = tok
        need(2 <= n * m <= 2 * 10**5 and 2 <= k <= n * m)
    elif pid == "p02821":
        n, m, a = tok[0], tok[1], tok[2:]
        need(1 <= n <= 10**5 and 1 <= m <= n * n and len(a) == n)
        need(all(1 <= v <= 10**5 for v in a))
    elif pid == "p03170":
        n, k, a = tok[0], tok[1], tok[2:]
        need(1 <= n <= 100 and 1 <= k <= 10**5 and len(a) == n)
        need(1 <= a[0] and a[-1] <= k and all(u < v for u, v in pairwise(a)))
    elif pid == "p02901":
        n, m, pos = tok[0], tok[1], 2
        need(1 <= n <= 12 and 1 <= m <= 1000)
        for _ in range(m):
            a, b = tok[pos], tok[pos + 1]
            c = tok[pos + 2: pos + 2 + b]
            need(1 <= a <= 10**5 and 1 <= b <= n and len(c) == b)
            need(all(u < v for u, v in pairwise(c)) and 1 <= c[0] and c[-1] <= n)
            pos += 2 + b
        need(pos == len(tok))
    elif pid in SINGLE_INT:
        lo, hi = SINGLE_INT[pid]
        need(len(tok) == 1 and lo <= tok[0] <= hi)
    elif pid == "p03371":
        need(len(tok) == 5 and all(1 <= v <= 5000 for v in tok[:3])
             and all(1 <= v <= 10**5 for v in tok[3:]))
    elif pid == "p03253":
        need(len(tok) == 2 and 1 <= tok[0] <= 10**5 and 1 <= tok[1] <= 10**9)
    elif pid == "p03568":
        need(1 <= tok[0] <= 10 and len(tok) == tok[0] + 1 and all(1 <= v <= 100
                                                                   for v in tok[1:]))
    elif pid == "p02886":
        need(2 <= tok[0] <= 50 and len(tok) == tok[0] + 1 and all(0 <= v <= 100
                                                                   for v in tok[1:]))
    elif pid == "p02691":
        need(2 <= tok[0] <= 2 * 10**5 and len(tok) == tok[0] + 1
             and all(1 <= v <= 10**9 for v in tok[1:]))
    elif pid == "p03723":
        need(len(tok) == 3 and all(1 <= v <= 10**9 for v in tok))
    elif pid == "p03126":
        n, m, pos = tok[0], tok[1], 2
        need(1 <= n <= 30 and 1 <= m <= 30)
        for _ in range(n):
            k, foods = tok[pos], tok[pos + 1: pos + 1 + tok[pos]]
            need(1 <= k <= m and len(set(foods)) == k and all(1 <= f <= m for f in foods))
            pos += 1 + k
        need(pos == len(tok))
    elif pid == "p03553":
        need(1 <= tok[0] <= 100 and len(tok) == tok[0] + 1
             and all(abs(v) <= 10**9 for v in tok[1:]))
    else:
        raise ValueError(f"{pid}: no constraint check")


def _net_wall(prog: list[str], empty: list[str], cwd: Path, inputs: list[bytes]) -> list[float]:
    """Median of REPEATS runs per input, net of the empty script's median (one run after
    every run): perfopt.bench.program_clock's net cost, as stress_power.py measures it."""
    gross = []
    startup = stress_power._startup(empty, cwd)
    for data in inputs:
        runs = []
        for _ in range(REPEATS):
            ok, seconds, _out = stress_power._run(prog, cwd, data)
            if not ok:
                raise RuntimeError(f"the slow program failed on an input ({cwd.name})")
            runs.append(seconds)
            startup.time()
        gross.append(statistics.median(runs))
    return [startup.net_s(g) for g in gross]


def ceiling_pair(pair: dict, row: dict, data: Path, work: Path,
                 cases: dict[str, bytes]) -> dict:
    folder = work / pair["submission_id_v0"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow.py").write_text(pair["slow_code"], encoding="utf-8")
    (folder / "empty.py").write_text("", encoding="utf-8")
    slow = [sys.executable, str(folder / "slow.py")]
    empty = [sys.executable, str(folder / "empty.py")]
    problem = data / "problems" / pair["problem_id"]
    samples = [p.read_bytes() for p in sample_inputs(problem)]
    names = list(cases)
    hand = [cases[n] for n in names]
    wall = _net_wall(slow, empty, folder, samples + hand)
    s_wall, h_wall = wall[: len(samples)], wall[len(samples):]
    countable = [i for i, w in enumerate(h_wall) if w <= stress_power.IR_SLOWDOWN_MAX_S]
    ir = stress_power._instructions(slow, None, empty, folder,
                                    samples + [hand[i] for i in countable])
    s_ir = h_ir = None
    if ir is not None:
        s_ir = ir["slow_ir"][: len(samples)]
        h_ir = dict(zip(countable, ir["slow_ir"][len(samples):], strict=True))
    per_input = []
    for i, name in enumerate(names):
        item = {"input": name, "wall_s": round(h_wall[i], 4),
                "wall_ratio": h_wall[i] / statistics.mean(s_wall)}
        if h_ir is not None and i in h_ir:
            item["ir"] = h_ir[i]
            item["ir_ratio"] = h_ir[i] / statistics.mean(s_ir)
        per_input.append(item)
    ceil_wall = max(x["wall_ratio"] for x in per_input)
    ir_ratios = [x["ir_ratio"] for x in per_input if "ir_ratio" in x]
    ceil_ir = max(ir_ratios) if ir_ratios else None
    return {
        "problem_id": pair["problem_id"],
        "pair": stress_power._pair_id(pair)[1],
        "slowdown": row["slowdown"], "slowdown_measure": row["slowdown_measure"],
        "sample_wall_s": [round(x, 4) for x in s_wall], "sample_ir": s_ir,
        "ceiling_wall": ceil_wall, "ceiling_ir": ceil_ir,
        "ceiling": max(ceil_wall, ceil_ir or 0.0),
        "inputs": per_input,
    }


def summarize(results: list[dict], rows: list[dict]) -> dict:
    reach = [r for r in results if r["ceiling"] >= TARGET]
    ceiling = {stress_power._row_id(r): r["ceiling"] for r in results}
    best = [max(r["slowdown"], ceiling.get(stress_power._row_id(r), 0.0)) for r in rows]
    return {
        "pairs_measured": len(results),
        "pairs_ceiling_ge_20x": len(reach),
        "pairs_ceiling_ge_20x_ids": [f"{r['problem_id']} {r['pair']}" for r in reach],
        "pairs_recorded_ge_20x": sum(r["slowdown"] >= TARGET for r in rows),
        "pairs_needed_ge_20x": len(rows) // 2 + 1,
        "median_slowdown_recorded": statistics.median(r["slowdown"] for r in rows),
        "median_slowdown_with_ceilings": statistics.median(best),
        "pairs_with_ceilings_ge_20x": sum(b >= TARGET for b in best),
    }


def _line(r: dict) -> str:
    ir = f"{r['ceiling_ir']:.1f}x" if r["ceiling_ir"] is not None else "-"
    worst = max(r["inputs"], key=lambda x: max(x["wall_ratio"], x.get("ir_ratio", 0.0)))
    return (f"{r['problem_id']} {r['pair']}: recorded {r['slowdown']:.1f}x"
            f" ({r['slowdown_measure']}); ceiling wall {r['ceiling_wall']:.1f}x, ir {ir}"
            f" (worst: {worst['input']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, required=True, help="stress_power rows (JSONL)")
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "pie-dev")
    parser.add_argument("--low", type=float, default=5.0,
                        help="pairs with a recorded slowdown in [LOW, 20) (default 5)")
    parser.add_argument("--json", type=Path, default=None, help="write results + summary")
    args = parser.parse_args(argv)
    rows = list(stress_power._read_rows(args.rows).values())
    pairs = {stress_power._pair_id(p): p for p in stress_power.ordered_pairs(args.data)}
    todo = [r for r in rows if args.low <= r["slowdown"] < TARGET]
    missing = sorted({r["problem_id"] for r in todo} - set(WORST_CASES))
    if missing:
        print(f"no hand-made worst cases for {', '.join(missing)}: add them to WORST_CASES",
              file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="perfopt-stress-ceiling-") as tmp:
        for row in todo:
            cases = WORST_CASES[row["problem_id"]]()
            for text in cases.values():
                _check(row["problem_id"], text)
            encoded = {name: text.encode() for name, text in cases.items()}
            result = ceiling_pair(pairs[stress_power._row_id(row)], row, args.data,
                                  Path(tmp), encoded)
            results.append(result)
            print(_line(result), flush=True)
    summary = summarize(results, rows)
    summary["load_average"] = [round(x, 2) for x in os.getloadavg()]
    summary["command"] = " ".join(["python", "bench/stress_ceiling.py", *sys.argv[1:]])
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
