"""perfopt's timing worker: `python -m perfopt.bench.worker --root DIR --file F --qualname Q
--suite DIR [--cases JSON] --loops N --samples S --warmup W` prints {"samples": [...], "loops": N};
with `--calibrate MIN_S` it prints {"loops": N} instead.

One loop calls the target once on every case; a sample is the seconds per loop over
`loops` loops. Arguments are unpickled before the timer starts (a fresh copy per call,
since the target may mutate them), gc is off while timing and runs between samples.
When fresh copies for every loop would take too much memory, copies are made one call at
a time and only the calls are timed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfopt.verify.loader import load_callable, load_payload, read_cases

# Pre-unpickled copies for one sample may take this many payload bytes; above it the
# worker times call by call (a few hundred ns of timer overhead per call).
PREPARED_BYTES = 64 * 1024 * 1024
MAX_LOOPS = 1 << 22

Fn = Callable[..., Any]


def _sample_batched(fn: Fn, payloads: list[bytes], loops: int) -> float:
    calls = [load_payload(p) for _ in range(loops) for p in payloads]
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for args, kwargs in calls:
            # try/except costs nothing when nothing is raised (contextlib.suppress would
            # add a context manager per call); raising is part of what is timed.
            try:
                fn(*args, **kwargs)
            except Exception:  # noqa: BLE001, S110
                pass
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed


def _sample_per_call(fn: Fn, payloads: list[bytes], loops: int) -> float:
    elapsed = 0.0
    gc.collect()
    for _ in range(loops):
        for payload in payloads:
            args, kwargs = load_payload(payload)
            gc.disable()
            try:
                start = time.perf_counter()
                try:
                    fn(*args, **kwargs)
                except Exception:  # noqa: BLE001, S110
                    pass
                elapsed += time.perf_counter() - start
            finally:
                gc.enable()
            del args, kwargs
    return elapsed


def sample(fn: Fn, payloads: list[bytes], loops: int) -> float:
    """Total seconds for `loops` loops over all payloads (not yet divided by loops)."""
    if loops * sum(len(p) for p in payloads) <= PREPARED_BYTES:
        return _sample_batched(fn, payloads, loops)
    return _sample_per_call(fn, payloads, loops)


def calibrate(fn: Fn, payloads: list[bytes], min_s: float) -> int:
    """Double loops until one sample takes at least `min_s` (pyperf's approach)."""
    loops = 1
    sample(fn, payloads, 1)  # first call pays for imports and caches
    while loops < MAX_LOOPS and sample(fn, payloads, loops) < min_s:
        loops *= 2
    return loops


def measure(fn: Fn, payloads: list[bytes], loops: int, samples: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        sample(fn, payloads, loops)
    values = []
    for _ in range(samples):
        values.append(sample(fn, payloads, loops) / loops)
        gc.collect()
    return values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m perfopt.bench.worker")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--file", required=True)
    parser.add_argument("--qualname", required=True)
    parser.add_argument("--suite", required=True, type=Path)
    parser.add_argument("--cases", type=Path, default=None)
    parser.add_argument("--loops", type=int, default=1)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--calibrate", type=float, default=None, metavar="MIN_S")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    opts = _parser().parse_args(argv)
    payloads = [path.read_bytes() for _, path in read_cases(opts.suite, opts.cases)]
    if not payloads:
        raise SystemExit("no cases to time")
    # What the target prints is not ours to show, and must not cost terminal I/O.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        fn = load_callable(opts.root, opts.file, opts.qualname)
        if opts.calibrate is not None:
            return {"loops": calibrate(fn, payloads, opts.calibrate)}
        values = measure(fn, payloads, max(1, opts.loops), opts.samples, opts.warmup)
    return {"samples": values, "loops": max(1, opts.loops)}


if __name__ == "__main__":
    result = main()
    stream = sys.__stdout__ or sys.stdout
    stream.write("\n" + json.dumps(result) + "\n")
    stream.flush()
    os._exit(0)  # leftover threads of the target must not hold the worker open
