"""`perfopt optimize PATH`: the loop over a project's hot functions, or, with `--inputs`,
over a whole program that reads stdin."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfopt.errors import TargetError
from perfopt.events import Events
from perfopt.models import RunResult
from perfopt.pipeline import Job, RunOptions, run

ENGINES = ("auto", "offline", "llm")


def optimize_project(path: Path, flags: Mapping[str, Any], options: RunOptions,
                     events: Events) -> RunResult:
    from perfopt.discover import discover
    from perfopt.generate import make_generator
    from perfopt.targets.function import FunctionKind

    project = discover(path, flags)
    targets = ([project.focus] if project.focus else
               [f for f in project.python_files if f not in project.test_files])
    _prepare_writes(project.root, targets, project.python_files, options, events)
    model = None
    if not options.show_prompts:
        # its warnings reach the report through the run (Generator.report_to)
        model = make_generator(project.settings, project.root, events.warn, note=events.note)
    job = Job(FunctionKind(project), project.settings, str(project.root), model=model,
              python=project.interpreter)
    return run(job, options, events)


def _prepare_writes(root: Path, targets: list[str], files: tuple[str, ...],
                    options: RunOptions, events: Events) -> None:
    """Before any work: --apply's files must be writable, and the temporaries a killed
    perfopt left beside them go (see perfopt.verify.writes)."""
    from perfopt.verify.writes import check_project, remove_stale_temps

    if options.apply:
        check_project(root, targets)
    removed = remove_stale_temps({root, *((root / f).parent for f in files)})
    if removed:
        events.note(f"removed {len(removed)} temporary file(s) an interrupted perfopt left: "
                    + ", ".join(p.name for p in removed))


def read_statement(inputs_dir: Path) -> str | None:
    for name in ("statement.txt", "statement.md", "problem.txt"):
        path = Path(inputs_dir) / name
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    return None


def optimize_program(program: Path, inputs_dir: Path, flags: Mapping[str, Any],
                     options: RunOptions, events: Events, engine: str = "auto") -> RunResult:
    """A stdin program: `inputs_dir` holds sample inputs (`input.N.txt` / `*.in`, with
    `output.N.txt` / `*.out` when known) and optionally `statement.txt`.
    engine: "offline" (codemods), "llm" (codemods + model), "auto" (llm if configured)."""
    from perfopt.config import load_settings
    from perfopt.generate import make_generator
    from perfopt.targets.program import ProgramKind

    if engine not in ENGINES:
        raise TargetError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
    program, inputs_dir = Path(program).resolve(), Path(inputs_dir).resolve()
    if not program.is_file():
        raise TargetError(f"{program} is not a program file; --inputs needs a .py or .cpp file")
    if not inputs_dir.is_dir():
        raise TargetError(f"--inputs {inputs_dir} is not a folder of input files")
    settings = load_settings(program.parent, flags)
    _prepare_writes(program.parent, [program.name], (program.name,), options, events)
    model = None
    if engine != "offline":
        model = make_generator(settings, program.parent, events.warn, note=events.note)
        if model is None and engine == "llm":
            raise TargetError("engine llm needs a model: pass --model NAME (and OPENAI_BASE_URL)")
    kind = ProgramKind(program, inputs_dir, read_statement(inputs_dir))
    return run(Job(kind, settings, str(program), model=model), options, events)
