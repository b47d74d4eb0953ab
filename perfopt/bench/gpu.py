"""GPU-aware timing: a target whose module imports torch or cupy launches work
asynchronously, so a host clock read right after the call measures the launch, not the
work. Such targets are timed with the device synchronized before the clock starts and
before it stops (`torch.cuda.synchronize()`, or the current cupy stream's
`synchronize()`), after the worker's warm-up pass (CUDA context creation, kernel
compilation and the caching allocator's first allocations are not what we compare).
Reported as metric "gpu-wall".
"""

from __future__ import annotations

import ast
from pathlib import Path

from perfopt.bench.timing import WallRun, compare_detailed
from perfopt.config import Settings
from perfopt.models import StressSuite, Target

FRAMEWORKS = ("torch", "cupy")  # the order decides when a module imports both


def framework_of_source(source: str) -> str | None:
    """"torch" or "cupy" when the module imports it (at any level), else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return next((name for name in FRAMEWORKS if name in found), None)


def framework(root: Path, target: Target) -> str | None:
    path = Path(root) / target.file
    try:
        return framework_of_source(path.read_text(encoding="utf-8"))
    except OSError:
        return None


def device_available(kind: str) -> bool:
    """Whether this machine can run `kind` on a GPU (imports the framework: call it only
    for targets that use it)."""
    try:
        if kind == "torch":
            import torch

            return bool(torch.cuda.is_available())
        if kind == "cupy":
            import cupy

            return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # noqa: BLE001 - a missing or broken driver means "no GPU"
        return False
    return False


def compare_gpu(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    kind: str,
) -> WallRun:
    """ABBA wall timing with device synchronization around every sample."""
    return compare_detailed(
        baseline_root,
        candidate_root,
        target,
        suite,
        settings,
        metric="gpu-wall",
        extra_args=("--sync", kind),
    )
