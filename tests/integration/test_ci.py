"""`perfopt ci` on real git repositories built here: a set lookup turned into a list scan
is flagged (exit 1), a docstring/comment edit is not even timed (exit 0, nothing written),
a new slow function gets a verified suggestion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FAST = '''\
def count_known(items, known):
    """How many of items are known."""
    known_set = set(known)
    return sum(1 for x in items if x in known_set)
'''
SLOW = '''\
def count_known(items, known):
    """How many of items are known."""
    known_list = list(known)
    return sum(1 for x in items if x in known_list)
'''
COMMENT_ONLY = '''\
def count_known(items, known):
    """Count the items that are in `known` (a docstring edit)."""
    known_set = set(known)  # a set: O(1) lookups
    return sum(1 for x in items if x in known_set)
'''
DEDUPE = '''

def unique(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
'''
TESTS = '''\
from pkg.lookup import count_known


def test_count_known():
    for _ in range(5):
        assert count_known(list(range(2000)), list(range(0, 80, 2))) == 40
'''
DEDUPE_TEST = '''

def test_unique():
    from pkg.lookup import unique
    # long enough for py-spy to rank it (a 5-loop version went unsuggested 1 run in 4)
    for _ in range(20):
        assert unique([i % 1200 for i in range(3000)]) == list(range(1200))
'''


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def make_repo(tmp_path: Path, head_source: str, extra_test: str = "") -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n'
                                         '[tool.perfopt]\nstress_budget_s = 0\n')
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "lookup.py").write_text(FAST)
    (root / "tests" / "test_lookup.py").write_text(TESTS)
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "pkg" / "lookup.py").write_text(head_source)
    if extra_test:
        with (root / "tests" / "test_lookup.py").open("a") as f:
            f.write(extra_test)
    git(root, "commit", "-q", "-am", "head")
    return root


def ci(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH", "PERFOPT_MODEL")}
    return subprocess.run([sys.executable, "-m", "perfopt.cli", "ci", "--base", "HEAD~1",
                           "--json", *args], cwd=root, capture_output=True, text=True,
                          env=env, timeout=900)


def test_list_scan_is_flagged_as_a_regression(tmp_path):
    root = make_repo(tmp_path, SLOW)
    status = git(root, "status", "--porcelain")
    proc = ci(root, "--markdown", str(tmp_path / "summary.md"))
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    [reg] = data["regressions"]
    assert reg["target"] == {"file": "pkg/lookup.py", "qualname": "count_known"}
    low, high = reg["interval"]
    assert 1.10 <= low <= reg["slowdown"] <= high
    assert reg["metric"] in ("wall", "instructions")
    assert data["changed"][0]["reached"] is True
    assert "count_known" in (tmp_path / "summary.md").read_text()
    assert git(root, "status", "--porcelain") == status  # no stray files
    # --no-fail reports only
    assert ci(root, "--no-fail").returncode == 0


def test_docstring_and_comment_edit_is_not_timed(tmp_path):
    root = make_repo(tmp_path, COMMENT_ONLY)
    summary = tmp_path / "summary.md"
    proc = ci(root, "--markdown", str(summary), "--sarif", str(tmp_path / "r.sarif"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["regressions"] == [] and data["timed"] == []
    assert data["changed"] == [{"target": {"file": "pkg/lookup.py", "qualname": "count_known"},
                                "new": False, "cosmetic": True, "reached": False}]
    assert not summary.exists() and not (tmp_path / "r.sarif").exists()


def test_new_slow_function_gets_a_suggestion(tmp_path):
    root = make_repo(tmp_path, FAST + DEDUPE, DEDUPE_TEST)
    patch = tmp_path / "s.diff"
    sarif = tmp_path / "r.sarif"
    proc = ci(root, "--patch", str(patch), "--sarif", str(sarif))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["regressions"] == []
    new = [c for c in data["changed"] if c["target"]["qualname"] == "unique"]
    assert new and new[0]["new"] and new[0]["reached"]
    [s] = data["suggestions"]
    assert s["target"] == {"file": "pkg/lookup.py", "qualname": "unique"}
    assert s["accepted"] and s["speedup"] > 1 and s["origin"].startswith("codemod")
    assert "dict.fromkeys" in patch.read_text()
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert results and results[0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"] == "pkg/lookup.py"
    assert "offline" in proc.stderr


def test_usage_errors_exit_2_with_one_json_object(tmp_path):
    proc = ci(tmp_path)
    assert proc.returncode == 2
    assert "not in a git repository" in json.loads(proc.stdout)["error"]
    root = make_repo(tmp_path, COMMENT_ONLY)
    proc = subprocess.run([sys.executable, "-m", "perfopt.cli", "ci", "--base", "nosuch", "--json"],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 2 and "nosuch" in json.loads(proc.stdout)["error"]
    assert proc.stderr.count("\n") == 1


DEMO = Path(__file__).resolve().parents[2] / "datasets" / "demo"


def touch_functions(source: str, limit: int) -> tuple[str, int]:
    """`source` with a `pass` after the last statement of up to `limit` top-level
    functions and methods: a real (non-cosmetic) change that keeps behaviour."""
    import ast

    lines = source.splitlines(keepends=True)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            last = node.body[-1]
            found.append((last.end_lineno, last.col_offset))
    found = sorted(found)[:limit]
    for end, col in sorted(found, reverse=True):
        lines.insert(end, " " * col + "pass\n")
    return "".join(lines), len(found)


def test_ten_function_change_on_the_demo_stays_in_budget(tmp_path):
    import shutil
    import time

    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    touched = 0
    for path in sorted((root / "shop").glob("*.py")):
        text, n = touch_functions(path.read_text(), 10 - touched)
        path.write_text(text)
        touched += n
    assert touched == 10
    git(root, "commit", "-q", "-am", "ten functions")
    status = git(root, "status", "--porcelain", "--ignored")
    started = time.monotonic()
    proc = ci(root, "--no-fail")
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    assert len(data["changed"]) == 10 and not any(c["cosmetic"] for c in data["changed"])
    assert any(c["reached"] for c in data["changed"])
    assert took < 600 + 120, took  # the default budget, plus the start-up and the last step
    assert git(root, "status", "--porcelain", "--ignored") == status  # no stray files
    print(f"10-function change on the demo: {took:.0f} s, {len(data['timed'])} timed, "
          f"{len(data['suggestions'])} suggestion(s), notes {data['notes']}")
