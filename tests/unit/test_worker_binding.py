"""The timing worker's names are bound before the target is imported: a target that rebinds
the clock, gc, the callgrind toggle, the loop builtins or pickle.loads changes the modules,
not what the worker reads (tests/integration/test_hostile_clock.py does the same through
real worker processes)."""

from __future__ import annotations

import builtins
import gc
import pickle
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from perfopt.bench import worker

PAYLOAD = pickle.dumps({"args": (7,), "kwargs": {}})
_range = range


@contextmanager
def patched(*changes: tuple[Any, str, Any]) -> Iterator[None]:
    """Rebind module attributes as a hostile target would, restored before any assert (the
    test runner itself needs range and the clock)."""
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in changes]
    for obj, name, value in changes:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)


def slow(x: int) -> int:
    return sum(_range(20_000)) + x


def test_a_rebound_clock_loop_and_unpickler_do_not_change_a_sample() -> None:
    seen: list[int] = []

    def target(x: int) -> int:
        seen.append(x)
        return slow(x)

    with patched((time, "perf_counter", lambda: 0.0), (builtins, "range", lambda *a: _range(1)),
                 (gc, "disable", lambda: None),
                 (pickle, "loads", lambda data: {"args": (0,), "kwargs": {}})):
        batched = worker._sample_batched(target, [PAYLOAD], 4, worker._no_sync)
        per_call = worker._sample_per_call(target, [PAYLOAD], 4, worker._no_sync)
    assert seen == [7] * 8  # every loop ran, on the real arguments
    assert batched > 0 and per_call > 0  # the real clock


def test_a_rebound_call_tracing_still_runs_the_counted_region() -> None:
    seen: list[int] = []
    entered: list[str] = []
    with patched((sys, "call_tracing", lambda fn, args: entered.append("fake"))):
        calls = worker.count_region(lambda x: seen.append(x), [PAYLOAD], 3)
    assert calls == 3 and not entered
    assert seen == [7] * 4  # one warm-up loop, then the three counted ones
