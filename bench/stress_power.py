"""How much harder do stress inputs hit a slow program than the sample tests do?

For each PIE pair (slow, fast) in datasets/pie-dev: build a stress suite from the SLOW
program alone (no model), then run both programs on it and on the samples.

Cost (NET): a run's wall seconds minus the median wall seconds of an empty program run
the same way (same interpreter, an empty script), timed interleaved with the runs, floored
at 1 ms. It is the program's own work: CPython's ~30 ms start-up would otherwise dominate
every sample. GROSS (wall) figures are printed beside the net ones. The clock is the
stressor's own (perfopt.bench.program_clock), so the two costs compare.

Stress inputs are the suite's cases other than "sample", "sweep" and "check" (sweep points only
feed the complexity fit).

Printed per pair and overall:
  slowdown    slow program's mean net cost on the stress inputs / on the sample inputs
              (median over pairs; target >= 20x); the same ratio of gross costs beside it.
              When either side's own work is below the clock's reach (mean net wall cost
              < 10 ms, where a ratio's term is start-up jitter) and the other side is
              cheap enough to count (mean net cost <= 0.3 s: CPython runs ~100x slower
              under callgrind), the ratio is of net instruction counts instead; the
              wall-only ratio is printed beside (`slowdown_wall`)
  separation  share of pairs where the fast program is >= 1.10x faster on the stress
              inputs while both agree on every one (target >= 70%), beside the same share
              on the samples. "Faster" is measured where it can be: when the slow
              program's mean net wall cost on the inputs is >= 10 ms, by wall time (sum of
              net costs, each the median of 3 interleaved runs); below that both programs
              sit at CPython's start-up floor (~40 ms, drifting by milliseconds), a wall
              ratio is noise, and the verdict uses net instruction counts instead
              (callgrind, PYTHONHASHSEED=0: each program's whole-run count minus an empty
              script's; exact and repeatable). The wall-only verdicts are printed beside
              (`*_wall`), and the share among the pairs whose stress inputs cost >= 10 ms.
  validity    generated inputs the slow program accepted / all it was run on while the
              suite was built (exit 0 within the limit); beside it, kept stress inputs
              both programs accept, and the pairs whose programs disagree on a stress
              input, with the first such input (a row keeps its first 400 characters and
              both outputs: `stress_disagreement`)
  seconds     to build the suite, per pair (target <= 60 s)

Usage: python bench/stress_power.py --limit 15 [--budget 60] [--jobs 1] [--json out.json]
       [--rows rows.jsonl [--report]]   (the whole split: no --limit; with --rows a run can
       stop and go on later, --report summarizes the pairs in the file without running)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfopt.bench import callgrind  # noqa: E402
from perfopt.bench.program_clock import FLOOR_S, Startup, time_run  # noqa: E402
from perfopt.bench.timing import BenchFailed  # noqa: E402
from perfopt.commands.stress import NOT_STRESS  # noqa: E402
from perfopt.stress.programs import build_program_suite  # noqa: E402
from perfopt.verify import sandbox  # noqa: E402

SPEEDUP_BAR = 1.10  # PIE's %Opt threshold
REL_TOL = ABS_TOL = 1e-6
RUN_TIMEOUT_S = 20.0
MEMORY_MB = 2048  # every run's limit, the empty program's too
SHOWN_CHARS = 400  # of a disagreeing input (and 200 of each output) kept in the row
REPEATS = 3  # every input: the median of this many interleaved runs
MEASURABLE_S = FLOOR_S  # a suite whose mean net wall cost is below this measures start-up
IR_TIMEOUT_S = 300.0  # one program run under callgrind
IR_SLOWDOWN_MAX_S = 0.3  # inputs costing more (net, mean) are not counted for slowdown


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
    proc = time_run(cmd, data, cwd=cwd, timeout_s=RUN_TIMEOUT_S, memory_mb=MEMORY_MB)
    return proc.ok, proc.seconds, proc.stdout


def _startup(empty: list[str], cwd: Path) -> Startup:
    """The empty program's clock, run as the programs are."""
    return Startup(empty, cwd, MEMORY_MB, timeout_s=RUN_TIMEOUT_S)


def _compare(slow: list[str], fast: list[str], empty: list[str], cwd: Path,
             inputs: list[bytes], repeats: int) -> dict:
    """Both programs and the empty program on every input, interleaved (the order turns
    each repetition); gross times are medians of `repeats`, net ones subtract the empty
    program's median over the whole comparison."""
    g_slow, g_fast, agree, both_ok = [], [], True, 0
    startup = _startup(empty, cwd)
    disagreement = None
    for data in inputs:
        runs_s, runs_f = [], []
        for k in range(repeats):
            first, second = (slow, fast) if k % 2 == 0 else (fast, slow)
            r1, r2 = _run(first, cwd, data), _run(second, cwd, data)
            startup.time()
            rs, rf = (r1, r2) if first is slow else (r2, r1)
            runs_s.append(rs)
            runs_f.append(rf)
        slow_ok, fast_ok = all(r[0] for r in runs_s), all(r[0] for r in runs_f)
        both_ok += slow_ok and fast_ok
        same = slow_ok and fast_ok and same_output(runs_s[0][2], runs_f[0][2])
        if not same and disagreement is None:  # the first, to check by hand afterwards
            text = data.decode("utf-8", errors="replace")
            disagreement = {"input": text[:SHOWN_CHARS], "input_chars": len(text),
                            "slow_ok": slow_ok, "fast_ok": fast_ok,
                            "slow": runs_s[0][2][:200], "fast": runs_f[0][2][:200]}
        agree = agree and same
        g_slow.append(statistics.median(r[1] for r in runs_s))
        g_fast.append(statistics.median(r[1] for r in runs_f))
    return {"slow_gross_s": g_slow, "fast_gross_s": g_fast, "startup_s": startup.median_s(),
            "slow_s": [startup.net_s(t) for t in g_slow],
            "fast_s": [startup.net_s(t) for t in g_fast],
            "agree": agree, "both_ok": both_ok, "n": len(inputs),
            "disagreement": disagreement}


def _instructions(slow: list[str], fast: list[str] | None, empty: list[str], cwd: Path,
                  inputs: list[bytes], empty_ir: int | None = None) -> dict | None:
    """Net instruction counts of both programs (the slow one alone when `fast` is None) on
    every input (whole run minus the empty script's run, counted unless `empty_ir` gives
    it: the count is exact); None without valgrind or when a count fails. Counts do not
    depend on the load, so the two cores count two at once."""
    if not inputs or not callgrind.available():
        return None
    programs = [slow] if fast is None else [slow, fast]
    jobs = [] if empty_ir is not None else [(empty, b"")]
    jobs += [(cmd, data) for data in inputs for cmd in programs]
    try:
        counts = callgrind.programs_instructions(jobs, cwd=cwd, timeout_s=IR_TIMEOUT_S)
    except BenchFailed:
        return None
    if empty_ir is None:
        empty_ir, counts = counts[0], counts[1:]
    k = len(programs)
    out = {"slow_ir": [max(c - empty_ir, 1) for c in counts[0::k]], "empty_ir": empty_ir}
    if fast is not None:
        out["fast_ir"] = [max(c - empty_ir, 1) for c in counts[1::k]]
    return out


def _slowdown(wall: float, on_stress: dict, on_samples: dict, verdicts: dict,
              slow: list[str], empty: list[str], cwd: Path, stress: list[bytes],
              samples: list[bytes]) -> tuple[float, str]:
    """Stress over samples for the slow program, and how it was measured: by instruction
    counts when either side was counted (below the clock's reach, where a wall ratio's
    term is start-up jitter) and the other is cheap enough to count, else `wall`, the
    ratio by net wall time. Counting only one side would not do: samples doing no work
    can still time above 10 ms when a run drifts, and stress inputs at the 1 ms floor over
    them read 0.1x."""
    sample_ir, stress_ir = verdicts["sample"][2], verdicts["stress"][2]
    counted = sample_ir or stress_ir
    if not on_stress["slow_s"] or not on_samples["slow_s"] or counted is None:
        return wall, "wall"
    empty_ir = counted["empty_ir"]
    if stress_ir is None and statistics.mean(on_stress["slow_s"]) <= IR_SLOWDOWN_MAX_S:
        stress_ir = _instructions(slow, None, empty, cwd, stress, empty_ir)
    if sample_ir is None and statistics.mean(on_samples["slow_s"]) <= IR_SLOWDOWN_MAX_S:
        sample_ir = _instructions(slow, None, empty, cwd, samples, empty_ir)
    if stress_ir is None or sample_ir is None:
        return wall, "wall"
    return (statistics.mean(stress_ir["slow_ir"]) / statistics.mean(sample_ir["slow_ir"]),
            "instructions")


def _verdict(wall: dict, ir: dict | None) -> tuple[float, str]:
    """The speedup and how it was measured: instruction counts when they were taken (the
    slow program's own work is below the clock's reach), else wall time."""
    if ir is None:
        return _speedup(wall), "wall"
    return sum(ir["slow_ir"]) / sum(ir["fast_ir"]), "instructions"


def bench_pair(row: dict, data: Path, work: Path, budget_s: float) -> dict:
    pid = row["problem_id"]
    folder = work / f"{pid}-{row['submission_id_v0']}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow.py").write_text(row["slow_code"], encoding="utf-8")
    (folder / "fast.py").write_text(row["fast_code"], encoding="utf-8")
    (folder / "empty.py").write_text("", encoding="utf-8")
    problem = data / "problems" / pid
    statement = (problem / "statement.txt").read_text(encoding="utf-8")
    started = time.monotonic()
    built = build_program_suite(folder / "slow.py", "python", problem, statement,
                                folder / "suite", budget_s=budget_s)
    build_s = time.monotonic() - started
    suite, stats = built.suite, built.stats
    slow = [sys.executable, str(folder / "slow.py")]
    fast = [sys.executable, str(folder / "fast.py")]
    empty = [sys.executable, str(folder / "empty.py")]
    base = Path(suite.folder)
    stress = [(base / c.payload).read_bytes() for c in suite.cases
              if c.provenance not in NOT_STRESS]
    samples = [(base / c.payload).read_bytes() for c in suite.cases if c.provenance == "sample"]
    on_samples = _compare(slow, fast, empty, folder, samples, REPEATS)
    on_stress = _compare(slow, fast, empty, folder, stress, REPEATS)
    verdicts, empty_ir = {}, None
    for name, inputs, wall in (("stress", stress, on_stress), ("sample", samples, on_samples)):
        below = bool(wall["slow_s"]) and statistics.mean(wall["slow_s"]) < MEASURABLE_S
        ir = _instructions(slow, fast, empty, folder, inputs, empty_ir) if below else None
        empty_ir = ir["empty_ir"] if ir is not None else empty_ir
        speedup, how = _verdict(wall, ir)
        verdicts[name] = (speedup, how, ir)
    slowdown_wall = _ratio(on_stress, on_samples, "slow_s")
    slowdown, slowdown_measure = _slowdown(slowdown_wall, on_stress, on_samples, verdicts,
                                           slow, empty, folder, stress, samples)
    return {
        "problem_id": pid, "pair": f"{row['submission_id_v0']}->{row['submission_id_v1']}",
        "build_s": round(build_s, 2), "build_phases_s": dict(stats.phases_s),
        "render_max_s": stats.render_max_s, "cases": len(stress), "complexity": suite.complexity,
        "slowdown": slowdown, "slowdown_measure": slowdown_measure,
        "slowdown_wall": slowdown_wall,
        "slowdown_gross": _ratio(on_stress, on_samples, "slow_gross_s"),
        "startup_s": on_samples["startup_s"],
        "stress_cost_s": statistics.mean(on_stress["slow_s"]) if on_stress["slow_s"] else 0.0,
        "stress_speedup": verdicts["stress"][0], "stress_measure": verdicts["stress"][1],
        "sample_speedup": verdicts["sample"][0], "sample_measure": verdicts["sample"][1],
        "stress_speedup_wall": _speedup(on_stress), "sample_speedup_wall": _speedup(on_samples),
        "stress_speedup_gross": _speedup(on_stress, "gross_s"),
        "stress_ir": verdicts["stress"][2], "sample_ir": verdicts["sample"][2],
        "stress_separates": _separates(on_stress, verdicts["stress"][0]),
        "sample_separates": _separates(on_samples, verdicts["sample"][0]),
        "stress_separates_wall": _separates(on_stress, _speedup(on_stress)),
        "sample_separates_wall": _separates(on_samples, _speedup(on_samples)),
        "generated": stats.generated, "generated_ok": stats.accepted,
        "kept_both_ok": on_stress["both_ok"], "kept": on_stress["n"],
        "stress_agree": on_stress["agree"], "sample_agree": on_samples["agree"],
        # the first input the programs disagree on (or one fails on), None when they agree
        "stress_disagreement": on_stress["disagreement"],
        "sample_disagreement": on_samples["disagreement"],
    }


def _ratio(stress: dict, samples: dict, key: str) -> float:
    if not stress[key] or not samples[key]:
        return 1.0 if stress[key] or samples[key] else float("nan")  # nothing to compare
    return statistics.mean(stress[key]) / statistics.mean(samples[key])


def _speedup(result: dict, unit: str = "s") -> float:
    fast = sum(result[f"fast_{unit}"])
    return sum(result[f"slow_{unit}"]) / fast if fast > 0 else float("nan")


def _separates(result: dict, speedup: float) -> bool:
    """Both programs agree on every input and the fast one is >= 1.10x faster."""
    return result["n"] > 0 and result["agree"] and speedup >= SPEEDUP_BAR


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarize(rows: list[dict]) -> dict:
    n = len(rows)
    generated = sum(r["generated"] for r in rows)
    kept = sum(r["kept"] for r in rows)

    def median(key: str) -> float | None:
        values = [r[key] for r in rows if r[key] == r[key]]  # NaN: no samples
        return statistics.median(values) if values else None

    return {
        "cost": "net = wall - median(empty program wall), floored at 1 ms; gross = wall",
        "pairs": n,
        # net instructions where the samples are below the clock's reach, else net wall
        "median_slowdown_net": median("slowdown"),
        "pairs_slowdown_net_ge_20x": sum(r["slowdown"] >= 20 for r in rows),
        "pairs_slowdown_by_instructions": sum(r["slowdown_measure"] == "instructions"
                                              for r in rows),
        # net wall time only (the figure of earlier runs of this bench), and gross wall
        "median_slowdown_wall": median("slowdown_wall"),
        "pairs_slowdown_wall_ge_20x": sum(r["slowdown_wall"] >= 20 for r in rows),
        "median_slowdown_gross": median("slowdown_gross"),
        # wall time where measurable, instruction counts below the start-up floor
        "separation_stress": _share([r["stress_separates"] for r in rows]),
        "separation_samples": _share([r["sample_separates"] for r in rows]),
        "pairs_by_instructions": {"stress": sum(r["stress_measure"] == "instructions"
                                                for r in rows),
                                  "samples": sum(r["sample_measure"] == "instructions"
                                                 for r in rows)},
        # wall time only (the verdicts of earlier runs of this bench)
        "separation_stress_wall": _share([r["stress_separates_wall"] for r in rows]),
        "separation_samples_wall": _share([r["sample_separates_wall"] for r in rows]),
        # the same bar on gross (wall) sums: near the 1 ms floor net ratios are noise
        "separation_stress_gross": sum(r["stress_separates_wall"] and r["stress_speedup_gross"]
                                       >= SPEEDUP_BAR for r in rows) / n if n else None,
        # pairs where the stress inputs make the slow program do measurable work (mean net
        # cost >= MEASURABLE_S): elsewhere both programs sit at the start-up floor
        "pairs_measurable": sum(r["stress_cost_s"] >= MEASURABLE_S for r in rows),
        "separation_measurable": _share([r["stress_separates"] for r in rows
                                         if r["stress_cost_s"] >= MEASURABLE_S]),
        "separation_samples_measurable": _share([r["sample_separates"] for r in rows
                                                 if r["stress_cost_s"] >= MEASURABLE_S]),
        "validity_generated": sum(r["generated_ok"] for r in rows) / generated
        if generated else None,
        "generated_ok_total": f"{sum(r['generated_ok'] for r in rows)}/{generated}",
        "validity_kept_both": sum(r["kept_both_ok"] for r in rows) / kept if kept else None,
        # both programs exit 0 yet answer differently: an input outside the statement's
        # rules (or a wrong "accepted" program); rows of runs before this field: not known
        "pairs_disagreeing_on_stress": sum(not r["stress_agree"] for r in rows
                                           if "stress_agree" in r),
        "pairs_agreement_known": sum("stress_agree" in r for r in rows),
        # which, with the first such input where the row kept it (rows since 2026-11-24)
        "disagreeing_on_stress": [
            {"pair": f"{r['problem_id']} {r['pair']}",
             "input": (r.get("stress_disagreement") or {}).get("input")}
            for r in rows if not r.get("stress_agree", True)],
        "median_startup_s": median("startup_s"),
        "mean_build_s": statistics.mean(r["build_s"] for r in rows) if rows else None,
        "max_build_s": max((r["build_s"] for r in rows), default=None),
    }


def _pair_id(row: dict) -> tuple[str, str]:
    return row["problem_id"], f"{row['submission_id_v0']}->{row['submission_id_v1']}"


def _row_id(result: dict) -> tuple[str, str]:
    """A finished row's key, the same as `_pair_id` of the pair it measured."""
    return result["problem_id"], result["pair"]


def _read_rows(path: Path) -> dict[tuple[str, str], dict]:
    """Finished pairs of an earlier run (the last row wins); a torn last line is skipped."""
    rows: dict[tuple[str, str], dict] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows[_row_id(row)] = row
    return rows


def _commit() -> str:
    """The stressor's version: the last commit that changed perfopt/ ("+dirty" with local
    changes there), so rows run before and after a commit elsewhere still compare."""
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""
    last = git("log", "-1", "--format=%H", "--", "perfopt") or "unknown"
    return last + ("+dirty" if git("status", "--porcelain", "--", "perfopt") else "")


def _line(result: dict) -> str:
    """One finished pair, as printed while the bench runs."""
    k = result["complexity"]
    return (f"{result['problem_id']} {result['pair']}: slowdown net"
            f" {result['slowdown']:.1f}x by {result['slowdown_measure']}"
            f" (wall {result['slowdown_wall']:.1f}x, gross {result['slowdown_gross']:.1f}x)"
            f" | stress speedup {result['stress_speedup']:.2f}x by {result['stress_measure']}"
            f" (wall {result['stress_speedup_wall']:.2f}x,"
            f" gross {result['stress_speedup_gross']:.2f}x)"
            f" sep={'Y' if result['stress_separates'] else 'n'}"
            f" | sample speedup {result['sample_speedup']:.2f}x by {result['sample_measure']}"
            f" sep={'Y' if result['sample_separates'] else 'n'}"
            f" | valid {result['generated_ok']}/{result['generated']}"
            f" kept {result['kept_both_ok']}/{result['kept']}"
            f"{'' if result['stress_agree'] else ' DISAGREE'}"
            f" | k={k if k is None else round(k, 2)} | {result['build_s']:.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "pie-dev")
    parser.add_argument("--limit", type=int, default=None, help="pairs to run (default: all)")
    parser.add_argument("--problems", default=None,
                        help="comma-separated problem ids: only their pairs (default: all)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per suite")
    parser.add_argument("--jobs", type=int, default=1, help="pairs at once (timing noise!)")
    parser.add_argument("--json", type=Path, default=None, help="write rows + summary here")
    parser.add_argument("--rows", type=Path, default=None,
                        help="JSON Lines file: each finished pair is appended (with the last"
                             " commit that changed perfopt/); pairs already in it are not run"
                             " again, and the summary covers every selected pair found in it"
                             " (a long run can stop and go on)")
    parser.add_argument("--report", action="store_true",
                        help="with --rows: summarize the pairs already there, run nothing")
    args = parser.parse_args(argv)
    pairs = ordered_pairs(args.data)
    if args.problems:
        wanted = set(args.problems.split(","))
        pairs = [row for row in pairs if row["problem_id"] in wanted]
    pairs = pairs[: args.limit]
    done = _read_rows(args.rows) if args.rows else {}
    todo = [] if args.report else [row for row in pairs if _pair_id(row) not in done]
    commit = _commit()
    # Ctrl-C stops the pair in flight too (no row for it); the default handler's
    # KeyboardInterrupt can be lost where a child starts, and the pool would finish it.
    # The CLI's handler remembers it, so the pair's next sandboxed run raises it again
    signal.signal(signal.SIGINT, sandbox.on_sigint)
    try:
        with tempfile.TemporaryDirectory(prefix="perfopt-stress-power-") as tmp:
            def one(row: dict) -> dict:
                result = bench_pair(row, args.data, Path(tmp), args.budget)
                result["commit"] = commit
                if args.rows:
                    with args.rows.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(result) + "\n")
                print(_line(result), flush=True)
                return result

            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                try:
                    ran = {_row_id(r): r for r in pool.map(one, todo)}
                except KeyboardInterrupt:
                    sandbox.kill_all()  # the pool waits for the pair: its child stops now
                    raise
    except KeyboardInterrupt:
        print("interrupted: the pairs that finished are in --rows", file=sys.stderr)
        return 130
    done.update(ran)
    rows = [done[_pair_id(row)] for row in pairs if _pair_id(row) in done]
    summary = summarize(rows)
    summary["pairs_selected"] = len(pairs)
    summary["pairs_run_now"] = len(ran)
    summary["commits"] = sorted({r.get("commit", "unknown") for r in rows})
    summary["load_average"] = [round(x, 2) for x in os.getloadavg()]
    summary["command"] = " ".join(["python", "bench/stress_power.py", *sys.argv[1:]])
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
