"""Choosing the program stressor's stress inputs once the search has run.

The costliest inputs, each kept on one timing, are timed again and ranked by the median
(`confirm`). At the start-up floor (the chosen inputs' own work below what the clock
resolves) the clock cannot rank them, so the costliest and the largest distinct inputs
are counted under callgrind (whole-run instructions, PYTHONHASHSEED=0: exact) and the
highest counts are kept (`rank_by_instructions`). The search stops early enough to leave
both their time (`reserve_s`).
"""

from __future__ import annotations

import math
import statistics
from concurrent.futures import ThreadPoolExecutor

from perfopt.bench import callgrind
from perfopt.bench.timing import BenchFailed
from perfopt.stress.conditions import score
from perfopt.stress.program_search import Search, Tried

BEST_KEPT = 3  # costliest distinct inputs kept: the stress inputs
CONFIRM_RUNS = 2  # more timings of each finalist before the stress inputs are chosen
FINALISTS = 2 * BEST_KEPT  # the costliest distinct inputs timed again
CONFIRM_SHARE = 0.25  # of the budget, at most this much is kept back for timing them again
FLOOR_RUNS = 2  # more timings of each chosen input when its first says little (`at_floor`)
IR_CANDIDATES = 8  # inputs counted under callgrind when the stress inputs sit at the floor
IR_WORKERS = 2  # counts at once: they do not depend on the load
IR_RUN_S = 30.0  # one count's time limit
IR_POOL_MAX = 5  # inputs counted cost at most this many times the floor by the clock
# A count takes about this many times the input's timed run: CPython's start-up, ~20 ms
# alone, takes ~2 s under callgrind (84x measured on a loaded machine, 93 ms -> 7.8 s)
IR_SLOWDOWN = 100.0
IR_COUNT_MIN_S = 1.0  # a count takes at least this long: valgrind's own start-up
IR_SHARE = 0.5  # of the budget, at most this much is kept back for the counts


def countable_s(search: Search) -> float:
    """The net cost up to which an input may be ranked by instruction count (a few
    floors: one count stays a few seconds under valgrind, ~100x); the clock ranks the
    costlier ones (`confirm`), and the floor ranking keeps them first. Never more than a
    count can finish within IR_RUN_S: the floor is the empty program's slowest run over
    its median, one slow start-up on a loaded machine widens it, and five floors would
    take in inputs no count can finish, which then were not timed again either."""
    return min(IR_POOL_MAX * search.floor_s(), IR_RUN_S / IR_SLOWDOWN)


def choose(tried: list[Tried], max_case_s: float, kept: int = BEST_KEPT) -> list[Tried]:
    """The `kept` best-scoring distinct inputs within max_case_s (the costliest, without a
    model's conditions): the stress inputs."""
    keep: list[Tried] = []
    for t in sorted((t for t in tried if t.cost <= max_case_s), key=lambda t: -t.score):
        if len(keep) >= kept:
            break
        if all(t.text != k.text for k in keep):
            keep.append(t)
    return keep


def finalists(search: Search) -> list[Tried]:
    """The inputs `confirm` times again: the costliest distinct ones the clock resolves
    (cheaper ones are ranked by instruction count, if at all)."""
    most = countable_s(search)
    return [t for t in choose(search.tried, search.options.max_case_s, FINALISTS)
            if t.cost > most]


def confirm_reserve_s(search: Search) -> float:
    """Seconds `confirm` needs for the finalists as they stand, at most CONFIRM_SHARE of
    the budget."""
    need = sum(CONFIRM_RUNS * t.gross for t in finalists(search))
    return min(need, CONFIRM_SHARE * search.options.budget_s)


def reserve_s(search: Search, can_count: bool) -> float:
    """Seconds the search leaves for choosing: timing the finalists again, and, while the
    inputs it would choose sit where the clock may not resolve them (`at_floor` could
    say so) and valgrind is there (`can_count`), timing those again and counting a pool
    of them. Eight counts take ~10 s idle; on a loaded machine one count of CPython's
    start-up alone took 7.8 s, and the eight 22.6 s of a 40 s budget. A search that ran
    until a second was left left the counts no time, and the clock's random choice
    stood."""
    reserve = confirm_reserve_s(search)
    chosen = choose(search.tried, search.options.max_case_s)
    if not can_count or not chosen:
        return reserve
    if statistics.median(t.cost for t in chosen) > countable_s(search):
        return reserve  # the clock ranks them: no count
    rank = _rank_need_s(chosen, IR_CANDIDATES)
    if _rank_need_s(chosen, BEST_KEPT) > IR_SHARE * search.options.budget_s:
        return reserve  # too few counts fit this budget: the clock's choice will stand
    retime = FLOOR_RUNS * sum(t.gross for t in chosen)
    return reserve + retime + min(rank, IR_SHARE * search.options.budget_s)


def can_rank(search: Search, chosen: list[Tried]) -> bool:
    """Whether a floor ranking of `chosen` could run: valgrind is there, and the budget
    left holds `at_floor`'s timings and BEST_KEPT counts. Without, `at_floor` would time
    the inputs again for nothing, past the search's deadline on a loaded machine."""
    retime = FLOOR_RUNS * sum(t.gross for t in chosen)
    return (callgrind.available()
            and search.left() >= retime + _rank_need_s(chosen, BEST_KEPT))


def confirm(search: Search) -> int:
    """The finalists timed CONFIRM_RUNS more times each, costliest first while the budget
    lasts, each one's cost then the median of its timings. The search keeps an input on
    one timing (a gain on the lesser of two), so the costliest by that count are partly
    the luckiest: a run swings by tens of milliseconds on a busy machine, and an input
    measured once at its high swing would take a place in the suite from a costlier
    one. Returns how many were timed again."""
    confirmed = 0
    for t in finalists(search):
        if search.left() < 1 + CONFIRM_RUNS * t.gross:
            continue
        grosses = [t.gross] + [g for g in (search.time(t.text) for _ in range(CONFIRM_RUNS))
                               if g is not None]
        t.gross = statistics.median(grosses)
        t.cost = search.net(t.gross)
        confirmed += 1
    return confirmed


def at_floor(search: Search, chosen: list[Tried]) -> bool:
    """Whether the chosen inputs' own work is below what the clock resolves: their median
    net cost under the search's floor. Picked as the costliest of many noisy runs, their
    first timings lean high, so unless that already settles it, each is timed twice more
    and its least cost counts."""
    floor = search.floor_s()
    median = statistics.median(t.cost for t in chosen)
    if median < floor or median > countable_s(search):
        return median < floor
    least = []
    for t in chosen:
        again = [g for g in (search.time(t.text) for _ in range(FLOOR_RUNS)) if g is not None]
        least.append(min([t.cost, *map(search.net, again)]))
    return statistics.median(least) < floor


def rank_by_instructions(search: Search, chosen: list[Tried]) -> tuple[int, list[Tried]]:
    """The stress inputs by instruction count, for a search whose best inputs cost less
    than the clock can resolve: the costliest and the largest distinct inputs are
    counted (IR_WORKERS at a time: counts do not depend on the load) and the highest
    counts kept, after any chosen input the clock does resolve (a seed among cheap
    inputs: the median is at the floor, that one is not). Counts go in the pool's order
    while the budget lasts, and a count that cannot finish in what is left is that
    input's loss, not the ranking's. Returns how many were counted and the choice; the
    clock's choice when valgrind is missing, the budget is short or too few counts
    finish."""
    if not callgrind.available() or search.left() < _rank_need_s(chosen, BEST_KEPT):
        return 0, chosen
    most = countable_s(search)
    above = [t for t in chosen if t.cost > most]
    pool = _pool(search, most)
    if not pool:
        return 0, chosen
    each_s = _count_s(chosen)

    def count(t: Tried) -> int | None:
        limit = min(IR_RUN_S, search.left())
        if limit < each_s:  # the budget is spent: this input keeps no count
            return None
        try:
            return callgrind.program_instructions(search.command, t.text.encode(),
                                                  cwd=search.cwd, timeout_s=limit,
                                                  memory_mb=search.options.memory_mb)
        except BenchFailed:  # over its limit, or failed under valgrind: no count
            return None

    with ThreadPoolExecutor(max_workers=IR_WORKERS) as workers:
        counts = list(workers.map(count, pool))
    for t, n in zip(pool, counts, strict=True):
        t.instructions = n
    ranked = sorted((t for t in pool if t.instructions is not None),
                    key=lambda t: -score(float(t.instructions or 0), t.hits))
    if len(ranked) < min(BEST_KEPT, len(pool)):
        return 0, chosen
    return len(ranked), (above + ranked)[:BEST_KEPT]


def _pool(search: Search, most: float) -> list[Tried]:
    """The inputs to count, most promising first: the costliest by the clock and the
    largest in turn, IR_CANDIDATES distinct ones at most."""
    fits = [t for t in search.tried if t.cost <= most]
    by_cost = sorted(fits, key=lambda t: -t.score)
    by_size = sorted(fits, key=lambda t: -len(t.text))
    pool: list[Tried] = []
    for t in (t for both in zip(by_cost, by_size, strict=True) for t in both):
        if len(pool) < IR_CANDIDATES and all(t.text != p.text for p in pool):
            pool.append(t)
    return pool


def _count_s(chosen: list[Tried]) -> float:
    """About how long one count takes, for inputs timed like the chosen ones."""
    return max(IR_COUNT_MIN_S, IR_SLOWDOWN * statistics.median(t.gross for t in chosen))


def _rank_need_s(chosen: list[Tried], counts: int) -> float:
    """Seconds `counts` counts take, IR_WORKERS at a time."""
    return math.ceil(counts / IR_WORKERS) * _count_s(chosen)
