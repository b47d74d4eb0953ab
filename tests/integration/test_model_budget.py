"""Issue 30: a budget cap stops further model calls and says so; usage is in the reports.

`perfopt optimize` runs for real on a copy of the llmproj fixture against the real local
server (tests/llm_server.py); the server's own request count is what is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_llm_pipeline import (
    FIXTURE,
    GOOD,
    STRESS,
    optimize,
    repo_copy,
    report_of,
)
from tests.llm_server import Reply

pytestmark = pytest.mark.slow


def _capped(root: Path) -> None:
    toml = root / "pyproject.toml"
    text = toml.read_text(encoding="utf-8")
    # one call allowed; the run wants at least two (stress conditions, then a candidate)
    toml.write_text(text.replace("[tool.perfopt]\n", "[tool.perfopt]\nmax_model_calls = 1\n"),
                    encoding="utf-8")


def test_model_call_cap_stops_further_calls_and_says_so(llm_server, tmp_path):
    project = repo_copy(FIXTURE, tmp_path / "llmproj", _capped)
    llm_server.push(STRESS)
    llm_server.default = Reply(GOOD)
    md = tmp_path / "out.md"
    report = report_of(optimize(project, llm_server.base_url, "--markdown", str(md)))
    assert len(llm_server.chat_requests) == 1  # the cap held: no second request was sent
    capped = [w for w in report["warnings"] if "model call cap of 1 reached" in w]
    assert len(capped) == 1, report["warnings"]
    assert "max_model_calls" in capped[0] and "codemods" in capped[0]
    assert report["usage"]["requests"] == 1
    assert report["usage"]["prompt_tokens"] == 10 and report["usage"]["completion_tokens"] == 20
    assert all(not r["origin"].startswith("llm:") for r in report["results"])
    text = md.read_text(encoding="utf-8")
    assert "## Model usage" in text and "prompt_tokens" in text


def test_without_a_cap_the_same_run_calls_the_model_again(llm_server, tmp_path):
    project = repo_copy(FIXTURE, tmp_path / "llmproj")
    llm_server.push(STRESS)
    llm_server.default = Reply(GOOD)
    report = report_of(optimize(project, llm_server.base_url))
    assert len(llm_server.chat_requests) >= 2
    assert not any("cap" in w for w in report["warnings"])
