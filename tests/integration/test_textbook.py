"""Issue 29, acceptance 4: a small project with the four textbook hotspots, in shapes other
than the demo's (tests/fixtures/textbook), goes through `perfopt optimize` offline, with no
model, and every one of the four is rewritten by a codemod and accepted.

The run is real (profile, capture, stress, verify, timing) and takes a minute or two; the
fixture's [tool.perfopt] keeps its budgets small. Speedups vary with the machine's load:
the test asserts acceptance (whose speedup CI cleared --min-speedup), never a figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_llm_pipeline import git, repo_copy

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "textbook"
pytestmark = pytest.mark.slow

# (file, qualname) -> the codemod that must reach it
HOTSPOTS = {
    ("textbook/tags.py", "unique_tags"): "seen-list-to-set",
    ("textbook/routes.py", "hops_from"): "list-pop0-to-deque",
    ("textbook/report.py", "Report.render"): "concat-in-loop-to-join",
    ("textbook/pairs.py", "duplicate_pairs"): "pair-count-to-counter",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixture in its own git repository (so `git status` can be checked)."""
    return repo_copy(FIXTURE, tmp_path / "textbook")


def test_all_four_textbook_hotspots_are_accepted_offline(project: Path):
    # no model: neither the environment nor the project configures one
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERFOPT_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "perfopt.cli", "optimize", str(project),
         "--workload", "python bench.py", "--json"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "no model configured" in proc.stderr
    report = json.loads(proc.stdout)
    rows = [{k: r[k] for k in ("target", "origin", "verdict", "speedup", "ci", "reason")}
            for r in report["results"]]
    described = json.dumps({"results": rows, "hotspots": [h["target"] for h in
                                                         report["hotspots"]]}, indent=1)
    print(described)  # the figures, for whoever runs this with -s
    accepted = {(r["target"]["file"], r["target"]["qualname"]): r
                for r in report["results"] if r["verdict"] == "accepted"}
    for target, codemod in HOTSPOTS.items():
        assert target in accepted, f"{target} not accepted:\n{described[:4000]}"
        result = accepted[target]
        assert result["origin"] == f"codemod:{codemod}", described[:4000]
        assert result["ci"][0] >= 1.05, described[:4000]  # what acceptance means
    assert all(r["origin"].startswith("codemod:") for r in report["results"])
    # offline, and nothing written without --apply
    assert report["usage"] in (None, {}) or not any(report["usage"].values())
    assert git(project, "status", "--porcelain").strip() == ""
