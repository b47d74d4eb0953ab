"""Why a pair's stress slowdown stays under 20x: how close its inputs come to the bounds.

For every problem with a pair below 20x in a stress_power rows file, the suite of its first
such pair (the file's order) is built again from the slow program (default settings, no
model), and each input is read with the problem's grammar: for every size knob (the
variables that count a list or rows, and strings; every scalar when there are none) its
value over the statement's upper bound. Each problem is put in the first class that fits:

  sample at bounds   a sample input has every knob at >= 0.9 of its bound: the samples
                     already cost what the largest inputs cost, so no input can be 20x
  stress at bounds   a stress input has every knob at >= 0.9 of its bound: the size is
                     used up, and what the program does at the bounds is < 20x the samples
                     (work that does not grow with the input: tables sized to the bounds,
                     a precomputed sieve)
  at the case limit  the costliest stress input costs >= 1 s (ProgramStressOptions:
                     inputs grow until one costs target_cost_s = 1 s; one over
                     max_case_s = 4 s is scaled down), short of the bounds
  other              none of these: where the stressor itself may fall short

Usage: python bench/stress_reach.py --rows bench/results/stress_power_pie_dev.jsonl
       --out bench/results/stress_reach_pie_dev.jsonl [--report]
(with --out, problems already there are not run again; --report classifies what is there)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfopt.commands.stress import NOT_STRESS  # noqa: E402
from perfopt.stress.constraints import parse_constraints  # noqa: E402
from perfopt.stress.programs import build_program_suite  # noqa: E402
from perfopt.stress.stdin_gen import InputModel  # noqa: E402
from perfopt.stress.structure import Scalars, infer_structure, read_sample, walk  # noqa: E402

AT_BOUNDS = 0.9
CASE_LIMIT_S = 1.0
TARGET = 20.0


def knobs(model: InputModel) -> list[str]:
    """The size knobs: counts and strings, else every scalar."""
    scalars = {n for node in walk(model.structure.nodes) if isinstance(node, Scalars)
               for n in node.names}
    names = set(model.counts) | {n for n in scalars if model.kind(n) == "str"}
    return sorted(names or scalars)


def reach(model: InputModel, names: list[str], text: str) -> dict[str, float] | None:
    """Each knob's largest value (a string's length) over its upper bound; None when the
    input does not fit the grammar."""
    values = read_sample(model.structure.nodes, text)
    if values is None:
        return None
    out = {}
    for name in names:
        tokens = values.get(name)
        if not tokens:
            continue
        try:
            if model.kind(name) == "str":
                high, value = model.length_range(name, {})[1], max(map(len, tokens))
            else:
                high, value = model.int_range(name, {})[1], max(int(t) for t in tokens)
        except (ValueError, KeyError):
            continue
        if high > 0:
            out[name] = round(value / high, 3)
    return out


def _least(share: dict[str, float] | None, names: list[str]) -> float:
    if not share:
        return 0.0
    return min((share[n] for n in names if n in share), default=0.0)


def classify(row: dict) -> str:
    if row.get("knobs") is None:
        return "no grammar"
    names = row["knobs"]
    if max((_least(s, names) for s in row["samples"]), default=0) >= AT_BOUNDS:
        return "sample at bounds"
    if max((_least(s["reach"], names) for s in row["stress"]), default=0) >= AT_BOUNDS:
        return "stress at bounds"
    if max((s["cost"] or 0 for s in row["stress"]), default=0) >= CASE_LIMIT_S:
        return "at the case limit"
    return "other"


def measure(pid: str, pair: str, slow_code: str, data: Path) -> dict:
    problem = data / "problems" / pid
    statement = (problem / "statement.txt").read_text(encoding="utf-8")
    texts = [p.read_text(encoding="utf-8") for p in sorted(problem.glob("input.*.txt"))]
    row: dict = {"problem_id": pid, "pair": pair, "knobs": None}
    structure = infer_structure(texts, statement)
    if structure is None:
        return row
    model = InputModel(structure, parse_constraints(statement))
    names = knobs(model)
    row["knobs"] = names
    row["samples"] = [reach(model, names, t) for t in texts]
    with tempfile.TemporaryDirectory(prefix="perfopt-stress-reach-") as tmp:
        program = Path(tmp) / "slow.py"
        program.write_text(slow_code, encoding="utf-8")
        started = time.monotonic()
        built = build_program_suite(program, "python", problem, statement,
                                    Path(tmp) / "suite", budget_s=60)
        row["build_s"] = round(time.monotonic() - started, 1)
        base = Path(built.suite.folder)
        row["sample_cost"] = [c.cost for c in built.suite.cases if c.provenance == "sample"]
        row["stress"] = [
            {"reach": reach(model, names, (base / c.payload).read_text(encoding="utf-8")),
             "cost": c.cost, "provenance": c.provenance, "note": c.note[:120]}
            for c in built.suite.cases if c.provenance not in NOT_STRESS]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "pie-dev")
    parser.add_argument("--rows", type=Path, required=True, help="stress_power rows (JSONL)")
    parser.add_argument("--out", type=Path, required=True, help="one row per problem (JSONL)")
    parser.add_argument("--report", action="store_true", help="classify --out, run nothing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from stress_power import _commit, _read_rows  # noqa: PLC0415

    below: Counter[str] = Counter()
    first: dict[str, str] = {}
    for r in _read_rows(args.rows).values():
        if r["slowdown"] < TARGET:
            below[r["problem_id"]] += 1
            first.setdefault(r["problem_id"], r["pair"])
    done = {}
    if args.out.exists():
        rows = [json.loads(line) for line in
                args.out.read_text(encoding="utf-8").splitlines() if line.strip()]
        done = {row["problem_id"]: row for row in rows}
    if not args.report:
        codes = {}
        for line in (args.data / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
            pair = json.loads(line)
            codes[pair["problem_id"], pair["submission_id_v0"]] = pair["slow_code"]
        commit = _commit()
        for pid, pair in first.items():
            if pid in done:
                continue
            row = measure(pid, pair, codes[pid, pair.split("->")[0]], args.data)
            row["commit"] = commit
            with args.out.open("a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")
            done[pid] = row
            print(f"{pid} {pair}: {classify(row)}", flush=True)
    classes: dict[str, list[str]] = defaultdict(list)
    for pid in first:
        if pid in done:
            classes[classify(done[pid])].append(pid)
    summary = {c: {"problems": len(ps), "pairs_below_20x": sum(below[p] for p in ps),
                   "problem_ids": ps} for c, ps in sorted(classes.items())}
    summary["pairs_below_20x"] = sum(below.values())
    summary["problems_below_20x"] = len(below)
    summary["problems_measured"] = sum(len(ps) for ps in classes.values())
    summary["commits"] = sorted({done[p].get("commit", "unknown") for p in first if p in done})
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
