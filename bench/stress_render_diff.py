"""Which dev problems get different stress inputs from two versions of the stressor?

Renders the same grid of plans (scales 0.003-1.0, two seeds; every variable's value
strategies one at a time) for every problem in datasets/pie-dev with perfopt/ as of a git
revision and as in the working tree, and prints the problems whose written inputs differ.
A `stress_power.py --rows` file holds rows from several stressor versions; rows of problems
not printed here were made by a generator that writes the same inputs for every plan, so
only the printed problems need running again.

Usage: python bench/stress_render_diff.py REV
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets" / "pie-dev" / "problems"

# run in a child per version: each imports its own perfopt/
_RENDER = r"""
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from perfopt.stress.constraints import parse_constraints
from perfopt.stress.stdin_gen import InputModel, Plan, strategy_options
from perfopt.stress.structure import infer_structure
out = {}
for folder in sorted(Path(sys.argv[2]).iterdir()):
    statement = (folder / "statement.txt").read_text(encoding="utf-8")
    samples = [p.read_text() for p in sorted(folder.glob("input.*.txt"))]
    structure = infer_structure(samples, statement)
    if structure is None:
        out[folder.name] = "no grammar"
        continue
    model = InputModel(structure, parse_constraints(statement))
    plans = [Plan(scale, seed) for scale in (0.003, 0.03, 0.2, 0.6, 1.0) for seed in (0, 1)]
    plans += [Plan(0.03, 5, ((name, how),)) for name, options in strategy_options(model)
              for how in options]
    digest = hashlib.sha256(repr(structure.nodes).encode())
    for plan in plans:
        try:
            digest.update(model.render(plan).encode())
        except Exception as exc:  # a plan a version cannot write is part of its behaviour
            digest.update(type(exc).__name__.encode())
    out[folder.name] = digest.hexdigest()
print(json.dumps(out))
"""


def _digests(source: Path) -> dict[str, str]:
    proc = subprocess.run([sys.executable, "-c", _RENDER, str(source), str(DATA)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="git revision to compare the working tree's perfopt/ with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perfopt-render-") as tmp:
        archive = subprocess.run(["git", "archive", args.rev, "perfopt"], cwd=ROOT,
                                 capture_output=True)
        if archive.returncode != 0:
            print(f"error: git archive {args.rev} failed: {archive.stderr.decode().strip()}",
                  file=sys.stderr)
            return 2
        tar_path = Path(tmp) / "old.tar"
        tar_path.write_bytes(archive.stdout)
        with tarfile.open(tar_path) as tar:
            tar.extractall(Path(tmp) / "old", filter="data")
        old, new = _digests(Path(tmp) / "old"), _digests(ROOT)
    differ = sorted(p for p in new if old.get(p) != new[p])
    print(json.dumps({"rev": args.rev, "problems": len(new), "differ": differ}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
