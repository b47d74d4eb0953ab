"""The model's stress conditions for a function (after WEDGE): asked through the real
chat-completions seam (tests/llm_server.py), run in the function stressor's sandboxed
worker, rewarded in Hypothesis's targeted search."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from perfopt.generate import Generator
from perfopt.llm import LLMClient, ModelConfig
from perfopt.models import Hotspot, StressSuite
from perfopt.stress import _fn_worker
from perfopt.stress.functions import FunctionStressOptions, stress_function
from perfopt.targets.base import Work
from tests.llm_server import Reply
from tests.unit.test_stress_functions import function_project

# Quadratic only when most values are 7, and the captured call holds no 7: growing it
# (values resampled from 1..6), sorting it or making it all-equal never takes that branch.
FUNCTION = '''\
def pairs(values: list[int]) -> int:
    if values.count(7) * 2 > len(values):
        c = 0
        for i in range(len(values)):
            for j in range(i):
                c += values[i] == values[j]
        return c
    return sum(values)
'''
REPLY = '''The cost is quadratic when most values are 7.

```python
import os

CONDITIONS = {
    "most values are 7": lambda args, kwargs: args[0].count(7) * 2 > len(args[0]),
    "sees the key": lambda args, kwargs: "OPENAI_API_KEY" in os.environ,
}


def generate(size, rng):
    return ([rng.choice((7, 7, 7, 1)) for _ in range(size)],), {}
```
'''
OPTIONS = FunctionStressOptions(budget_s=8, target_call_s=0.1)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, StressSuite]:
    return function_project(tmp_path, "algo", FUNCTION, "pairs", [3, 1, 4, 1, 5, 2, 6, 5])


@pytest.mark.slow
def test_model_conditions_reach_a_slow_branch_the_seeds_never_take(project, tmp_path, llm_server,
                                                                   monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    root, seeds = project
    llm_server.push(Reply(REPLY))
    client = LLMClient(ModelConfig(model="test-model", base_url=llm_server.base_url,
                                   cache=False))
    warnings: list[str] = []
    generator = Generator(client, warnings.append)
    work = Work(seeds.target, FUNCTION, hotspot=Hotspot(seeds.target, 1.0, 1.0, 1.0))

    with_model = stress_function(
        root, seeds.target, seeds, tmp_path / "model", options=OPTIONS,
        model=generator.asker(work))
    plain = stress_function(root, seeds.target, seeds, tmp_path / "plain", options=OPTIONS)

    assert warnings == [] and len(llm_server.chat_requests) == 1
    sent = llm_server.chat_requests[0].text
    assert "Find the inputs that make this Python function slowest" in sent
    assert "values.count(7) * 2" in sent  # the function...
    assert "- a real call: (list of 8 (int in 1..6))" in sent  # ...its calls' shapes...
    assert "3, 1, 4" not in sent  # ...never their values
    modeled = [c for c in with_model.cases if c.provenance == "model"]
    # the predicates ran in the sandbox: the one looking for the API key never sees it
    assert modeled and all("meets 1/2 model conditions" in c.note for c in modeled)
    top = max(with_model.cases, key=lambda c: c.cost or 0.0)
    assert top.provenance == "model"
    args = pickle.loads((Path(with_model.folder) / top.payload).read_bytes())["args"]
    assert args[0].count(7) * 2 > len(args[0])  # a real call into the quadratic branch
    assert not any(c.provenance == "model" for c in plain.cases)
    # cost per element, not per call: both searches grow their inputs until a call costs about
    # target_call_s, so the quadratic branch shows as a call that costly at a far smaller size
    per_element = [c.cost / c.size for c in plain.cases if c.cost and c.size]
    assert per_element and top.cost / top.size > 20 * max(per_element)


@pytest.mark.parametrize("code", [
    "def generate(size, rng):\n    while True:\n        pass\n",  # endless: cut off
    "def generate(size, rng):\n    return [1, 2]\n",  # not (args, kwargs)
    "def generate(size rng):\n",  # does not load
])
def test_broken_model_code_adds_nothing_and_the_stressor_goes_on(project, tmp_path,
                                                                   code) -> None:
    root, seeds = project
    options = FunctionStressOptions(budget_s=4, target_call_s=0.02, max_call_s=0.5)
    suite = stress_function(root, seeds.target, seeds, tmp_path / "s", options=options,
                            model=lambda shapes: code)
    assert not any(c.provenance == "model" for c in suite.cases)
    assert any(c.provenance == "sweep" for c in suite.cases)


def test_shapes_describe_values_without_their_contents() -> None:
    assert _fn_worker.describe([5, 1, 9]) == "list of 3 (int in 1..9)"
    assert _fn_worker.describe({"ab": [1.5]}) == \
        "dict of 1 (str of 2 characters: list of 1 (float in 1.5..1.5))"
    assert _fn_worker.describe(("x", None)) == "tuple of 2 (None | str of 1 characters)"
    assert _fn_worker.describe(12) == "int 12"
    assert _fn_worker.describe(Path("a")).endswith("PosixPath object")
