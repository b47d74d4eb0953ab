"""perfopt on real projects: popular pure-Python PyPI packages, their own tests, a workload each.

    .venv/bin/python bench/real_projects.py                     # the whole corpus
    .venv/bin/python bench/real_projects.py --only idna --keep  # one project, keep its tree
    .venv/bin/python bench/real_projects.py --tests-only        # set up and run the tests only
    .venv/bin/python bench/real_projects.py --report bench/results/real_projects/DATE.json

Per project (the corpus and how it was chosen: bench/real/README.md):

1. the pinned sdist, from the cache (~/.cache/perfopt-real/sdists, or $PERFOPT_REAL_CACHE);
   missing, `pip download --no-binary :all: --no-deps NAME==VERSION` fetches it; its sha256
   must match the pin;
2. unpacked into a work folder, with bench/real/<name>.py copied in as bench_workload.py;
   a venv beside it gets the project's test dependencies and the project itself, editable
   (so the tests after `--apply` run the applied code);
3. the tests run (`python -m pytest -q`, counts and failing ids recorded), then the tree
   becomes a git repository (one commit; caches ignored through .git/info/exclude, as a
   user's .gitignore would);
4. `perfopt optimize TREE --workload 'python bench_workload.py' --json` with the project's
   interpreter (`--python`, or the venv first on PATH with VIRTUAL_ENV set where perfopt
   has no `--python` yet); afterwards `git status --porcelain` must be empty;
5. the same with `--apply`, then the tests again.

Printed per project: hotspots, reached (status other than skipped / not-reached),
candidates, accepted (speedup and interval), tests before and after, wall time; and the
totals, with the issue's acceptance checks. Written: bench/results/real_projects/<date>.json
(+ .txt, the printed table) and <date>/<name>.{optimize,apply}.json / .stderr.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOADS = HERE / "real"
RESULTS = HERE / "results" / "real_projects"
CACHE = Path(os.environ.get("PERFOPT_REAL_CACHE", Path.home() / ".cache" / "perfopt-real"))
WORKLOAD_FILE = "bench_workload.py"
WORKLOAD_CMD = f"python {WORKLOAD_FILE}"

# What a user's .gitignore would hold: tool caches and build output. perfopt must leave
# nothing else behind (git status --porcelain after a run without --apply).
GIT_EXCLUDE = """__pycache__/
*.py[cod]
*.egg-info/
.eggs/
build/
dist/
.pytest_cache/
.hypothesis/
.coverage
.coverage.*
.tox/
.nox/
.venv/
"""


@dataclass(frozen=True)
class Project:
    name: str  # PyPI name
    version: str
    sha256: str  # of the sdist
    rank: int  # download rank when chosen (bench/real/README.md)
    why: str  # what it is and what the workload does
    test_deps: tuple[str, ...]  # installed before the project (pytest included)
    test_args: tuple[str, ...] = ()  # pytest arguments (paths), after `-q`
    workload: str = ""  # bench/real/<workload>.py (default: the name)
    python: str = ""  # the venv's Python version when not the bench's own, e.g. "3.13"

    @property
    def script(self) -> Path:
        return WORKLOADS / f"{self.workload or self.name.replace('-', '_')}.py"


# In download-rank order; bench/real/README.md says why these and not others.
CORPUS: tuple[Project, ...] = (
    Project("packaging", "26.4",
            "c4b671c41ddb9bf26e543c37723610d28fb6bf7affc4da17cf048d419d2c062a",
            2, "version/specifier/requirement/marker parsing, as a resolver uses it",
            ("pytest", "pretend", "hypothesis", "tomli_w"), ("tests",)),
    Project("idna", "3.20",
            "a7db850025b95ded1eae8a46181a1a6c56c92c96f0e2b005d9ff8dc0210cab44",
            5, "IDNA 2008 / UTS 46 encoding and decoding of domain names",
            ("pytest", "hypothesis"), ("tests",)),
    Project("charset-normalizer", "3.5.3",
            "a250888753faa289e2997962fbb17c4960cbdb58575533ca6fceee68c224bdff",
            8, "encoding detection of byte strings (from_bytes / detect)",
            ("pytest",), ("tests",)),
    Project("pygments", "2.21.0",
            "610ca751c9bc2492b38eb9a38a7fbc93edbbb2d7182edaf34e66ae493dee5c8c",
            17, "syntax highlighting of source files to HTML and terminal",
            ("pytest", "wcag-contrast-ratio"), ("tests",)),
    Project("click", "8.5.1",
            "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4",
            19, "command-line parsing and help formatting of a multi-command CLI",
            ("pytest",), ("tests",)),
    Project("pluggy", "1.7.0",
            "d1eaa46ebb595891b860ab086b4d09c8588af65ebd4361b8e8f4bb8920b90ba8",
            21, "plugin registration and hook calls (pytest's plugin system)",
            ("pytest",), ("testing",)),
    Project("pycparser", "3.12",
            "f03387877eab82ce01bbdfd0ba7252ee55a90b1c708d5129e2ce915475cf1db6",
            22, "parsing C sources to an AST and generating C back",
            ("pytest",), ("tests",)),
    Project("attrs", "26.1.0",
            "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32",
            27, "attrs classes: instantiation, validators, asdict/evolve, comparison",
            # 3.13: under 3.11 and 3.12 one test of this release fails
            # (tests/test_converters.py::TestPipe::test_wrapped_annotation)
            ("pytest", "hypothesis"), ("tests",), python="3.13"),
    Project("h11", "0.16.0",
            "4e35b956cf45792e4caa5885e69fba00bdbc6ffafbfa020300e549b208ee5ff1",
            29, "HTTP/1.1 client and server state machines over in-memory bytes",
            ("pytest",), ("h11/tests",)),
    Project("pathspec", "1.1.1",
            "17db5ecd524104a120e173814c90367a96a98d07c45b2e10c2f3919fff91bf5a",
            43, "gitignore-style matching of many file paths",
            ("pytest",), ("tests",)),
)


# ---------------------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str] | str, cwd: Path, *, env: dict | None = None, timeout: float = 1800,
        shell: bool = False) -> tuple[int, str, str, float]:
    """(returncode, stdout, stderr, seconds); a timeout is returncode 124."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout, shell=shell, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        def text(b: bytes | str | None) -> str:
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return 124, text(e.stdout), text(e.stderr), time.monotonic() - t0


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sdist(p: Project) -> Path:
    """The pinned sdist, downloaded into the cache when missing; sha256 checked."""
    folder = CACHE / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[-_.]+", "[-_.]", p.name)

    def find() -> Path | None:
        for f in folder.iterdir():
            if re.fullmatch(rf"(?i){stem}-{re.escape(p.version)}\.(tar\.gz|zip)", f.name):
                return f
        return None

    found = find()
    if found is None:
        log(f"{p.name}: downloading the sdist {p.name}=={p.version}")
        code, out, err, _ = run([sys.executable, "-m", "pip", "download", "-q", "--no-binary",
                                 ":all:", "--no-deps", "-d", str(folder),
                                 f"{p.name}=={p.version}"], folder, timeout=600)
        found = find()
        if found is None:
            raise RuntimeError(f"pip download {p.name}=={p.version} failed:\n{err[-2000:]}")
    digest = sha256(found)
    if digest != p.sha256:
        raise RuntimeError(f"{found.name}: sha256 {digest} is not the pinned {p.sha256}")
    return found


def interpreter(version: str) -> str | None:
    """A CPython of `version` ("3.13"): one installed by pyenv, else pythonX.Y on PATH (a
    pyenv shim there may refuse a version that is not the active one, so it comes second)."""
    if not version:
        return None
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for folder in sorted(pyenv.glob(f"{version}.*"), reverse=True):
        exe = folder / "bin" / "python"
        if exe.is_file():
            return str(exe)
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
        return found
    raise RuntimeError(f"no Python {version} found (PATH or pyenv)")


def unpack(archive: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(dest, filter="data")
        except TypeError:  # Python < 3.12 without extraction filters
            tar.extractall(dest)
    (top,) = [d for d in dest.iterdir() if d.is_dir()]
    return top


_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)")


def parse_pytest(out: str) -> dict:
    """Counts from pytest's closing line, and the ids of failed/errored tests (-rfE)."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0, "xpassed": 0}
    lines = [ln for ln in out.strip().splitlines() if ln.strip()]
    for line in reversed(lines):
        found = _COUNT.findall(line)
        if found and (" in " in line or "no tests ran" in line):
            for n, word in found:
                key = "errors" if word.startswith("error") else word
                if key in counts:
                    counts[key] = int(n)
            break
    failing = sorted({m.group(2) for m in re.finditer(r"^(FAILED|ERROR) (\S+)", out, re.M)})
    return {**counts, "failing": failing}


# ---------------------------------------------------------------------------------------
# one project


@dataclass
class Outcome:
    name: str
    version: str
    stage: str = "setup"  # where it stopped: setup, tests, optimize, apply, done
    error: str = ""
    interpreter_via: str = ""  # "--python" or "PATH+VIRTUAL_ENV"
    tests_before: dict = field(default_factory=dict)
    tests_after: dict = field(default_factory=dict)
    tests_seconds: float = 0.0
    workload_seconds: float = 0.0  # the workload alone, in the venv
    hotspots: int = 0
    statuses: dict = field(default_factory=dict)  # status -> count (the run without --apply)
    reasons: list = field(default_factory=list)  # [qualname, status, reason] of each hotspot
    reached: int = 0
    candidates: int = 0
    accepted: list = field(default_factory=list)  # {target, speedup, ci, skills}
    applied: list = field(default_factory=list)  # files --apply wrote
    apply_accepted: int = 0
    dirty_after_optimize: list = field(default_factory=list)  # git status --porcelain lines
    new_ignored_after_optimize: list = field(default_factory=list)  # ignored paths it left
    tracebacks: list = field(default_factory=list)  # "<run>: <first line after>" in stderr
    json_tracebacks: int = 0  # "Traceback" inside the JSON report (reasons, warnings)
    exit_codes: dict = field(default_factory=dict)
    optimize_seconds: float = 0.0
    apply_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def tests_green(self) -> bool | None:
        """The tests after --apply are as green as before: no test fails that passed."""
        b, a = self.tests_before, self.tests_after
        if not b or not a:
            return None
        new_fail = set(a.get("failing", ())) - set(b.get("failing", ()))
        return not new_fail and a["passed"] >= b["passed"] and (
            a["failed"] + a["errors"] <= b["failed"] + b["errors"])


def perfopt_accepts_python(perfopt: str) -> bool:
    code, out, err, _ = run([perfopt, "optimize", "--help"], REPO, timeout=120,
                            env={**os.environ, "COLUMNS": "200"})
    return "--python" in out + err


def _ignored(tree: Path) -> set[str]:
    code, out, _, _ = run(["git", "status", "--porcelain", "--ignored", "-unormal"], tree,
                          timeout=120)
    return {ln[3:] for ln in out.splitlines() if ln.startswith("!! ")}


def _tracebacks(label: str, text: str) -> list[str]:
    found = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            last = next((ln for ln in lines[i + 1:] if ln and not ln.startswith(" ")), "?")
            found.append(f"{label}: {last.strip()[:300]}")
    return found


def read_report(o: Outcome, label: str, code: int, out: str, err: str,
                timeout: float) -> str:
    """Fill `o` from one perfopt run's JSON; what went wrong, or ""."""
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    if code == 124:
        return f"perfopt {label} ran past {timeout:.0f} s"
    if not isinstance(report, dict):
        return f"perfopt {label} printed no JSON (exit {code}): {err.strip()[-1500:]}"
    if report.get("error"):
        return f"perfopt {label} failed (exit {code}): {report['error']}"
    o.json_tracebacks += json.dumps(report).count("Traceback (most recent call last)")
    if label == "apply":
        o.apply_accepted = int(report.get("accepted", 0))
        o.applied = list(report.get("applied", []))
        return ""
    hot = report.get("hotspots", [])
    o.hotspots = len(hot)
    for h in hot:
        status = h.get("status", "?")
        o.statuses[status] = o.statuses.get(status, 0) + 1
        target = h.get("target", {})
        o.reasons.append([f"{target.get('file')}::{target.get('qualname')}", status,
                          h.get("reason", "")[:400]])
    o.reached = sum(h.get("status") not in ("skipped", "not-reached") for h in hot)
    o.candidates = len(report.get("results", []))
    o.accepted = [{"target": f"{r['target']['file']}::{r['target']['qualname']}",
                   "speedup": r.get("speedup"), "ci": r.get("ci"), "skills": r.get("skills")}
                  for r in report.get("results", []) if r.get("accepted")]
    return ""


def run_project(p: Project, args: argparse.Namespace, out_dir: Path,
                with_python: bool) -> Outcome:
    o = Outcome(p.name, p.version)
    t_start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=f"real-{p.name}-", dir=args.work))
    try:
        archive = sdist(p)
        tree = unpack(archive, work / "src")
        if p.script.is_file() or not args.tests_only:
            shutil.copy(p.script, tree / WORKLOAD_FILE)
        venv = work / "venv"
        py = str(venv / "bin" / "python")
        log(f"{p.name}: venv and install")
        base = args.base_python or interpreter(p.python) or sys.executable
        code, out, err, _ = run([base, "-m", "venv", str(venv)], work, timeout=600)
        if code:
            raise RuntimeError(f"venv failed: {err[-2000:]}")
        pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        code, out, err, _ = run([*pip, *p.test_deps], work, timeout=1200)
        if code:
            raise RuntimeError(f"installing the test dependencies failed: {err[-2000:]}")
        code, out, err, _ = run([*pip, "-e", str(tree)], work, timeout=1200)
        if code:
            raise RuntimeError(f"installing the project failed: {err[-2000:]}")
        env = {**os.environ, "VIRTUAL_ENV": str(venv),
               "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)

        o.stage = "tests"
        log(f"{p.name}: tests before")
        test_cmd = [py, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *p.test_args]
        code, out, err, secs = run(test_cmd, tree, env=env, timeout=args.timeout)
        o.tests_before = parse_pytest(out)
        o.tests_before["exit"] = code
        o.tests_seconds = round(secs, 1)
        (out_dir / f"{p.name}.tests_before.txt").write_text(out[-20000:] + err[-5000:])
        if o.tests_before["passed"] == 0:
            raise RuntimeError(f"the tests did not run (exit {code}):\n{(out + err)[-2000:]}")
        if args.tests_only:
            o.stage = "done"
            return o

        # the workload itself must run in the venv
        code, out, err, secs = run([py, WORKLOAD_FILE], tree, env=env, timeout=600)
        if code:
            raise RuntimeError(f"the workload failed (exit {code}):\n{err[-2000:]}")
        o.workload_seconds = round(secs, 1)
        log(f"{p.name}: workload alone {secs:.1f} s: {out.strip()[-200:]}")

        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
               "-c", "commit.gpgsign=false"]
        run([*git, "init", "-q"], tree)
        (tree / ".git" / "info" / "exclude").write_text(GIT_EXCLUDE)
        run([*git, "add", "-A"], tree)
        code, out, err, _ = run([*git, "commit", "-q", "-m", f"{p.name} {p.version} sdist"],
                                tree)
        if code:
            raise RuntimeError(f"git commit failed: {err}")
        ignored_before = _ignored(tree)

        cmd = [args.perfopt, "optimize", str(tree), "--workload", WORKLOAD_CMD, "--json"]
        if with_python:
            cmd += ["--python", py]
            o.interpreter_via = "--python"
        else:
            o.interpreter_via = "PATH+VIRTUAL_ENV"
        cmd += args.perfopt_args

        for label, extra in (("optimize", []), ("apply", ["--apply"])):
            o.stage = label
            log(f"{p.name}: perfopt {label}")
            code, out, err, secs = run([*cmd, *extra], tree, env=env, timeout=args.timeout)
            o.exit_codes[label] = code
            setattr(o, f"{label}_seconds", round(secs, 1))
            (out_dir / f"{p.name}.{label}.json").write_text(out)
            (out_dir / f"{p.name}.{label}.stderr.txt").write_text(err[-200000:])
            o.tracebacks += _tracebacks(f"{label} stderr", err)
            if label == "optimize":  # whatever became of the run, it must leave no trace
                _, status_out, _, _ = run(["git", "status", "--porcelain"], tree)
                o.dirty_after_optimize = status_out.splitlines()
                o.new_ignored_after_optimize = sorted(_ignored(tree) - ignored_before)
            # a failed run is a result: note it and go on (the tests still run after --apply)
            problem = read_report(o, label, code, out, err, args.timeout)
            if problem:
                o.error = f"{o.error}; {problem}" if o.error else problem
                log(f"{p.name}: {problem[:300]}")

        o.stage = "tests-after"
        log(f"{p.name}: tests after --apply")
        code, out, err, _ = run(test_cmd, tree, env=env, timeout=args.timeout)
        o.tests_after = parse_pytest(out)
        o.tests_after["exit"] = code
        (out_dir / f"{p.name}.tests_after.txt").write_text(out[-20000:] + err[-5000:])
        code, diff, _, _ = run(["git", "diff"], tree)
        if diff:
            (out_dir / f"{p.name}.applied.diff").write_text(diff)
        o.stage = "done" if not o.error else "done, with errors"
    except Exception as e:  # noqa: BLE001 - one project's failure is a result, not a crash
        o.error = f"{type(e).__name__}: {e}"
        log(f"{p.name}: stopped at {o.stage}: {o.error[:300]}")
    finally:
        o.wall_seconds = round(time.monotonic() - t_start, 1)
        if args.keep:
            log(f"{p.name}: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return o


# ---------------------------------------------------------------------------------------
# report


def _tests(t: dict) -> str:
    if not t:
        return "-"
    bad = t["failed"] + t["errors"]
    return f"{t['passed']}p/{bad}f" + (f"/{t['skipped']}s" if t["skipped"] else "")


def _clean(o: Outcome) -> str:
    if "optimize" not in o.exit_codes:
        return "-"
    return "NO" if o.dirty_after_optimize else "yes"


def _minutes(s: float) -> str:
    return f"{s / 60:.1f}m"


def table(outcomes: list[Outcome]) -> str:
    head = (f"{'project':<26} {'hot':>3} {'reach':>5} {'cand':>4} {'acc':>3}  "
            f"{'tests before':<16} {'after':<16} {'clean':<5} {'tb':>2} "
            f"{'optimize':>8} {'apply':>6} {'wall':>6}")
    rows = [head, "-" * len(head)]
    for o in outcomes:
        rows.append(
            f"{o.name + '==' + o.version:<26} {o.hotspots:>3} {o.reached:>5} "
            f"{o.candidates:>4} {len(o.accepted):>3}  {_tests(o.tests_before):<16} "
            f"{_tests(o.tests_after):<16} "
            f"{_clean(o):<5} "
            f"{len(o.tracebacks):>2} {_minutes(o.optimize_seconds):>8} "
            f"{_minutes(o.apply_seconds):>6} {_minutes(o.wall_seconds):>6}")
        for target, status, reason in o.reasons:
            why = reason.strip().splitlines()[0][:90] if reason.strip() else ""
            rows.append(f"    {status:<13} {target}" + (f": {why}" if why else ""))
        for a in o.accepted:
            ci = a.get("ci") or [None, None]
            rows.append(f"    accepted {a['target']}: {a['speedup']}x "
                        f"[{ci[0]}, {ci[1]}] {','.join(a.get('skills') or [])}")
        if o.error:
            where = "" if o.stage.startswith("done") else f"stopped at {o.stage}: "
            rows.append(f"    {where}{o.error.splitlines()[0][:200]}")
        for line in o.dirty_after_optimize:
            rows.append(f"    left after optimize: {line}")
        for tb in o.tracebacks:
            rows.append(f"    traceback: {tb}")
        if o.tests_green is False:
            new = sorted(set(o.tests_after.get("failing", ())) -
                         set(o.tests_before.get("failing", ())))
            rows.append(f"    tests no longer green after --apply: {', '.join(new[:5])}")
    return "\n".join(rows)


def totals(outcomes: list[Outcome]) -> tuple[str, dict]:
    ran = [o for o in outcomes if "optimize" in o.exit_codes]
    hot = sum(o.hotspots for o in ran)
    reached = sum(o.reached for o in ran)
    with_accept = sum(bool(o.accepted) for o in ran)
    green = [o.tests_green for o in outcomes]
    tested = sum(g is not None for g in green)
    walls = [o.optimize_seconds for o in ran]
    statuses: dict[str, int] = {}
    for o in ran:
        for k, v in o.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    t = {
        "projects": len(outcomes),
        "completed": sum(o.stage.startswith("done") for o in outcomes),
        "hotspots": hot,
        "reached": reached,
        "reach_share": round(reached / hot, 3) if hot else None,
        "statuses": statuses,
        "candidates": sum(o.candidates for o in ran),
        "accepted": sum(len(o.accepted) for o in ran),
        "projects_with_accept": with_accept,
        "tests_green_after_apply": sum(bool(g) for g in green),
        "git_clean_after_optimize": sum(not o.dirty_after_optimize for o in ran),
        "tracebacks": sum(len(o.tracebacks) for o in outcomes),
        "perfopt_ran": sum(len(o.exit_codes) == 2 and not any(o.exit_codes.values())
                           for o in outcomes),
        "median_optimize_seconds": round(statistics.median(walls), 1) if walls else None,
        "median_wall_seconds": round(statistics.median(o.wall_seconds for o in outcomes), 1)
        if outcomes else None,
    }
    n = len(outcomes)
    checks = [
        ("reach >= 90% of hotspots (status not skipped / not-reached)",
         t["reach_share"] is not None and t["reach_share"] >= 0.9,
         f"{reached}/{hot}"),
        (">= half of the projects get an accepted rewrite", with_accept * 2 >= n,
         f"{with_accept}/{n}"),
        ("tests as green after --apply as before", t["tests_green_after_apply"] == n,
         f"{t['tests_green_after_apply']}/{n}" + (
             f" ({n - tested} stopped before the tests after --apply)" if tested < n else "")),
        ("git status clean after the run without --apply", t["git_clean_after_optimize"] == n,
         f"{t['git_clean_after_optimize']}/{n}"),
        ("no traceback on stderr", t["tracebacks"] == 0, str(t["tracebacks"])),
        ("perfopt finished (exit 0) both runs on every project", t["perfopt_ran"] == n,
         f"{t['perfopt_ran']}/{n}"),
        ("median optimize wall time <= 5 min",
         t["median_optimize_seconds"] is not None and t["median_optimize_seconds"] <= 300,
         f"{t['median_optimize_seconds']} s"),
    ]
    lines = [
        f"totals: {n} projects ({t['completed']} completed), {hot} hotspots, {reached} "
        f"reached, {t['candidates']} candidates, {t['accepted']} accepted in "
        f"{with_accept} projects",
        f"hotspot statuses: {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}",
        f"median wall time per project: optimize {t['median_optimize_seconds']} s, "
        f"whole project (setup, tests x2, optimize, apply) {t['median_wall_seconds']} s",
        "acceptance:",
    ]
    lines += [f"  [{'x' if ok else ' '}] {what}: {got}" for what, ok, got in checks]
    t["checks"] = {what: ok for what, ok, _ in checks}
    return "\n".join(lines), t


def render(header: str, ordered: list[Outcome]) -> tuple[str, dict]:
    summary, figures = totals(ordered)
    return f"{header}\n\n{table(ordered)}\n\n{summary}\n", figures


def reprint(path: Path) -> int:
    data = json.loads(path.read_text())
    names = {f.name for f in fields(Outcome)}
    ordered = [Outcome(**{k: v for k, v in p.items() if k in names}) for p in data["projects"]]
    header = data.get("header") or (
        f"perfopt real-projects bench, {data['date']}, perfopt at "
        f"{data.get('perfopt_tree') or data.get('perfopt_rev')}, interpreter via "
        f"{data.get('interpreter_via')}, jobs {data.get('jobs')}, "
        f"extra options {data.get('perfopt_args') or 'none'}")
    report, _ = render(header, ordered)
    print(report)
    path.with_suffix(".txt").write_text(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", default=[],
                    help="project name (repeatable, or comma separated)")
    ap.add_argument("--jobs", type=int, default=1, help="projects at once [1]")
    ap.add_argument("--keep", action="store_true", help="keep the work folders")
    ap.add_argument("--tests-only", action="store_true",
                    help="set up and run each project's tests; no perfopt")
    ap.add_argument("--work", default=None, help="parent of the work folders [tmp]")
    ap.add_argument("--perfopt", default=str(Path(sys.executable).with_name("perfopt")),
                    help="the perfopt executable [beside this interpreter]")
    ap.add_argument("--base-python", default=None,
                    help="interpreter every project venv is made from [this one, or the "
                         "project's pinned Python version]")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="seconds for one perfopt run or test run [1800]")
    ap.add_argument("--out", default=None, help="results file stem [results/real_projects/DATE]")
    ap.add_argument("--report", default=None, metavar="RESULTS.json",
                    help="print the table of a saved run again (and rewrite its .txt)")
    ap.add_argument("perfopt_args", nargs="*", help="after --: more perfopt optimize options")
    args = ap.parse_args(argv)
    if args.report:
        return reprint(Path(args.report))

    names = {n for item in args.only for n in item.split(",") if n}
    unknown = names - {p.name for p in CORPUS}
    if unknown:
        ap.error(f"unknown project(s) {sorted(unknown)}; known: {[p.name for p in CORPUS]}")
    corpus = [p for p in CORPUS if not names or p.name in names]
    if args.work:
        Path(args.work).mkdir(parents=True, exist_ok=True)

    stem = Path(args.out) if args.out else RESULTS / time.strftime("%Y-%m-%d")
    out_dir = stem.with_suffix("") if stem.suffix else stem
    out_dir.mkdir(parents=True, exist_ok=True)
    with_python = False if args.tests_only else perfopt_accepts_python(args.perfopt)
    if not args.tests_only:
        log("perfopt takes --python" if with_python else
            "perfopt has no --python: the project venv goes first on PATH, VIRTUAL_ENV set")
    code, rev, _, _ = run(["git", "rev-parse", "--short", "HEAD"], REPO, timeout=60)
    # perfopt as it ran: the commit, and a digest of the uncommitted changes to perfopt/
    _, diff, _, _ = run(["git", "diff", "HEAD", "--", "perfopt"], REPO, timeout=60)
    tree_state = rev.strip() or "?"
    if diff:
        tree_state += f" + uncommitted perfopt/ changes {sha256_text(diff)[:10]}"

    started = time.time()
    lock = threading.Lock()
    outcomes: dict[str, Outcome] = {}

    def one(p: Project) -> None:
        o = run_project(p, args, out_dir, with_python)
        with lock:
            outcomes[p.name] = o
            log(f"{p.name}: {o.stage} in {o.wall_seconds:.0f} s")

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(pool.map(one, corpus))
    ordered = [outcomes[p.name] for p in corpus]

    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
    header = (f"perfopt real-projects bench, {when}, perfopt at {tree_state}, "
              f"interpreter via {'--python' if with_python else 'PATH+VIRTUAL_ENV'}, "
              f"jobs {args.jobs}, {os.cpu_count()} cores, "
              f"extra options {args.perfopt_args or 'none'}")
    report, figures = render(header, ordered)
    print(report)

    data = {
        "date": time.strftime("%Y-%m-%d", time.localtime(started)),
        "header": header,
        "perfopt_rev": rev.strip(),
        "perfopt_tree": tree_state,
        "interpreter_via": "--python" if with_python else "PATH+VIRTUAL_ENV",
        "tests_only": args.tests_only,
        "jobs": args.jobs,
        "perfopt_args": args.perfopt_args,
        "seconds": round(time.time() - started, 1),
        "corpus": [asdict(p) for p in corpus],
        "projects": [{**asdict(o), "tests_green": o.tests_green} for o in ordered],
        "totals": figures,
    }
    Path(f"{out_dir}.json").write_text(json.dumps(data, indent=2) + "\n")
    Path(f"{out_dir}.txt").write_text(report)
    log(f"wrote {out_dir}.json, {out_dir}.txt and {out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
