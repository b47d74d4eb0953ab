"""SWE-fficiency harness on the three sympy instances rebuilt from PyPI sdists.

    python bench/swe_sympy.py --engines expert noop offline --planted --out swe-sympy

Prints each engine's Markdown table (T_pre, T_patched, T_expert, speedup, SR, suite
means beside the published figures) and one summary line per engine. `--planted` also
checks the harness's penalties on sympy__sympy-14772 (the fastest instance):
  planted-break     the expert patch plus a change that breaks encipher_shift (a covering
                    test): measured faster, must score speedup 1 (status tests-failed);
  planted-getframe  the expert patch plus a `sys._getframe` call: must be rejected by the
                    guard (status guard-rejected), speedup 1.
Sdists are downloaded once into ~/.cache/perfopt/sdists; trees and venvs are kept in
<out>/work and reused, per-instance results in <out>/<engine>/ (resumable; --force redoes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfopt.evals.swefficiency import EvalOptions, run_eval  # noqa: E402
from perfopt.evals.swefficiency.adapter import make_diff  # noqa: E402
from perfopt.evals.swefficiency.instances import load_instances  # noqa: E402
from perfopt.evals.swefficiency.workspace import default_cache, prepare_pre_tree  # noqa: E402

DATA = ROOT / "datasets" / "swefficiency" / "sympy"
PLANT_ID = "sympy__sympy-14772"
CRYPTO = "sympy/crypto/crypto.py"
SLOW_LINE = "    sig = pow(a%p, (p - 1)//2) % p\n"
FAST_LINE = "    sig = pow(a, (p - 1)//2, p)\n"
SHIFT_LINE = "    shift = len(A) - key % len(A)\n"


def planted_patches(work: Path, patches: Path) -> dict[str, Path]:
    """Write the two planted patches for PLANT_ID; returns name -> folder holding <id>.diff."""
    inst = load_instances(DATA, (PLANT_ID,))[0]
    pre = prepare_pre_tree(inst, (work / PLANT_ID).resolve(), "pypi-sdist",
                           cache=default_cache(), repos=None, pip_python=sys.executable)
    source = (pre / CRYPTO).read_text(encoding="utf-8")
    if SLOW_LINE not in source or SHIFT_LINE not in source:
        raise SystemExit(f"{CRYPTO} in {pre} does not hold the expected lines")
    fast = source.replace(SLOW_LINE, FAST_LINE)
    variants = {
        "planted-break": fast.replace(SHIFT_LINE, "    shift = len(A) - (key + 1) % len(A)\n"),
        "planted-getframe": fast.replace(
            FAST_LINE, FAST_LINE + "    _caller = __import__('sys')._getframe(1)\n"),
    }
    out = {}
    for name, text in variants.items():
        folder = patches / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{PLANT_ID}.diff").write_text(make_diff(pre, {CRYPTO: text}), encoding="utf-8")
        out[name] = folder
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["expert", "noop"],
                        choices=["expert", "noop", "offline", "llm"])
    parser.add_argument("--out", type=Path, default=Path("swe-sympy"))
    parser.add_argument("--ids", nargs="*", default=[])
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--python", default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--planted", action="store_true")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    work = args.out / "work"
    lines = []
    runs: list[tuple[str, EvalOptions]] = [
        (engine, EvalOptions(instances=DATA, out=args.out, engine=engine, ids=tuple(args.ids),
                             work=work, python=args.python, repetitions=args.repetitions,
                             jobs=args.jobs, force=args.force))
        for engine in args.engines
    ]
    if args.planted:  # first: cheap, and the penalties are what a harness must get right
        for name, folder in reversed(planted_patches(work, args.out / "patches").items()):
            runs.insert(0, (name, EvalOptions(instances=DATA, out=args.out / name, engine="patch",
                                           patches=folder, ids=(PLANT_ID,), work=work,
                                           python=args.python, repetitions=args.repetitions,
                                           force=args.force)))
    for label, options in runs:
        report = run_eval(options)
        print(report.markdown_path.read_text(encoding="utf-8"))
        s = report.suite
        lines.append(f"{label:17s} harmonic SR {s.harmonic or float('nan'):.4g}  geometric SR "
                     f"{s.geometric or float('nan'):.4g}  " + "  ".join(
                         f"{sc.instance_id}: {sc.status} speedup {sc.speedup or 0:.4g} "
                         f"(measured {sc.measured_speedup or 0:.4g}, expert "
                         f"{sc.expert_speedup or 0:.4g}) SR {sc.sr or 0:.4g}"
                         for sc in report.scores))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
