"""PIE figures: run one engine over a PIE data folder and print the summary.

    .venv/bin/python bench/pie_eval.py --engine reference --limit 20 --jobs 2
    .venv/bin/python bench/pie_eval.py --engine mutants --limit 25 --out /tmp/pie-mutants
    .venv/bin/python bench/pie_eval.py --engine offline --jobs 2            # whole dev split

Per-pair JSON and report.md land in --out (default /tmp/pie-<engine>); a rerun resumes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from perfopt import jsonout
    from perfopt.evals.pie import PieOptions, run_pie

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "pie-dev")
    parser.add_argument("--engine", default="offline")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--executor", default="local")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--mutants-per-pair", type=int, default=16)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--stress-budget", type=float, default=None)
    args = parser.parse_args(argv)
    options = PieOptions(data=args.data, out_dir=args.out or Path(f"/tmp/pie-{args.engine}"),
                         limit=args.limit, engine=args.engine, jobs=args.jobs,
                         executor=args.executor, force=args.force,
                         mutants_per_pair=args.mutants_per_pair,
                         reference=False if args.no_reference else None)
    if args.stress_budget is not None:
        options = replace(options, settings=options.settings.replace(
            program_stress_budget_s=args.stress_budget))
    report = run_pie(options)
    print(report.markdown())
    print(jsonout.dumps(report.summary(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
