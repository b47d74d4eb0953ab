"""Issue 7's acceptance: `perfopt optimize` with a model, for real, end to end.

Each test runs `python -m perfopt.cli optimize` in a subprocess on a copy of
tests/fixtures/llmproj (one O(n^2) function that no codemod touches, so every candidate
comes from the model) against the real local HTTP server of tests/llm_server.py, scripted
per test. The server records what perfopt sent, so the refine prompts are checked for the
evidence the verifier produced. Speed settings live in the fixture's [tool.perfopt].
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.llm_server import Reply, Status

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "llmproj"
TARGET = "pairs/sums.py::count_pairs"
pytestmark = pytest.mark.slow


def fenced(code: str, prose: str = "Here is a faster version.") -> str:
    return f"{prose}\n\n```python\n{code.strip()}\n```\n"


# O(n) with a counter of the values seen so far: equivalent, and >= 10x on the captured
# 300-element inputs.
GOOD = fenced("""
from collections import Counter


def count_pairs(values, target):
    seen = Counter()
    count = 0
    for v in values:
        count += seen[target - v]
        seen[v] += 1
    return count
""")

# Fast but wrong: counts an element paired with itself when 2 * v == target.
WRONG = fenced("""
from collections import Counter


def count_pairs(values, target):
    seen = Counter(values)
    return sum(seen[target - v] for v in values) // 2
""")

# Equivalent but slower: builds a tuple and calls sum() for every pair.
SLOWER = fenced("""
def count_pairs(values, target):
    count = 0
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if sum((values[i], values[j])) == target:
                count += 1
    return count
""")

# Parses (so the reply parser accepts it) but does not compile: the verifier's compile gate.
NO_COMPILE = fenced("""
def count_pairs(values, target):
    count = 0
    if not values:
        break
    return count
""")

# Does not even parse: the engine asks again, quoting the parse error.
NO_PARSE = fenced("""
def count_pairs(values, target)
    return 0
""")


# A run's first request: the model's stress conditions and call generator (after WEDGE) for
# count_pairs; its calls join the stress suite that every candidate is checked against.
STRESS = Reply("""- many values, so that most of the n^2 pairs are looked at

```python
CONDITIONS = {"many values": lambda args, kwargs: len(args[0]) >= 300}


def generate(size, rng):
    return ([rng.randint(0, 100) for _ in range(size)], 100), {}
```
""")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True).stdout


def repo_copy(fixture: Path, root: Path,
              prepare: Callable[[Path], None] | None = None) -> Path:
    """`fixture` copied to `root` (less caches), `prepare`d, and committed in its own git
    repository, so a test can check `git status` after a run."""
    shutil.copytree(fixture, root, ignore=shutil.ignore_patterns("__pycache__", ".perfopt",
                                                                  ".pytest_cache"))
    if prepare is not None:
        prepare(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "fixture")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixture in its own git repository (so `git status` can be checked)."""
    return repo_copy(FIXTURE, tmp_path / "llmproj")


def optimize(root: Path, base_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "PERFOPT_"))}
    env["OPENAI_API_KEY"] = "sk-test"
    return subprocess.run(
        [sys.executable, "-m", "perfopt.cli", "optimize", str(root), "--model", "m",
         "--base-url", base_url, "--json", *extra],
        capture_output=True, text=True, env=env, timeout=600,
    )


def report_of(proc: subprocess.CompletedProcess[str]) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def summary(report: dict) -> list[tuple[str, str]]:
    return [(r["origin"], r["verdict"]) for r in report["results"]]


def describe(report: dict) -> str:
    rows = [{k: r[k] for k in ("origin", "verdict", "speedup", "ci", "reason")}
            for r in report["results"]]
    return json.dumps({"results": rows, "warnings": report["warnings"]}, indent=1)[:4000]


@pytest.mark.parametrize(
    ("bad", "gate", "evidence"),
    [
        (WRONG, "equivalence", "return value differs"),
        (SLOWER, "benchmark", "below 1.05x"),
        (NO_COMPILE, "compile", "'break' outside loop"),
    ],
    ids=["wrong", "slower", "no-compile"],
)
def test_bad_reply_is_rejected_and_refined_with_the_evidence(project, llm_server, bad, gate,
                                                             evidence):
    llm_server.push(STRESS, Reply(bad), Reply(GOOD))
    report = report_of(optimize(project, llm_server.base_url))

    assert summary(report) == [("llm:m#1", gate), ("llm:m#1.r1", "accepted")], describe(report)
    rejected, accepted = report["results"]
    assert rejected["target"] == {"file": "pairs/sums.py", "qualname": "count_pairs"}
    assert evidence in rejected["reason"], rejected["reason"]
    assert accepted["ci"][0] >= 1.05 and accepted["speedup"] >= 2.0, describe(report)
    assert "Counter" in report["patch"]

    stress, first, refine = llm_server.chat_requests
    # the stress request shows the function and its real calls' shapes, not their values
    assert "Find the inputs that make this Python function slowest" in stress.text
    assert "def count_pairs" in stress.text and "- a real call: (list of 900 (int" in stress.text
    assert "[0, 37, 74" not in stress.text
    # its calls joined the suite: the optimize prompt's summary counts them
    assert re.search(r"\d+ inputs \([^)]*\b[12] model\b", first.text), first.text[-2500:]
    assert first.body["model"] == "m"
    assert "count_pairs" in first.text and "Make this Python function faster" in first.text
    # the refine prompt carries the gate, the rejected code and the verifier's evidence
    assert f'rejected at the "{gate}" check' in refine.text
    assert evidence in refine.text
    assert bad.split("```python\n")[1].split("```")[0].strip() in refine.text
    if gate == "benchmark":
        assert "measured speedup" in refine.text  # the measurement itself, CI included
    if gate == "equivalence":
        assert "expected" in refine.text and "got" in refine.text  # both outputs
    assert report["usage"]["requests"] == 3


def test_unparsable_reply_is_asked_again_with_the_parse_error(project, llm_server):
    llm_server.push(STRESS, Reply(NO_PARSE), Reply(GOOD))
    report = report_of(optimize(project, llm_server.base_url))

    assert summary(report) == [("llm:m#1", "accepted")], describe(report)
    _stress, first, again = llm_server.chat_requests
    # the second request is the same conversation plus the bad reply and why it failed
    assert again.messages[: len(first.messages)] == first.messages
    assert again.messages[-2] == {"role": "assistant", "content": NO_PARSE}
    assert "could not be used: the code does not parse" in again.messages[-1]["content"]


def test_rate_limit_is_retried_then_accepted(project, llm_server):
    llm_server.push(Status(429, {"Retry-After": "1"}), STRESS, Reply(GOOD))
    report = report_of(optimize(project, llm_server.base_url))

    assert summary(report) == [("llm:m#1", "accepted")], describe(report)
    first, retry, _optimize = llm_server.chat_requests
    assert first.body == retry.body  # the same request, sent again
    assert report["usage"]["requests"] == 3
    assert not [w for w in report["warnings"] if "model" in w], report["warnings"]


def test_rejected_api_key_is_one_line_and_exit_2(project, llm_server):
    llm_server.push(Status(401))
    proc = optimize(project, llm_server.base_url, "--quiet")

    assert proc.returncode == 2, proc.stderr[-3000:]
    # the run's warnings (one line each: the fixture's workload is short) may come first
    lines = [line for line in proc.stderr.splitlines()
             if line.strip() and not line.startswith("warning: ")]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert "API key" in lines[0] and "OPENAI_API_KEY" in lines[0]
    assert "Traceback" not in proc.stderr
    # --json: stdout is still one object, holding the same one-line error
    assert json.loads(proc.stdout) == {"error": lines[0].removeprefix("perfopt: error: "),
                                       "exit_code": 2, "command": "optimize"}
    assert len(llm_server.chat_requests) == 1  # a bad key is not retried
    assert git(project, "status", "--porcelain") == ""


def test_second_identical_run_is_served_from_the_cache(project, llm_server):
    llm_server.push(STRESS, Reply(GOOD))
    first = report_of(optimize(project, llm_server.base_url))
    assert summary(first) == [("llm:m#1", "accepted")], describe(first)
    assert first["usage"]["requests"] == 2
    sent = len(llm_server.chat_requests)
    assert sent == 2

    # the cache sits in the project's .perfopt/, which ignores itself
    assert list((project / ".perfopt" / "cache" / "llm").rglob("*.json"))
    assert git(project, "status", "--porcelain") == ""

    second = report_of(optimize(project, llm_server.base_url))
    assert len(llm_server.chat_requests) == sent, [r.text[-300:] for r in
                                                   llm_server.chat_requests[sent:]]
    assert summary(second) == [("llm:m#1", "accepted")], describe(second)
    assert second["usage"]["requests"] == 0 and second["usage"]["cached"] >= 2
    assert second["patch"] == first["patch"]
    assert git(project, "status", "--porcelain") == ""


def test_profile_noise_does_not_defeat_the_cache(llm_server, tmp_path):
    """Why the test above failed: two identical runs sample the profile differently, and
    the hot-line shares are part of the prompt, hence of the cache key."""
    from perfopt.languages.python import get_function
    from perfopt.llm import LLMClient, ModelConfig, PromptContext, generate
    from perfopt.models import Target

    original = (FIXTURE / "pairs" / "sums.py").read_text(encoding="utf-8")
    target = Target(file="pairs/sums.py", qualname="count_pairs", span=(6, 14))
    config = ModelConfig(model="m", base_url=llm_server.base_url, candidates=1,
                         cache_dir=tmp_path / "cache")
    llm_server.default = Reply(GOOD)
    # the same run twice: py-spy saw the inner loop's two lines in different proportions
    for hot_lines in (((12, 1.0),), ((11, 0.5), (12, 0.5))):
        context = PromptContext(file=target.file, qualname=target.qualname,
                                hot_lines=hot_lines, stress_summary="9 inputs (9 captured)")
        found = generate(target, get_function(original, "count_pairs"), context,
                         LLMClient(config))
        assert [c.origin for c in found] == ["llm:m#1"]
    assert len(llm_server.chat_requests) == 1


def test_a_card_the_profile_swapped_does_not_defeat_the_cache(llm_server, tmp_path):
    """Why the cache test failed again (CI, 2026-11-23): the profile-guided plan depends on
    which lines hold >= 20% of the function's ~60 samples, so two identical runs can choose
    different cards, and the plan was part of the cache key. The key's plan now comes from
    the code alone; the prompt still carries the profile-guided plan."""
    from perfopt.generate import Generator
    from perfopt.languages.python import get_function
    from perfopt.llm import LLMClient, ModelConfig
    from perfopt.models import Hotspot, StressSuite, Target
    from perfopt.skills.plan import diagnose
    from perfopt.targets.base import Work

    original = get_function((FIXTURE / "pairs" / "sums.py").read_text(encoding="utf-8"),
                            "count_pairs")
    target = Target(file="pairs/sums.py", qualname="count_pairs", span=(6, 14))
    config = ModelConfig(model="m", base_url=llm_server.base_url, candidates=1,
                         cache_dir=tmp_path / "cache")
    llm_server.default = Reply(GOOD)
    runs = [Hotspot(target=target, self_share=0.11, total_share=0.11, score=0.11, samples=58,
                    hot_lines=lines)
            for lines in (((12, 0.57), (11, 0.34), (13, 0.09)),
                          ((12, 0.57), (11, 0.16), (13, 0.27)))]
    diagnoses = [diagnose(original, target, h) for h in runs]
    plans = [list(d.plan.skills) for d in diagnoses]
    assert plans[0] != plans[1], plans  # the two samplings really choose different cards
    for h, d in zip(runs, diagnoses, strict=True):
        generator = Generator(LLMClient(config), warn=print)
        found = generator.candidates(Work(target, original, hotspot=h), d.skills, d.key_skills,
                                     StressSuite(target=target))
        assert [c.origin for c in found] == ["llm:m#1"]
    assert len(llm_server.chat_requests) == 1
    sent = llm_server.chat_requests[0].text
    assert all(f"[{sid}]" in sent for sid in plans[0])  # the prompt kept its own plan
