"""A candidate that keeps the original slow loop and patches the clock instead.

The issue's case: patching `time.perf_counter`, `time.monotonic`, `time.process_time` and
`operator.call` was accepted at 23x and, with --apply, written into the user's file. Two
defences, each tested on its own:

- the clock cannot be fooled: run through the real timing worker (no gate in front), the
  patched candidate measures ~1x, its instruction count ~1x, and a result line it prints
  itself is not taken for the worker's (nor a behaviour verdict for the harness's);
- the guard gate names the attempt before anything runs: `perfopt optimize` with the real
  local model server (tests/llm_server.py) whose replies patch the clock, at the strict
  and the basic sandbox level, rejects both replies at "guard" and --apply writes nothing.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from perfopt.bench import callgrind, critic, timing
from perfopt.bench.timing import BenchFailed
from perfopt.config import Settings
from perfopt.models import StressCase, StressSuite, Target
from perfopt.verify import equivalence, jail
from tests.integration.test_llm_pipeline import git, repo_copy
from tests.llm_server import Reply

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "llmproj"

WORK = """
def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
"""

# The same loop; the clocks, the callgrind toggle and operator.call are rebound at import
# and again on every call. Before the worker bound its names this measured thousands of
# times faster (elapsed = a few fake nanoseconds). (Rebinding builtins.range as well breaks
# the interpreter's own later imports; tests/unit/test_tamper.py covers it in process.)
HOSTILE = """
import operator
import sys
import time

_ticks = [0.0]


def _frozen(*args, **kwargs):
    _ticks[0] += 1e-9
    return _ticks[0]


def _patch():
    time.perf_counter = time.monotonic = time.process_time = _frozen
    operator.call = _frozen
    sys.call_tracing = lambda fn, args: None  # skip the counted region altogether


_patch()


def work(n):
    _patch()
    s = 0
    for i in range(n):
        s += i * i
    return s
"""

# Prints a result line of its own at import and exits before the worker can print one.
FORGER = """
import json
import os
import sys

sys.__stdout__.write(json.dumps({"samples": [1e-9] * 5, "loops": 1}) + "\\n")
sys.__stdout__.flush()
os._exit(0)
""" + WORK

TARGET = Target(file="mod.py", qualname="work")
FAST = Settings().replace(rounds=3, samples_per_worker=3, min_sample_s=0.01, timeout_s=120.0,
                          metric="wall")


def _tree(root: Path, source: str) -> Path:
    root.mkdir()
    (root / "mod.py").write_text(source)
    return root


def _suite(folder: Path) -> StressSuite:
    folder.mkdir()
    cases = []
    for i, n in enumerate((3000, 6000)):
        (folder / f"n{i}.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}}))
        cases.append(StressCase(id=f"n{i}", provenance="sweep", payload=f"n{i}.pkl", size=n))
    return StressSuite(target=TARGET, cases=tuple(cases), folder=str(folder))


def test_a_patched_clock_measures_the_same_as_the_original(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    hostile = _tree(tmp_path / "hostile", HOSTILE)
    m = timing.compare(base, hostile, TARGET, _suite(tmp_path / "suite"), FAST)
    assert 0.5 < m.speedup < 2.0, m
    assert m.ci_low < 1.05, m
    assert not critic.accept([m], critic.policy_from_settings(FAST)).accepted


@pytest.mark.skipif(not callgrind.available(), reason="valgrind is not installed")
def test_a_patched_call_tracing_counts_the_same_as_the_original(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    hostile = _tree(tmp_path / "hostile", HOSTILE)
    suite = _suite(tmp_path / "suite")
    pairs = [(c.id, c.payload) for c in suite.cases]
    m = callgrind.compare_instructions(base, hostile, TARGET, suite, pairs, 2, FAST)
    assert 0.9 < m.speedup < 1.1, m
    assert "(toggled)" in m.note, m.note  # the worker's own sys.call_tracing was entered


def test_a_result_line_the_candidate_prints_is_not_the_workers(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    forger = _tree(tmp_path / "forger", FORGER)
    with pytest.raises(BenchFailed) as failed:
        timing.compare(base, forger, TARGET, _suite(tmp_path / "suite"), FAST)
    assert failed.value.gate == "sandbox"
    assert "timing worker for the candidate failed (exit 0)" in failed.value.reason


# A wrong answer that claims a behaviour verdict for itself: it prints the harness's
# "same behaviour" line, with the nonce when it can find one on the command line (where
# the nonce was until the harness read it from stdin), and exits before the harness can.
FAKE_VERDICT = """
import json
import os
import sys

_argv = sys.argv
_nonce = _argv[_argv.index("--nonce") + 1] if "--nonce" in _argv else ""
sys.__stdout__.write(json.dumps({"ok": True, "case": None, "detail": "same behaviour",
                                 "nonce": _nonce}) + "\\n")
sys.__stdout__.flush()
os._exit(0)


def work(n):
    return 0
"""


def test_a_behaviour_verdict_the_candidate_prints_is_not_the_harnesss(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    forger = _tree(tmp_path / "forger", FAKE_VERDICT)
    verdict = equivalence.check(base, forger, TARGET, _suite(tmp_path / "suite"), FAST)
    assert (verdict.accepted, verdict.gate) == (False, "sandbox"), verdict
    assert "the harness crashed running the candidate (exit 0)" in verdict.reason


# --- end to end: the model's reply patches the clock -----------------------------------


def fenced(code: str) -> str:
    return f"Here is a much faster version.\n\n```python\n{code.strip()}\n```\n"


STRESS = Reply("""- many values

```python
CONDITIONS = {"many values": lambda args, kwargs: len(args[0]) >= 300}


def generate(size, rng):
    return ([rng.randint(0, 100) for _ in range(size)], 100), {}
```
""")

SLOW_LOOP = """
    count = 0
    n = len(values)
    for i in range(n):
        for j in range(i + 1, n):
            if values[i] + values[j] == target:
                count += 1
    return count
"""

# The candidate: the original loop, the clocks patched inside the function.
PATCHES_THE_CLOCK = fenced("""
import operator
import sys
import time


def count_pairs(values, target):
    frozen = lambda *args, **kwargs: 0.0
    time.perf_counter = frozen
    time.monotonic = frozen
    time.process_time = frozen
    operator.call = frozen
    sys.call_tracing = lambda fn, args: None
""" + SLOW_LOOP)

# The refined reply hides it from a naive check: the patch runs at import time in a
# decorator through __import__ and setattr, and through an import alias in the call.
HIDES_THE_PATCH = fenced("""
import time as _t


@(lambda fn: setattr(__import__("time"), "perf_counter", lambda: 0.0) or fn)
def count_pairs(values, target):
    _t.monotonic = lambda: 0.0
""" + SLOW_LOOP)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return repo_copy(FIXTURE, tmp_path / "llmproj")


@pytest.mark.parametrize("level", ["strict", "basic"])
def test_a_reply_that_patches_the_clock_is_rejected_by_the_guard(project, llm_server, level):
    if level == "strict" and jail.support().bwrap is None:
        pytest.skip(f"strict confinement does not work here: {jail.support().problem}")
    llm_server.push(STRESS, Reply(PATCHES_THE_CLOCK), Reply(HIDES_THE_PATCH))
    before = (project / "pairs" / "sums.py").read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERFOPT_"))}
    env.update(OPENAI_API_KEY="sk-test", PERFOPT_SANDBOX=level)
    proc = subprocess.run(
        [sys.executable, "-m", "perfopt.cli", "optimize", str(project), "--model", "m",
         "--base-url", llm_server.base_url, "--json", "--apply"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    rows = [(r["origin"], r["verdict"]) for r in report["results"]]
    assert rows == [("llm:m#1", "guard"), ("llm:m#1.r1", "guard")], json.dumps(
        report["results"], indent=1)[:3000]
    first, second = (r["reason"] for r in report["results"])
    for patched in ("time.perf_counter", "time.monotonic", "time.process_time",
                    "operator.call", "sys.call_tracing"):
        assert f"assigns {patched}: a candidate must not touch the clock" in first, first
    assert "line 4: assigns time.perf_counter" in second, second  # the decorator
    assert "line 6: assigns time.monotonic" in second, second  # through the alias
    # the refine request told the model why
    assert "must not touch the clock" in llm_server.chat_requests[-1].text
    # nothing measured, nothing applied, nothing left behind
    assert not any(r["speedup"] for r in report["results"])
    assert not report["patch"]
    assert (project / "pairs" / "sums.py").read_text() == before
    assert git(project, "status", "--porcelain") == ""
