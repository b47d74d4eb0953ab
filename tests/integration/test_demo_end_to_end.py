"""`perfopt optimize` on the demo, for real: profile, capture, codemods, verify, report, apply.

These run the whole pipeline in subprocesses (tens of seconds); they are the foundation's
acceptance tests."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "datasets" / "demo"
pytestmark = pytest.mark.slow


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)


@pytest.fixture
def demo_repo(tmp_path):
    """A copy of the demo in its own git repository, so `git status` can be checked."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "demo")
    return root


def run_perfopt(root, *args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "perfopt.cli", "optimize", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=900, **kw)


def test_optimize_demo_accepts_three_codemods_and_changes_nothing(demo_repo, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = run_perfopt(demo_repo, "--json", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)  # stdout holds exactly one JSON object
    accepted = [r for r in report["results"] if r["verdict"] == "accepted"]
    assert len(accepted) >= 3, json.dumps(report["results"], indent=1)[:3000]
    for r in accepted:
        assert r["speedup"] >= 1.2 and r["ci"][0] >= 1.05
        assert r["origin"].startswith("codemod:") and r["skills"]
        assert set(r["target"]) == {"file", "qualname"}
    for r in report["results"]:
        assert {"target", "origin", "verdict", "speedup", "reason"} <= set(r)
    assert git(demo_repo, "status", "--porcelain", "--ignored").stdout == ""
    assert list(tmp.iterdir()) == []  # no temporary files left behind


def test_apply_writes_changes_and_the_demo_tests_still_pass(demo_repo):
    proc = run_perfopt(demo_repo, "--apply", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    changed = git(demo_repo, "status", "--porcelain").stdout.split("\n")
    assert len([c for c in changed if c.strip()]) >= 2
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=demo_repo, capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout[-2000:]


def test_sigint_during_verification_leaves_the_tree_clean(demo_repo, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    # A shell's background job inherits SIGINT ignored; give perfopt the disposition a
    # terminal user's process has, so Ctrl-C becomes KeyboardInterrupt there.
    proc = subprocess.Popen([sys.executable, "-m", "perfopt.cli", "optimize", str(demo_repo)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        # a candidate copy exists only while a candidate is being verified (os.walk skips
        # folders perfopt removes mid-walk; Path.rglob raised FileNotFoundError on them)
        if any("candidate" in d for _, dirs, _ in os.walk(tmp) for d in dirs):
            break
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("verification never started")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert git(demo_repo, "status", "--porcelain", "--ignored").stdout == ""
    assert list(tmp.iterdir()) == []
