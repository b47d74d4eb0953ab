"""perfopt's timing worker: `PYTHON perfopt/bench/worker.py --root DIR --file F --qualname Q
--suite DIR [--cases JSON] --loops N --samples S --warmup W` prints {"samples": [...], "loops": N};
with `--calibrate MIN_S` it prints {"loops": N, "case_s": [...]} instead (case_s: seconds of
one call per case, from the first, cold pass). `--instructions` runs one warm-up loop, then
`loops` loops inside `sys.call_tracing(...)`: the region callgrind counts (see
perfopt/bench/callgrind.py). `--sync torch|cupy` waits for the GPU before reading the clock.

One loop calls the target once on every case; a sample is the seconds per loop over
`loops` loops. Arguments are unpickled before the timer starts (a fresh copy per call,
since the target may mutate them), gc is off while timing and runs between samples.
When fresh copies for every loop would take too much memory, copies are made one call at
a time and only the calls are timed.

The target runs in this process, so everything the timing reads is bound before it is
imported: the clock, gc, the callgrind toggle, the builtins of these loops, the result's
way out. A target that rebinds `time.perf_counter`, `gc.disable`, `sys.call_tracing` or
`builtins.range` changes the modules, not this worker. With `--nonce-stdin` the worker
reads a nonce from stdin before the import and puts it in its result line, so a target
that prints a result line of its own and exits cannot pass it off as the worker's.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import gc
import io
import json
import os
import sys
import time
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any


def _standalone(rel: str):  # noqa: ANN202 - a module object
    """perfopt's stdlib-only file `rel` (under perfopt/) by its path: this file runs by path
    in the project's interpreter, where perfopt may be missing (perfopt/interpreter.py), and
    leaves sys.path so that none of its neighbours shadows a module of the project."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    if __name__ == "__main__" and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]
    path = os.path.join(os.path.dirname(here), rel)
    spec = importlib.util.spec_from_file_location("_perfopt_" + rel[:-3].replace("/", "_"), path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


if TYPE_CHECKING:
    from perfopt.verify.loader import load_callable, load_payload, read_cases
else:
    _loader = _standalone("verify/loader.py")
    load_callable, load_payload, read_cases = (_loader.load_callable, _loader.load_payload,
                                               _loader.read_cases)

if TYPE_CHECKING:  # subscripting collections.abc.Callable at run time needs 3.9
    from collections.abc import Callable

    Fn = Callable[..., Any]
    Sync = Callable[[], None]

# Bound now, before any target code is imported (see the module docstring); nothing below
# reads time., gc. or sys.call_tracing through the modules. Functions take the builtins of
# the globals they are defined in, so this private copy serves every loop of this module.
_clock = time.perf_counter
_gc_collect, _gc_disable, _gc_enable = gc.collect, gc.disable, gc.enable
_call_tracing = sys.call_tracing
_dumps = json.dumps
_exit = os._exit
# A returned generator is run to its end inside the timed region: its items are the work
# (the harness compares them as a sequence), creating it is not.
_Generator = types.GeneratorType
globals()["__builtins__"] = dict(vars(builtins))

# Pre-unpickled copies for one sample may take this many payload bytes; above it the
# worker times call by call (a few hundred ns of timer overhead per call).
PREPARED_BYTES = 64 * 1024 * 1024
MAX_LOOPS = 1 << 22


def _no_sync() -> None:
    return None


class _Sink(io.TextIOBase):
    """The target's stdout: what it prints is dropped (no terminal I/O in the timed calls),
    and closing it (a CLI entry point closes sys.stdout) does not break its next call."""

    def write(self, text: str) -> int:
        return len(text)

    def close(self) -> None:
        return None


def _run_calls(fn: Fn, calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    for args, kwargs in calls:
        # try/except costs nothing when nothing is raised (contextlib.suppress would
        # add a context manager per call); raising is part of what is timed.
        try:
            result = fn(*args, **kwargs)
            if type(result) is _Generator:
                for _ in result:
                    pass
        except Exception:  # noqa: BLE001, S110
            pass


def _sample_batched(fn: Fn, payloads: list[bytes], loops: int, sync: Sync) -> float:
    calls = [load_payload(p) for _ in range(loops) for p in payloads]
    _gc_collect()
    _gc_disable()
    try:
        sync()
        start = _clock()
        _run_calls(fn, calls)
        sync()  # GPU work is asynchronous: the clock stops when the device is done
        elapsed = _clock() - start
    finally:
        _gc_enable()
    return elapsed


def _sample_per_call(fn: Fn, payloads: list[bytes], loops: int, sync: Sync) -> float:
    elapsed = 0.0
    _gc_collect()
    for _ in range(loops):
        for payload in payloads:
            args, kwargs = load_payload(payload)
            _gc_disable()
            try:
                sync()
                start = _clock()
                try:
                    result = fn(*args, **kwargs)
                    if type(result) is _Generator:
                        for _ in result:
                            pass
                except Exception:  # noqa: BLE001, S110
                    pass
                sync()
                elapsed += _clock() - start
            finally:
                _gc_enable()
            del args, kwargs
    return elapsed


def sample(fn: Fn, payloads: list[bytes], loops: int, sync: Sync = _no_sync) -> float:
    """Total seconds for `loops` loops over all payloads (not yet divided by loops)."""
    if loops * sum(len(p) for p in payloads) <= PREPARED_BYTES:
        return _sample_batched(fn, payloads, loops, sync)
    return _sample_per_call(fn, payloads, loops, sync)


def case_times(fn: Fn, payloads: list[bytes], sync: Sync = _no_sync) -> list[float]:
    """Seconds of one call per case (this first pass also pays for imports and caches)."""
    return [_sample_per_call(fn, [p], 1, sync) for p in payloads]


def calibrate(fn: Fn, payloads: list[bytes], min_s: float, sync: Sync = _no_sync) -> int:
    """Double loops until one sample takes at least `min_s` (pyperf's approach)."""
    loops = 1
    while loops < MAX_LOOPS and sample(fn, payloads, loops, sync) < min_s:
        loops *= 2
    return loops


def measure(
    fn: Fn, payloads: list[bytes], loops: int, samples: int, warmup: int, sync: Sync = _no_sync
) -> list[float]:
    for _ in range(warmup):
        sample(fn, payloads, loops, sync)
    values = []
    for _ in range(samples):
        values.append(sample(fn, payloads, loops, sync) / loops)
        _gc_collect()
    return values


def count_region(fn: Fn, payloads: list[bytes], loops: int) -> int:
    """One warm-up loop, then `loops` loops inside sys.call_tracing: callgrind toggles
    collection on entering and leaving `sys_call_tracing`, the C function behind it, so only
    these calls are counted (see perfopt/bench/callgrind.py for why that function)."""
    _run_calls(fn, [load_payload(p) for p in payloads])  # imports, caches, specialization
    calls = [load_payload(p) for _ in range(loops) for p in payloads]
    _gc_collect()
    _gc_disable()
    try:
        _call_tracing(_run_calls, (fn, calls))
    finally:
        _gc_enable()
    return len(calls)


def gpu_sync(kind: str | None) -> Sync:
    if kind is None:
        return _no_sync
    if kind == "torch":
        import torch

        if not torch.cuda.is_available():
            return _no_sync
        return torch.cuda.synchronize
    if kind == "cupy":
        import cupy

        return cupy.cuda.get_current_stream().synchronize
    raise SystemExit(f"unknown --sync {kind!r}; use torch or cupy")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="worker.py")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--file", required=True)
    parser.add_argument("--qualname", required=True)
    parser.add_argument("--callable", default=None, dest="call_path",
                        help="what to call in the module (worked out from --qualname if absent)")
    parser.add_argument("--module", default=None,
                        help="import name of --file (worked out from it if absent)")
    parser.add_argument("--suite", required=True, type=Path)
    parser.add_argument("--cases", type=Path, default=None)
    parser.add_argument("--loops", type=int, default=1)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--calibrate", type=float, default=None, metavar="MIN_S")
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--sync", choices=("torch", "cupy"), default=None)
    parser.add_argument("--nonce-stdin", action="store_true",
                        help="read a nonce from stdin and put it in the result line")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    opts = _parser().parse_args(argv)
    # Read before the target is imported, and kept in this frame: the target never sees it.
    nonce = sys.stdin.readline().strip() if opts.nonce_stdin else None
    result = _run(opts)
    if nonce is not None:
        result["nonce"] = nonce
    return result


def _run(opts: argparse.Namespace) -> dict[str, Any]:
    payloads = [path.read_bytes() for _, path in read_cases(opts.suite, opts.cases)]
    if not payloads:
        raise SystemExit("no cases to time")
    # What the target prints is not ours to show, and must not cost terminal I/O.
    with contextlib.redirect_stdout(_Sink()):
        fn = load_callable(opts.root, opts.file, opts.qualname, opts.call_path, opts.module)
        if opts.instructions:
            return {"calls": count_region(fn, payloads, max(1, opts.loops))}
        sync = gpu_sync(opts.sync)
        if opts.calibrate is not None:
            first = case_times(fn, payloads, sync)
            loops = calibrate(fn, payloads, opts.calibrate, sync)
            return {"loops": loops, "case_s": first, "synced": sync is not _no_sync}
        values = measure(fn, payloads, max(1, opts.loops), opts.samples, opts.warmup, sync)
    return {"samples": values, "loops": max(1, opts.loops)}


def _entry() -> None:
    stream = sys.__stdout__ or sys.stdout  # taken before the target can rebind it
    result = main()
    stream.write("\n" + _dumps(result) + "\n")
    stream.flush()
    _exit(0)  # leftover threads of the target must not hold the worker open


if __name__ == "__main__":
    _entry()
