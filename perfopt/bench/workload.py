"""The repository-workload clock: a workload script timed in whole source trees, the way
SWE-fficiency does.

The workload script (`setup()` and `workload()`, often ending with its own
`timeit.repeat(...)` and prints; `strip_harness` drops those statements and whatever uses
their result) is run by our runner (`_workload_runner.py`, executed by the tree's own
interpreter), which times `workload()` itself: one forked child per repetition, setup
outside the timed region. Trees are timed in interleaved rounds (pre, patched, expert,
pre, ...) so that drift on a shared machine hits all of them alike. `measure_trees` turns
an original and a candidate tree's samples into a `Measurement`. `measure_commands` times
a project's own workload command whole in two trees the same way (the function kind's
clock for a function whose calls cannot be recorded, perfopt.targets.oracle).
"""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.models import Measurement
from perfopt.verify import sandbox
from perfopt.verify.jail import Jail, jail_for

MARKER = "@@PERFOPT@@"
RUNNER = Path(__file__).with_name("_workload_runner.py")
_TIMEIT_FUNCS = frozenset({"repeat", "timeit"})
MIN_WORKLOAD_ROUNDS = 3  # measure_commands: 6 runs a side, what the critic needs


@dataclass(frozen=True)
class Samples:
    tree: str  # "pre" | "patched" | "expert"
    samples: tuple[float, ...]
    errors: tuple[str, ...] = ()
    module_file: str | None = None  # where the package was imported from (must be the tree)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else float("nan")

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.errors


def _is_timeit_call(node: ast.AST, funcs: set[str], modules: set[str]) -> bool:
    """`timeit.repeat(...)` / `ti.timeit(...)` / `repeat(...)` after `from timeit import repeat`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in _TIMEIT_FUNCS:
        return isinstance(func.value, ast.Name) and func.value.id in modules
    return isinstance(func, ast.Name) and func.id in funcs


def _names(stmt: ast.stmt, ctx: type) -> set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def strip_harness(source: str) -> tuple[str, int | None]:
    """(`source` without its top-level timing harness, the `repeat=` it asked for).

    Dropped: top-level statements that call `timeit.repeat`/`timeit.timeit` (or the names
    imported from timeit), and later top-level statements that read a name those assigned
    (the `print("Mean:", statistics.mean(runtimes))` lines). Lines are blanked, not removed,
    so tracebacks keep the workload's line numbers; the result stays valid for old Pythons
    because nothing is re-generated.
    """
    tree = ast.parse(source)
    funcs: set[str] = set()
    modules = {"timeit"}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "timeit":
            funcs |= {a.asname or a.name for a in stmt.names if a.name in _TIMEIT_FUNCS}
        elif isinstance(stmt, ast.Import):
            modules |= {a.asname or a.name for a in stmt.names if a.name == "timeit"}
    tainted: set[str] = set()
    drop: list[ast.stmt] = []
    repeat: int | None = None
    for stmt in tree.body:
        calls = [n for n in ast.walk(stmt)
                 if isinstance(n, ast.Call) and _is_timeit_call(n, funcs, modules)]
        if calls or (_names(stmt, ast.Load) & tainted):
            drop.append(stmt)
            tainted |= _names(stmt, ast.Store)
            for call in calls:
                for kw in call.keywords:
                    if (kw.arg == "repeat" and isinstance(kw.value, ast.Constant)
                            and isinstance(kw.value.value, int)):
                        repeat = kw.value.value
    lines = source.splitlines(keepends=True)
    for stmt in drop:
        end = stmt.end_lineno or stmt.lineno
        for i in range(stmt.lineno - 1, end):
            lines[i] = "\n"
    return "".join(lines), repeat


def run_samples(python: str, tree: Path, workload_file: Path, repetitions: int, *,
                package: str, name: str, timeout_s: float, memory_mb: int | None,
                jail: Jail | None = None) -> Samples:
    """One runner process in `tree`: `repetitions` forked repetitions of the workload (in
    `jail`, the tree writable, when given: the repetitions are timed inside it)."""
    env = sandbox.scrubbed_env({"PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": ""})
    result = sandbox.run(
        [python, str(RUNNER), str(workload_file), str(repetitions), package],
        cwd=tree, timeout_s=timeout_s, memory_mb=memory_mb, env=env,
        jail=None if jail is None else jail.allowing(tree),
    )
    if result.timed_out:
        return Samples(name, (), (f"timing ran longer than {timeout_s:.0f} s",))
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER):])
            errors = tuple(data.get("errors", ()))
            module_file = data.get("module_file")
            if module_file and not _inside(Path(module_file), tree):
                errors += (f"{package} was imported from {module_file}, not from {tree}",)
            return Samples(name, tuple(data["samples"]), errors, module_file)
    return Samples(name, (), (f"runner failed (exit {result.returncode}): {result.tail(8)}",))


def _inside(path: Path, tree: Path) -> bool:
    try:
        path.resolve().relative_to(tree.resolve())
    except ValueError:
        return False
    return True


def time_trees(python: str, trees: Mapping[str, Path], workload_source: str, work: Path, *,
               package: str, repetitions: int = 10, rounds: int = 2, timeout_s: float = 1800.0,
               memory_mb: int | None = None, jail: Jail | None = None) -> dict[str, Samples]:
    """Samples per tree name: `rounds` interleaved runner processes per tree, together at
    least `repetitions` repetitions. A tree whose runner fails keeps its errors and is not
    run again."""
    stripped, _ = strip_harness(workload_source)
    work.mkdir(parents=True, exist_ok=True)
    workload_file = work / "workload_stripped.py"
    workload_file.write_text(stripped, encoding="utf-8")
    rounds = max(1, min(rounds, repetitions))
    per_round = -(-repetitions // rounds)
    collected: dict[str, list[float]] = {name: [] for name in trees}
    errors: dict[str, tuple[str, ...]] = {name: () for name in trees}
    module_files: dict[str, str | None] = {name: None for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            if errors[name]:
                continue
            got = run_samples(python, tree, workload_file, per_round, package=package, name=name,
                              timeout_s=timeout_s, memory_mb=memory_mb, jail=jail)
            collected[name] += got.samples
            errors[name] = got.errors
            module_files[name] = got.module_file
    return {
        name: Samples(name, tuple(collected[name]), errors[name], module_files[name])
        for name in trees
    }


def measure_trees(python: str, original: Path, candidate: Path, workload_source: str,
                  work: Path, *, package: str, repetitions: int, rounds: int,
                  settings: Settings) -> Measurement:
    """The candidate tree against the original on the workload: wall seconds per
    repetition, the speedup of the means with its bootstrap interval. Raises BenchFailed
    when either tree's runner fails."""
    from perfopt.bench.machine import Stamp
    from perfopt.bench.stats import speedup_ci
    from perfopt.bench.timing import BenchFailed

    stamp = Stamp(python)
    started = time.perf_counter()
    got = time_trees(python, {"original": original, "candidate": candidate}, workload_source,
                     work, package=package, repetitions=repetitions, rounds=rounds,
                     timeout_s=settings.timeout_s, memory_mb=settings.memory_mb,
                     jail=jail_for(settings))
    if not (got["original"].ok and got["candidate"].ok):
        raise BenchFailed("benchmark", "timing failed: " + "; ".join(
            got["original"].errors + got["candidate"].errors))
    base, cand = got["original"].samples, got["candidate"].samples
    point, low, high = speedup_ci(base, cand, settings.confidence)
    (m,) = stamp.apply((Measurement(
        metric="wall", baseline=base, candidate=cand, speedup=point, ci_low=low, ci_high=high,
        confidence=settings.confidence, seconds_spent=time.perf_counter() - started,
        note=f"{rounds} interleaved runner processes per tree, {len(base)} repetitions of "
        "the workload each side"),))
    return m


def measure_commands(cmd: list[str] | str, original: Path, candidate: Path, *,
                     python: str, env_of: Callable[[Path], Mapping[str, str]],
                     settings: Settings) -> Measurement:
    """A whole workload command timed in the original tree and the candidate's: runs
    interleaved A B B A per round, each run's wall seconds from its exec to its exit (the
    interpreter's start-up is on both sides alike), the speedup and its interval by the
    rank statistics of the function clock (`stats.shift_ci`). `settings.rounds` rounds,
    fewer when the runs are long (`measure_budget_s`), never under MIN_WORKLOAD_ROUNDS (the
    critic's 6 samples a side). The candidate's runs are stopped past the limit set by the
    original's slowest run (verify.limits). Raises BenchFailed when a run fails: in the
    original tree, "benchmark"; with the candidate, "equivalence" (what the workload does
    is behaviour too) or "timeout"."""
    from perfopt.bench.machine import Stamp
    from perfopt.bench.stats import shift_ci
    from perfopt.bench.timing import BenchFailed
    from perfopt.verify.limits import candidate_limit

    stamp, started = Stamp(python), time.perf_counter()
    trees = {"original": original, "candidate": candidate}
    times: dict[str, list[float]] = {"original": [], "candidate": []}
    rounds, n = settings.rounds, 0
    while n < rounds:
        for side in ("original", "candidate", "candidate", "original"):
            limit = (candidate_limit(max(times["original"]), settings,
                                     "running the workload once")
                     if side == "candidate" else None)
            proc = sandbox.run(cmd, cwd=trees[side], env=env_of(trees[side]),
                               timeout_s=settings.timeout_s if limit is None else limit.seconds,
                               memory_mb=settings.memory_mb, shell=isinstance(cmd, str),
                               jail=jail_for(settings, trees[side]))
            if proc.timed_out and limit is not None:
                raise BenchFailed("timeout", limit.reason("the workload with the candidate"))
            if proc.timed_out or proc.returncode != 0:
                what = (f"ran past timeout_s = {settings.timeout_s:g} s" if proc.timed_out
                        else f"exit {proc.returncode}: {proc.tail(5)}")
                if side == "original":
                    raise BenchFailed("benchmark", f"the workload fails in the original "
                                                   f"tree ({what})")
                raise BenchFailed("equivalence", f"the workload fails with the candidate "
                                                 f"({what})")
            times[side].append(max(proc.seconds, 1e-6))
        if n == 0:  # long runs: fewer rounds, as the budget allows
            per_round = sum(times["original"]) + sum(times["candidate"])
            rounds = max(MIN_WORKLOAD_ROUNDS,
                         min(settings.rounds, int(settings.measure_budget_s // per_round)))
        n += 1
    base, cand = times["original"], times["candidate"]
    point, low, high = shift_ci(base, cand, settings.confidence)
    (m,) = stamp.apply((Measurement(
        metric="wall", baseline=tuple(base), candidate=tuple(cand), speedup=point,
        ci_low=low, ci_high=high, confidence=settings.confidence,
        seconds_spent=time.perf_counter() - started,
        note=f"the whole workload, {len(base)} runs in each tree, interleaved A B B A"),))
    return m
