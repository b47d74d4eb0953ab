"""Deterministic profiles with cProfile, for where py-spy cannot run.

cProfile knows functions, not stacks or lines: each (caller, callee) edge becomes a
two-frame pseudo-stack weighted by the callee's own time on that edge (microseconds), so
time in a builtin is still charged to the project function that called it.
"""

from __future__ import annotations

import pstats
import tempfile
from collections.abc import Mapping
from pathlib import Path

from perfopt.errors import UserError
from perfopt.profilers._bootstrap import with_pythonpath, write_bootstrap
from perfopt.profilers.base import Frame, Profile, Stacks, tail
from perfopt.verify import sandbox

# For shell-command workloads: profile every Python process the command starts.
_HOOK = '''
import atexit as _atexit
import cProfile as _cProfile
import os as _os

_perfopt_prof = _cProfile.Profile()


def _perfopt_dump(prof=_perfopt_prof, folder={folder!r}):
    prof.disable()
    prof.dump_stats(_os.path.join(folder, "prof-%d.out" % _os.getpid()))


_atexit.register(_perfopt_dump)
_perfopt_prof.enable()
'''


def record(
    cmd: list[str] | str,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    *,
    stdin: bytes | None = None,
    memory_mb: int | None = None,
) -> Profile:
    """Run `cmd` under cProfile. An argv list must start with the Python interpreter
    (`python -m pytest ...`, `python prog.py`); a shell string is profiled in every Python
    process it starts, through a temporary sitecustomize."""
    with tempfile.TemporaryDirectory(prefix="perfopt-cprofile-") as tmp:
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        if isinstance(cmd, str):
            boot = write_bootstrap(Path(tmp) / "boot", _HOOK.format(folder=str(out_dir)))
            run_env = with_pythonpath(env, boot)
            argv: list[str] | str = cmd
        else:
            run_env = dict(env)
            argv = [cmd[0], "-m", "cProfile", "-o", str(out_dir / "prof-main.out"), *cmd[1:]]
        proc = sandbox.run(argv, cwd=cwd, timeout_s=timeout_s, memory_mb=memory_mb,
                           env=run_env, stdin=stdin, shell=isinstance(argv, str))
        if proc.timed_out:
            raise UserError(
                f"the workload ran past timeout_s={timeout_s:g} under cProfile; "
                "narrow it (--tests) or raise timeout_s"
            )
        files = sorted(out_dir.glob("prof-*.out"))
        stacks, calls = _read_stats(files, cwd) if files else ((), {})
    return Profile(
        profiler="cprofile",
        samples=sum(w for _, w in stacks),
        stacks=stacks,
        wall_s=proc.seconds,
        returncode=proc.returncode,
        output_tail=tail((proc.stdout + proc.stderr).strip()),
        calls=calls,
    )


def _frame(key: tuple[str, int, str], cwd: Path) -> Frame:
    file, line, func = key
    # Builtins are ("~", 0, "<built-in ...>"); scripts run by a relative path keep it.
    if file and not file.startswith(("<", "~")) and not Path(file).is_absolute():
        file = str((cwd / file).resolve())
    return Frame(file, line, func)


def _read_stats(
    files: list[Path], cwd: Path
) -> tuple[Stacks, dict[str, int]]:
    stats = pstats.Stats(*(str(f) for f in files))
    weights: dict[tuple[Frame, ...], int] = {}
    calls: dict[str, int] = {}
    table = stats.stats  # type: ignore[attr-defined]  # {func: (cc, nc, tt, ct, callers)}
    for key, (_cc, nc, tt, _ct, callers) in table.items():
        callee = _frame(key, cwd)
        calls[f"{callee.file}:{callee.line}:{callee.function}"] = nc
        edges: list[tuple[tuple[Frame, ...], float]] = [
            ((_frame(c, cwd), callee), edge[2]) for c, edge in callers.items()
        ]
        if not edges:
            edges = [((callee,), tt)]
        for stack, seconds in edges:
            weight = round(seconds * 1e6)
            if weight > 0:
                weights[stack] = weights.get(stack, 0) + weight
    return tuple(weights.items()), calls
