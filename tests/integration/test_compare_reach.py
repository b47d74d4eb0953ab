"""The wrong-above-N rewrite, end to end: `perfopt optimize --apply` with a model, for real.

tests/fixtures/uniqproj holds one O(n x distinct) dedupe, `unique`. The model (the real
local server of tests/llm_server.py) answers with a dict-based rewrite that is right on
small results and drops the last item once its result passes 5,000 items. Before the
compare-only sweep it was accepted at 184x (CI 99-345x) and applied: the stress suite's
largest result held 4,500 items (the "distinct" strategy at 3x, the most the original did
within 4 x stress_call_s). Now the comparison grows the inputs until one call of the
original costs compare_call_s, and the rewrite is rejected at "equivalence" on such an
input, nothing applied.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.test_llm_pipeline import describe, git, optimize, repo_copy, report_of
from tests.llm_server import Reply

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "uniqproj"

WRONG_ABOVE_5000 = """Faster: a dict keeps the first-seen order.

```python
def unique(items):
    out = list(dict.fromkeys(items))
    if len(out) > 5000:
        out.pop()
    return out
```
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixture in its own git repository (so `git status` can be checked)."""
    return repo_copy(FIXTURE, tmp_path / "uniqproj")


def test_wrong_above_n_is_rejected_on_a_compare_only_input(project, llm_server):
    # the stress request gets no usable code (the search goes on alone); the rest the rewrite
    llm_server.default = lambda request: Reply(
        "no stress code" if "slowest" in request.text else WRONG_ABOVE_5000)
    report = report_of(optimize(project, llm_server.base_url, "--apply"))

    # the seen-list codemod rewrites the same dedupe (correctly) and may be applied; the
    # model's rewrite, wrong only above 5,000 results, must be rejected and never applied
    (result,) = [r for r in report["results"] if r["origin"] == "llm:m#1"]
    assert result["verdict"] == "equivalence", describe(report)
    found = re.search(r"input (\S+) \(size (\d+), (\w+)\): return value differs: value: "
                      r"expected length (\d+) .*got length (\d+)", result["reason"])
    assert found, result["reason"]
    size, expected, got = (int(found.group(i)) for i in (2, 4, 5))
    assert size > 5000 and expected > 5000 and got == expected - 1, result["reason"]
    # caught on a compare-only input, or on a stress input that grew past 5,000 results
    # too (tests/unit/test_compare_reach.py pins the compare sweep's sizes)
    assert found.group(3) in ("compare", "scaled", "sweep"), result["reason"]
    applied = (project / "uniq" / "items.py").read_text()
    assert "5000" not in applied and "out.pop()" not in applied
    others = [r for r in report["results"] if r is not result]
    assert all(r["origin"].startswith("codemod:") for r in others), describe(report)
    changed = git(project, "status", "--porcelain").split()
    assert changed == (["M", "uniq/items.py"] if report["applied"] else []), changed
