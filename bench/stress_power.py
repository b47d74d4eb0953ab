"""How much harder do stress inputs hit a slow program than the sample tests do?

For each PIE pair (slow, fast) in datasets/pie-dev: build a stress suite from the SLOW
program alone (no model), then run both programs on it and on the samples.

Printed per pair and overall:
  slowdown    slow program's mean cost on the stress inputs / on the sample inputs
              (median over pairs; target >= 20x)
  separation  share of pairs where the fast program is >= 1.10x faster on the stress
              inputs while both agree on every one (target >= 70%), beside the same share
              on the sample inputs
  validity    share of generated inputs both programs accept (exit 0 within the limit)
  seconds     to build the suite, per pair (target <= 60 s)

Usage: python bench/stress_power.py --limit 15 [--budget 60] [--jobs 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfopt.stress.programs import stress_program  # noqa: E402
from perfopt.verify import sandbox  # noqa: E402

SPEEDUP_BAR = 1.10  # PIE's %Opt threshold
REL_TOL = ABS_TOL = 1e-6
RUN_TIMEOUT_S = 20.0
SAMPLE_REPEATS = 3  # samples are ~30 ms: the median of a few runs


def same_output(a: str, b: str) -> bool:
    """Token by token; numbers within 1e-6 relative or absolute."""
    ta, tb = a.split(), b.split()
    if len(ta) != len(tb):
        return False
    for x, y in zip(ta, tb, strict=True):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if abs(fx - fy) > max(ABS_TOL, REL_TOL * max(abs(fx), abs(fy))):
            return False
    return True


def ordered_pairs(data: Path) -> list[dict]:
    """One pair per problem first (round robin), so a --limit spans many problems."""
    by_problem: dict[str, list[dict]] = defaultdict(list)
    for line in (data / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            by_problem[row["problem_id"]].append(row)
    out, depth = [], 0
    while any(len(rows) > depth for rows in by_problem.values()):
        out.extend(rows[depth] for rows in by_problem.values() if len(rows) > depth)
        depth += 1
    return out


def _run(cmd: list[str], cwd: Path, data: bytes) -> tuple[bool, float, str]:
    proc = sandbox.run(cmd, cwd=cwd, timeout_s=RUN_TIMEOUT_S, memory_mb=2048, stdin=data)
    return proc.ok, proc.seconds, proc.stdout


def _compare(slow: list[str], fast: list[str], cwd: Path, inputs: list[bytes],
             repeats: int) -> dict:
    """Both programs on every input (alternating order); times are medians of `repeats`."""
    t_slow, t_fast, agree, both_ok = [], [], True, 0
    for data in inputs:
        runs_s, runs_f = [], []
        for k in range(repeats):
            first, second = (slow, fast) if k % 2 == 0 else (fast, slow)
            r1, r2 = _run(first, cwd, data), _run(second, cwd, data)
            rs, rf = (r1, r2) if first is slow else (r2, r1)
            runs_s.append(rs)
            runs_f.append(rf)
        ok = all(r[0] for r in runs_s + runs_f)
        both_ok += ok
        agree = agree and ok and same_output(runs_s[0][2], runs_f[0][2])
        t_slow.append(statistics.median(r[1] for r in runs_s))
        t_fast.append(statistics.median(r[1] for r in runs_f))
    return {"slow_s": t_slow, "fast_s": t_fast, "agree": agree, "both_ok": both_ok,
            "n": len(inputs)}


def bench_pair(row: dict, data: Path, work: Path, budget_s: float) -> dict:
    pid = row["problem_id"]
    folder = work / f"{pid}-{row['submission_id_v0']}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow.py").write_text(row["slow_code"], encoding="utf-8")
    (folder / "fast.py").write_text(row["fast_code"], encoding="utf-8")
    problem = data / "problems" / pid
    statement = (problem / "statement.txt").read_text(encoding="utf-8")
    started = time.monotonic()
    suite = stress_program(folder / "slow.py", "python", problem, statement, folder / "suite",
                           budget_s=budget_s)
    build_s = time.monotonic() - started
    slow = [sys.executable, str(folder / "slow.py")]
    fast = [sys.executable, str(folder / "fast.py")]
    base = Path(suite.folder)
    stress = [(base / c.payload).read_bytes() for c in suite.cases if c.provenance != "sample"]
    samples = [(base / c.payload).read_bytes() for c in suite.cases if c.provenance == "sample"]
    on_samples = _compare(slow, fast, folder, samples, SAMPLE_REPEATS)
    on_stress = _compare(slow, fast, folder, stress, 1)
    mean_sample = statistics.mean(on_samples["slow_s"]) if samples else float("nan")
    mean_stress = statistics.mean(on_stress["slow_s"]) if stress else mean_sample
    return {
        "problem_id": pid, "pair": f"{row['submission_id_v0']}->{row['submission_id_v1']}",
        "build_s": round(build_s, 2), "cases": len(stress), "complexity": suite.complexity,
        "slowdown": mean_stress / mean_sample if mean_sample > 0 else float("nan"),
        "stress_speedup": _speedup(on_stress), "sample_speedup": _speedup(on_samples),
        "stress_separates": _separates(on_stress), "sample_separates": _separates(on_samples),
        "valid": on_stress["both_ok"], "generated": on_stress["n"],
    }


def _speedup(result: dict) -> float:
    fast = sum(result["fast_s"])
    return sum(result["slow_s"]) / fast if fast > 0 else float("nan")


def _separates(result: dict) -> bool:
    return result["n"] > 0 and result["agree"] and _speedup(result) >= SPEEDUP_BAR


def summarize(rows: list[dict]) -> dict:
    n = len(rows)
    generated = sum(r["generated"] for r in rows)
    return {
        "pairs": n,
        "median_slowdown": statistics.median(r["slowdown"] for r in rows) if rows else None,
        "separation_stress": sum(r["stress_separates"] for r in rows) / n if n else None,
        "separation_samples": sum(r["sample_separates"] for r in rows) / n if n else None,
        "validity": sum(r["valid"] for r in rows) / generated if generated else None,
        "mean_build_s": statistics.mean(r["build_s"] for r in rows) if rows else None,
        "max_build_s": max((r["build_s"] for r in rows), default=None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "pie-dev")
    parser.add_argument("--limit", type=int, default=None, help="pairs to run (default: all)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per suite")
    parser.add_argument("--jobs", type=int, default=1, help="pairs at once (timing noise!)")
    parser.add_argument("--json", type=Path, default=None, help="write rows + summary here")
    args = parser.parse_args(argv)
    pairs = ordered_pairs(args.data)[: args.limit]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="perfopt-stress-power-") as tmp:
        def one(row: dict) -> dict:
            result = bench_pair(row, args.data, Path(tmp), args.budget)
            print(f"{result['problem_id']} {result['pair']}: slowdown {result['slowdown']:.1f}x"
                  f" | stress speedup {result['stress_speedup']:.2f}x"
                  f" sep={'Y' if result['stress_separates'] else 'n'}"
                  f" | sample speedup {result['sample_speedup']:.2f}x"
                  f" sep={'Y' if result['sample_separates'] else 'n'}"
                  f" | valid {result['valid']}/{result['generated']}"
                  f" | k={result['complexity'] if result['complexity'] is None else round(result['complexity'], 2)}"  # noqa: E501
                  f" | {result['build_s']:.1f}s", flush=True)
            return result

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = list(pool.map(one, pairs))
    summary = summarize(rows)
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
