"""Settings: defaults < `[tool.perfopt]` in pyproject.toml < environment < command-line flags.

Every tunable number lives here, with its unit in its name. Nothing is read at import time.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # the backport, a dependency on 3.10
    import tomli as tomllib

from perfopt.errors import ConfigError

PROFILERS = ("auto", "py-spy", "cprofile")
SANDBOXES = ("auto", "strict", "basic", "off")  # perfopt.verify.jail.LEVELS
METRICS = ("auto", "wall", "instructions")
DEFAULT_CXX_FLAGS = ("-std=gnu++17", "-O3", "-march=native")  # PIE times C++ at -O3


@dataclass(frozen=True)
class Settings:
    # what to optimize and how to exercise it
    top: int = 3  # hotspots to work on
    tests: str | None = None  # pytest -k expression narrowing the workload
    workload: str | None = None  # shell command run instead of the tests
    test_command: str | None = None  # how to run the project's tests (default: python -m pytest -q)
    python: str | None = None  # runs the workload (profile, capture, stress) and programs
    profiler: str = "auto"
    include: tuple[str, ...] = ()  # glob patterns of files to profile even if normally excluded
    exclude: tuple[str, ...] = ()  # glob patterns of project files never to optimize
    # stress / capture
    max_captures: int = 20  # real calls recorded per hotspot
    stress_budget_s: float = 10.0  # per hotspot: scaled/sweep inputs beyond the captured ones
    stress_call_s: float = 0.05  # grow generated inputs until one call costs about this
    # compare-only inputs (equivalence, never timed): the stress plans grown until one call
    # of the original costs this (0: none), within compare_budget_s per hotspot
    compare_call_s: float = 0.5
    compare_budget_s: float = 10.0
    # stdin programs (optimize --inputs, eval pie)
    program_stress_budget_s: float = 60.0  # per program: the stressor's search
    program_stress_cost_s: float = 1.0  # grow a program's input until one run costs this
    program_max_case_s: float = 4.0  # a generated input costing more is not kept
    case_timeout_s: float = 10.0  # one run of a program on one input
    compile_timeout_s: float = 120.0
    cxx: str = "g++"
    cxx_flags: tuple[str, ...] = DEFAULT_CXX_FLAGS
    abs_tol: float = 1e-6  # numbers in two programs' outputs compare equal within these
    rel_tol: float = 1e-6
    # verification and measurement
    min_speedup: float = 1.05  # lower bound of the speedup CI must reach this
    confidence: float = 0.95
    timeout_s: float = 300.0  # one sandboxed process (a test run, a timing worker)
    # a candidate's process (compare, tests, timing worker, program run) is stopped past
    # factor x the original's seconds on the same work + floor (capped by timeout_s)
    candidate_timeout_factor: float = 10.0
    candidate_timeout_floor_s: float = 2.0
    memory_mb: int = 4096  # address-space limit of a sandboxed process
    # confinement of candidate and model code (perfopt/verify/jail.py): auto | strict |
    # basic | off; auto = strict where bubblewrap works here, else basic with a warning
    sandbox: str = "auto"
    pass_env: tuple[str, ...] = ()  # environment names or globs jailed processes also get
    min_sample_s: float = 0.02  # loop calibration target for one timing sample
    rounds: int = 6  # interleaved ABBA rounds (each round = 2 baseline + 2 candidate workers)
    samples_per_worker: int = 5
    measure_budget_s: float = 10.0  # rounds/samples shrink (to 3 x 2) when samples are costly
    metric: str = "auto"  # "auto" | "wall" | "instructions"
    # skills
    skills_paths: tuple[str, ...] = ()
    # model (see perfopt/llm): no model -> deterministic codemods only
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    max_tokens: int = 4096
    candidates: int = 2  # LLM candidates per target
    refine_rounds: int = 2
    llm_timeout_s: float = 120.0  # one try of a model request
    llm_total_timeout_s: float = 60.0  # one request, all its tries and waits together
    concurrency: int = 4
    token_budget: int = 200_000
    max_model_calls: int = 0  # requests a run may send (retries included); 0: no cap
    max_cost_usd: float | None = None  # needs the prices below
    price_per_mtok_in: float | None = None
    price_per_mtok_out: float | None = None
    cache: bool = True
    replay_dir: str | None = None

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
SPACE_SEPARATED = ("cxx_flags",)  # compiler flags are a command line, not a list of names

ENV_VARS = {
    "PERFOPT_MODEL": "model",
    "OPENAI_BASE_URL": "base_url",
    "PERFOPT_BASE_URL": "base_url",
    "PERFOPT_MIN_SPEEDUP": "min_speedup",
    "PERFOPT_TIMEOUT_S": "timeout_s",
    "PERFOPT_SANDBOX": "sandbox",
}


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for folder in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_pyproject_table(pyproject: Path | None) -> dict[str, Any]:
    if pyproject is None:
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}; fix the TOML syntax") from exc
    table = data.get("tool", {}).get("perfopt", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.perfopt] in {pyproject} must be a table")
    # [tool.perfopt.ci] belongs to `perfopt ci` (CiSettings), not to Settings
    return {k.replace("-", "_"): v for k, v in table.items() if k != "ci"}


@dataclass(frozen=True)
class CiSettings:
    """`[tool.perfopt.ci]`: what `perfopt ci` flags and how long it may take."""

    fail_on_slowdown: float = 1.10  # flag when the slowdown interval's lower bound reaches this
    budget_s: float = 600.0  # the whole ci run; work past it is skipped and said so
    include: tuple[str, ...] = ()  # glob patterns: only changed files matching one are checked
    exclude: tuple[str, ...] = ()  # glob patterns of changed files never checked
    skip_label: str = "perfopt-skip"  # a pull request with this label is not checked


def load_ci_settings(project: Path, flags: Mapping[str, Any] | None = None) -> CiSettings:
    pyproject = find_pyproject(project)
    table: Any = {}
    if pyproject is not None:
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {pyproject}: {exc}; fix the TOML syntax") from exc
        table = data.get("tool", {}).get("perfopt", {}).get("ci", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.perfopt.ci] in {pyproject} must be a table")
    fields = {f.name: f for f in dataclasses.fields(CiSettings)}
    values: dict[str, Any] = {}
    merged = {k.replace("-", "_"): v for k, v in table.items()}
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    for key, value in merged.items():
        if key not in fields:
            raise ConfigError(f"unknown setting '{key}' in [tool.perfopt.ci] of {pyproject}; "
                              f"valid settings: {', '.join(sorted(fields))}")
        try:
            if key in ("include", "exclude"):
                values[key] = (tuple(p.strip() for p in value.split(",") if p.strip())
                               if isinstance(value, str) else tuple(str(v) for v in value))
            elif key == "skip_label":
                values[key] = str(value)
            else:
                values[key] = float(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"ci setting '{key}' is invalid ({value!r}): {exc}") from exc
    ci = CiSettings(**values)
    if ci.fail_on_slowdown < 1.0 or ci.budget_s <= 0:
        raise ConfigError("invalid ci settings: fail_on_slowdown must be >= 1.0 (e.g. 1.10) "
                          "and budget_s > 0")
    return ci


def _coerce(name: str, value: Any, where: str) -> Any:
    f = _FIELDS.get(name)
    if f is None:
        valid = ", ".join(sorted(_FIELDS))
        raise ConfigError(f"unknown setting '{name}' in {where}; valid settings: {valid}")
    tp = str(f.type)
    try:
        if tp.startswith("tuple"):
            if isinstance(value, str):
                parts = value.split() if name in SPACE_SEPARATED else value.split(",")
                return tuple(p.strip() for p in parts if p.strip())
            return tuple(str(v) for v in value)
        if value is None:
            if "None" in tp:
                return None
            raise ValueError("must not be empty")
        if tp.startswith("bool"):
            if isinstance(value, str):
                if value.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                    raise ValueError("expected true or false")
                return value.lower() in {"1", "true", "yes"}
            return bool(value)
        if tp.startswith("int"):
            return int(value)
        if tp.startswith("float"):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting '{name}' in {where} is invalid ({value!r}): {exc}") from exc


POSITIVE = ("timeout_s", "min_sample_s", "llm_timeout_s", "measure_budget_s", "stress_call_s",
            "program_stress_cost_s", "program_max_case_s", "case_timeout_s",
            "compile_timeout_s", "candidate_timeout_floor_s", "llm_total_timeout_s")
NOT_NEGATIVE = ("stress_budget_s", "program_stress_budget_s", "abs_tol", "rel_tol",
                "refine_rounds", "token_budget", "max_model_calls", "temperature", "compare_call_s",
                "compare_budget_s")
AT_LEAST_ONE = ("top", "rounds", "samples_per_worker", "memory_mb", "candidates", "concurrency",
                "max_captures", "max_tokens")


def validate(settings: Settings) -> Settings:
    problems = []
    if settings.min_speedup < 1.0:
        problems.append("min_speedup must be >= 1.0 (e.g. 1.05)")
    if not 0.5 < settings.confidence < 1.0:
        problems.append("confidence must be between 0.5 and 1 (e.g. 0.95)")
    if settings.sandbox not in SANDBOXES:
        problems.append(f"sandbox must be one of {', '.join(SANDBOXES)}")
    if settings.profiler not in PROFILERS:
        problems.append(f"profiler must be one of {', '.join(PROFILERS)}")
    if settings.metric not in METRICS:
        problems.append(f"metric must be one of {', '.join(METRICS)}")
    for name in POSITIVE:
        if getattr(settings, name) <= 0:
            problems.append(f"{name} must be > 0")
    for name in NOT_NEGATIVE:
        if getattr(settings, name) < 0:
            problems.append(f"{name} must be >= 0")
    if settings.candidate_timeout_factor < 1.0:
        problems.append("candidate_timeout_factor must be >= 1 (e.g. 10): a candidate as "
                        "slow as the original must not be stopped")
    for name in AT_LEAST_ONE:
        if getattr(settings, name) < 1:
            problems.append(f"{name} must be >= 1")
    if settings.max_cost_usd is not None and (
            settings.price_per_mtok_in is None and settings.price_per_mtok_out is None):
        # without a price the cost is never known, and the cap would never stop a call
        problems.append("max_cost_usd needs price_per_mtok_in and price_per_mtok_out (US "
                        "dollars per million prompt and completion tokens) to count the cost")
    if problems:
        raise ConfigError("invalid settings: " + "; ".join(problems))
    return settings


def load_settings(
    project: Path,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults, `[tool.perfopt]` of the project's pyproject.toml, environment and flags.

    Flags whose value is None are "not given" and do not override anything.
    """
    values: dict[str, Any] = {}
    pyproject = find_pyproject(project)
    for key, value in read_pyproject_table(pyproject).items():
        values[key] = _coerce(key, value, f"[tool.perfopt] of {pyproject}")
    env = os.environ if env is None else env
    for var, key in ENV_VARS.items():
        if env.get(var):
            values[key] = _coerce(key, env[var], f"environment variable {var}")
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"option --{key.replace('_', '-')}")
    return validate(Settings(**values))


def path_matches(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether project-relative `rel` matches one of the `include`/`exclude` globs: the
    whole path, or the file name for a pattern without "/"."""
    name = PurePosixPath(rel).name
    return any(
        fnmatch.fnmatch(rel, p) or ("/" not in p and fnmatch.fnmatch(name, p)) for p in patterns
    )
