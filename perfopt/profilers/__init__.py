"""Profile a workload and rank the project functions that own its time.

py-spy samples by default; where it is missing or may not trace (containers without
ptrace), cProfile takes over and the user is told so in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import ToolMissing
from perfopt.interpreter import probe, tree_env, version_tuple
from perfopt.models import Workload
from perfopt.profilers import cprofile, pyspy
from perfopt.profilers.base import (
    Frame,
    Profile,
    merge,
    profile_env,
    stdin_inputs,
    workload_command,
)
from perfopt.profilers.capture import CaptureReport, capture_calls, resolve_callable
from perfopt.profilers.ranking import rank_hotspots
from perfopt.profilers.session import ProfileOptions, ProfileReport, run_profile

__all__ = ["CaptureReport", "Frame", "Profile", "ProfileOptions", "ProfileReport",
           "capture_calls", "profile", "rank_hotspots", "resolve_callable", "run_profile",
           "workload_command"]


def _silent(_: str) -> None:
    return None


def profile(
    project: Path,
    workload: Workload,
    settings: Settings,
    *,
    python: str,
    env: Mapping[str, str] | None = None,
    console_note: Callable[[str], None] = _silent,
    pyspy_path: str | None = None,
    rate_hz: int = pyspy.DEFAULT_RATE_HZ,
) -> Profile:
    """Run `workload` in `project` under the configured profiler.

    `env` is the base environment (default: the scrubbed current one); `pyspy_path` picks a
    py-spy executable instead of searching for one. Stdin workloads run once per input
    file and their profiles are merged.
    """
    project = Path(project).resolve()
    cmd = workload_command(workload, python)
    # the interpreter's folder first on PATH, the tree's src/ and root first on PYTHONPATH
    run_env = tree_env(project, python, profile_env(env))
    inputs = stdin_inputs(project, workload)
    common = {"memory_mb": settings.memory_mb}
    if settings.profiler in ("auto", "py-spy"):
        # up to 3.10 py-spy tells idle threads only when it pauses the process (pyspy.record)
        nonblocking = version_tuple(probe(python)[0]) >= (3, 11)
        try:
            return merge(
                pyspy.record(cmd, project, run_env, settings.timeout_s, rate_hz, stdin=data,
                             pyspy=pyspy_path, nonblocking=nonblocking, **common)
                for data in inputs
            )
        except ToolMissing as exc:
            console_note(f"py-spy unavailable ({exc}); using cProfile")
    return merge(
        cprofile.record(cmd, project, run_env, settings.timeout_s, stdin=data, **common)
        for data in inputs
    )
