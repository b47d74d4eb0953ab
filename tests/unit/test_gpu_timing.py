"""GPU timing: detection of torch/cupy targets, and synchronized timing when a GPU exists."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from perfopt.bench import gpu, worker
from perfopt.bench.measure import measure_all
from perfopt.config import Settings
from perfopt.models import StressCase, StressSuite, Target


def test_framework_is_detected_from_imports() -> None:
    assert gpu.framework_of_source("import torch\n") == "torch"
    assert gpu.framework_of_source("from torch.nn import functional as F\n") == "torch"
    assert gpu.framework_of_source("def f():\n    import cupy as cp\n") == "cupy"
    assert gpu.framework_of_source("import numpy\nfrom .torch import x\n") is None
    assert gpu.framework_of_source("def broken(:\n") is None


def test_no_sync_without_a_framework() -> None:
    assert worker.gpu_sync(None) is worker._no_sync
    with pytest.raises(SystemExit):
        worker.gpu_sync("tensorflow")


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.skipif(not _has_cuda(), reason="no CUDA GPU with torch on this machine")
def test_torch_target_is_timed_with_synchronization(tmp_path: Path) -> None:
    source = (
        "import torch\n"
        "def f(n, reps):\n"
        "    x = torch.ones((n, n), device='cuda')\n"
        "    for _ in range(reps):\n"
        "        x = x @ x / n\n"
        "    return None\n"
    )
    for name, reps in (("a", 8), ("b", 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "mod.py").write_text(source.replace("range(reps)", f"range({reps})"))
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "c.pkl").write_bytes(pickle.dumps({"args": (2048, 0), "kwargs": {}}))
    target = Target(file="mod.py", qualname="f")
    suite = StressSuite(target, (StressCase("c", "sweep", "c.pkl"),), str(tmp_path / "s"))
    settings = Settings().replace(rounds=2, samples_per_worker=3, min_sample_s=0.01)
    (m,) = measure_all(tmp_path / "a", tmp_path / "b", target, suite, settings)
    assert m.metric == "gpu-wall"
    assert m.speedup > 2.0  # 4x the matmuls; unsynchronized timing would see ~1x
