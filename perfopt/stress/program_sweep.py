"""Where the program stressor's search starts: the model's own generator, the sweep of
growing scale (repaired when its inputs stop being accepted), and the costliest sample
moved one value at a time (the seeds); and the small random inputs the suite holds for
equivalence only (the checks)."""

from __future__ import annotations

import random

from perfopt.bench.program_clock import time_run
from perfopt.stress.conditions import SCALES, ConditionRunner, score
from perfopt.stress.program_search import Search, Tried, best, scaled_down
from perfopt.stress.stdin_gen import (
    SCALAR_STRATEGIES,
    InputModel,
    Plan,
    knob_high,
    strategy_options,
)
from perfopt.stress.structure import Scalars, read_sample

SWEEP_FACTOR = 4.0  # scale grows this much per sweep step
SWEEP_START_KNOB = 8  # the sweep starts where the largest knob is about this big
SEED_TRIES = 24  # neighbours of the costliest sample tried when it outcosts the sweep
REPAIRS = 2  # value strategies a sweep may add to get its inputs accepted again
REPAIR_SEEDS = 3  # draws a repairing strategy must pass
MODEL_SEEDS = 2  # inputs the model's generator writes at each scale
CHECKS = 12  # small random inputs for equivalence only (never timed by the comparison)
CHECK_SPAN = 4.0  # their scales: from the sweep's start over this factor to this factor times
CHECK_VALUES = ("random", "random", "scale", "min")  # a check's other scalars, drawn from these
CHECK_LIMIT_S = 2.0  # a check input the original runs longer on is not small: dropped
LEFT_MIN_S = 1.0  # each phase here stops with this much of the search's time left


def sweep(search: Search, rng: random.Random) -> list[Tried]:
    """Valid inputs at growing scale, until the cost target or the bounds. When random
    values stop being accepted at some scale, one more variable's value strategy may repair
    them (e.g. D = its minimum keeps X + D under a bound the statement never wrote; at most
    REPAIRS times); the sweep goes on with those choices."""
    high = max(knob_high(search.grammar), 1)
    scale = min(1.0, SWEEP_START_KNOB / high)
    points: list[Tried] = []
    retries = 0
    choices: tuple[tuple[str, str], ...] = ()
    repairs = 0
    while search.left() > LEFT_MIN_S:
        tried = search.run(Plan(scale, rng.randrange(1 << 30), choices), "generated")
        if tried is None:  # another seed once: a random draw may break an unstated rule
            tried = search.run(Plan(scale, rng.randrange(1 << 30), choices), "generated")
        if tried is None and repairs < REPAIRS and not search.last_timed_out:
            # rejected, not too slow: a value rule the generator broke
            repairs += 1
            tried = repair(search, scale, rng, choices)
            if tried is not None and tried.plan is not None:
                choices = tried.plan.choices
        if tried is None or tried.plan is None:
            last = points[-1].plan if points else None
            if last is not None and scale > last.scale * 1.5:  # between last good and this
                scale = last.scale * (scale / last.scale) ** 0.5
                continue
            if not points and retries < 2:  # the first scale may already break a rule
                scale, retries = scale / SWEEP_FACTOR, retries + 1
                continue
            break
        tried.provenance = "sweep"
        points.append(tried)
        if scale >= 1.0 or tried.cost >= search.options.target_cost_s:
            break
        # grow faster while the cost is far from the target
        factor = SWEEP_FACTOR if tried.cost < search.options.target_cost_s / 8 else 2.0
        scale = min(1.0, scale * factor)
    return points


def checks(search: Search, rng: random.Random) -> list[str]:
    """Small random inputs the original accepts, for equivalence only: the stress inputs
    are the costliest few, and a candidate wrong on some values (p03371's Codex program
    swapped A and B whatever X and Y: wrong on 125 of 300 random inputs) can pass all of
    them. Counts sit near the sweep's first scale; each other integer scalar is drawn at
    random over its bounds, at the scale or at its minimum, by draw. Each input is run
    once on the original, at most CHECK_LIMIT_S, and kept when it exits 0; the search never
    sees them, and the comparison checks them but never times them."""
    model = search.grammar
    high = max(knob_high(model), 1)
    start = min(1.0, SWEEP_START_KNOB / high)
    scalars = [name for name, how in strategy_options(model) if how == SCALAR_STRATEGIES]
    found: list[str] = []
    for _ in range(2 * CHECKS):
        if len(found) >= CHECKS or search.left() <= LEFT_MIN_S:
            break
        plan = Plan(min(1.0, start * CHECK_SPAN ** rng.uniform(-1.0, 1.0)),
                    rng.randrange(1 << 30),
                    tuple(sorted((name, rng.choice(CHECK_VALUES)) for name in scalars)))
        text = search.render(plan)
        if text is None or text in found:
            continue
        proc = time_run(search.command, text.encode(), cwd=search.cwd,
                        timeout_s=min(CHECK_LIMIT_S, search.left()),
                        memory_mb=search.options.memory_mb)
        if proc.ok:
            found.append(text)
    return found


def repair(search: Search, scale: float, rng: random.Random,
           choices: tuple[tuple[str, str], ...] = ()) -> Tried | None:
    """The first strategy of a variable not yet chosen which, added to `choices`, has its
    inputs accepted at `scale` on every draw: a rule the random values broke is kept every
    time, where one accepted draw may be luck (p02758's X all distinct passed once in ten
    at N = 8, and the sweep then stalled there; D at its minimum always passes)."""
    taken = {name for name, _ in choices}
    model = search.grammar
    for name, strategies in strategy_options(model):
        if name in taken or name in model.counts:  # a count at its minimum would
            continue  # pass any rule, and the sweep would stop growing
        for how in strategies:
            if how in ("random", "scale"):
                continue
            if search.left() <= LEFT_MIN_S:
                return None
            tried = every_draw(search, Plan(scale, 0, choices).with_choice(name, how), rng)
            if tried is not None:
                tried.note = f"repaired by {name}={how}; {tried.note}"
                return tried
    return None


def every_draw(search: Search, plan: Plan, rng: random.Random) -> Tried | None:
    """The first of REPAIR_SEEDS draws of `plan` (new seeds each) when all are accepted,
    else None. A plan that fixes every value writes one input, and once is enough."""
    first: Tried | None = None
    texts: set[str] = set()
    for _ in range(REPAIR_SEEDS):
        if search.left() <= LEFT_MIN_S:
            return None
        draw = Plan(plan.scale, rng.randrange(1 << 30), plan.choices)
        if not search.can_write(draw):
            return None
        text = search.render(draw)
        if text in texts:
            continue
        if text is None:
            return None
        tried = search.run_text(text, "generated", draw)
        if tried is None:
            return None
        texts.add(text)
        first = first or tried
    return first


def seeds(search: Search, texts: list[str], sample_gross: list[float | None],
          rng: random.Random) -> None:
    """The costliest sample, as is and moved one value at a time, when it costs more than
    anything the sweep wrote: hill-climbing from it, the costliest input kept as the next
    start. Only for inputs that are scalar lines alone (no counted lists to keep in step),
    and every value stays within the bounds the statement gives, read with the other
    values in place (`X <= Y`)."""
    model = search.model
    timed = [(g, t) for g, t in zip(sample_gross, texts, strict=True) if g is not None]
    if model is None or not timed:
        return
    gross, text = max(timed, key=lambda gt: gt[0])
    index = texts.index(text)
    leader = best(search)
    if leader is not None and leader.score >= score(search.net(gross), ()):
        return
    nodes = tuple(n for n in model.structure.nodes if isinstance(n, Scalars))
    if len(nodes) != len(model.structure.nodes):
        return
    names = [name for node in nodes for name in node.names
             if model.kind(name) == "int"]
    values = scalar_values(nodes, text)
    if values is None or not names:
        return
    start = search.run_text(text, "seed", None, "costliest sample, as is")
    if start is not None:
        # one input, one cost: the least of its runs (under load the sample's runs and
        # this one differed 4x, and the suite then said the sample outcost its own seed)
        sample_gross[index] = min(gross, start.gross)
    current = (values, start.score if start is not None else 0.0)
    for _ in range(SEED_TRIES):
        if search.left() <= LEFT_MIN_S:
            return
        move = moved(model, current[0], rng.choice(names), rng)
        if move is None:
            continue
        name, value, moved_values = move
        tried = search.run_text(scalar_text(nodes, moved_values), "seed", None,
                                f"costliest sample with {name}={value}")
        if tried is not None and tried.score > current[1]:
            current = (moved_values, tried.score)


def scalar_values(nodes: tuple[Scalars, ...], text: str) -> dict[str, int] | None:
    """The values of an input of scalar lines, by name (read as the samples are); None
    unless it fits the grammar and all are integers."""
    read = read_sample(nodes, text)
    if read is None or any(len(tokens) != 1 for tokens in read.values()):
        return None
    try:
        return {name: int(tokens[0]) for name, tokens in read.items()}
    except ValueError:
        return None


def scalar_text(nodes: tuple[Scalars, ...], values: dict[str, int]) -> str:
    return "".join(" ".join(str(values[name]) for name in n.names) + "\n" for n in nodes)


def moved(model: InputModel, values: dict[str, int], name: str,
          rng: random.Random) -> tuple[str, int, dict[str, int]] | None:
    """`values` with `name` moved near itself or near its upper bound; None when the move
    leaves a value outside its bounds."""
    lo, hi = model.int_range(name, {k: v for k, v in values.items() if k != name})
    old = values[name]
    width = max(2, (hi - lo) // 1000)
    anchor = old if rng.random() < 0.7 else hi
    value = min(hi, max(lo, anchor + rng.randint(-width, width)))
    if value == old:
        return None
    shifted = {**values, name: value}
    for other in shifted:  # bounds that name the moved value (X <= Y) hold still
        low, high = model.int_range(other, {k: v for k, v in shifted.items() if k != other})
        if not low <= shifted[other] <= high:
            return None
    return name, value, shifted


def from_model(search: Search, rng: random.Random) -> None:
    """The model's generator at growing scales, MODEL_SEEDS seeds each, until an input
    costs the target or gets too slow; every input is run on the original like any
    other."""
    runner = search.conditions
    if runner is None:
        return
    for scale in SCALES:
        costs = []
        for _ in range(MODEL_SEEDS):
            if not runner.active or search.left() <= LEFT_MIN_S:
                return
            text = runner.generate(scale, rng.randrange(1 << 30))
            if text is None:
                continue
            tried = search.run_text(text, "model", None, f"model generator at scale {scale:g}")
            if tried is not None:
                costs.append(tried.cost)
                _shrink_text(search, tried, runner, scale, rng)
        if costs and max(costs) >= search.options.target_cost_s:
            return


def _shrink_text(search: Search, tried: Tried, runner: ConditionRunner, scale: float,
                 rng: random.Random) -> None:
    """A model input over max_case_s, asked for again at a smaller scale."""
    if tried.cost <= search.options.max_case_s or not runner.active:
        return
    smaller = scaled_down(search, tried, scale)
    text = runner.generate(smaller, rng.randrange(1 << 30))
    if text is not None:
        search.run_text(text, "model", None, f"model generator at scale {smaller:.3g}")
