"""The issue's hostile model, for real: `perfopt optimize --model` against the local HTTP
server of tests/llm_server.py, whose replies are a correct, fast rewrite of the hot
function and a stress generator, both carrying every side effect the issue saw accepted:

- files: delete a canary outside the workspace, write a new file there;
- network: connect to a TCP listener this test runs on 127.0.0.1;
- secrets: dump os.environ (and perfopt's own, through /proc/PPID/environ) to a file
  outside the workspace, and print it (to stderr: printed output is compared, and the
  model wants its rewrite accepted);
- processes: start children that sleep, some in new sessions (setsid).

Each effect runs once per process that loads the code: the harness, every timing worker,
the tests, the stress worker. At strict, everything is contained: the canaries are intact,
nothing was written outside, the listener saw no connection, no child is alive after
perfopt exits, and no secret value is in stdout, stderr, the JSON, any file under the
test's folder or any request the model received. At basic the run says so in one warning
(JSON and stderr), the environment allowlist still holds, and the test shows what basic
does not contain: the files, the network, setsid children and other processes'
environments (perfopt's own, in /proc/PPID/environ, as the same user).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfopt.verify.jail import support
from tests.integration.test_llm_pipeline import FIXTURE, fenced, repo_copy
from tests.llm_server import Reply
from tests.unit.test_sandbox_jail import SECRETS, Listener, marked_processes

pytestmark = pytest.mark.slow

# what the model has the code do, once per process that loads it; every effect is tried
# and its failure swallowed, so the code stays correct (and gets accepted) when contained
EFFECTS = """
    if not getattr({fn}, "_done", False):
        {fn}._done = True
        import os, socket, subprocess, sys
        for effect in (
            lambda: os.remove({canary!r}),
            lambda: open({dropped!r}, "w").write("written by the model's code"),
            lambda: open({dump!r}, "a").write(repr(dict(os.environ)) + "\\n"),
            lambda: open({proc_dump!r}, "ab").write(
                open(f"/proc/{{os.getppid()}}/environ", "rb").read() + b"\\n"),
            lambda: print("ENV", dict(os.environ), file=sys.stderr),
            lambda: [socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
                     for _ in range(3)],
            lambda: [subprocess.Popen(["sleep", {escaper!r}], start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(3)],
            lambda: [subprocess.Popen(["sleep", {member!r}], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for _ in range(2)],
        ):
            try:
                effect()
            except Exception:
                pass
"""

CANDIDATE = """
def count_pairs(values, target):
{effects}
    seen = {{}}
    count = 0
    for v in values:
        count += seen.get(target - v, 0)
        seen[v] = seen.get(v, 0) + 1
    return count
"""

GENERATOR = """- many values, so that most of the n^2 pairs are looked at

```python
CONDITIONS = {{"many values": lambda args, kwargs: len(args[0]) >= 300}}


def generate(size, rng):
{effects}
    return ([rng.randint(0, 100) for _ in range(size)], 100), {{}}
```
"""

# sleep durations that mark each source's children: (in a new session, in the group)
MARKERS = {"candidate": ("131.27181", "131.27182"), "generator": ("131.27191", "131.27192")}


def effects(fn: str, who: str, outside: Path, port: int) -> str:
    escaper, member = MARKERS[who]
    return EFFECTS.format(fn=fn, canary=str(outside / f"canary-{who}.txt"),
                          dropped=str(outside / f"dropped-{who}.txt"),
                          dump=str(outside / f"env-{who}.txt"),
                          proc_dump=str(outside / f"proc-environ-{who}.txt"), port=port,
                          escaper=escaper, member=member)


def all_markers() -> list[str]:
    return [m for pair in MARKERS.values() for m in pair]


def end_marked() -> None:
    for marker in all_markers():
        for pid in marked_processes(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def no_refinement(root: Path) -> None:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace("refine_rounds = 1\n", "refine_rounds = 0\n")
    (root / "pyproject.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def scene(tmp_path: Path, llm_server):
    """The project, the folder outside it with the canaries, the listener, the replies."""
    root = repo_copy(FIXTURE, tmp_path / "llmproj", no_refinement)
    outside = tmp_path / "outside"
    outside.mkdir()
    for who in MARKERS:
        (outside / f"canary-{who}.txt").write_text("intact")
    listener = Listener()
    llm_server.push(
        Reply(GENERATOR.format(effects=effects("generate", "generator", outside,
                                               listener.port))),
        Reply(fenced(CANDIDATE.format(effects=effects("count_pairs", "candidate", outside,
                                                      listener.port)))))
    end_marked()
    try:
        yield root, outside, listener
    finally:
        listener.close()
        end_marked()


def optimize(root: Path, base_url: str, level: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERFOPT_"))}
    env.update(SECRETS, OPENAI_API_KEY="sk-hostile-test-key-0123456789")
    return subprocess.run(
        [sys.executable, "-m", "perfopt.cli", "optimize", str(root), "--model", "m",
         "--base-url", base_url, "--json", "--sandbox", level],
        capture_output=True, text=True, env=env, timeout=900, check=False)


def secret_values() -> list[str]:
    return [*SECRETS.values(), "sk-hostile-test-key-0123456789"]


def files_holding_secrets(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {s}" for s in secret_values() if s.encode() in data]
    return found


@pytest.mark.skipif(support().bwrap is None,
                    reason=f"strict sandbox unavailable here: {support().problem}")
def test_strict_contains_every_side_effect(scene, llm_server):
    root, outside, listener = scene
    proc = optimize(root, llm_server.base_url, "strict")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)

    # the code ran: the generator's inputs joined the suite, the candidate was verified
    optimize_prompt = llm_server.chat_requests[1].text
    assert re.search(r"\d+ inputs \([^)]*\b[12] model\b", optimize_prompt), optimize_prompt
    assert [(r["origin"], r["verdict"]) for r in report["results"]] == [
        ("llm:m#1", "accepted")], report["results"]
    assert not [w for w in report["warnings"] if "sandbox" in w]

    for who in MARKERS:
        assert (outside / f"canary-{who}.txt").read_text() == "intact"
    assert sorted(p.name for p in outside.iterdir()) == [
        "canary-candidate.txt", "canary-generator.txt"]
    time.sleep(0.5)
    assert listener.accepted == 0
    assert [m for m in all_markers() if marked_processes(m)] == []
    for text in (proc.stdout, proc.stderr, *(r.text for r in llm_server.chat_requests)):
        assert not [s for s in secret_values() if s in text]
    assert files_holding_secrets(root.parent) == []


def test_basic_warns_and_shows_what_it_does_not_contain(scene, llm_server):
    root, outside, listener = scene
    proc = optimize(root, llm_server.base_url, "basic")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)

    warning = [w for w in report["warnings"] if w.startswith("sandbox basic")]
    assert len(warning) == 1, report["warnings"]
    for missing in ("network", "filesystem writable", "setsid"):
        assert missing in warning[0]
    assert "sandbox basic" in proc.stderr

    # what basic holds: the allowlist (the dumps exist: the code ran; no secret in them),
    # and the process group (children that stayed in it are gone)
    for who in MARKERS:
        dump = (outside / f"env-{who}.txt").read_text()
        assert "PATH" in dump and not [s for s in secret_values() if s in dump], who
        assert marked_processes(MARKERS[who][1]) == [], who
    assert not [s for s in secret_values() if s in proc.stdout + proc.stderr]

    # what basic does not contain, as documented: files, the network, setsid children
    for who in MARKERS:
        assert not (outside / f"canary-{who}.txt").exists(), who
        assert (outside / f"dropped-{who}.txt").exists(), who
        assert marked_processes(MARKERS[who][0]), who
    assert listener.accepted > 0
    # ...and other processes of the same user: perfopt's own environment through /proc
    leaked = (outside / "proc-environ-candidate.txt").read_bytes()
    assert SECRETS["DB_PASS"].encode() in leaked
