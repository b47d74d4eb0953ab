"""How much `perfopt profile` adds on a large repository: 2,000 generated Python files.

    .venv/bin/python bench/profile_scale.py                  # 2,000 files, a git work tree
    .venv/bin/python bench/profile_scale.py --files 500 --no-git --reps 1

The generated repository has packages of realistic modules (imports, constants, a
dataclass, a class with methods, a dozen functions with loops and comprehensions) and a
workload script that imports five of them and runs a hot loop. Measured, median over the
repetitions: the workload alone; perfopt.discover.discover (file listing + syntax check
of every file); the workspace copy `perfopt profile` runs in; py-spy on the workload;
rank_hotspots on that profile. Target: discovery + ranking < 5 s on top of the workload.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfopt.config import Settings  # noqa: E402
from perfopt.discover import discover  # noqa: E402
from perfopt.profilers import pyspy, rank_hotspots  # noqa: E402
from perfopt.profilers.base import profile_env  # noqa: E402
from perfopt.verify import sandbox  # noqa: E402
from perfopt.verify.workspace import Workspace  # noqa: E402

MODULES_PER_PACKAGE = 50
TARGET_S = 5.0
HOT = [(0, 0), (3, 7), (11, 21), (19, 33), (27, 49)]  # (package, module) the workload imports

FUNCTION_KINDS = [
    '''def {name}(items, limit={k}):
    """Filter and scale the items below `limit`."""
    out = []
    for i, value in enumerate(items):
        if value % {m} == 0 and i < limit * 100:
            out.append(value * {k} + i)
    return out
''',
    '''def {name}(records):
    """Group records by their key field."""
    groups = {{}}
    for rec in records:
        key = rec.get("key", "{name}")
        groups.setdefault(key, []).append(rec)
    return {{k: len(v) for k, v in sorted(groups.items())}}
''',
    '''def {name}(text, sep=","):
    """Split, strip and count the non-empty fields of `text`."""
    fields = [f.strip() for f in text.split(sep)]
    counts = {{}}
    for f in fields:
        if f:
            counts[f] = counts.get(f, 0) + 1
    return max(counts.values()) if counts else 0
''',
    '''def {name}(matrix):
    """Sum of each row's maximum, skipping empty rows."""
    total = 0
    for row in matrix:
        if not row:
            continue
        best = row[0]
        for x in row[1:]:
            if x > best:
                best = x
        total += best
    return total
''',
]

CLASS = '''

@dataclass(frozen=True)
class {cls}Config:
    name: str = "{cls}"
    size: int = {k}
    ratio: float = 0.{m}


class {cls}:
    """A small stateful helper, as most modules have one."""

    def __init__(self, config: {cls}Config | None = None) -> None:
        self.config = config or {cls}Config()
        self._cache: dict[int, int] = {{}}

    def compute(self, n: int) -> int:
        if n in self._cache:
            return self._cache[n]
        value = sum(i * self.config.size for i in range(n % 50))
        self._cache[n] = value
        return value

    def describe(self) -> str:
        return f"{{self.config.name}}({{self.config.size}}, {{self.config.ratio:.2f}})"

    def reset(self) -> None:
        self._cache.clear()
'''

HOT_FUNCTION = '''

def hot_{p}_{m}(n):
    """The deliberately slow one: membership tests on a list."""
    seen = []
    for i in range(n):
        key = (i * {k}) % 997
        if key not in seen:
            seen.append(key)
    return len(seen)
'''


def module_source(p: int, m: int, rng: random.Random) -> str:
    cls = f"Widget{p}x{m}"
    parts = [
        f'"""Package {p}, module {m}: generated for the scale benchmark."""\n',
        "from __future__ import annotations\n",
        "import itertools\nimport math\nfrom dataclasses import dataclass\n",
        f"LIMIT = {rng.randint(10, 500)}\nNAMES = {[f'n{i}' for i in range(5)]!r}\n",
        CLASS.format(cls=cls, k=rng.randint(2, 9), m=rng.randint(10, 99)),
    ]
    for j in range(12):
        template = FUNCTION_KINDS[(j + m) % len(FUNCTION_KINDS)]
        parts.append("\n\n" + template.format(name=f"func_{j}", k=rng.randint(2, 9),
                                               m=rng.randint(2, 7)))
    if (p, m) in HOT:
        parts.append(HOT_FUNCTION.format(p=p, m=m, k=rng.randint(3, 31)))
    parts.append("\n\ndef _unused():\n    return math.pi, list(itertools.islice(NAMES, 2))\n")
    return "".join(parts)


def generate(root: Path, files: int, use_git: bool) -> None:
    rng = random.Random(1)
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bigrepo"\nversion = "0"\n')
    packages = (files + MODULES_PER_PACKAGE - 1) // MODULES_PER_PACKAGE
    written = 0
    for p in range(packages):
        pkg = root / "bigrepo" / f"pkg{p}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        written += 1
        for m in range(MODULES_PER_PACKAGE):
            if written >= files:
                break
            (pkg / f"mod{m}.py").write_text(module_source(p, m, rng))
            written += 1
    (root / "bigrepo" / "__init__.py").write_text("")
    imports = "\n".join(f"from bigrepo.pkg{p}.mod{m} import hot_{p}_{m}" for p, m in HOT)
    calls = "\n".join(f"    total += hot_{p}_{m}(20_000)" for p, m in HOT)
    (root / "run_workload.py").write_text(
        f"{imports}\n\ntotal = 0\nfor _ in range(3):\n{calls}\nprint(total)\n")
    if use_git:
        for cmd in (["git", "init", "-q"], ["git", "add", "-A"]):
            subprocess.run(cmd, cwd=root, check=True, capture_output=True)


def cpu_now() -> float:
    """CPU seconds of this process and its waited-for children: unlike wall time, not
    stretched by other jobs on a busy machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def median_time(fn, reps: int) -> tuple[tuple[float, float], object]:
    """((median wall s, median CPU s), last result) over `reps` calls."""
    walls, cpus, result = [], [], None
    for _ in range(reps):
        started, cpu = time.perf_counter(), cpu_now()
        result = fn()
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_now() - cpu)
    return (statistics.median(walls), statistics.median(cpus)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-git", action="store_true", help="a plain folder, not a git tree")
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="perfopt-scale-") as tmp:
        root = Path(tmp) / "bigrepo"
        gen_s, _ = median_time(lambda: generate(root, args.files, not args.no_git), 1)
        py_files = sum(1 for _ in root.rglob("*.py"))
        lines = sum(p.read_text().count("\n") for p in root.rglob("*.py"))
        print(f"generated {py_files} .py files, {lines:,} lines in {gen_s[0]:.1f}s "
              f"({'plain folder' if args.no_git else 'git work tree'})")
        cmd = f"{sys.executable} run_workload.py"
        env = profile_env(None)

        def workload() -> None:
            proc = sandbox.run(cmd, cwd=root, timeout_s=settings.timeout_s,
                               memory_mb=settings.memory_mb, env=env, shell=True)
            assert proc.returncode == 0, proc.tail()

        workload_s, _ = median_time(workload, args.reps)
        discover_s, project = median_time(
            lambda: discover(root, {"workload": cmd}), args.reps)
        assert len(project.python_files) == py_files, len(project.python_files)
        copy_s, _ = median_time(lambda: Workspace.create(root).cleanup(), args.reps)
        profile_s, prof = median_time(
            lambda: pyspy.record(cmd, root, env, settings.timeout_s), args.reps)
        rank_s, hot = median_time(lambda: rank_hotspots(prof, root, settings, limit=10),
                                  args.reps)
        found = {h.target.qualname for h in hot[:5]}
        wanted = {f"hot_{p}_{m}" for p, m in HOT if p * MODULES_PER_PACKAGE + m < args.files}
        print(f"median over {args.reps} repetitions (seconds: wall / CPU)")
        rows = [("workload alone", workload_s, ""),
                ("discover", discover_s, f"{len(project.python_files)} files"),
                ("workspace copy", copy_s, ""),
                ("py-spy on workload", profile_s, f"{prof.samples} samples"),
                ("rank_hotspots", rank_s,
                 f"hot functions in top 5: {len(found & wanted)}/{len(wanted)}")]
        for label, (wall, cpu), extra in rows:
            print(f"  {label:<20} {wall:6.2f} / {cpu:5.2f}  {extra}")
        for i, clock in ((0, "wall"), (1, "CPU")):
            added = discover_s[i] + rank_s[i]
            extra = added + copy_s[i] + max(0.0, profile_s[i] - workload_s[i])
            print(f"{clock}: discovery + ranking add {added:.2f}s to the workload "
                  f"(target < {TARGET_S:g}s: {'met' if added < TARGET_S else 'MISSED'}); "
                  f"with the copy and py-spy's own overhead: {extra:.2f}s")


if __name__ == "__main__":
    main()
