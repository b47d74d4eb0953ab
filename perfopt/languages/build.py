"""A program's source made runnable on stdin: a checked Python script or a compiled C++
binary (plus, for valgrind, a build without -march=native). Each language module's
`build(source, folder, name, settings)` returns a `Built`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import ToolMissing
from perfopt.verify import sandbox
from perfopt.verify.jail import jail_for

SUFFIX = {"python": ".py", "cpp": ".cpp"}
# valgrind stops at the first AVX-512 instruction, so its build is portable.
_NATIVE_FLAGS = ("-march=native", "-mtune=native", "-mcpu=native")


class BuildError(Exception):
    """The source does not compile; the message is the compiler's first lines."""


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


def write_source(source: str, language: str, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"{name}{SUFFIX[language]}"
    file.write_text(source, encoding="utf-8")
    return file


def portable_flags(flags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in flags if f not in _NATIVE_FLAGS)


def portable_command(built: Built, settings: Settings) -> tuple[str, ...]:
    """A build valgrind can run (compiled now when the main build used native flags)."""
    if built.language == "python" or built.portable_command is not None:
        return built.portable_command or built.command
    out = built.source_file.with_name(built.source_file.stem + "-portable")
    if out.exists() and out.stat().st_mtime >= built.source_file.stat().st_mtime:
        return (str(out),)  # the original's portable build serves every candidate
    binary = compile_cxx(built.source_file, out, portable_flags(settings.cxx_flags), settings)
    return (str(binary),)


def compile_cxx(file: Path, out: Path, flags: tuple[str, ...], settings: Settings) -> Path:
    if shutil.which(settings.cxx) is None:
        raise ToolMissing(f"{settings.cxx} is not installed; install g++ (apt install g++) "
                          "or set cxx in [tool.perfopt]")
    # jailed: the source may be a model's, and it can #include any path into an error
    # message a refine prompt shows the model; at strict credentials are hidden from it
    proc = sandbox.run([settings.cxx, *flags, "-o", str(out), str(file)], cwd=file.parent,
                       timeout_s=settings.compile_timeout_s, memory_mb=None,
                       jail=jail_for(settings, file.parent, out.parent))
    if proc.timed_out:
        raise BuildError(f"compiling took over {settings.compile_timeout_s:g} s")
    if proc.returncode != 0:
        errors = [ln for ln in proc.stderr.splitlines() if "error" in ln] or \
            proc.stderr.splitlines()
        # the scratch folder's path is noise in a rejection reason
        text = "; ".join(errors[:3]).replace(f"{file.parent}/", "")
        raise BuildError(text[:600] or f"{settings.cxx} exit {proc.returncode}")
    return out
