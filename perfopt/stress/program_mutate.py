"""The program stressor's search from the best plan: each variable's value strategies in
turn (`explore`), then random moves (`mutate`), keeping what costs more. Both stop early
enough to leave choosing the stress inputs its time (program_finalists.reserve_s)."""

from __future__ import annotations

import random

from perfopt.bench import callgrind
from perfopt.stress.program_finalists import reserve_s
from perfopt.stress.program_search import GAIN, Search, Tried, best, scaled_down
from perfopt.stress.stdin_gen import Plan, strategy_options

STALE_LIMIT = 60  # new inputs in a row without a gain before the search stops early
REPEAT_LIMIT = 200  # mutations in a row writing only inputs already run: the space is spent
ATTEMPTS_MAX = 400  # generated inputs run in all before the search stops
LEFT_MIN_S = 1.0  # the search stops with this much left, beyond the reserve for choosing


def explore(search: Search) -> None:
    """Greedy: at the best plan, each variable's strategies in turn, keeping gains."""
    can_count = callgrind.available()
    for name, strategies in strategy_options(search.grammar):
        for how in strategies:
            leader = best(search)
            if leader is None or leader.plan is None:
                return
            if search.left() <= LEFT_MIN_S + reserve_s(search, can_count):
                return
            if leader.plan.strategy(name, "") == how:
                continue
            tried = search.run(leader.plan.with_choice(name, how), "mutated")
            if tried is not None:
                tried.note = f"strategy {name}={how}; {tried.note}"
                shrink_if_slow(search, tried)


def mutate(search: Search, rng: random.Random) -> str:
    """Random moves from the best plan (a new seed, a larger or nearby scale, one or two
    strategies), keeping what costs more, until STALE_LIMIT new inputs in a row gain
    nothing. A move that writes an input already run is no evidence either way (scalars
    alone: a new seed writes the same text) and counts only towards REPEAT_LIMIT; the
    next move goes on from where it landed, so a leader whose every neighbour has run
    does not end the search while other plans' inputs have not (N at its minimum, led
    by a lucky timing on a loaded machine: no seed or scale moves it, and the search of
    N up to 10^9 ended after 4 inputs). The search stops early enough to choose the
    stress inputs (`reserve_s`). Returns why it stopped: "stale", "repeats",
    "attempts", "budget" or "no plan"."""
    options = strategy_options(search.grammar)
    can_count = callgrind.available()
    stale = repeats = 0
    landed: Plan | None = None  # the last move's plan, when its input had already run
    while search.left() > LEFT_MIN_S + reserve_s(search, can_count):
        leader = best(search)
        if leader is None or leader.plan is None:
            return "no plan"
        plan = landed or leader.plan
        roll = rng.random()
        if roll < 0.3 or not options:
            plan = Plan(plan.scale, rng.randrange(1 << 30), plan.choices)
        elif roll < 0.45:
            grow = 1.3 if leader.cost < search.options.target_cost_s else 0.8
            plan = Plan(min(1.0, plan.scale * grow), plan.seed, plan.choices)
        elif roll < 0.6:  # a nearby value: cost can hinge on K's residues, not its size
            plan = Plan(min(1.0, plan.scale * rng.uniform(0.9, 1.02)), plan.seed, plan.choices)
        else:
            for _ in range(rng.choice((1, 2))):
                name, strategies = rng.choice(options)
                plan = plan.with_choice(name, rng.choice(strategies))
        seen = len(search.seen)
        tried = search.run(plan, "mutated")
        if tried is not None:
            shrink_if_slow(search, tried)
        if len(search.seen) == seen:  # an input already run (or none written)
            repeats += 1
            landed = plan if search.last_repeat else None
        else:
            repeats, landed = 0, None
            stale = 0 if tried is not None and tried.score > leader.score * GAIN else stale + 1
        # a small input space, or a cost that does not move: enough
        if stale >= STALE_LIMIT:
            return "stale"
        if repeats >= REPEAT_LIMIT:
            return "repeats"
        if search.attempts > ATTEMPTS_MAX:
            return "attempts"
    return "budget"


def shrink_if_slow(search: Search, tried: Tried) -> None:
    """An input over max_case_s stays out of the suite; the same plan at a smaller scale
    keeps its shape within the time a suite may cost."""
    if tried.cost <= search.options.max_case_s or tried.plan is None:
        return
    scale = scaled_down(search, tried, tried.plan.scale)
    search.run(Plan(scale, tried.plan.seed, tried.plan.choices), tried.provenance)
