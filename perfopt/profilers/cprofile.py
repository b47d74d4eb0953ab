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

# Profile every Python process the workload starts (a shell command may start several).
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
    """Run `cmd` (an argv list or a shell string) under cProfile: every Python process it
    starts is profiled, through a temporary sitecustomize. Not `python -m cProfile`: its
    main swallows SystemExit, so a workload failing (pytest's collection errors: exit 2)
    looked like one that passed."""
    with tempfile.TemporaryDirectory(prefix="perfopt-cprofile-") as tmp:
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        boot = write_bootstrap(Path(tmp) / "boot", _HOOK.format(folder=str(out_dir)))
        proc = sandbox.run(cmd, cwd=cwd, timeout_s=timeout_s, memory_mb=memory_mb,
                           env=with_pythonpath(env, boot), stdin=stdin,
                           shell=isinstance(cmd, str))
        if proc.timed_out:
            raise UserError(
                f"the workload ran past timeout_s={timeout_s:g} under cProfile; "
                "narrow it (--tests) or raise timeout_s"
            )
        files = sorted(out_dir.glob("prof-*.out"))
        # perfopt's own bootstrap (the sitecustomize in `tmp`) is not the user's code
        stacks, calls = _read_stats(files, cwd, hidden=tmp) if files else ((), {})
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
    files: list[Path], cwd: Path, hidden: str = ""
) -> tuple[Stacks, dict[str, int]]:
    """Stacks and call counts; functions in files under `hidden` are left out."""
    stats = pstats.Stats(*(str(f) for f in files))
    weights: dict[tuple[Frame, ...], int] = {}
    calls: dict[str, int] = {}
    table = stats.stats  # type: ignore[attr-defined]  # {func: (cc, nc, tt, ct, callers)}
    for key, (_cc, nc, tt, _ct, callers) in table.items():
        if hidden and key[0].startswith(hidden):
            continue
        callee = _frame(key, cwd)
        calls[f"{callee.file}:{callee.line}:{callee.function}"] = nc
        edges: list[tuple[tuple[Frame, ...], float]] = [
            ((_frame(c, cwd), callee), edge[2]) for c, edge in callers.items()
            if not (hidden and c[0].startswith(hidden))
        ]
        if not edges:
            edges = [((callee,), tt)]
        for stack, seconds in edges:
            weight = round(seconds * 1e6)
            if weight > 0:
                weights[stack] = weights.get(stack, 0) + weight
    return tuple(weights.items()), calls
