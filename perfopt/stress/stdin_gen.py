"""Stdin text for a `Structure` under `Constraints`, steered by a `Plan`.

A plan is the searchable genome: one `scale` in (0, 1] that sets every size knob (counts,
string lengths, integer scalars) between its lower and upper bound, a seed, and a value
strategy per variable ("sorted", "equal", "path" tree...; a count's "min" or "max" takes
it off the scale). The program stressor's search (`program_sweep.py`, `program_mutate.py`)
mutates plans, never raw text, so every input stays inside the stated bounds.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import re
import string
from dataclasses import dataclass

from perfopt.stress.constraints import Constraints, evaluate, names_in
from perfopt.stress.structure import Array, Block, Node, Observed, Rows, Scalars, Structure, walk

LIST_STRATEGIES = ("random", "max", "min", "equal", "sorted", "reverse", "few", "distinct",
                   "primes")
# "prime": the largest prime at or below the value the scale picks (trial division, cycle
# lengths, divisor enumeration: number-theory code is slowest on primes)
SCALAR_STRATEGIES = ("scale", "max", "min", "random", "prime")
# a count off the scale: one long list of small values, or few items while every value
# knob stays at the scale (p03170: one random item with K = 10^5 steps cost 3x the best
# input the scale alone wrote, the item a = K 7x)
COUNT_STRATEGIES = ("min", "max")
TREE_STRATEGIES = ("random", "path", "star")
# "rare": one character throughout but the last, the classic worst case of a scan (find,
# in, index: each search for the rare character walks the whole string)
STRING_STRATEGIES = ("random", "same", "few", "alternate", "rare")
PRIME_POOL = 64  # "primes": values drawn from the largest this many primes within bounds
PRIME_SEARCH = 5_000  # candidates looked at below a value before giving up on a prime
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)  # exact below 3.3e24
MAX_TOKENS = 2_000_000  # an input of more values than this is scaled down (memory, disk)
UNBOUNDED_COUNT = 10**5  # a count the statement does not bound: a guess the run filters
_INF = float("inf")


@dataclass(frozen=True)
class Plan:
    scale: float
    seed: int = 0
    choices: tuple[tuple[str, str], ...] = ()  # (variable, strategy), sorted

    def strategy(self, name: str, default: str) -> str:
        return dict(self.choices).get(name, default)

    def with_choice(self, name: str, strategy: str) -> Plan:
        choices = dict(self.choices)
        choices[name] = strategy
        return Plan(self.scale, self.seed, tuple(sorted(choices.items())))

    def describe(self) -> str:
        picks = ",".join(f"{k}={v}" for k, v in self.choices)
        return f"scale={self.scale:.4g} seed={self.seed}" + (f" {picks}" if picks else "")


class InputModel:
    """Everything needed to write inputs: grammar, bounds, what the samples showed."""

    def __init__(self, structure: Structure, constraints: Constraints) -> None:
        self.structure = structure
        self.constraints = constraints
        self.counts = structure.counts

    # -- bounds --------------------------------------------------------------------------

    def kind(self, name: str) -> str:
        spec = self.constraints.get(name)
        observed = self.structure.observed.get(name, Observed())
        if observed.kind == "str" or spec.charset or spec.len_highs:
            return "str"
        return observed.kind

    def _bound(self, exprs: tuple[str, ...], env: dict[str, float], high: bool,
               depth: int) -> float | None:
        values = []
        for expr in exprs:
            try:
                values.append(evaluate(expr, _Env(self, env, high, depth)))
            except (KeyError, ValueError, ZeroDivisionError, TypeError, OverflowError):
                continue
        if not values:
            return None
        return min(values) if high else max(values)

    def int_range(self, name: str, env: dict[str, float], depth: int = 0, *,
                  greedy: bool = False) -> tuple[int, int]:
        """`name`'s bounds with the values in `env` drawn. `greedy`: a product bound
        (N * M <= X) leaves this factor all the room the undrawn factors' minimums allow,
        where otherwise they share it evenly."""
        spec, cons = self.constraints.get(name), self.constraints
        observed = self.structure.observed.get(name, Observed())
        lows = spec.lows + tuple(f"-({e})" for e in spec.abs_highs)
        highs = spec.highs + spec.abs_highs
        lo = self._bound(lows, env, False, depth)
        hi = self._bound(highs, env, True, depth)
        room = self._product_room(name, env, depth, greedy)
        if room is not None:
            hi = room if hi is None else min(hi, room)
        floor = self._product_floor(name, env, depth)
        if floor is not None:
            lo = floor if lo is None else max(lo, floor)
        if lo is None and cons.default_low:
            lo = self._bound((cons.default_low,), env, False, depth)
        if hi is None and cons.default_high:
            hi = self._bound((cons.default_high,), env, True, depth)
        if lo is None:
            lo = min(observed.low, 0) if name in self.counts else observed.low
        if hi is None:
            hi = max(observed.high, UNBOUNDED_COUNT) if name in self.counts else observed.high
        lo_i, hi_i = int(lo), int(hi)
        return lo_i, max(lo_i, hi_i)

    def _product_room(self, name: str, env: dict[str, float], depth: int,
                      greedy: bool) -> float | None:
        """The most `name` may be under the products that hold it: the bound over the
        factors already drawn, and over the undrawn ones' minimums (`greedy`) or shared
        with them as a k-th root (a square N = M at every scale, where greedy draws give
        N = X, M = 1: both shapes are some program's worst case)."""
        rooms = []
        for factors, bound in self.constraints.products:
            if name not in factors:
                continue
            room = self._bound((bound,), env, True, depth)
            if room is None:
                continue
            undrawn = 0
            for other in factors:
                if other == name:
                    continue
                if other in env:
                    room /= max(env[other], 1)
                elif greedy and depth <= 3:
                    room /= max(self.int_range(other, env, depth + 1)[0], 1)
                else:
                    undrawn += 1
            if room > 0 and undrawn:
                room **= 1 / (1 + undrawn)
                room = round(room) if abs(room - round(room)) < 1e-9 else room  # 1000**(1/3)
            rooms.append(room)
        return min(rooms) if rooms else None

    def _product_floor(self, name: str, env: dict[str, float], depth: int) -> int | None:
        """The least `name` may be under the floors of products that hold it (X <= N * M):
        what the drawn factors leave to it when it is the last one drawn, else 1 (p03039:
        the samples' smallest N and M were 2, so N = 2 x 10^5 with M = 1 was never
        written)."""
        needs = []
        for factors, floor in self.constraints.product_lows:
            if name not in factors:
                continue
            least = self._bound((floor,), env, False, depth)
            if least is None or least < 1:
                continue
            others = [f for f in factors if f != name]
            if all(f in env for f in others):
                drawn = math.prod(max(env[f], 1) for f in others)
                needs.append(max(1, math.ceil(least / drawn)))
            else:
                needs.append(1)
        return max(needs) if needs else None

    def length_range(self, name: str, env: dict[str, float]) -> tuple[int, int]:
        spec = self.constraints.get(name)
        observed = self.structure.observed.get(name, Observed("str"))
        lo = self._bound(spec.len_lows + spec.abs_lows, env, False, 0)
        hi = self._bound(spec.len_highs + spec.abs_highs, env, True, 0)
        lo = observed.len_low if lo is None else lo
        hi = max(observed.len_high, 1) if hi is None else hi
        return max(0, int(lo)), max(int(lo), int(hi))

    def charset(self, name: str) -> str:
        spec = self.constraints.get(name)
        observed = self.structure.observed.get(name, Observed("str"))
        return spec.charset or observed.chars or string.ascii_lowercase

    # -- writing ---------------------------------------------------------------------------

    def render(self, plan: Plan) -> str:
        """One input; raises ValueError when the plan cannot be written."""
        rng = random.Random(plan.seed)
        lines: list[str] = []
        self._emit(self.structure.nodes, plan, {}, rng, lines, [0])
        return "\n".join(lines) + "\n"

    def _emit(self, nodes: tuple[Node, ...], plan: Plan, env: dict[str, float],
              rng: random.Random, lines: list[str], tokens: list[int]) -> None:
        for node in nodes:
            if isinstance(node, Scalars):
                lines.append(" ".join(self._scalars(node.names, plan, env, rng)))
                continue
            head = self._scalars(node.head, plan, env, rng) if isinstance(node, Array) else []
            count = max(0, int(evaluate(node.count, env)))
            if isinstance(node, Block):
                for _ in range(count):  # each repetition draws its own scalars
                    self._emit(node.body, plan, dict(env), rng, lines, tokens)
                continue
            tokens[0] += count * (len(node.names) if isinstance(node, Rows) else 1)
            if tokens[0] > MAX_TOKENS:
                raise ValueError(f"input of more than {MAX_TOKENS} values")
            if isinstance(node, Array):
                values = self._column(node.name, count, plan, env, rng)
                lines.append(" ".join(head + [str(v) for v in values]))
            else:
                lines.extend(self._rows(node, count, plan, env, rng))

    def _scalars(self, names: tuple[str, ...], plan: Plan, env: dict[str, float],
                 rng: random.Random) -> list[str]:
        out: dict[str, str] = {}
        # bounds may point forward (X >= Y + 2Z on the line "X Y Z"): a name whose bounds
        # mention others of the line is filled after them, then the line keeps its order
        for name in sorted(names, key=lambda n: self._refers(n, names)):
            if self.kind(name) == "str":
                out[name] = self._string(name, plan.strategy(name, "random"), env, rng,
                                         scale=plan.scale)
                continue
            how = plan.strategy(name, "scale")
            lo, hi = self.int_range(name, env, greedy=how == "max")
            value = {"max": hi, "min": lo, "random": rng.randint(lo, hi)}.get(
                how, lo + round((hi - lo) * plan.scale))
            if how == "prime":
                value = next(primes_at_most(value, lo), value)
            for a, op, b in self.constraints.relations:
                if op == "!=" and a != name and b == name and env.get(a) == value:
                    value = value + 1 if value < hi else value - 1
            env[name] = value
            out[name] = str(value)
        return [out[name] for name in names]

    def _refers(self, name: str, names: tuple[str, ...]) -> bool:
        spec = self.constraints.get(name)
        exprs = spec.lows + spec.highs + spec.abs_highs
        return any(re.search(rf"\b{re.escape(other)}\b", expr)
                   for expr in exprs for other in names if other != name)

    def _string(self, name: str, how: str, env: dict[str, float], rng: random.Random,
                scale: float | None = None, length: int | None = None,
                bounds: tuple[int, int] | None = None) -> str:
        lo, hi = bounds or self.length_range(name, env)
        if length is None:
            length = lo + round((hi - lo) * scale) if scale is not None else rng.randint(lo, hi)
        chars = self.charset(name)
        if how == "same":
            return chars[0] * length
        if how == "rare":
            first, last = tuple((chars[:2] * 2)[:2])  # an empty charset: ValueError
            return first * (length - 1) + last if length else ""
        if how == "alternate":
            pair = chars[:2] or chars
            return (pair * (length // max(1, len(pair)) + 1))[:length]
        if how == "few":
            chars = chars[:2]
        return "".join(rng.choices(chars, k=length))

    def _column(self, name: str, n: int, plan: Plan, env: dict[str, float],
                rng: random.Random) -> list[str] | list[int] | list[float]:
        spec = self.constraints.get(name)
        how = plan.strategy(name, "random")
        if self.kind(name) == "str":
            return self._string_column(name, n, how, env, rng)
        lo, hi = self.int_range(name, env)
        if self.kind(name) == "float":
            return [round(rng.uniform(lo, hi), 6) for _ in range(n)]
        values: list[int]
        if spec.permutation:
            values = list(range(1, n + 1))
            rng.shuffle(values)
        elif (rule := spec.distinct or spec.increasing == "<") or how == "distinct":
            if hi - lo + 1 < n and rule:
                # a rule, not a strategy: n distinct values must fit. A range the statement
                # never bounded (p03608's towns r_i, seen as 1..4 in the samples) grows to
                # hold them; a stated one cannot, and the plan is not written
                if spec.highs or spec.abs_highs or self.constraints.default_high:
                    raise ValueError(f"{n} distinct values of {name} do not fit {lo}..{hi}")
                hi = lo + n - 1
            if hi - lo + 1 < n:
                values = [rng.randint(lo, hi) for _ in range(n)]
            elif how in ("max", "min"):  # the n largest (smallest) distinct values
                values = list(range(hi - n + 1, hi + 1) if how == "max" else range(lo, lo + n))
                rng.shuffle(values)
            else:
                values = rng.sample(range(lo, hi + 1), n)
        elif how == "max":
            values = [hi] * n
        elif how == "min":
            values = [lo] * n
        elif how == "equal":
            values = [rng.randint(lo, hi)] * n
        elif how == "few":
            pool = [rng.randint(lo, hi) for _ in range(2)]
            values = [rng.choice(pool) for _ in range(n)]
        elif how == "primes":
            primes = prime_pool(hi, lo) or (hi,)
            values = [rng.choice(primes) for _ in range(n)]
        else:
            values = [rng.randint(lo, hi) for _ in range(n)]
        if spec.increasing or how == "sorted":
            values.sort()
        elif how == "reverse":
            values.sort(reverse=True)
        if spec.step_highs and len(values) > 1:
            values = self._stepped(name, values, lo, hi, env, rng)
        return values

    def _string_column(self, name: str, n: int, how: str, env: dict[str, float],
                       rng: random.Random) -> list[str]:
        bounds = self.length_range(name, env)
        if how == "equal":
            return [self._string(name, "random", env, rng, length=bounds[1])] * n
        if how == "few":
            pool = [self._string(name, "random", env, rng, bounds=bounds) for _ in range(3)]
            return [rng.choice(pool) for _ in range(n)]
        length = bounds[1] if how == "max" else None
        values = [self._string(name, "random", env, rng, length=length, bounds=bounds)
                  for _ in range(n)]
        return sorted(values) if how == "sorted" else values

    def _stepped(self, name: str, values: list[int], lo: int, hi: int,
                 env: dict[str, float], rng: random.Random) -> list[int]:
        """`x_{i+1} - x_i <= L`: when L is already drawn the list is rebuilt from steps
        within it; either way the largest step is left in env as `x__step`, the lower
        bound of an L drawn later."""
        spec = self.constraints.get(name)
        known = tuple(e for e in spec.step_highs if names_in(e) <= env.keys())
        step = self._bound(known, env, True, 0) if known else None
        if step is not None:
            least = 1 if spec.increasing == "<" else 0
            most = min(int(step), (hi - lo) // (len(values) - 1))
            if most < least:
                raise ValueError(f"{len(values)} values of {name} cannot step <= {step}")
            steps = [rng.randint(least, most) for _ in range(len(values) - 1)]
            values = list(itertools.accumulate(steps, initial=rng.randint(lo, hi - sum(steps))))
        env[f"{name}__step"] = max(b - a for a, b in itertools.pairwise(values))
        return values

    def _rows(self, node: Rows, n: int, plan: Plan, env: dict[str, float],
              rng: random.Random) -> list[str]:
        columns = {name: self._column(name, n, plan, env, rng) for name in node.names}
        nodes_of = self._graph_columns(node, env)
        if nodes_of:
            (a, b), size = nodes_of
            edges = self._edges(size, n, plan.strategy(a, "random"), rng)
            if edges is not None:
                columns[a], columns[b] = [e[0] for e in edges], [e[1] for e in edges]
        for a, op, b in self.constraints.relations:
            if a in columns and b in columns:
                self._relate(columns[a], op, columns[b], self.int_range(b, env))
        return [" ".join(str(columns[name][i]) for name in node.names) for i in range(n)]

    def _graph_columns(self, node: Rows, env: dict[str, float]
                       ) -> tuple[tuple[str, str], int] | None:
        """The two endpoint columns of an edge list, and the node count."""
        cons = self.constraints
        if not (cons.tree or cons.connected or cons.simple) or len(node.names) < 2:
            return None
        a, b = node.names[:2]
        if self.kind(a) != "int" or self.kind(b) != "int":
            return None
        (lo_a, hi_a), (lo_b, hi_b) = self.int_range(a, env), self.int_range(b, env)
        if (lo_a, hi_a) != (lo_b, hi_b):
            # "1 <= a_i < b_i <= N": a in 1..N-1, b in 2..N, one node range; the relation
            # puts each edge's ends in order after the edges are drawn
            ordered = {(a, "<", b), (a, "<=", b), (b, ">", a), (b, ">=", a)}
            if not ordered & set(self.constraints.relations) or hi_a > hi_b or lo_b < lo_a:
                return None
        return ((a, b), hi_b) if lo_a == 1 else None

    @staticmethod
    def _edges(size: int, m: int, how: str, rng: random.Random) -> list[tuple[int, int]] | None:
        if m < size - 1 or size < 1:
            return None
        edges = []
        for v in range(2, size + 1):  # a spanning tree first: connected by construction
            parent = {"path": v - 1, "star": 1}.get(how, rng.randint(1, v - 1))
            edges.append((parent, v) if rng.random() < 0.5 else (v, parent))
        seen = {frozenset(e) for e in edges}
        tries = 0
        while len(edges) < m and tries < 20 * m:
            tries += 1
            u, v = rng.randint(1, size), rng.randint(1, size)
            if u != v and frozenset((u, v)) not in seen:
                seen.add(frozenset((u, v)))
                edges.append((u, v))
        rng.shuffle(edges)
        return edges if len(edges) == m else None

    @staticmethod
    def _relate(left: list, op: str, right: list, bounds: tuple[int, int]) -> None:
        lo, hi = bounds
        for i, (x, y) in enumerate(zip(left, right, strict=True)):
            if op in ("<", "<=") and x > y:
                left[i], right[i] = x, y = y, x
            if op in ("<", "!=") and x == y:
                if y < hi:
                    right[i] = y + 1
                elif x > lo:
                    left[i] = x - 1


class _Env(dict):
    """Bound evaluation: assigned values first, then the other variable's own static
    bound on the same side (an upper bound `N-1` uses N's upper bound)."""

    def __init__(self, model: InputModel, env: dict[str, float], high: bool, depth: int):
        super().__init__(env)
        self.model, self.high, self.depth = model, high, depth

    def __missing__(self, name: str) -> float:
        if self.depth > 3 or name not in self.model.constraints.variables and \
                name not in self.model.structure.observed:
            raise KeyError(name)
        lo, hi = self.model.int_range(name, dict(self), self.depth + 1)
        return hi if self.high else lo

    def __getitem__(self, name: str) -> float:
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return self.__missing__(name)


def is_prime(n: int) -> bool:
    """Miller-Rabin with the first twelve prime bases: exact for n < 3.3e24."""
    if n < 2:
        return False
    for p in _MR_BASES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def primes_at_most(value: int, low: int):  # noqa: ANN201
    """Primes from `value` down to `low`, largest first (looking at most PRIME_SEARCH
    numbers: prime gaps below 1e18 are far shorter)."""
    for n in range(value, max(low, value - PRIME_SEARCH, 1) - 1, -1):
        if is_prime(n):
            yield n


@functools.lru_cache(maxsize=64)
def prime_pool(high: int, low: int) -> tuple[int, ...]:
    """The largest PRIME_POOL primes within [low, high] (every render of a "primes" column
    asks again: the same bounds, the same pool)."""
    return tuple(itertools.islice(primes_at_most(high, low), PRIME_POOL))


def knob_high(model: InputModel) -> int:
    """The largest upper bound among the size knobs: how far a sweep must go."""
    highs = [model.int_range(name, {})[1] for name in model.counts]
    for node in walk(model.structure.nodes):
        if isinstance(node, Scalars):
            for name in node.names:
                highs.append(model.length_range(name, {})[1] if model.kind(name) == "str"
                             else abs(model.int_range(name, {})[1]))
    return max([h for h in highs if h != _INF] or [1])


def strategy_options(model: InputModel) -> list[tuple[str, tuple[str, ...]]]:
    """(variable, strategies to try) for every variable a search may steer."""
    options: list[tuple[str, tuple[str, ...]]] = []
    for node in walk(model.structure.nodes):
        if isinstance(node, Block):
            continue
        if isinstance(node, Scalars) or isinstance(node, Array) and node.head:
            for name in node.names if isinstance(node, Scalars) else node.head:
                if model.kind(name) == "str":
                    options.append((name, STRING_STRATEGIES))
                else:
                    options.append((name, COUNT_STRATEGIES if name in model.counts
                                    else SCALAR_STRATEGIES))
            if isinstance(node, Scalars):
                continue
        for name in (node.names if isinstance(node, Rows) else (node.name,)):
            options.append((name, LIST_STRATEGIES))
        if isinstance(node, Rows) and len(node.names) >= 2 and (
                model.constraints.tree or model.constraints.connected):
            options.append((node.names[0], TREE_STRATEGIES + LIST_STRATEGIES))
    return options
