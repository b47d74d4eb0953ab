"""What confinement costs: one candidate's verification and one test run, strict vs off.

    .venv/bin/python bench/sandbox_overhead.py [--repeats 3] [--json out.json]

Each step runs at `--sandbox strict` (bubblewrap) and `off` alternately, `--repeats`
times each (the load drifts: interleaving hits both alike), on fresh copies so nothing is
cached between them. Printed per step: the median seconds at each level and their
difference, the sandboxed processes the step started, and the ACCOUNTED cost: those
processes x the extra seconds one process pays in the strict jail (a Python start-up,
jailed and not, interleaved, median difference). On a loaded 2-core machine the A/B
difference of whole steps swings by +-20% either way (load, not the jail); the accounted
figure is the jail's own cost, which the clocks keep out of every measured value.

- function candidate (the "list membership -> set" pair of bench/measure_cost.py, default
  settings): the harness's compare run, the project's tests in the candidate's copy, and
  the measurement (timing workers in ABBA rounds, instruction counts when valgrind is
  there). The harness's record run is per target, not per candidate: printed apart.
- program candidate (a Python stdin program, four inputs): the candidate's run on every
  input (compare) and `measure_programs` (the program timing workers, both sides).

A step's process count is all it started; the compare step's includes the record run it
needs first (timed apart), so its accounted cost is an overestimate.
- test run: datasets/demo's test suite in a copy.

The share is the extra time over the verification at strict (goal: < 10%).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfopt.bench.measure import measure_all  # noqa: E402
from perfopt.bench.programs import measure_programs  # noqa: E402
from perfopt.config import Settings  # noqa: E402
from perfopt.languages.build import Built  # noqa: E402
from perfopt.models import StressCase, StressSuite, Target  # noqa: E402
from perfopt.verify import equivalence, sandbox  # noqa: E402
from perfopt.verify.jail import jail_for, support  # noqa: E402
from perfopt.verify.tests import run_tests  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "datasets" / "demo"
TARGET = Target(file="mod.py", qualname="f")
SLOW = ("def f(n):\n    xs = list(range(n))\n"
        "    return sum(1 for i in range(0, n, 7) if i in xs)\n")
FAST = ("def f(n):\n    xs = set(range(n))\n"
        "    return sum(1 for i in range(0, n, 7) if i in xs)\n")
TESTS = "from mod import f\n\n\ndef test_f():\n    assert f(70) == 10\n"
PROGRAM_SLOW = ("n = int(input())\nxs = list(range(n))\n"
                "print(sum(1 for i in range(0, n, 7) if i in xs))\n")
PROGRAM_FAST = ("n = int(input())\nxs = set(range(n))\n"
                "print(sum(1 for i in range(0, n, 7) if i in xs))\n")
# big enough that the fast version is clearly faster (no extension of the rounds by
# chance) and a pass costs over FAST_PROGRAM_S (one run per worker, not 1 or 5 by chance)
PROGRAM_INPUTS = (b"4000\n", b"8000\n", b"8000\n", b"12000\n")
LEVELS = ("off", "strict")

Step = Callable[[Settings, Path], None]


def function_trees(work: Path) -> tuple[Path, Path, StressSuite]:
    for side, source in (("a", SLOW), ("b", FAST)):
        (work / side / "tests").mkdir(parents=True)
        (work / side / "mod.py").write_text(source)
        (work / side / "tests" / "test_mod.py").write_text(TESTS)
    (work / "s").mkdir()
    cases = []
    for i, n in enumerate((300, 1500)):
        (work / "s" / f"c{i}.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}}))
        cases.append(StressCase(f"c{i}", "sweep", f"c{i}.pkl", size=n))
    return work / "a", work / "b", StressSuite(TARGET, tuple(cases), str(work / "s"))


def function_steps() -> dict[str, Step]:
    def record(settings: Settings, work: Path) -> None:
        a, _, suite = function_trees(work)
        assert equivalence.record_outcomes(a, TARGET, suite, settings,
                                           work / "rec.pkl").accepted

    def compare(settings: Settings, work: Path) -> None:
        a, b, suite = function_trees(work)
        out = work / "rec.pkl"
        assert equivalence.record_outcomes(a, TARGET, suite, settings, out).accepted
        started = time.perf_counter()
        assert equivalence.check(a, b, TARGET, suite, settings, recorded=out).accepted
        work.joinpath("seconds").write_text(str(time.perf_counter() - started))

    def tests(settings: Settings, work: Path) -> None:
        _, b, _ = function_trees(work)
        assert run_tests(b, settings).ok

    def measure(settings: Settings, work: Path) -> None:
        a, b, suite = function_trees(work)
        measure_all(a, b, TARGET, suite, settings)

    return {"record (per target)": record, "compare": compare, "tests": tests,
            "measure": measure}


def program_steps() -> dict[str, Step]:
    def built(work: Path, name: str, source: str) -> Built:
        (work / name).mkdir(parents=True, exist_ok=True)
        file = work / name / f"{name}.py"
        file.write_text(source)
        return Built("python", file, (sys.executable, str(file)))

    def compare(settings: Settings, work: Path) -> None:
        candidate = built(work, "candidate", PROGRAM_FAST)
        for data in PROGRAM_INPUTS:
            assert sandbox.run(list(candidate.command), cwd=candidate.source_file.parent,
                               timeout_s=60, memory_mb=settings.memory_mb, stdin=data,
                               jail=jail_for(settings, candidate.source_file.parent)).ok

    def measure(settings: Settings, work: Path) -> None:
        original = built(work, "original", PROGRAM_SLOW)
        candidate = built(work, "candidate", PROGRAM_FAST)
        measure_programs(original, candidate, list(PROGRAM_INPUTS), 0.1, settings)

    return {"compare": compare, "measure": measure}


def test_run_steps() -> dict[str, Step]:
    def demo_tests(settings: Settings, work: Path) -> None:
        tree = work / "demo"
        shutil.copytree(DEMO, tree, ignore=shutil.ignore_patterns("__pycache__", ".perfopt"))
        assert run_tests(tree, settings).ok

    return {"datasets/demo tests": demo_tests}


class Counter:
    """Counts the sandboxed processes started (a wrapper around sandbox's one spawn)."""

    def __init__(self) -> None:
        self.count = 0
        self._spawn = sandbox._spawn

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return self._spawn(*args, **kwargs)

        sandbox._spawn = counting  # type: ignore[assignment]


def jail_start_s(runs: int = 30) -> float:
    """The extra seconds one process pays in the strict jail: a Python start-up jailed and
    not, interleaved; the median difference."""
    plain, jailed = [], []
    for _ in range(runs):
        for found, level in ((plain, "off"), (jailed, "strict")):
            started = time.perf_counter()
            sandbox.run([sys.executable, "-c", "pass"], cwd="/", timeout_s=60, memory_mb=None,
                        jail=jail_for(Settings(sandbox=level)))
            found.append(time.perf_counter() - started)
    return statistics.median(jailed) - statistics.median(plain)


def timed(step: Step, settings: Settings) -> float:
    with tempfile.TemporaryDirectory(prefix="perfopt-overhead-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        step(settings, work)
        seconds = time.perf_counter() - started
        inner = work / "seconds"  # a step that times only its own part says so
        return float(inner.read_text()) if inner.exists() else seconds


def measure_group(steps: dict[str, Step], repeats: int, counter: Counter,
                  start_s: float) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, list[float]]] = {n: {lv: [] for lv in LEVELS} for n in steps}
    processes: dict[str, list[int]] = {n: [] for n in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            for level in LEVELS:
                before = counter.count
                rows[name][level].append(timed(step, Settings(sandbox=level)))
                if level == "strict":
                    processes[name].append(counter.count - before)
    out = {}
    for name, by in rows.items():
        count = statistics.median(processes[name])
        out[name] = {**{lv: statistics.median(v) for lv, v in by.items()},
                     "processes": count, "accounted": count * start_s}
    return out


def report(title: str, rows: dict[str, dict[str, float]], candidate: tuple[str, ...]) -> dict:
    print(f"\n{title}")
    print(f"  {'step':22} {'off s':>7} {'strict s':>8} {'A/B s':>7} {'procs':>5} "
          f"{'accounted s':>11}")
    for name, by in rows.items():
        print(f"  {name:22} {by['off']:7.3f} {by['strict']:8.3f} "
              f"{by['strict'] - by['off']:+7.3f} {by['processes']:5.0f} "
              f"{by['accounted']:11.3f}")
    summary: dict = {"steps": rows}
    names = candidate or tuple(rows)
    off = sum(rows[n]["off"] for n in names)
    strict = sum(rows[n]["strict"] for n in names)
    accounted = sum(rows[n]["accounted"] for n in names)
    what = f"one candidate ({' + '.join(names)})" if candidate else "one test run"
    print(f"  {what}: off {off:.2f} s, strict {strict:.2f} s; the jail's cost "
          f"{accounted:.3f} s accounted = {accounted / strict:.1%} of it (A/B difference "
          f"{strict - off:+.2f} s = {(strict - off) / strict:+.1%}, load included)")
    summary.update(off_s=off, strict_s=strict, accounted_s=accounted,
                   share=accounted / strict, ab_share=(strict - off) / strict)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if support().bwrap is None:
        sys.exit(f"strict sandbox unavailable here: {support().problem}")
    start_s = jail_start_s()
    print(f"cores={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f} repeats={args.repeats} "
          f"(medians; default settings); one process in the strict jail: "
          f"{start_s * 1000:+.1f} ms")
    counter = Counter()
    results = {
        "jail_start_s": start_s,
        "function": report("function candidate",
                           measure_group(function_steps(), args.repeats, counter, start_s),
                           ("compare", "tests", "measure")),
        "program": report("program candidate",
                          measure_group(program_steps(), args.repeats, counter, start_s),
                          ("compare", "measure")),
        "test_run": report("test run",
                           measure_group(test_run_steps(), args.repeats, counter, start_s),
                           ()),
    }
    print(f"loadavg at the end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
