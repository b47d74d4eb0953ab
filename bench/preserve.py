"""Behaviour kept across a restructuring: the same figures from two checkouts, side by side.

    python bench/preserve.py run --checkout /tmp/perfopt-before --label before
    python bench/preserve.py run --checkout . --label after
    python bench/preserve.py report                      # the two, side by side

Every figure is taken through the command line of the checkout it measures (its own
`.venv/bin/perfopt`), so the same script measures code from before and after an internal
change:

- demo: `perfopt optimize datasets/demo --json` on a copy of the demo: targets with an
  accepted rewrite (the README's "4 accepted").
- pie: `perfopt eval pie --engine offline --no-reference` on a fixed subset of 60 pairs of
  the dev split (`random.Random(60)`), %Opt and %Correct.
- aa: 200 A/A trials of `perfopt bench A B -s f --metric wall`, A and B identical copies of
  one of four functions, every other trial with a CPU hog on the other core: any
  acceptance is a false one.
- swe: `perfopt eval swe-fficiency --engine expert` and `--engine noop` on the three sympy
  instances: each instance's speedup (pre over patched) and status.

Results land in bench/results/preserve/<label>.json (one figure at a time, so `--only`
reruns one); `report` prints every label's figures in columns.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "preserve"
FIGURES = ("demo", "pie", "aa", "swe")
SWE_FIELDS = ("status", "speedup", "measured_speedup", "ci", "expert_speedup", "sr", "seconds",
              "reason")
PIE_PAIRS = 60
PIE_SEED = 60
AA_FUNCTIONS = {
    "intloop": ("def f(n):\n    s = 0\n    for i in range(n):\n        s += i & 7\n"
                "    return s\n", 20000),
    "strjoin": ("def f(n):\n    return ''.join([str(i & 7) for i in range(n)])\n", 10000),
    "dictfill": ("def f(n):\n    d = {}\n    for i in range(n):\n        d[i & 1023] = i\n"
                 "    return len(d)\n", 15000),
    "genexpr": ("def f(n):\n    return sum(x * x for x in range((n)))\n", 15000),
}


def perfopt(checkout: Path) -> str:
    exe = checkout / ".venv" / "bin" / "perfopt"
    if not exe.is_file():
        raise SystemExit(f"{exe} is missing: install that checkout first "
                         "(python3 -m venv .venv && .venv/bin/pip install -e .)")
    return str(exe)


def run_json(cmd: list[str], cwd: Path, timeout_s: float) -> tuple[dict | None, str, float]:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    took = time.monotonic() - started
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line), proc.stderr[-400:], took
            except ValueError:
                break
    try:
        return json.loads(proc.stdout), proc.stderr[-400:], took
    except ValueError:
        return None, (proc.stdout + proc.stderr)[-400:], took


def demo(checkout: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="preserve-demo-") as tmp:
        project = Path(tmp) / "demo"
        shutil.copytree(ROOT / "datasets" / "demo", project)
        data, err, took = run_json([perfopt(checkout), "optimize", str(project), "--json",
                                    "--quiet"], project, 1800)
    if data is None:
        return {"error": err, "seconds": round(took, 1)}
    accepted = sorted({f"{r['target']['file']}::{r['target']['qualname']}"
                       for r in data["results"] if r["accepted"]})
    return {"accepted_targets": len(accepted), "targets": accepted,
            "accepted_results": sum(r["accepted"] for r in data["results"]),
            "seconds": round(took, 1)}


def pie_subset(folder: Path) -> list[str]:
    lines = (ROOT / "datasets" / "pie-dev" / "pairs.jsonl").read_text().splitlines()
    chosen = sorted(random.Random(PIE_SEED).sample(range(len(lines)), PIE_PAIRS))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pairs.jsonl").write_text("".join(lines[i] + "\n" for i in chosen))
    (folder / "problems").symlink_to(ROOT / "datasets" / "pie-dev" / "problems")
    return [f"{json.loads(lines[i])['problem_id']}:{json.loads(lines[i])['submission_id_v0']}"
            for i in chosen]


def pie(checkout: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="preserve-pie-") as tmp:
        data_dir = Path(tmp) / "data"
        ids = pie_subset(data_dir)
        out = Path(tmp) / "out"
        data, err, took = run_json([perfopt(checkout), "eval", "pie", "--data", str(data_dir),
                                    "--engine", "offline", "--no-reference", "--jobs", "2",
                                    "--out", str(out), "--json"], Path(tmp), 4 * 3600)
        optimized = []
        for path in sorted((out / "pairs").glob("*.offline.json")):
            pair = json.loads(path.read_text())
            if pair.get("accepted") and pair.get("speedup", 1.0) >= 1.10:
                optimized.append(pair["pair_id"])
    if data is None:
        return {"error": err, "seconds": round(took, 1)}
    return {"pairs": data.get("pairs"), "evaluated": data.get("evaluated"),
            "errors": data.get("errors"), "pct_opt": data.get("pct_opt"),
            "pct_correct": data.get("pct_correct"), "geomean": data.get("geomean_speedup"),
            "optimized": optimized, "subset": ids, "seconds": round(took, 1)}


def aa(checkout: Path, trials: int) -> dict:
    exe = perfopt(checkout)
    names = list(AA_FUNCTIONS)
    accepted, lows, errors = 0, [], []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="preserve-aa-") as tmp:
        for k in range(trials):
            source, n = AA_FUNCTIONS[names[k % len(names)]]
            a, b = Path(tmp) / f"a{k}.py", Path(tmp) / f"b{k}.py"
            a.write_text(source)
            b.write_text(source)
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if k % 2 else None
            try:
                data, err, _ = run_json([exe, "bench", str(a), str(b), "-s", "f", "--call",
                                         str(n), "--metric", "wall", "--json"], Path(tmp), 600)
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
            a.unlink()
            b.unlink()
            if data is None:
                errors.append(err[-200:])
                continue
            accepted += bool(data["verdict"]["accepted"])
            lows.append(data["measurements"][0]["ci_low"])
            print(f"# aa {k + 1}/{trials} accepted={accepted} low={lows[-1]:.3f}", flush=True)
    return {"trials": trials, "measured": len(lows), "accepted": accepted,
            "highest_low": max(lows, default=None), "errors": errors[:5],
            "seconds": round(time.monotonic() - started, 1)}


def swe(checkout: Path) -> dict:
    exe = perfopt(checkout)
    out: dict = {}
    cache = Path(tempfile.gettempdir()) / "preserve-swe"
    for engine in ("expert", "noop"):
        where = cache / checkout.name / engine
        started = time.monotonic()
        proc = subprocess.run([exe, "eval", "swe-fficiency", "--instances",
                               str(ROOT / "datasets" / "swefficiency" / "sympy"),
                               "--engine", engine, "--out", str(where), "--work",
                               str(cache / "work"), "--force"],
                              capture_output=True, text=True, timeout=4 * 3600)
        rows = {}
        for path in sorted((where / engine).glob("*.json")):
            score = json.loads(path.read_text())
            rows[path.stem] = {k: score.get(k) for k in SWE_FIELDS if k in score}
        out[engine] = {"exit": proc.returncode, "instances": rows,
                       "seconds": round(time.monotonic() - started, 1),
                       "tail": proc.stderr[-300:] if proc.returncode else ""}
    return out


def run(args: argparse.Namespace) -> int:
    checkout = args.checkout.resolve()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.label}.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    commit = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %cs"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--",
                            "perfopt"], capture_output=True, text=True).stdout.strip()
    if dirty:
        commit += " + uncommitted changes to perfopt/"
    for figure in args.only or FIGURES:
        print(f"== {args.label}: {figure} ({checkout})", flush=True)
        started = time.monotonic()
        if figure == "demo":
            value = demo(checkout)
        elif figure == "pie":
            value = pie(checkout)
        elif figure == "aa":
            value = aa(checkout, args.aa_trials)
        else:
            value = swe(checkout)
        value["load_before"] = round(os.getloadavg()[0], 2)
        value["code"] = commit
        value["when"] = time.strftime("%Y-%m-%d %H:%M")
        stored[figure] = value
        path.write_text(json.dumps(stored, indent=1) + "\n")
        print(json.dumps({k: v for k, v in value.items() if k not in ("subset", "targets")}),
              f"({time.monotonic() - started:.0f} s)", flush=True)
    return 0


def cell(figures: dict, figure: str) -> list[str]:
    v = figures.get(figure)
    if v is None:
        return ["(not run)"]
    if "error" in v:
        return [f"error: {v['error'][:60]}"]
    if figure == "demo":
        return [f"{v['accepted_targets']} targets accepted ({v['seconds']:.0f} s)"]
    if figure == "pie":
        return [f"%Opt {v['pct_opt']:.1f}, %Correct {v['pct_correct']:.1f} "
                f"({v['evaluated']}/{v['pairs']}, {v['errors']} errors, "
                f"{v['seconds'] / 60:.0f} min)"]
    if figure == "aa":
        return [f"{v['accepted']}/{v['measured']} accepted (highest low {v['highest_low']:.3f})"]
    lines = []
    for engine, data in v.items():
        if not isinstance(data, dict) or "instances" not in data:
            continue
        for iid, row in sorted(data["instances"].items()):
            sp, ci = row.get("speedup"), row.get("ci")
            interval = f" [{ci[1]:.2f}, {ci[2]:.2f}]" if ci and None not in ci[1:] else ""
            lines.append(f"{engine} {iid.split('-')[-1]}: {row.get('status')} "
                         f"{sp:.2f}x{interval}" if isinstance(sp, (int, float)) else
                         f"{engine} {iid}: {row.get('status')}")
    return lines or ["(no instances)"]


def report(_: argparse.Namespace) -> int:
    labels = sorted(RESULTS.glob("*.json"), key=lambda p: (p.stem != "before", p.stem))
    if not labels:
        print("no results yet: run `bench/preserve.py run` first")
        return 1
    data = {p.stem: json.loads(p.read_text()) for p in labels}
    width = 52
    print("figure  " + "".join(f"{label:<{width}}" for label in data))
    for figure in FIGURES:
        columns = [cell(figs, figure) for figs in data.values()]
        for row in range(max(len(c) for c in columns)):
            name = figure if row == 0 else ""
            print(f"{name:<8}" + "".join(f"{(c[row] if row < len(c) else ''):<{width}}"
                                        for c in columns))
    codes = "; ".join(f"{label}: {next(iter(f.values()), {}).get('code', '?')}"
                      for label, f in data.items())
    print(f"code measured: {codes}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="measure one checkout")
    r.add_argument("--checkout", type=Path, default=ROOT)
    r.add_argument("--label", required=True)
    r.add_argument("--only", nargs="*", choices=FIGURES)
    r.add_argument("--aa-trials", type=int, default=200)
    r.set_defaults(func=run)
    sub.add_parser("report", help="print the stored figures side by side").set_defaults(
        func=report)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
