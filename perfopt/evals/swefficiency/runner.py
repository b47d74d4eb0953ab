"""`run_eval(options) -> EvalReport`: evaluate one engine over SWE-fficiency instances.

Per instance: pre-edit tree and venv (built once, reused) -> expert tree -> the engine's
patch -> patched tree -> guards -> PASS_TO_PASS in the patched tree -> interleaved timing of
pre / patched / expert -> score -> `<out>/<engine>/<instance_id>.json`. Instances whose JSON
exists are skipped unless `force`, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.bench import workload as timing
from perfopt.config import Settings
from perfopt.errors import UserError
from perfopt.evals.executors import EXECUTORS, run_all
from perfopt.evals.swefficiency import report, venvs, workspace
from perfopt.evals.swefficiency.instances import Instance, load_instances
from perfopt.evals.swefficiency.scoring import (
    InstanceScore,
    SuiteScore,
    score_instance,
    score_suite,
)
from perfopt.verify import guards
from perfopt.verify.jail import jail_for
from perfopt.verify.passtests import existing_ids, run_pass_to_pass

ENGINES = ("expert", "noop", "patch", "offline", "llm")
RUNNERS = ("local", "docker")
# Extra requirements of a package's test/runtime environment (sympy: the dataset's pin).
DEFAULT_REQUIREMENTS = {"sympy": ("mpmath==1.3.0",)}


@dataclass(frozen=True)
class EvalOptions:
    instances: Path  # a .json / .jsonl file or a folder of them
    out: Path = Path("swefficiency-results")
    engine: str = "expert"
    ids: tuple[str, ...] = ()  # only these instance ids
    source: str = "pypi-sdist"  # "pypi-sdist" | "git"
    repos: Path | None = None  # --source git: folder of <owner>__<name> mirrors
    cache: Path | None = None  # sdist downloads (default ~/.cache/perfopt/sdists)
    work: Path | None = None  # trees and venvs (default <out>/work)
    python: str | None = None  # interpreter for the venvs (default: chosen per instance)
    requirements: tuple[str, ...] | None = None  # None: DEFAULT_REQUIREMENTS for the package
    patches: Path | None = None  # engine "patch": a .diff file, or a folder of <id>.diff
    runner: str = "local"  # "local" | "docker" (stub)
    executor: str = "local"  # "local" | "ray"
    jobs: int = 1
    repetitions: int = 10  # timed repetitions per tree
    rounds: int = 2  # interleaved runner processes per tree
    force: bool = False
    timeout_s: float = 3600.0  # one process: a PASS_TO_PASS run, a timing runner, a profile
    settings: Settings = field(default_factory=Settings)  # confidence, min_speedup, timeouts


@dataclass(frozen=True)
class EvalReport:
    engine: str
    scores: tuple[InstanceScore, ...]
    suite: SuiteScore
    markdown_path: Path
    out: Path
    skipped: tuple[str, ...] = ()  # instances resumed from an existing JSON


def validate(options: EvalOptions) -> None:
    checks = [
        (options.engine in ENGINES, f"unknown engine '{options.engine}'; use one of "
                                    f"{', '.join(ENGINES)}"),
        (options.source in workspace.SOURCES, f"unknown source '{options.source}'; use one of "
                                              f"{', '.join(workspace.SOURCES)}"),
        (options.runner in RUNNERS, f"unknown runner '{options.runner}'; use local or docker"),
        (options.executor in EXECUTORS, f"unknown executor '{options.executor}'; use local or "
                                        "ray"),
        (options.repetitions >= 2, "--repetitions must be >= 2 (a CI needs two samples)"),
        (options.jobs >= 1, "--jobs must be >= 1"),
        (options.engine != "patch" or options.patches is not None,
         "--engine patch needs --patches FILE_OR_DIR"),
        (options.python is None or Path(options.python).exists(),
         f"--python {options.python} does not exist"),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)


def run_eval(options: EvalOptions) -> EvalReport:
    validate(options)
    instances = load_instances(options.instances, options.ids)
    if options.runner == "docker":
        from perfopt.evals.swefficiency import docker

        docker.run_in_docker(instances[0], options.out / "patch.diff", options.out)
    out = options.out
    skipped = tuple(i.instance_id for i in instances if not options.force
                    and report.read_instance(report.instance_path(out, options.engine,
                                                                  i.instance_id)))
    run_all(_evaluate_one, [(inst, options) for inst in instances
                            if inst.instance_id not in skipped],
            jobs=options.jobs, executor=options.executor)
    scores = []
    for inst in instances:
        score = report.read_instance(report.instance_path(out, options.engine, inst.instance_id))
        if score is not None:
            scores.append(score)
    suite = score_suite(scores)
    md = out / f"{options.engine}.md"
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(report.markdown(options.engine, scores, suite), encoding="utf-8")
    return EvalReport(options.engine, tuple(scores), suite, md, out, skipped)


def _evaluate_one(job: tuple[Instance, EvalOptions]) -> str:
    instance, options = job
    started = time.monotonic()
    try:
        score = evaluate_instance(instance, options)
    except UserError as exc:
        score = score_instance(instance.instance_id, options.engine, (), (), (),
                               status="error", reason=str(exc))
    score = _with(score, seconds=time.monotonic() - started)
    report.write_instance(report.instance_path(options.out, options.engine,
                                               instance.instance_id), score)
    return instance.instance_id


def _with(score: InstanceScore, **changes: object) -> InstanceScore:
    return dataclasses.replace(score, **changes)  # type: ignore[arg-type]


def _engine_patch(instance: Instance, options: EvalOptions, pre: Path, python: str,
                  root: Path) -> tuple[str, tuple[str, ...]]:
    if options.engine == "expert":
        return instance.patch, ()
    if options.engine == "noop":
        return "", ()
    if options.engine == "patch":
        assert options.patches is not None
        path = options.patches
        if path.is_dir():
            path = path / f"{instance.instance_id}.diff"
        if not path.is_file():
            raise UserError(f"no patch for {instance.instance_id} at {path}")
        return path.read_text(encoding="utf-8"), (f"patch from {path}",)
    from perfopt.evals.swefficiency import adapter

    settings = options.settings.replace(timeout_s=options.timeout_s)
    ctx = adapter.AdapterContext(python, root / f"{options.engine}-search", settings,
                                 use_llm=options.engine == "llm")
    proposal = adapter.propose(instance, pre, ctx)
    return proposal.patch, proposal.notes


def evaluate_instance(instance: Instance, options: EvalOptions) -> InstanceScore:
    """Build, patch, check, test, time and score one instance (no resume logic here)."""
    import sys

    settings = options.settings.replace(timeout_s=options.timeout_s)
    work = options.work or options.out / "work"
    root = (work / instance.instance_id).resolve()
    pre = workspace.prepare_pre_tree(
        instance, root, options.source, cache=options.cache or workspace.default_cache(),
        repos=options.repos, pip_python=options.python or sys.executable)
    reqs = options.requirements
    if reqs is None:
        reqs = DEFAULT_REQUIREMENTS.get(instance.package, ())
    env = venvs.ensure_venv(pre, root / "venv", instance.package, (*reqs, "pytest"),
                            python=options.python, hint=instance.python_hint)
    expert = root / "expert"
    if not (expert / workspace.READY).is_file():
        _, applied = workspace.patched_tree(pre, expert, instance.patch)
        if not applied.ok:
            raise UserError(f"{instance.instance_id}: the expert patch does not apply to the "
                            f"pre-edit tree: {applied.output.strip()[-300:]}")
        (expert / workspace.READY).write_text("expert\n", encoding="utf-8")

    p2p, notes = _existing_pass_to_pass(instance, env.python, pre, root, settings)
    if len(p2p) < len(instance.pass_to_pass):
        instance = dataclasses.replace(instance, pass_to_pass=p2p)
    patch, engine_notes = _engine_patch(instance, options, pre, env.python, root)
    notes += engine_notes
    patched, applied = workspace.patched_tree(pre, root / f"{options.engine}-patched", patch)
    status, reason, tests_summary = "ok", "", ""
    if not applied.ok:
        status, reason = "patch-failed", f"{applied.tool}: {applied.output.strip()[-200:]}"
    elif options.engine != "expert" and patch.strip():
        found = _guard(patch, patched)
        if not found.ok:
            status, reason = "guard-rejected", found.reason
    if status == "ok":
        outcome = run_pass_to_pass(env.python, patched, instance.pass_to_pass,
                                   timeout_s=settings.timeout_s, memory_mb=settings.memory_mb,
                                   jail=jail_for(settings))
        tests_summary = outcome.summary
        if not outcome.passed:
            status, reason = "tests-failed", outcome.summary
    trees = {"pre": pre, "patched": patched, "expert": expert}
    if status == "patch-failed":
        trees.pop("patched")
    samples = timing.time_trees(env.python, trees, instance.workload,
                                root / f"timing-{options.engine}",
                                package=instance.package, repetitions=options.repetitions,
                                rounds=options.rounds, timeout_s=settings.timeout_s,
                                memory_mb=settings.memory_mb, jail=jail_for(settings))
    problems = [f"{name}: {'; '.join(s.errors)}" for name, s in samples.items() if s.errors]
    if problems and status == "ok":
        status, reason = "error", " | ".join(problems)
    elif problems:
        notes += tuple(f"timing {p}" for p in problems)
    got = {name: samples[name].samples if name in samples else () for name in trees}
    return score_instance(
        instance.instance_id, options.engine, got.get("pre", ()), got.get("patched", ()),
        got.get("expert", ()), status=status, reason=reason, confidence=settings.confidence,
        tests=tests_summary, python=env.version, notes=tuple(notes),
    )


def _existing_pass_to_pass(instance: Instance, python: str, pre: Path, root: Path,
                           settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """PASS_TO_PASS ids that exist in the pre-edit tree (cached per instance), and a note."""
    import json

    cache = root / "pass_to_pass_existing.json"
    if cache.is_file():
        ids = tuple(json.loads(cache.read_text(encoding="utf-8")))
    else:
        found = existing_ids(python, pre, instance.pass_to_pass, timeout_s=settings.timeout_s,
                             memory_mb=settings.memory_mb)
        if found is None:
            return instance.pass_to_pass, ("could not collect PASS_TO_PASS in the pre-edit "
                                           "tree; running all listed ids",)
        ids = found
        cache.write_text(json.dumps(list(ids)), encoding="utf-8")
    missing = [i for i in instance.pass_to_pass if i not in ids]
    if not missing:
        return ids, ()
    return ids, (f"{len(missing)} of {len(instance.pass_to_pass)} PASS_TO_PASS tests do not "
                 f"exist in the pre-edit tree and were dropped: {', '.join(missing[:5])}"
                 + (" ..." if len(missing) > 5 else ""),)


def _guard(patch: str, patched: Path) -> guards.GuardResult:
    """Guards on the post-edit files (accurate ast mode) of every file the patch touches."""
    sources = {}
    for diff in guards.parse_diff(patch):
        path = patched / diff.path
        if path.is_file():
            sources[diff.path] = path.read_text(encoding="utf-8", errors="replace")
    return guards.check_patch(patch, sources)
