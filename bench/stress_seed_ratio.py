"""Where does the stress slowdown stop? The costliest sample against the samples' mean.

stress_power.py's slowdown is the slow program's mean cost on the stress inputs over its
mean cost on the sample inputs. When a problem's samples already hold an input at the
statement's bounds (p03796's N = 100000 with 1 <= N <= 10^5), no valid input costs much
more than that sample, and the ratio cannot pass about the number of samples, whatever
the stressor does. This script measures, for every pair of a stress_power rows file whose
slowdown is below 20x (--all: every pair), the SEED RATIO: the slow program's costliest
sample over its mean sample cost, measured the way that pair's slowdown was (net
instruction counts when the row says "instructions", else net wall time, median of 3
runs interleaved with an empty script). A suite that repeated the costliest sample would
score the seed ratio.

Printed per pair: slowdown, seed ratio, their quotient. Overall: the pairs whose stress
inputs cost less than half the costliest sample (quotient < 0.5: the search missed an input
the samples show), and how the pairs below 20x split into those two groups.

Usage: python bench/stress_seed_ratio.py --rows bench/results/stress_power_pie_dev.jsonl
       [--problem p02596] [--all] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import stress_power as sp  # noqa: E402

from perfopt.stress.programs import sample_inputs  # noqa: E402

MISSED = 0.5  # a stress slowdown under half the seed ratio missed the samples' cost (three
# distinct stress inputs average below the single costliest one, and the two ratios are
# timed minutes apart: a quotient of 0.6-1.2 is "the same cost")
TARGET = 20.0


def seed_ratio(row: dict, pair: dict, data: Path, work: Path) -> tuple[float, list[float]]:
    """The costliest sample's cost over the samples' mean, and the per-sample costs."""
    folder = work / row["problem_id"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow.py").write_text(pair["slow_code"], encoding="utf-8")
    (folder / "empty.py").write_text("", encoding="utf-8")
    samples = [p.read_bytes() for p in sample_inputs(data / "problems" / row["problem_id"])]
    slow = [sys.executable, str(folder / "slow.py")]
    empty = [sys.executable, str(folder / "empty.py")]
    ir = (sp._instructions(slow, None, empty, folder, samples)
          if row["slowdown_measure"] == "instructions" else None)
    if ir is not None:
        costs = [float(c) for c in ir["slow_ir"]]
    else:  # the empty script stands in for the fast program: only the slow one is timed
        costs = sp._compare(slow, empty, empty, folder, samples, sp.REPEATS)["slow_s"]
    return max(costs) / statistics.mean(costs), costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, required=True, help="stress_power.py --rows file")
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "pie-dev")
    parser.add_argument("--problem", action="append", help="only these problems")
    parser.add_argument("--all", action="store_true", help="every pair, not only those < 20x")
    parser.add_argument("--json", type=Path, help="write per-pair figures here")
    args = parser.parse_args(argv)
    if not args.rows.is_file() or not (args.data / "pairs.jsonl").is_file():
        print(f"error: need {args.rows} and {args.data / 'pairs.jsonl'}; run "
              "stress_power.py --rows first", file=sys.stderr)
        return 2
    pairs = {sp._pair_id(p): p for p in sp.ordered_pairs(args.data)}
    rows = [r for r in sp._read_rows(args.rows).values()
            if (not args.problem or r["problem_id"] in args.problem)
            and (args.all or r["slowdown"] < TARGET)]
    out = []
    with tempfile.TemporaryDirectory(prefix="perfopt-seed-") as tmp:
        for row in rows:
            ratio, costs = seed_ratio(row, pairs[sp._row_id(row)], args.data, Path(tmp))
            q = row["slowdown"] / ratio
            out.append({"problem_id": row["problem_id"], "pair": row["pair"],
                        "slowdown": row["slowdown"], "measure": row["slowdown_measure"],
                        "seed_ratio": ratio, "quotient": q, "sample_costs": costs})
            print(f"{row['problem_id']} {row['pair']}: slowdown {row['slowdown']:.1f}x"
                  f" seed ratio {ratio:.1f}x ({row['slowdown_measure']}) -> {q:.2f}",
                  flush=True)
    below = [o for o in out if o["slowdown"] < TARGET]
    missed = [o for o in out if o["quotient"] < MISSED]
    summary = {
        "pairs": len(out),
        "median_seed_ratio": statistics.median(o["seed_ratio"] for o in out) if out else None,
        "pairs_seed_ratio_lt_20x": sum(o["seed_ratio"] < TARGET for o in out),
        "pairs_below_20x": len(below),
        # the stressor reached at least the costliest sample's cost: below 20x because the
        # samples already hold (about) the costliest input, or a cost the inputs barely move
        "below_20x_at_least_seed": sum(o["quotient"] >= MISSED for o in below),
        # the stress inputs cost less than half the costliest sample: the search missed it
        "pairs_missed_seed": len(missed),
        "missed_by_problem": dict(Counter(o["problem_id"] for o in missed).most_common()),
        "command": "python bench/stress_seed_ratio.py " + " ".join(argv or sys.argv[1:]),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "pairs": out}, indent=2),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
