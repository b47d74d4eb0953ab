"""Turn a program's source into something runnable on stdin: a checked Python script or a
compiled C++ binary (plus, for valgrind, a build without -march=native)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import ToolMissing
from perfopt.verify import sandbox

LANGUAGES = ("python", "cpp")
SUFFIX = {"python": ".py", "cpp": ".cpp"}
# PIE times its C++ at -O3; -march=native is what a user tuning for their machine adds.
DEFAULT_CXX_FLAGS = ("-std=gnu++17", "-O3", "-march=native")
# valgrind stops at the first AVX-512 instruction, so its build is portable.
_NATIVE_FLAGS = ("-march=native", "-mtune=native", "-mcpu=native")


class BuildError(Exception):
    """The source does not compile; the message is the compiler's first lines."""


@dataclass(frozen=True)
class ProgramOptions:
    """Program-target knobs; `from_settings` reads them from `Settings.extra` so no field
    of the shared Settings has to change (keys: cxx, cxx_flags, abs_tol, rel_tol,
    case_timeout_s, stress_budget_s, stress_target_cost_s, stress_max_case_s, python)."""

    cxx: str = "g++"
    cxx_flags: tuple[str, ...] = DEFAULT_CXX_FLAGS
    abs_tol: float = 1e-6
    rel_tol: float = 1e-6
    compile_timeout_s: float = 120.0
    case_timeout_s: float = 10.0  # one run of a program on one input
    stress_budget_s: float = 60.0
    stress_target_cost_s: float = 1.0  # the stressor grows an input until one run costs this
    stress_max_case_s: float = 4.0
    python: str = sys.executable

    @classmethod
    def from_settings(cls, settings: Settings) -> ProgramOptions:
        extra = settings.extra or {}
        flags = extra.get("cxx_flags", DEFAULT_CXX_FLAGS)
        if isinstance(flags, str):
            flags = tuple(flags.split())
        return cls(
            cxx=str(extra.get("cxx", cls.cxx)),
            cxx_flags=tuple(flags),
            abs_tol=float(extra.get("abs_tol", cls.abs_tol)),
            rel_tol=float(extra.get("rel_tol", cls.rel_tol)),
            case_timeout_s=float(extra.get("case_timeout_s", min(cls.case_timeout_s,
                                                                 settings.timeout_s))),
            stress_budget_s=float(extra.get("stress_budget_s", cls.stress_budget_s)),
            stress_target_cost_s=float(extra.get("stress_target_cost_s",
                                                 cls.stress_target_cost_s)),
            stress_max_case_s=float(extra.get("stress_max_case_s", cls.stress_max_case_s)),
            python=str(extra.get("python", sys.executable)),
        )


@dataclass(frozen=True)
class Built:
    language: str
    source_file: Path
    command: tuple[str, ...]  # how to run it on stdin (for timing and outputs)
    portable_command: tuple[str, ...] | None = None  # for valgrind; None: build on demand


def language_of(path: Path, source: str | None = None) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".py":
        return "python"
    if suffix in (".cpp", ".cc", ".cxx", ".c++"):
        return "cpp"
    if source is not None and "#include" in source:
        return "cpp"
    raise BuildError(f"cannot tell the language of {path}; name it .py or .cpp")


def build(source: str, language: str, folder: Path, name: str,
          options: ProgramOptions) -> Built:
    """Write `source` to `folder/name.<ext>` and make it runnable; BuildError if it is not."""
    if language not in LANGUAGES:
        raise BuildError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"{name}{SUFFIX[language]}"
    file.write_text(source, encoding="utf-8")
    if language == "python":
        try:  # compile() parses only: the untrusted code does not run here
            compile(source, str(file), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            raise BuildError(f"{type(exc).__name__}: {exc}") from None
        return Built(language, file, (options.python, str(file)))
    binary = _compile(file, folder / name, options.cxx_flags, options)
    portable = portable_flags(options.cxx_flags)
    return Built(language, file, (str(binary),),
                 (str(binary),) if portable == tuple(options.cxx_flags) else None)


def portable_flags(flags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in flags if f not in _NATIVE_FLAGS)


def portable_command(built: Built, options: ProgramOptions) -> tuple[str, ...]:
    """A build valgrind can run (compiled now when the main build used native flags)."""
    if built.language == "python" or built.portable_command is not None:
        return built.portable_command or built.command
    out = built.source_file.with_name(built.source_file.stem + "-portable")
    if out.exists() and out.stat().st_mtime >= built.source_file.stat().st_mtime:
        return (str(out),)  # the original's portable build serves every candidate
    binary = _compile(built.source_file, out, portable_flags(options.cxx_flags), options)
    return (str(binary),)


def _compile(file: Path, out: Path, flags: tuple[str, ...], options: ProgramOptions) -> Path:
    if shutil.which(options.cxx) is None:
        raise ToolMissing(f"{options.cxx} is not installed; install g++ (apt install g++) "
                          "or set cxx in [tool.perfopt]")
    proc = sandbox.run([options.cxx, *flags, "-o", str(out), str(file)], cwd=file.parent,
                       timeout_s=options.compile_timeout_s, memory_mb=None)
    if proc.timed_out:
        raise BuildError(f"compiling took over {options.compile_timeout_s:g} s")
    if proc.returncode != 0:
        errors = [ln for ln in proc.stderr.splitlines() if "error" in ln] or \
            proc.stderr.splitlines()
        # the scratch folder's path is noise in a rejection reason
        text = "; ".join(errors[:3]).replace(f"{file.parent}/", "")
        raise BuildError(text[:600] or f"{options.cxx} exit {proc.returncode}")
    return out
