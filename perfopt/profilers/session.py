"""`perfopt profile`: profile a project's workload in an isolated copy and rank its hotspots.

The workload runs in a `Workspace` copy, never in the user's tree; the only file written
outside temporary folders is `--output`, at the path the user gave.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from perfopt.errors import TargetError, UserError
from perfopt.models import Hotspot, Interpreter, Workload
from perfopt.workloads import drivers, import_failure, thin_profile

DEFAULT_TOP = 10  # rows of the hotspot table; `Settings.top` is how many `optimize` works on
_INPUT = re.compile(r"^input\.(\d+)\.txt$")


@dataclass(frozen=True)
class ProfileOptions:
    top: int | None = None  # None: DEFAULT_TOP
    tests: str | None = None  # pytest -k expression or node ids
    workload: str | None = None  # shell command instead of the tests
    inputs: Path | None = None  # folder of input.N.txt: run PATH (a .py file) on each
    profiler: str | None = None  # auto | py-spy | cprofile
    output: Path | None = None  # .json/.speedscope (speedscope) or .svg (flame graph)
    pyspy: str | None = None  # py-spy executable instead of searching for one
    python: str | None = None  # the project's interpreter (--python), else found


@dataclass(frozen=True)
class ProfileReport:
    project: str  # the user's project root
    workload: str  # what ran, in words
    profiler: str  # "py-spy" | "cprofile"
    unit: str  # what `samples` counts: "samples" (py-spy) or "microseconds" (cProfile)
    samples: int
    wall_s: float  # the profiled workload's own run time
    returncode: int
    hotspots: tuple[Hotspot, ...] = ()
    notes: tuple[str, ...] = ()
    output: str | None = None  # the file written for --output
    seconds: float = 0.0  # everything perfopt did, copy and ranking included
    python: Interpreter | None = None  # the interpreter that ran the workload


def _silent(_: str) -> None:
    return None


def run_profile(
    path: Path, options: ProfileOptions, note: Callable[[str], None] = _silent
) -> ProfileReport:
    """Profile the workload of the project at `path` and rank its hottest functions.

    `note` receives each warning as it happens (the py-spy -> cProfile fallback, a failing
    workload); the report keeps them too.
    """
    from perfopt import profilers
    from perfopt.profilers.output import output_format, write_output
    from perfopt.verify.workspace import Workspace

    started = time.monotonic()
    top = DEFAULT_TOP if options.top is None else options.top
    if top < 1:
        raise UserError("--top must be >= 1")
    if options.output is not None:
        output_format(options.output)  # refuse an unknown extension before the long run
        if not options.output.resolve().parent.is_dir():
            raise UserError(f"cannot write {options.output}: its folder does not exist")
    root, focus, settings, workload, interp = _resolve(Path(path), options)
    python = interp.path
    notes: list[str] = []

    def warn(text: str) -> None:
        notes.append(text)
        note(text)

    with Workspace.create(root) as ws:
        if workload.kind == "stdin" and not (ws.root / (workload.command or "")).is_file():
            raise TargetError(f"{workload.command} was not copied (is it git-ignored?)")
        # py-spy missing or refused -> cProfile, with one note through `warn`
        prof = profilers.profile(ws.root, workload, settings, python=python,
                                 console_note=warn, pyspy_path=options.pyspy)
        if workload.kind == "pytest" and prof.returncode == 5:
            raise TargetError(
                "pytest collected no tests; add tests, fix --tests, or pass --workload CMD"
            )
        failed = import_failure(prof.output_tail, python)
        if prof.returncode != 0:
            last = (prof.output_tail.strip().splitlines() or ["(no output)"])[-1][:160]
            warn(failed or f"the workload exited with status {prof.returncode} ({last}); "
                 "the profile covers what ran")
        ranked = profilers.rank_hotspots(prof, ws.root, settings, limit=top * 4,
                                         drivers=drivers(ws.root, workload, focus))
        hotspots = [h for h in ranked if focus in (None, h.target.file)][:top]
        if not hotspots and not (failed and prof.returncode != 0):
            warn(failed or "no project function showed up in the profile; a longer workload "
                 "helps")
        elif hotspots:
            thin = thin_profile(workload, prof.wall_s, hotspots[0].score)
            if thin:
                warn(thin)
        written = None
        if options.output is not None:
            written = write_output(_relocated(prof, ws.root, root), options.output, root)
    return ProfileReport(
        project=str(root),
        workload=describe(workload),
        profiler=prof.profiler,
        unit="microseconds" if prof.profiler == "cprofile" else "samples",
        samples=prof.samples,
        wall_s=round(prof.wall_s, 3),
        returncode=prof.returncode,
        hotspots=tuple(hotspots),
        notes=tuple(notes),
        output=str(written) if written else None,
        seconds=round(time.monotonic() - started, 2),
        python=interp,
    )


def _resolve(path: Path, options: ProfileOptions):
    """(root, focus, settings, workload, interpreter) for the command-line options."""
    from perfopt.config import load_settings
    from perfopt.discover import discover, find_root
    from perfopt.interpreter import find_interpreter

    flags = {"tests": options.tests, "workload": options.workload, "profiler": options.profiler,
             "python": options.python}
    if options.inputs is None:
        project = discover(path, flags)
        assert project.interpreter is not None
        return (project.root, project.focus, project.settings, project.workload,
                project.interpreter)
    if options.workload or options.tests:
        raise UserError("--inputs runs PATH on each input file; drop --workload/--tests")
    if not path.is_file() or path.suffix != ".py":
        raise TargetError(f"--inputs needs PATH to be the program's .py file, not {path}")
    root = find_root(path.resolve())
    settings = load_settings(root, flags)
    rel = path.resolve().relative_to(root).as_posix()
    files = stdin_files(options.inputs)
    workload = Workload(kind="stdin", command=rel, inputs=tuple(str(f) for f in files))
    interp = find_interpreter(root, settings, flag=options.python)
    return root, rel, settings.replace(python=interp.path), workload, interp


def stdin_files(folder: Path) -> list[Path]:
    """The input.N.txt files of `folder`, in N order (absolute paths: the workload runs in a
    copy of the project, and the folder may lie outside it)."""
    if not folder.is_dir():
        raise UserError(f"--inputs {folder} is not a folder")
    found = [(int(m[1]), p) for p in folder.iterdir() if (m := _INPUT.match(p.name))]
    if not found:
        raise UserError(
            f"no input.N.txt files in {folder}; name them input.0.txt, input.1.txt, ..."
        )
    return [p.resolve() for _, p in sorted(found)]


def describe(workload: Workload) -> str:
    if workload.kind == "command":
        return f"command: {workload.command}"
    if workload.kind == "stdin":
        return f"python {workload.command} < {len(workload.inputs)} input files"
    return "pytest" + (f" [{workload.tests}]" if workload.tests else "")


def _relocated(prof, workspace_root: Path, project_root: Path):
    """The profile with workspace paths turned back into the user's paths, so a flame graph
    or speedscope file points at files that still exist."""
    from perfopt.profilers.base import Frame

    prefixes = {str(workspace_root) + "/", str(workspace_root.resolve()) + "/"}
    target = str(project_root) + "/"
    cache: dict[Frame, Frame] = {}

    def fix(frame: Frame) -> Frame:
        if frame not in cache:
            new = frame
            for prefix in prefixes:
                if frame.file.startswith(prefix):
                    new = Frame(target + frame.file[len(prefix):], frame.line, frame.function)
                    break
            cache[frame] = new
        return cache[frame]

    stacks = tuple((tuple(fix(f) for f in stack), w) for stack, w in prof.stacks)
    return replace(prof, stacks=stacks)
