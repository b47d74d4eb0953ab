"""The model's performance-characterizing conditions and input generator (after WEDGE),
through the real chat-completions seam (tests/llm_server.py) and a sandboxed worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfopt.commands.stress import NOT_STRESS
from perfopt.generate import Generator
from perfopt.llm import LLMClient, ModelConfig
from perfopt.llm.parse import stress_code_block
from perfopt.models import Target
from perfopt.stress import conditions
from perfopt.stress.conditions import ConditionRunner, score
from perfopt.stress.programs import ProgramStressOptions, build_program_suite
from perfopt.targets.base import Work
from tests.llm_server import Reply

# Slow only when most values are 7: the grammar search (random, sorted, all-equal, min
# and max values within 1..10^9) has next to no chance of taking the quadratic branch.
PROGRAM = """\
import sys
data = sys.stdin.read().split()
n = int(data[0])
a = list(map(int, data[1:1 + n]))
if a.count(7) * 2 > n:
    c = 0
    for i in range(n):
        for j in range(i):
            if a[i] == a[j]:
                c += 1
    print(c)
else:
    print(sum(a))
"""
STATEMENT = """Count equal pairs.

Input
N
A_1 A_2 ... A_N

Constraints
1 <= N <= 2000
1 <= A_i <= 10^9
"""
GOOD = '''The cost is quadratic when most values are 7.

- more than half of the values are 7
- N near 2000

```python
import random

CONDITIONS = {
    "most values are 7": lambda text: text.split()[1:].count("7") * 2 > int(text.split()[0]),
    "N near its bound": lambda text: int(text.split()[0]) >= 1500,
}


def generate(scale, rng):
    n = max(1, int(2000 * scale))
    return f"{n}\\n" + " ".join(str(rng.choice((7, 7, 7, 1))) for _ in range(n)) + "\\n"
```
'''


def program(tmp_path: Path) -> tuple[Path, Path]:
    prog = tmp_path / "prog.py"
    prog.write_text(PROGRAM)
    samples = tmp_path / "samples"
    samples.mkdir(exist_ok=True)
    (samples / "input.1.txt").write_text("5\n1 2 3 4 5\n")
    (samples / "output.1.txt").write_text("15\n")
    return prog, samples


def suite_with(tmp_path: Path, name: str, runner: ConditionRunner | None):
    prog, samples = program(tmp_path)
    options = ProgramStressOptions(budget_s=8, target_cost_s=0.3, max_case_s=2.0)
    return build_program_suite(prog, "python", samples, STATEMENT, tmp_path / name,
                               options=options, conditions=runner)


def test_model_conditions_find_the_slow_region(tmp_path: Path, llm_server) -> None:
    llm_server.push(Reply(GOOD))
    client = LLMClient(ModelConfig(model="test-model", base_url=llm_server.base_url,
                                   cache=False))
    warnings: list[str] = []
    llm = Generator(client, warnings.append)
    work = Work(Target("prog.py"), PROGRAM, statement=STATEMENT, samples=("5\n1 2 3 4 5\n",))
    code = llm.stress_code(work, "")
    assert code is not None and "def generate" in code and warnings == []
    sent = llm_server.chat_requests[0].text
    assert "a.count(7) * 2 > n" in sent and "1 <= N <= 2000" in sent  # program, statement

    with ConditionRunner(code, cwd=tmp_path) as runner:
        assert runner.conditions == ["most values are 7", "N near its bound"]
        assert runner.check("8\n7 7 7 7 7 7 7 1\n") == (True, False)
        with_model = suite_with(tmp_path, "model", runner)
        without = suite_with(tmp_path, "plain", None)
        # the grammar search alone never reaches the quadratic branch (checked by the
        # model's own predicate, so no clock is involved)...
        folder = Path(without.suite.folder)
        assert not any(runner.check((folder / c.payload).read_text())[0]
                       for c in without.suite.cases)

    stats = with_model.stats
    assert stats.conditions == ("most values are 7", "N near its bound")
    assert stats.model_generated >= 2 and stats.model_accepted == stats.model_generated
    stress = [c for c in with_model.suite.cases if c.provenance not in NOT_STRESS]
    top = max(stress, key=lambda c: c.cost)
    assert top.provenance == "model" and "meets 2/2 model conditions" in top.note
    assert stats.condition_hits[0] >= 1
    plain = [c.cost for c in without.suite.cases
             if c.provenance not in NOT_STRESS]
    # ...so its costliest input stays far below the model's (typically ~35x here; a loaded
    # machine can inflate one small measurement several-fold)
    assert top.cost > 3 * max(plain, default=0.001)


def test_conditions_reward_the_search() -> None:
    assert score(1.0, ()) == 1.0
    assert score(1.0, (True, True)) == pytest.approx(1.0 + conditions.CONDITION_BONUS)
    assert score(1.0, (True, False)) < score(1.0, (True, True))


def test_hostile_or_broken_code_turns_the_model_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(conditions, "REQUEST_TIMEOUT_S", 1.0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    spy = (
        "import os\n"
        "CONDITIONS = {'sees the key': lambda text: 'OPENAI_API_KEY' in os.environ}\n"
        "def generate(scale, rng):\n"
        "    while True:\n"
        "        pass\n"
    )
    runner = ConditionRunner(spy, cwd=tmp_path)
    assert runner.check("1\n5\n") == (False,)  # no credentials in the sandbox
    assert runner.generate(0.5, 1) is None  # an endless generator is cut off
    assert not runner.active and "took over 1 s" in runner.error
    result = suite_with(tmp_path, "after", runner)  # the stressor goes on without it
    assert any(c.provenance == "sample" for c in result.suite.cases)
    assert result.stats.model_generated == 0

    broken = ConditionRunner("def generate(:\n", cwd=tmp_path)
    assert not broken.active and "does not load" in broken.error


def test_stress_code_block_needs_a_generator() -> None:
    assert stress_code_block("no code here") is None
    assert stress_code_block("```python\nCONDITIONS = {}\n```") is None
    assert "def generate" in (stress_code_block(GOOD) or "")


@pytest.mark.slow
def test_optimize_program_asks_the_model_for_stress_conditions_first(tmp_path: Path,
                                                                       llm_server) -> None:
    from perfopt.commands.optimize import optimize_program
    from perfopt.events import Silent
    from perfopt.pipeline import RunOptions

    prog, samples = program(tmp_path)
    (samples / "statement.txt").write_text(STATEMENT)
    # the stress request, then the optimize request (a reply without code: no candidate)
    llm_server.push(Reply(GOOD), *[Reply("I cannot improve this.")] * 4)
    flags = {"model": "test-model", "base_url": llm_server.base_url, "cache": False,
             "rounds": 3, "timeout_s": 30.0, "program_stress_budget_s": 6.0,
             "program_stress_cost_s": 0.2, "program_max_case_s": 0.5}
    run = optimize_program(prog, samples, flags, RunOptions(), Silent(), engine="llm")
    first = llm_server.chat_requests[0].text
    assert "Find the inputs that make this python program slowest" in first
    assert "a.count(7) * 2 > n" in first and "1 <= N <= 2000" in first
    assert len(llm_server.chat_requests) >= 2  # then the candidates were asked for
    assert not any(w.startswith("stress:") for w in run.warnings), run.warnings
    assert prog.read_text() == PROGRAM
