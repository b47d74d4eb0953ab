"""action.yml (the composite action) and the documented workflow and GitLab snippets parse
and hold what the README says they do; `[tool.perfopt.ci]` loads and validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from perfopt.commands.ci import function_changes, same_behaviour_code, skip_label_present
from perfopt.config import CiSettings, load_ci_settings, load_settings
from perfopt.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_action_is_a_composite_action_that_runs_perfopt_ci():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"base", "python-version", "perfopt-version", "workload",
                                      "fail-on-slowdown", "no-fail", "upload-sarif"}
    assert "pull_request.base.sha" in action["inputs"]["base"]["default"]
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/setup-python@")
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "pip install" in runs and "perfopt ci" in runs and "--sarif" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql"))
    assert "steps.ci.outputs.sarif" in upload["if"]  # only a SARIF that was written
    assert all("shell" in s for s in steps if "run" in s)  # composite run steps need one
    # inputs reach the shell through env, never pasted into the script
    assert "${{" not in runs


def test_documented_workflow_uses_the_action_on_pull_requests():
    flow = yaml.safe_load((ROOT / "docs/ci/perfopt.yml").read_text())
    assert "pull_request" in flow[True]  # YAML 1.1 reads the key `on` as True
    assert flow["permissions"]["security-events"] == "write"
    [job] = flow["jobs"].values()
    checkout, action = job["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    assert "pull_request.base.sha" in action["with"]["base"]
    gitlab = yaml.safe_load((ROOT / "docs/ci/gitlab-ci.yml").read_text())
    assert any("perfopt ci --base" in line for line in gitlab["perfopt"]["script"])


def test_ci_settings_load_from_their_own_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.perfopt]\ntop = 2\n[tool.perfopt.ci]\nfail_on_slowdown = 1.25\n'
        'exclude = ["gen/*"]\nskip-label = "no-perf"\n')
    assert load_settings(tmp_path).top == 2  # the ci table is not a Settings key
    ci = load_ci_settings(tmp_path, {"budget_s": 60})
    assert ci == CiSettings(fail_on_slowdown=1.25, budget_s=60.0, exclude=("gen/*",),
                            skip_label="no-perf")
    (tmp_path / "pyproject.toml").write_text("[tool.perfopt.ci]\nthreshold = 2\n")
    with pytest.raises(ConfigError, match="unknown setting 'threshold'"):
        load_ci_settings(tmp_path)
    with pytest.raises(ConfigError, match="fail_on_slowdown"):
        load_ci_settings(tmp_path / "x", {"fail_on_slowdown": 0.5})


def test_cosmetic_and_real_changes_are_told_apart():
    base = 'def f(x):\n    """Doc."""\n    return x + 1\n\n\ndef g(y):\n    return y\n'
    head = ('def f(x):\n    """Other doc."""\n    # a comment\n    return (x +\n            1)\n'
            '\n\ndef g(y):\n    return y * 2\n\n\ndef h():\n    pass\n')
    got = {c.target.qualname: (c.new, c.cosmetic) for c in function_changes("m.py", base, head)}
    assert got == {"f": (False, True), "g": (False, False), "h": (True, False)}
    assert not same_behaviour_code("def f():\n    return 'a'\n", "def f():\n    return 'b'\n")


def test_skip_label_comes_from_the_event_payload(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"labels": [{"name": "perfopt-skip"}]}}))
    assert skip_label_present("perfopt-skip", {"GITHUB_EVENT_PATH": str(event)})
    assert not skip_label_present("other", {"GITHUB_EVENT_PATH": str(event)})
    assert not skip_label_present("perfopt-skip", {})
    event.write_text("not json")
    assert not skip_label_present("perfopt-skip", {"GITHUB_EVENT_PATH": str(event)})
