"""What profiling costs: py-spy and argument capture against the unprofiled workload.

    .venv/bin/python bench/profile_overhead.py               # demo + hotproj, 5 repetitions
    .venv/bin/python bench/profile_overhead.py --reps 3 --projects demo

For each project (its pytest tests as the workload, in a workspace copy) every repetition
runs, in rotating order: the workload alone, the workload under `py-spy record` (as
`perfopt profile` runs it: 200 Hz, --subprocesses, the launcher), and the workload with
argument capture wrapping three hotspots (as the pipeline's stress stage runs it). Each
figure is the median wall time over the repetitions; the ratios are medians of the
per-repetition ratios, so a slow moment of the machine hits both sides of one ratio.
Wall time and CPU time (of all child processes, py-spy's own included) are both shown: on
a shared machine other jobs stretch wall time, not CPU time. Targets: py-spy < 1.3x,
capture < 2x.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfopt.config import Settings  # noqa: E402
from perfopt.models import Target, Workload  # noqa: E402
from perfopt.profilers import capture_calls, pyspy  # noqa: E402
from perfopt.profilers.base import profile_env, workload_command  # noqa: E402
from perfopt.verify import sandbox  # noqa: E402
from perfopt.verify.workspace import Workspace  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PROJECTS = {
    "demo": (REPO / "datasets" / "demo", [
        Target("shop/stats.py", "sku_frequencies"),
        Target("shop/catalog.py", "known_orders"),
        Target("shop/jobs.py", "run_jobs"),
    ]),
    "hotproj": (REPO / "tests" / "fixtures" / "hotproj", [
        Target("hotproj/textstats.py", "word_frequencies"),
        Target("hotproj/geometry.py", "PointCloud.closest_pair"),
        Target("hotproj/inventory.py", "dedupe_records"),
    ]),
}
TARGET_PYSPY, TARGET_CAPTURE = 1.3, 2.0


def timed(fn: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child processes) of one call. CPU time is the figure
    to trust on a loaded machine: other jobs stretch wall time, not our processes' CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    fn()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def plain(root: Path, cmd: list[str] | str, settings: Settings) -> None:
    proc = sandbox.run(cmd, cwd=root, timeout_s=settings.timeout_s,
                       memory_mb=settings.memory_mb, env=profile_env(None))
    if proc.returncode != 0:
        raise SystemExit(f"workload failed in {root}: {proc.tail()}")


def under_pyspy(root: Path, cmd: list[str] | str, settings: Settings) -> None:
    prof = pyspy.record(cmd, root, profile_env(None), settings.timeout_s,
                        memory_mb=settings.memory_mb)
    if prof.returncode != 0:
        raise SystemExit(f"workload failed under py-spy: {prof.output_tail[-300:]}")


def with_capture(root: Path, targets: list[Target], settings: Settings) -> None:
    with tempfile.TemporaryDirectory(prefix="perfopt-bench-cap-") as out:
        reports = capture_calls(root, Workload(), targets, Path(out), settings,
                                python=sys.executable)
    missing = [t.key for t in targets if not reports.get(t.key) or not reports[t.key].recorded]
    if missing:
        raise SystemExit(f"capture recorded nothing for {missing}")


def bench(name: str, reps: int, settings: Settings) -> dict[str, float]:
    project, targets = PROJECTS[name]
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "py-spy": [], "capture": []}
    with Workspace.create(project) as ws:
        cmd = workload_command(Workload(), sys.executable)
        plain(ws.root, cmd, settings)  # warm the file cache; not counted
        steps = {
            "plain": lambda: plain(ws.root, cmd, settings),
            "py-spy": lambda: under_pyspy(ws.root, cmd, settings),
            "capture": lambda: with_capture(ws.root, targets, settings),
        }
        order = list(steps)
        for rep in range(reps):
            for key in order[rep % 3:] + order[: rep % 3]:  # rotate: no side always goes first
                runs[key].append(timed(steps[key]))
            print(f"  {name} rep {rep + 1}/{reps}: " + ", ".join(
                f"{k} {v[-1][0]:.2f}s wall/{v[-1][1]:.2f}s cpu" for k, v in runs.items()),
                flush=True)
    out = {}
    for kind, i in (("wall", 0), ("cpu", 1)):
        base = [r[i] for r in runs["plain"]]
        for key, label in (("py-spy", "pyspy"), ("capture", "capture")):
            mine = [r[i] for r in runs[key]]
            out[f"{label}_{kind}_s"] = statistics.median(mine)
            out[f"{label}_{kind}_x"] = statistics.median(
                a / b for a, b in zip(mine, base, strict=True))
        out[f"plain_{kind}_s"] = statistics.median(base)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--projects", nargs="+", choices=sorted(PROJECTS),
                        default=sorted(PROJECTS))
    args = parser.parse_args()
    settings = Settings()
    rows = {name: bench(name, args.reps, settings) for name in args.projects}
    print(f"\nmedians over {args.reps} repetitions (seconds; ratio = profiled / plain, "
          "median of per-repetition ratios)")
    print(f"{'project':<9} {'clock':<5} {'plain':>7} {'py-spy':>7} {'ratio':>6} "
          f"{'capture':>8} {'ratio':>6}")
    for name, r in rows.items():
        for kind in ("wall", "cpu"):
            print(f"{name:<9} {kind:<5} {r[f'plain_{kind}_s']:7.2f} "
                  f"{r[f'pyspy_{kind}_s']:7.2f} {r[f'pyspy_{kind}_x']:5.2f}x "
                  f"{r[f'capture_{kind}_s']:8.2f} {r[f'capture_{kind}_x']:5.2f}x")
    for kind in ("wall", "cpu"):
        spy = max(r[f"pyspy_{kind}_x"] for r in rows.values())
        cap = max(r[f"capture_{kind}_x"] for r in rows.values())
        print(f"{kind}: py-spy {spy:.2f}x (target < {TARGET_PYSPY}x: "
              f"{'met' if spy < TARGET_PYSPY else 'MISSED'}), capture {cap:.2f}x "
              f"(target < {TARGET_CAPTURE}x: {'met' if cap < TARGET_CAPTURE else 'MISSED'})")


if __name__ == "__main__":
    main()
