"""What measuring one candidate costs at default settings, and wall vs instruction ratios.

    .venv/bin/python bench/measure_cost.py

For each known slow/fast pair: seconds spent on wall timing and on instruction counts
(valgrind, when installed), the wall ratio with its interval, the instruction ratio, and
whether they disagree beyond the wall interval. Target: under 10 s per function-level
candidate on an idle 2-core machine.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfopt.bench import critic  # noqa: E402
from perfopt.bench.measure import measure_all  # noqa: E402
from perfopt.config import Settings  # noqa: E402
from perfopt.models import StressCase, StressSuite, Target  # noqa: E402

PAIRS = {
    # Python-level loop vs a comprehension: fewer bytecodes, both in the interpreter.
    "append-loop -> comprehension": (
        "def f(n):\n    out = []\n    for i in range(n):\n        out.append(i * 2)\n"
        "    return out\n",
        "def f(n):\n    return [i * 2 for i in range(n)]\n",
        (2000, 20000),
    ),
    # Membership in a list vs a set built once: the win is in C code and memory access.
    "list membership -> set": (
        "def f(n):\n    xs = list(range(n))\n"
        "    return sum(1 for i in range(0, n, 7) if i in xs)\n",
        "def f(n):\n    xs = set(range(n))\n"
        "    return sum(1 for i in range(0, n, 7) if i in xs)\n",
        (300, 1500),
    ),
}
TARGET = Target(file="mod.py", qualname="f")


def main() -> None:
    settings = Settings()
    print(f"default settings: rounds={settings.rounds} samples_per_worker="
          f"{settings.samples_per_worker} min_sample_s={settings.min_sample_s}; "
          f"cores={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="perfopt-cost-") as tmp:
        for k, (name, (slow, fast, sizes)) in enumerate(PAIRS.items()):
            work = Path(tmp) / f"p{k}"
            for side, src in (("a", slow), ("b", fast)):
                (work / side).mkdir(parents=True)
                (work / side / "mod.py").write_text(src)
            (work / "s").mkdir()
            cases = []
            for i, n in enumerate(sizes):
                (work / "s" / f"c{i}.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}}))
                cases.append(StressCase(f"c{i}", "sweep", f"c{i}.pkl", size=n))
            suite = StressSuite(TARGET, tuple(cases), str(work / "s"))
            started = time.perf_counter()
            ms = measure_all(work / "a", work / "b", TARGET, suite, settings)
            total = time.perf_counter() - started
            verdict = critic.accept(ms, critic.policy_from_settings(settings))
            by = {m.metric: m for m in ms}
            wall = by["wall"]
            print(f"{name}: {total:.1f} s total (loadavg {os.getloadavg()[0]:.2f})")
            print(f"  wall          {critic.describe(wall)}  {wall.seconds_spent:.1f} s")
            if "instructions" in by:
                ins = by["instructions"]
                note = critic.disagreement(ins, wall)
                print(f"  instructions  {ins.speedup:.3f}x  {ins.seconds_spent:.1f} s"
                      f"  ({ins.note})")
                print(f"  disagree beyond the wall interval: {'yes: ' + note if note else 'no'}")
            else:
                print(f"  instructions  not measured ({wall.note})")
            print(f"  verdict: {'accepted' if verdict.accepted else 'rejected'}: {verdict.reason}")


if __name__ == "__main__":
    main()
