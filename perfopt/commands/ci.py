"""`perfopt ci --base REF`: the functions a change touched, checked for regressions and
optimized, for a pull request.

changed: the Python functions whose code differs between the base and the head (by symbol:
`languages.python.definitions` / `get_function`; a change up to comments, docstrings and
formatting is "cosmetic" and never timed). reached: the workload (the project's tests, or
`--workload`) run once on a copy of the head with the changed functions wrapped
(`profilers.capture_calls`): a function it calls is reached, and its recorded calls are
the inputs. regression: the base version against the head version on those inputs, through
`bench.measure.measure_all` (interleaved workers, the interval statistics `optimize` uses);
flagged when the slowdown interval's lower bound reaches `fail_on_slowdown`. suggestions:
the one loop (`pipeline.run`, a FunctionKind job as `optimize` builds it) restricted to the
changed functions the workload reached. Nothing is written into the checkout.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from perfopt.config import CiSettings, Settings, load_ci_settings, path_matches
from perfopt.errors import PerfoptError, TargetError
from perfopt.events import Events
from perfopt.models import Measurement, RunResult, StressSuite, Target


@dataclass(frozen=True)
class Changed:
    target: Target  # file relative to the project root, the head's qualname and lines
    new: bool = False  # not in the base
    cosmetic: bool = False  # same code up to comments, docstrings and formatting
    reached: bool = False  # the workload called it


@dataclass(frozen=True)
class Regression:
    target: Target
    slowdown: float  # head time / base time
    low: float  # the slowdown's interval
    high: float
    confidence: float
    metric: str


@dataclass
class CiReport:
    base: str
    head: str
    threshold: float
    changed: list[Changed] = field(default_factory=list)
    regressions: list[Regression] = field(default_factory=list)  # flagged ones only
    timed: list[Regression] = field(default_factory=list)  # every comparison made
    result: RunResult | None = None  # the loop's run on the changed functions
    notes: list[str] = field(default_factory=list)
    skipped: str = ""  # why nothing was checked (the skip label)

    @property
    def suggestions(self) -> list[Any]:
        return [r for r in (self.result.results if self.result else ()) if r.verdict.accepted]

    @property
    def worth_writing(self) -> bool:
        return bool(self.regressions or self.suggestions)


# -- git ------------------------------------------------------------------------------------

def git(root: Path, *args: str, text: bool = True) -> Any:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              text=text, check=False)
    except FileNotFoundError as exc:
        raise TargetError("perfopt ci needs git on PATH") from exc
    if proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode("utf-8", "replace")
        raise TargetError(f"git {' '.join(args[:2])} failed: {err.strip()[:200]}")
    return proc.stdout


def resolve(root: Path, ref: str, flag: str) -> str:
    proc = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "--quiet",
                           f"{ref}^{{commit}}"], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise TargetError(f"{flag} {ref}: no such commit in {root}; fetch it first "
                          f"(actions/checkout with fetch-depth: 0)")
    return proc.stdout.strip()


def toplevel(path: Path) -> Path:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TargetError(f"{path} is not in a git repository; perfopt ci compares two "
                          f"commits of one (run it in the checkout)")
    return Path(proc.stdout.strip()).resolve()


def file_at(repo: Path, ref: str | None, rel: str) -> str:
    """The text of `rel` (repository-relative) at `ref`, or in the working tree; "" when
    it does not exist there."""
    if ref is None:
        path = repo / rel
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    proc = subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{rel}"],
                          capture_output=True, check=False)
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""


@contextmanager
def tree_at(repo: Path, ref: str, name: str) -> Iterator[Path]:
    """The repository's files at `ref`, extracted into a temporary folder `name`."""
    with tempfile.TemporaryDirectory(prefix="perfopt-ci-") as holder:
        root = Path(holder) / name
        root.mkdir()
        archive = Path(holder) / "tree.tar"
        archive.write_bytes(git(repo, "archive", "--format=tar", ref, text=False))
        with tarfile.open(archive) as tar:
            try:
                tar.extractall(root, filter="data")
            except TypeError:  # Python before 3.10.12 / 3.11.4: git's own archive
                tar.extractall(root)
        archive.unlink()
        yield root


# -- what changed -----------------------------------------------------------------------------

def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def same_behaviour_code(a: str, b: str) -> bool:
    """The same program up to comments, docstrings and formatting."""
    try:
        return (ast.dump(_strip_docstrings(ast.parse(a)))
                == ast.dump(_strip_docstrings(ast.parse(b))))
    except (SyntaxError, ValueError):
        return a.strip() == b.strip()


def function_changes(rel: str, old: str, new: str) -> list[Changed]:
    """The functions and methods of `new` whose definition differs from `old`'s."""
    from perfopt.languages import python as pylang

    try:
        defs = [d for d in pylang.definitions(new) if d.kind in ("function", "method")]
    except PerfoptError:
        return []
    out = []
    for d in defs:
        head_fn = pylang.get_function(new, d.qualname)
        try:
            base_fn = pylang.get_function(old, d.qualname) if old else ""
        except PerfoptError:
            base_fn = ""
        if base_fn == head_fn:
            continue
        target = Target(rel, d.qualname, span=(d.start_line, d.end_line))
        cosmetic = bool(base_fn) and same_behaviour_code(base_fn, head_fn)
        out.append(Changed(target, new=not base_fn, cosmetic=cosmetic))
    return out


def changed_functions(repo: Path, sub: str, base: str, head: str | None,
                      ci: CiSettings) -> list[Changed]:
    """Changed functions of the project's non-test Python files, paths relative to the
    project folder `sub` (repository-relative, "" for the root)."""
    from perfopt.discover import is_test_file

    args = ["diff", "--name-only", "--diff-filter=AMR", base] + ([head] if head else [])
    names = git(repo, *args, "--", f"{sub}/*.py" if sub else "*.py").splitlines()
    found: list[Changed] = []
    for name in sorted(n for n in names if n):
        rel = name[len(sub) + 1:] if sub else name
        if is_test_file(rel) or path_matches(rel, ci.exclude):
            continue
        if ci.include and not path_matches(rel, ci.include):
            continue
        found += function_changes(rel, file_at(repo, base, name), file_at(repo, head, name))
    return found


def skip_label_present(label: str, env: Mapping[str, str]) -> bool:
    """The pull request in $GITHUB_EVENT_PATH's payload carries `label`."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not label:
        return False
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        labels = payload.get("pull_request", {}).get("labels", [])
        return any(isinstance(x, dict) and x.get("name") == label for x in labels)
    except (OSError, ValueError, AttributeError):
        return False


# -- the check ------------------------------------------------------------------------------

def regression_of(m: Measurement, target: Target) -> Regression:
    """A comparison base (baseline) -> head (candidate) as a slowdown: head/base time."""
    low = 1.0 / m.ci_high if m.ci_high > 0 else float("inf")
    high = 1.0 / m.ci_low if m.ci_low > 0 else float("inf")
    slowdown = 1.0 / m.speedup if m.speedup > 0 else float("inf")
    return Regression(target, slowdown, low, high, m.confidence, m.metric)


# The head is timed as `optimize` times a candidate, whose workers stop past
# candidate_timeout_factor x the original's time; a head is the user's code, not an
# untrusted candidate, so it gets this much room before it counts as "at least this slower".
HEAD_TIMEOUT_FACTOR = 50.0


def compare_versions(base_root: Path, head_root: Path, target: Target, suite: StressSuite,
                     settings: Settings) -> Regression:
    """The base's `target` against the head's on `suite`: the clocks `optimize` uses. A
    head stopped past its limit is a slowdown of at least the limit's factor."""
    from perfopt.bench import measure
    from perfopt.bench.critic import deciding
    from perfopt.bench.timing import BenchFailed

    factor = max(settings.candidate_timeout_factor, HEAD_TIMEOUT_FACTOR)
    settings = settings.replace(candidate_timeout_factor=factor)
    try:
        measurements = measure.measure_all(base_root, head_root, target, suite, settings)
    except BenchFailed as exc:
        if exc.gate != "timeout" or "candidate" not in exc.reason:
            raise  # the base's own trouble, or a crash: not a measured slowdown
        return Regression(target, factor, factor, float("inf"), settings.confidence,
                          "timeout")
    return regression_of(deciding(measurements), target)


def capture(head_root: Path, project: Any, targets: list[Target], out: Path,
            settings: Settings) -> dict[str, StressSuite]:
    """The workload run on the head with `targets` wrapped: the suite of each one called."""
    from perfopt import profilers, stress

    reports = profilers.capture_calls(head_root, project.workload, targets, out, settings,
                                      python=project.python)
    suites = {}
    for t in targets:
        report = reports.get(t.key)
        if report is not None and report.calls > 0:
            suites[t.key] = stress.build_suite(t, out, report)
    return suites


@dataclass(frozen=True)
class CiRequest:
    path: Path
    base: str
    head: str | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)  # Settings flags (workload...)
    ci_flags: Mapping[str, Any] = field(default_factory=dict)  # CiSettings flags
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def run_ci(request: CiRequest, events: Events) -> CiReport:
    from perfopt.discover import find_root

    started = time.monotonic()
    project_dir = find_root(Path(request.path).resolve())
    repo = toplevel(project_dir)
    sub = project_dir.relative_to(repo).as_posix() if project_dir != repo else ""
    base = resolve(repo, request.base, "--base")
    head = resolve(repo, request.head, "--head") if request.head else None
    ci = load_ci_settings(project_dir, request.ci_flags)
    report = CiReport(base=request.base, head=request.head or "the working tree",
                      threshold=ci.fail_on_slowdown)
    if skip_label_present(ci.skip_label, request.env):
        report.skipped = f"the pull request has the label '{ci.skip_label}'"
        return report
    report.changed = changed_functions(repo, sub, base, head, ci)
    if not any(not c.cosmetic for c in report.changed):
        return report
    with ExitStack() as stack:
        base_repo = stack.enter_context(tree_at(repo, base, repo.name))
        head_dir = _head_tree(stack, repo, project_dir, sub, head)
        _check(report, base_repo / sub if sub else base_repo, head_dir, request, ci,
               events, started)
    return report


def _head_tree(stack: ExitStack, repo: Path, project_dir: Path, sub: str,
               head: str | None) -> Path:
    from perfopt.verify.workspace import Workspace

    if head is None:
        return stack.enter_context(Workspace.create(project_dir, prefix="perfopt-ci-")).root
    root = stack.enter_context(tree_at(repo, head, repo.name))
    return root / sub if sub else root


def _check(report: CiReport, base_dir: Path, head_dir: Path, request: CiRequest,
           ci: CiSettings, events: Events, started: float) -> None:
    from perfopt.discover import discover

    project = discover(head_dir, request.flags)
    settings = project.settings
    wanted = [c for c in report.changed if not c.cosmetic]
    events.stage("profile", f"running the workload on the head with {len(wanted)} changed "
                            f"function(s) wrapped")
    with tempfile.TemporaryDirectory(prefix="perfopt-ci-captures-") as out:
        suites = capture(head_dir, project, [c.target for c in wanted], Path(out), settings)
        report.changed = [replace(c, reached=c.target.key in suites) for c in report.changed]
        for c in wanted:
            if c.new or c.target.key not in suites:
                continue
            if time.monotonic() - started > ci.budget_s:
                report.notes.append(f"time budget {ci.budget_s:g} s spent: "
                                    f"{c.target.key} not timed")
                continue
            events.stage("measure", f"{c.target.key}: base vs head")
            try:
                r = compare_versions(base_dir, head_dir, c.target, suites[c.target.key],
                                     settings)
            except PerfoptError as exc:
                report.notes.append(f"{c.target.key}: not timed ({exc})")
                continue
            report.timed.append(r)
            if r.low >= ci.fail_on_slowdown:
                report.regressions.append(r)
    reached = frozenset(c.target.key for c in report.changed if c.reached)
    if not reached:
        return
    if time.monotonic() - started > ci.budget_s / 2:
        report.notes.append("time budget: no time left for suggestions")
        return
    report.result = _optimize(project, reached, events, report.notes)


def _optimize(project: Any, keys: frozenset[str], events: Events,
              notes: list[str]) -> RunResult:
    """The one loop, restricted to `keys`, on the head copy (never the checkout)."""
    from perfopt.generate import make_generator
    from perfopt.pipeline import Job, RunOptions, run
    from perfopt.targets.function import FunctionKind

    # the hottest of them, as many as `optimize` takes (top): bounded like an optimize run
    settings = project.settings.replace(top=min(len(keys), project.settings.top))
    said: list[str] = []
    model = make_generator(settings, project.root, events.warn, note=said.append)
    if model is None:
        notes.append("no model configured: suggestions come from the codemods alone "
                     "(offline)")
    job = Job(FunctionKind(replace(project, only=keys, settings=settings)), settings,
              str(project.root), model=model, python=project.interpreter)
    return run(job, RunOptions(), events)
