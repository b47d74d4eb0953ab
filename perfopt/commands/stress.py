"""`perfopt stress TARGET`: build and show a stress suite, for a stdin program or a function.

Programs: samples (input.N.txt) + the statement's constraints -> generated inputs
(stress/programs.py). Functions: the project's workload is run once with the function
wrapped to capture real calls (profilers/capture.py), then scaled and searched with
Hypothesis (stress/functions.py). With a model configured (--model, [tool.perfopt] model),
it is asked first for performance-characterizing conditions and an input generator (after
WEDGE, perfopt.stress.conditions); its inputs join the search and meeting its conditions
rewards it (provenance "model"). Without one, the same search runs on its own.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.events import Silent
from perfopt.generate import Generator
from perfopt.models import Hotspot, StressSuite, Target


@dataclass(frozen=True)
class StressReport:
    target: str
    suite: StressSuite
    seed_cost: float | None  # mean cost of the seeds (samples or captured calls)
    stress_cost: float | None  # mean cost of the generated stressing inputs
    saved_to: str | None
    model: str | None = None  # the model asked for conditions and a generator, if any

    @property
    def slowdown(self) -> float | None:
        if not self.seed_cost or self.stress_cost is None:
            return None
        return self.stress_cost / self.seed_cost


WITHOUT_MODEL = "stressing without it"  # said once the model fails
SEEDS = ("sample", "captured", "hinted")
NOT_STRESS = SEEDS + ("sweep", "compare", "check")  # complexity fit, comparison: not stress


def summarize(target: str, suite: StressSuite, saved_to: str | None,
              model: str | None = None) -> StressReport:
    def mean(kinds_in: bool, kinds: tuple[str, ...]) -> float | None:
        costs = [c.cost for c in suite.cases
                 if c.cost is not None and (c.provenance in kinds) == kinds_in]
        return statistics.fmean(costs) if costs else None

    return StressReport(target, suite, mean(True, SEEDS), mean(False, NOT_STRESS), saved_to,
                        model)


def stress_target(path: Path, settings: Settings, *, symbol: str | None, inputs: Path | None,
                  statement: Path | None, out: Path | None, budget_s: float,
                  warn: Callable[[str], None] = lambda _: None) -> StressReport:
    """The suite for a program (`inputs` given) or a function (`symbol`). `warn` hears the
    model's troubles (the search goes on without it) and, with no model, how to add one."""
    from perfopt.generate import ADD_MODEL, make_generator
    from perfopt.verify.jail import announce

    if not path.exists():
        raise TargetError(f"{path} does not exist; give a program file or a project folder")
    notice = announce(settings.sandbox)  # the model's stress code runs jailed
    if notice:
        warn(notice)
    if not settings.model:
        warn(f"no model configured: stress inputs come from the search alone ({ADD_MODEL})")
    root = path if path.is_dir() else path.parent
    model = make_generator(settings, root, warn, then=WITHOUT_MODEL)
    if symbol is None:
        return _program(path, settings.replace(program_stress_budget_s=budget_s), inputs,
                        statement, out, model, warn)
    return _function(path, settings.replace(stress_budget_s=budget_s), symbol, out, model,
                     warn)


def _program(path: Path, settings: Settings, inputs: Path | None, statement: Path | None,
             out: Path | None, model: Generator | None,
             warn: Callable[[str], None]) -> StressReport:
    from perfopt.stress import save_suite
    from perfopt.targets.program import ProgramKind

    if not path.is_file():
        raise TargetError(f"{path} is a folder: give a program file, or --symbol FILE::FUNC "
                          "to stress a function of this project")
    if inputs is None or not inputs.is_dir():
        raise TargetError("a program needs --inputs DIR holding its sample input.N.txt files")
    if statement is None and (inputs / "statement.txt").is_file():
        statement = inputs / "statement.txt"
    text = statement.read_text(encoding="utf-8") if statement else None
    with ProgramKind(path, inputs, text).open(settings, Silent(), warn) as session:
        (work,) = session.targets()
        suite = session.stress(work, model.asker(work) if model is not None else None)
        saved = save_suite(suite, out) if out else suite
    return summarize(str(path), saved, str(out) if out else None,
                     settings.model if model is not None else None)


def _function(project: Path, settings: Settings, symbol: str, out: Path | None,
              model: Generator | None, warn: Callable[[str], None]) -> StressReport:
    from perfopt import stress
    from perfopt.discover import discover
    from perfopt.targets.function import FunctionKind

    file, sep, qualname = symbol.partition("::")
    if not sep or not qualname:
        raise TargetError(f"--symbol {symbol!r}: write it as FILE::QUALNAME, e.g. "
                          "shop/stats.py::sku_frequencies")
    proj = discover(project, {"top": None})
    if file not in proj.python_files:
        raise TargetError(f"{file} is not a Python file of {proj.root}")
    target = Target(file=file, qualname=qualname)
    with FunctionKind(proj).open(settings, Silent(), warn) as session:
        (work,) = session.capture([Hotspot(target, self_share=0.0, total_share=0.0, score=0.0)])
        # nothing captured: Hypothesis draws seeds from the type hints, if there are any
        suite = session.stress(work, model.asker(work) if model is not None else None)
        if not suite.cases:
            raise TargetError(f"the workload never called {target.key} and its type hints "
                              "give no valid call; pass --tests or --workload so that it runs")
        saved = stress.save_suite(suite, out) if out else suite
    return summarize(target.key, saved, str(out) if out else None,
                     settings.model if model is not None else None)

