"""How the function stressor grows a seed's values, and how it sizes and describes them:
standard library only, loaded by its path by `_fn_worker.py` (which runs in the project's
interpreter, where perfopt may not be installed)."""

from __future__ import annotations

import collections
import copy
import random
import string

MAX_ELEMENTS = 200_000  # no collection grows past this many (a request may say "max_elements")
MAX_CHARS = 1_000_000


def _grow_list(items: list, n: int, strategy: str, rng: random.Random) -> list:
    if not items:
        return items
    ints = all(type(x) is int for x in items)
    if ints:
        lo, hi = min(items), max(items)
        if strategy == "equal":
            out = [rng.choice(items)] * n
        elif strategy == "few":
            pool = rng.sample(items, min(2, len(items)))
            out = [rng.choice(pool) for _ in range(n)]
        elif strategy == "distinct":
            span = max(hi - lo + 1, n)
            out = rng.sample(range(lo, lo + span), n)
        else:
            out = [rng.randint(lo, hi) for _ in range(n)]
    else:
        out = [copy.deepcopy(rng.choice(items)) for _ in range(n)]
    try:
        if strategy == "sorted":
            out.sort()
        elif strategy == "reverse":
            out.sort(reverse=True)
    except TypeError:
        pass
    return out


def transform(value, factor: float, strategy: str, rng: random.Random, depth: int = 0,  # noqa: ANN001, ANN201
              cap: int = MAX_ELEMENTS):
    """`value` with its collections `factor` times longer (top level, at most `cap`), values
    resampled from what the seed holds, so the types and ranges stay those the code gets."""
    grow = factor if depth == 0 else 1.0
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and strategy == "grow_ints" and depth == 0 and value > 1:
        return int(value * factor)
    if isinstance(value, str):
        n = min(MAX_CHARS, max(len(value), int(len(value) * grow)))
        chars = value or string.ascii_lowercase
        if strategy == "equal":
            return chars[0] * n
        return "".join(rng.choice(chars) for _ in range(n)) if n != len(value) else value
    if isinstance(value, bytes):
        return transform(value.decode("latin-1"), factor, strategy, rng, depth).encode("latin-1")
    if isinstance(value, (list, tuple, collections.deque)):
        items = [transform(v, factor, strategy, rng, depth + 1) for v in value]
        n = min(cap, max(len(items), int(len(items) * grow)))
        out = _grow_list(items, n, strategy, rng) if (n != len(items) or strategy not in
                                                      ("random", "grow_ints")) else items
        return type(value)(out) if type(value) in (list, tuple, collections.deque) else out
    if isinstance(value, (set, frozenset)):
        items = list(value)
        n = min(cap, int(len(items) * grow))
        if items and all(type(x) is int for x in items) and n > len(items):
            lo = min(items)
            return type(value)(rng.sample(range(lo, lo + max(n * 2, max(items) - lo + 1)), n))
        return value
    if isinstance(value, dict) and depth == 0 and value:
        keys = list(value)
        n = min(cap, int(len(keys) * grow))
        grown = dict(value)
        k = 0
        while len(grown) < n and k < 4 * n:
            key = keys[k % len(keys)]
            new = (f"{key}_{k}" if isinstance(key, str) else key + (k + 1) * 1_000_003
                   if isinstance(key, int) else None)
            if new is None:
                break
            grown[new] = copy.deepcopy(value[rng.choice(keys)])
            k += 1
        return grown
    return value


def measure(value) -> int:  # noqa: ANN001
    """Elements in a value, nested collections included: the sweep's size axis."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        return len(value) + sum(measure(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset, collections.deque)):
        return len(value) + sum(measure(v) for v in value if not isinstance(v, (int, float)))
    return 1 if isinstance(value, int) else 0


def describe(value, depth: int = 0) -> str:  # noqa: ANN001
    """A value's shape for the model, not its contents: `list of 8 (int in 1..9)`."""
    kind = type(value).__name__
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return f"{kind} {value!r}" if depth == 0 else kind
    if isinstance(value, (str, bytes)):
        return f"{kind} of {len(value)} characters"
    if depth >= 3:
        return kind
    if isinstance(value, dict):
        inner = sorted({f"{describe(k, depth + 1)}: {describe(v, depth + 1)}"
                        for k, v in list(value.items())[:20]})
        return f"dict of {len(value)} ({' | '.join(inner[:3])})"
    if isinstance(value, (list, tuple, set, frozenset, collections.deque)):
        items = list(value)
        inner = sorted({describe(v, depth + 1) for v in items[:50]})
        numbers = [v for v in items if type(v) in (int, float)]
        span = f" in {min(numbers)}..{max(numbers)}" if numbers and len(numbers) == len(
            items) else ""
        return f"{kind} of {len(items)} ({' | '.join(inner[:3])}{span})"
    return f"{type(value).__module__}.{type(value).__qualname__} object"
