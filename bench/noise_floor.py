"""Noise floor of perfopt's wall-clock verdicts: A/A trials and known-speedup trials.

    .venv/bin/python bench/noise_floor.py                 # full: 200 A/A + 3 x 20 known
    .venv/bin/python bench/noise_floor.py --trials 8 --speedup-trials 2   # quick check

A/A: baseline and candidate are identical copies of one of several functions; any
acceptance is a false acceptance. Half the trials run with a CPU hog subprocess keeping
the other core busy. Known speedups: the candidate runs 1/S of the baseline's loop, the
count worked out in integers (cost linear in the loop count; callgrind checks every
function when installed: a float division before the loop, as an earlier version did,
moved the allocator's state enough to cost ~5% more per iteration, so "1.25x" was 1.18x).

Every trial is scored three ways from its samples: `default` is perfopt's verdict (rank
interval over per-worker medians, `stats.shift_ci`, with one extension of the rounds when
the first interval straddles min_speedup); `bootstrap` the earlier statistic (bootstrap of
the ratio of per-worker medians, `stats.speedup_ci`) and `paired` the per-round
t-interval (`stats.paired_speedup_ci`), both on the first stage's workers only.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfopt.bench import callgrind, critic  # noqa: E402
from perfopt.bench.stats import paired_speedup_ci, round_values, speedup_ci  # noqa: E402
from perfopt.bench.timing import compare_detailed  # noqa: E402
from perfopt.config import Settings  # noqa: E402
from perfopt.models import Measurement, StressCase, StressSuite, Target  # noqa: E402

# Functions whose cost is linear in n (constant work per step); n sized for ~1 ms a call.
FUNCTIONS = {
    "intloop": ("def f(n):\n    s = 0\n    for i in range(n):\n        s += i & 7\n"
                "    return s\n", 20000),
    "strjoin": ("def f(n):\n    return ''.join([str(i & 7) for i in range(n)])\n", 10000),
    "dictfill": ("def f(n):\n    d = {}\n    for i in range(n):\n        d[i & 1023] = i\n"
                 "    return len(d)\n", 15000),
    "genexpr": ("def f(n):\n    return sum(x * x for x in range((n)))\n", 15000),
}
SPEEDUPS = (1.10, 1.25, 2.0)
TARGET = Target(file="mod.py", qualname="f")


# factor -> (numerator, denominator): the candidate runs n * num // den steps
FRACTIONS = {1.10: (10, 11), 1.25: (4, 5), 2.0: (1, 2)}


def faster(source: str, factor: float) -> str:
    """The same loop over n / factor steps (integer arithmetic: no float is allocated)."""
    num, den = FRACTIONS[factor]
    steps = f"range(n * {num} // {den})"
    return source.replace("range(n)", steps).replace("range((n))", steps)


def tree(root: Path, source: str) -> Path:
    root.mkdir(parents=True)
    (root / "mod.py").write_text(source)
    return root


def suite(folder: Path, n: int) -> StressSuite:
    folder.mkdir(parents=True)
    (folder / "c0.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}}))
    return StressSuite(TARGET, (StressCase("c0", "sweep", "c0.pkl", size=n),), str(folder))


def verdicts(run, settings: Settings) -> dict[str, tuple[bool, float, float]]:
    """(accepted, ci_low, ci_high) for each statistic, from the same samples."""
    policy = critic.policy_from_settings(settings)
    m = run.measurement
    out = {"default": (critic.accept([m], policy).accepted, m.ci_low, m.ci_high)}
    first = 2 * settings.rounds  # workers per side before any extension
    a, b = run.groups_a[:first], run.groups_b[:first]
    for name, (p, lo, hi) in (
        ("bootstrap", speedup_ci([statistics.median(g) for g in a],
                                 [statistics.median(g) for g in b], settings.confidence)),
        ("paired", paired_speedup_ci(round_values(a), round_values(b), settings.confidence)),
    ):
        m = Measurement("wall", run.measurement.baseline, run.measurement.candidate, p, lo, hi)
        out[name] = (critic.accept([m], policy).accepted, lo, hi)
    return out


def start_hog() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def stop_hog(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()


def trial(work: Path, name: str, factor: float, settings: Settings, hog: bool, k: int):
    source, n = FUNCTIONS[name]
    base = tree(work / f"t{k}" / "a", source)
    cand = tree(work / f"t{k}" / "b", source if factor == 1.0 else faster(source, factor))
    hog_proc = start_hog() if hog else None
    try:
        run = compare_detailed(base, cand, TARGET, suite(work / f"t{k}" / "s", n), settings)
    finally:
        if hog_proc is not None:
            stop_hog(hog_proc)
    return verdicts(run, settings), run


def check_linear(work: Path, settings: Settings) -> list[str]:
    if not callgrind.available():
        return ["callgrind not installed: true speedups not checked"]
    lines = []
    for name, (source, n) in FUNCTIONS.items():
        ratios = []
        for factor in SPEEDUPS:
            where = work / f"lin-{name}-{factor}"
            m = callgrind.compare_instructions(
                tree(where / "a", source), tree(where / "b", faster(source, factor)),
                TARGET, suite(where / "s", n), [("c0", "c0.pkl")], 4, settings)
            ratios.append(f"{m.speedup:.3f}")
        lines.append(f"{name}: instruction ratios at {', '.join(map(str, SPEEDUPS))}x: "
                     f"{', '.join(ratios)}")
    return lines


def progress(label: str, result: dict, load: float) -> None:
    cells = "  ".join(f"{s}: {'ACC' if a else 'rej'} [{lo:.3f}, {hi:.3f}]"
                      for s, (a, lo, hi) in result.items())
    print(f"# {label:<22} {cells}  load {load:.2f}", flush=True)


def summarize(label: str, results: list[dict], stat: str) -> str:
    acc = sum(r[stat][0] for r in results)
    widths = [r[stat][2] / r[stat][1] for r in results if r[stat][1] > 0]
    width = statistics.median(widths) if widths else float("nan")
    return (f"  {label:<26} {stat:<8} accepted {acc:>3}/{len(results):<3} "
            f"({100 * acc / max(1, len(results)):5.1f}%)  median CI high/low {width:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="A/A trials in total")
    parser.add_argument("--speedup-trials", type=int, default=20, help="per known speedup")
    parser.add_argument("--min-sample-s", type=float, default=0.005,
                        help="shorter than the default 0.02 s: noisier, so conservative")
    parser.add_argument("--dump", type=Path, default=None,
                        help="append every trial's per-worker samples here (JSON lines), "
                             "so other statistics can be scored on the same trials")
    args = parser.parse_args()
    # A killed run must not leave its CPU hog spinning: SIGTERM unwinds like Ctrl-C, so
    # the `finally` in `trial` stops the hog.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = Settings().replace(min_sample_s=args.min_sample_s)
    names = list(FUNCTIONS)
    started = time.perf_counter()
    print(f"settings: rounds={settings.rounds} samples_per_worker={settings.samples_per_worker} "
          f"min_sample_s={settings.min_sample_s} min_speedup={settings.min_speedup} "
          f"confidence={settings.confidence}; cores={os.cpu_count()} "
          f"loadavg at start={os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="perfopt-noise-") as tmp:
        work = Path(tmp)
        for line in check_linear(work, settings):
            print(line, flush=True)
        aa: dict[bool, list[dict]] = {False: [], True: []}
        known: dict[float, list[dict]] = {f: [] for f in SPEEDUPS}
        loads: list[float] = []
        # Interleaved schedule (10 A/A, then one trial per known speedup): a run stopped
        # early still covers every category under the same machine conditions.
        for k, (factor, hog) in enumerate(schedule(args.trials, args.speedup_trials)):
            name = names[k % len(names)]
            result, run = trial(work, name, factor, settings, hog, k)
            if args.dump is not None:
                with args.dump.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"factor": factor, "name": name, "hog": hog,
                                         "a": run.groups_a, "b": run.groups_b}) + "\n")
            (aa[hog] if factor == 1.0 else known[factor]).append(result)
            loads.append(os.getloadavg()[0])
            progress(f"{factor}x {name} hog={hog} #{k + 1}", result, loads[-1])
            if (k + 1) % 50 == 0:
                report(aa, known, loads, started, partial=True)
    report(aa, known, loads, started, partial=False)


def schedule(trials: int, speedup_trials: int) -> list[tuple[float, bool]]:
    aa = [(1.0, k % 2 == 1) for k in range(trials)]
    known = [(f, j % 2 == 1) for j in range(speedup_trials) for f in SPEEDUPS]
    out: list[tuple[float, bool]] = []
    step = max(1, round(len(aa) / max(1, speedup_trials)))
    while aa or known:
        out += aa[:step]
        aa = aa[step:]
        out += known[: len(SPEEDUPS)]
        known = known[len(SPEEDUPS):]
    return out


def report(aa: dict, known: dict, loads: list[float], started: float, partial: bool) -> None:
    tag = "PARTIAL " if partial else ""
    print(f"{tag}{len(loads)} trials in {time.perf_counter() - started:.0f} s; 1-min load average "
          f"during trials: median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    for stat in ("default", "bootstrap", "paired"):
        print(f"{tag}statistic: {stat}")
        print(summarize("A/A idle", aa[False], stat))
        print(summarize("A/A with CPU hog", aa[True], stat))
        print(summarize("A/A all (false accept)", aa[False] + aa[True], stat))
        for factor in SPEEDUPS:
            print(summarize(f"true {factor:.2f}x (detection)", known[factor], stat))


if __name__ == "__main__":
    main()
