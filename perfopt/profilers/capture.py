"""Argument capture: run the workload once more and record real calls of each target.

Each recorded case is `<outdir>/<slug>/case-<k>.pkl`: the pickle of
`{"args": tuple, "kwargs": dict}` taken *before* the call (so a function that mutates its
input is replayed on the input it really got), for the callable that
`resolve_callable(module, callable_path)` returns; a stream argument (a generator, a
builtin iterator) is the list of items the call took from it, marked under `"streams"`
(`_capture_plugin.replay` makes it a fresh generator again). Beside the cases,
`report.json` holds the counts (`CaptureReport`): why calls could not be recorded, and
under pytest the ids of the tests that called the target.

The workload runs in the project folder but writes nothing there: pytest runs with
`-p no:cacheprovider`, bytecode writing is off, and the capture shim lives in a temporary
folder put first on PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from perfopt import jsonout
from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.interpreter import tree_env
from perfopt.languages.python import callable_path, definitions, module_name
from perfopt.models import Target, Workload, from_dict, to_dict
from perfopt.profilers import _capture_plugin
from perfopt.profilers._bootstrap import with_pythonpath, write_bootstrap
from perfopt.profilers._capture_plugin import ENV_VAR, resolve_callable
from perfopt.profilers.base import profile_env, stdin_inputs, tail, workload_command
from perfopt.verify import sandbox

MAX_CASE_BYTES = 16 * 1024 * 1024  # a bigger pickle is counted as too_large, not saved
_SHIM = "_perfopt_capture"
_SITE = f"import {_SHIM}\n{_SHIM}.install()\n"

__all__ = ["CaptureReport", "CaseInfo", "capture_calls", "load_case", "load_report",
           "resolve_callable", "target_slug"]


@dataclass(frozen=True)
class CaseInfo:
    file: str  # name inside the target's folder, e.g. "case-3.pkl"
    size: int  # bytes of the pickle
    outcome: str  # "return", or the name of the exception the call raised


@dataclass(frozen=True)
class CaptureReport:
    target: str  # Target.key
    module: str  # dotted module the workload imports
    callable_path: str | None  # what resolve_callable(module, callable_path) looks up
    folder: str  # absolute folder holding the cases and report.json
    calls: int = 0  # every call, recursive ones included
    outer_calls: int = 0  # calls not made from inside the same function
    recorded: int = 0
    unpicklable: int = 0
    duplicates: int = 0  # calls whose arguments pickled identically to a recorded one
    too_large: int = 0
    cases: tuple[CaseInfo, ...] = ()
    error: str = ""  # why the target could not be wrapped, or what went wrong
    # the first call that could not be recorded: which argument, and why ("argument 1
    # `lock` (_thread.lock): TypeError: cannot pickle '_thread.lock' object")
    why: str = ""
    tests: tuple[str, ...] = ()  # ids of the pytest tests that called it (pytest workloads)


def target_slug(key: str) -> str:
    """A folder name for a target key, readable and unique."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", key.replace("::", "--"))[:80]
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def load_case(path: Path) -> tuple[tuple, dict]:
    """The (args, kwargs) of one captured case. Unpickling runs the project's code: call
    this only inside the sandboxed harness or bench worker."""
    data = pickle.loads(Path(path).read_bytes())
    return tuple(data["args"]), dict(data["kwargs"])


def load_report(folder: Path) -> CaptureReport:
    data = json.loads((Path(folder) / "report.json").read_text(encoding="utf-8"))
    return from_dict(CaptureReport, data)


def capture_calls(
    project: Path,
    workload: Workload,
    targets: list[Target],
    outdir: Path,
    settings: Settings,
    *,
    python: str,
    env: Mapping[str, str] | None = None,
) -> dict[str, CaptureReport]:
    """Run `workload` once with every target wrapped; returns a report per target key."""
    project, outdir = Path(project).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    specs, reports = _plan(project, workload, targets, outdir, settings)
    if not specs:
        return reports
    with tempfile.TemporaryDirectory(prefix="perfopt-capture-") as tmp:
        boot, raw = Path(tmp) / "boot", Path(tmp) / "raw"
        boot.mkdir()
        shutil.copyfile(_capture_plugin.__file__, boot / f"{_SHIM}.py")
        cmd = workload_command(workload, python)
        if isinstance(cmd, list) and workload.kind == "pytest":
            cmd = [*cmd, "-p", _SHIM]
        else:
            write_bootstrap(boot, _SITE)
        config = {"out": str(raw), "targets": specs}
        # the project's interpreter and its tree first on the paths (perfopt.interpreter)
        run_env = with_pythonpath(tree_env(project, python, profile_env(
            env, {ENV_VAR: json.dumps(config)})), boot)
        if workload.kind == "command":  # a pytest it starts notes the tests' ids too
            run_env["PYTEST_ADDOPTS"] = " ".join(
                filter(None, [run_env.get("PYTEST_ADDOPTS", ""), "-p", _SHIM]))
        problems = []
        for stdin in stdin_inputs(project, workload):
            proc = sandbox.run(cmd, cwd=project, timeout_s=settings.timeout_s,
                               memory_mb=settings.memory_mb, env=run_env, stdin=stdin,
                               shell=isinstance(cmd, str))
            if proc.timed_out:
                problems.append(f"workload timed out after {settings.timeout_s:g} s")
            elif proc.returncode != 0:
                problems.append(f"workload exited {proc.returncode}: {tail(proc.tail(5))}")
        for spec in specs:
            reports[spec["key"]] = _collect(spec, raw, outdir, settings.max_captures, problems)
    return reports


def _plan(
    project: Path, workload: Workload, targets: list[Target], outdir: Path, settings: Settings
) -> tuple[list[dict], dict[str, CaptureReport]]:
    """Child-side specs for the targets that can be wrapped; reports for those that cannot."""
    specs: list[dict] = []
    reports: dict[str, CaptureReport] = {}
    for target in targets:
        slug = target_slug(target.key)
        folder = outdir / slug
        module = module_name(target.file)
        path, error = None, ""
        if target.qualname is None:
            error = "a whole-program target has no calls to capture"
        elif workload.kind == "stdin" and target.file == workload.command:
            error = "the program runs as __main__; its inputs are its stdin files"
        else:
            try:
                source = (project / target.file).read_text(encoding="utf-8")
                path = callable_path(target.qualname, definitions(source))
            except (OSError, UnicodeDecodeError) as exc:
                error = f"cannot read {target.file}: {exc}"
            except TargetError as exc:
                error = str(exc)
        if error:
            reports[target.key] = _write_report(
                CaptureReport(target.key, module, path, str(folder), error=error), folder
            )
            continue
        specs.append({"key": target.key, "module": module, "path": path, "slug": slug,
                      "limit": settings.max_captures, "max_bytes": MAX_CASE_BYTES})
    return specs, reports


def _collect(spec: dict, raw: Path, outdir: Path, limit: int, problems: list[str]) -> CaptureReport:
    """Merge what every process of the workload recorded for one target."""
    folder = outdir / spec["slug"]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    totals = dict.fromkeys(("calls", "outer_calls", "unpicklable", "duplicates", "too_large"), 0)
    wrapped, errors, seen, whys, tests = False, [], set(), [], set()
    cases: list[CaseInfo] = []
    for proc_dir in sorted(raw.glob(f"*/{spec['slug']}")):
        counts_file = proc_dir / "counts.json"
        if counts_file.is_file():
            counts = json.loads(counts_file.read_text(encoding="utf-8"))
            for name in totals:
                totals[name] += int(counts.get(name, 0))
            wrapped = wrapped or bool(counts.get("wrapped"))
            if counts.get("error"):
                errors.append(counts["error"])
            whys += [counts["why"]] if counts.get("why") else []
            tests.update(counts.get("tests", ()))
        index = proc_dir / "cases.jsonl"
        lines = index.read_text(encoding="utf-8").splitlines() if index.is_file() else []
        for line in lines:
            entry = json.loads(line)
            blob = (proc_dir / f"case-{entry['n']}.pkl").read_bytes()
            digest = hashlib.sha256(blob).digest()
            if digest in seen:
                totals["duplicates"] += 1
                continue
            if len(cases) >= limit:
                continue
            seen.add(digest)
            name = f"case-{len(cases) + 1}.pkl"
            (folder / name).write_bytes(blob)
            cases.append(CaseInfo(name, len(blob), entry["outcome"]))
    error = "; ".join(dict.fromkeys(errors))
    if not error and not wrapped:
        error = f"the workload never imported {spec['module']}"
    if not cases and problems:
        error = "; ".join(filter(None, [error, *dict.fromkeys(problems)]))
    report = CaptureReport(
        target=spec["key"], module=spec["module"], callable_path=spec["path"],
        folder=str(folder), recorded=len(cases), cases=tuple(cases), error=error,
        why=whys[0] if whys else "", tests=tuple(sorted(tests)), **totals,
    )
    return _write_report(report, folder)


def _write_report(report: CaptureReport, folder: Path) -> CaptureReport:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(jsonout.dumps(to_dict(report), indent=2),
                                        encoding="utf-8")
    return report
