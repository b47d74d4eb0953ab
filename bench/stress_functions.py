"""What each stage of the function stressor adds, on the demo project's functions.

For every function: its real calls are captured from the demo's tests (the seeds), then
`stress_function` grows them (size sweep), tries each value strategy once at the sweep's
costliest size ("scaled") and runs Hypothesis's targeted search ("hypothesis"). Printed per
function: the seeds' mean cost, the costliest input each stage kept, which stage gave the
costliest input, the slowdown (mean cost of the stress inputs / the seeds', as
`perfopt stress` prints it), the complexity exponent, and the seconds it took.

Usage: python bench/stress_functions.py [--budget 30] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfopt.commands.stress import stress_target  # noqa: E402
from perfopt.config import load_settings  # noqa: E402
from perfopt.errors import PerfoptError  # noqa: E402

DEMO = ROOT / "datasets" / "demo"
SYMBOLS = (
    "shop/stats.py::sku_frequencies",
    "shop/catalog.py::known_orders",
    "shop/catalog.py::Catalog.available",
    "shop/jobs.py::run_jobs",
    "shop/export.py::encode_orders",
)
STAGES = ("sweep", "scaled", "hypothesis")


def one(symbol: str, budget_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="perfopt-stress-fn-") as tmp:
        started = time.monotonic()
        report = stress_target(DEMO, load_settings(DEMO), symbol=symbol, inputs=None,
                               statement=None, out=Path(tmp) / "suite", budget_s=budget_s)
        seconds = time.monotonic() - started
    best = {stage: max((c.cost for c in report.suite.cases
                        if c.provenance == stage and c.cost is not None), default=None)
            for stage in STAGES}
    top = max((s for s in STAGES if best[s] is not None), key=lambda s: best[s], default=None)
    return {"symbol": symbol, "seed_cost_s": report.seed_cost, "best_cost_s": best,
            "costliest_from": top, "slowdown": report.slowdown,
            "complexity": report.suite.complexity, "seconds": round(seconds, 1)}


def fmt(x: float | None, spec: str = ".4f") -> str:
    return "-" if x is None else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per function")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    rows = []
    for symbol in SYMBOLS:
        try:
            row = one(symbol, args.budget)
        except PerfoptError as exc:
            print(f"{symbol}: {exc}", flush=True)
            continue
        rows.append(row)
        best = row["best_cost_s"]
        print(f"{symbol}: seeds {fmt(row['seed_cost_s'])} s | best sweep {fmt(best['sweep'])}"
              f" scaled {fmt(best['scaled'])} hypothesis {fmt(best['hypothesis'])} s"
              f" (costliest: {row['costliest_from']}) | slowdown {fmt(row['slowdown'], '.1f')}x"
              f" | k={fmt(row['complexity'], '.2f')} | {row['seconds']} s", flush=True)
    from_search = sum(r["costliest_from"] == "hypothesis" for r in rows)
    print(f"costliest input from the Hypothesis search: {from_search}/{len(rows)} functions")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
