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
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.models import StressSuite, Target


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
NOT_STRESS = SEEDS + ("sweep",)  # sweep points serve the complexity fit, not the stress


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
    if not path.exists():
        raise TargetError(f"{path} does not exist; give a program file or a project folder")
    if not settings.model:
        from perfopt.generate import ADD_MODEL

        warn(f"no model configured: stress inputs come from the search alone ({ADD_MODEL})")
    if symbol is None:
        return _program(path, settings, inputs, statement, out, budget_s, warn)
    return _function(path, settings, symbol, out, budget_s, warn)


def _program(path: Path, settings: Settings, inputs: Path | None, statement: Path | None,
             out: Path | None, budget_s: float, warn: Callable[[str], None]) -> StressReport:
    from perfopt.programs.build import BuildError, ProgramOptions, build, language_of
    from perfopt.programs.candidates import ProgramLLM
    from perfopt.programs.optimize import stress_suite
    from perfopt.stress import save_suite

    if not path.is_file():
        raise TargetError(f"{path} is a folder: give a program file, or --symbol FILE::FUNC "
                          "to stress a function of this project")
    if inputs is None or not inputs.is_dir():
        raise TargetError("a program needs --inputs DIR holding its sample input.N.txt files")
    if statement is None and (inputs / "statement.txt").is_file():
        statement = inputs / "statement.txt"
    text = statement.read_text(encoding="utf-8") if statement else None
    source = path.read_text(encoding="utf-8")
    language = language_of(path, source)
    options = replace(ProgramOptions.from_settings(settings), stress_budget_s=budget_s)
    llm = ProgramLLM.create(settings, path.parent, warn, then=WITHOUT_MODEL)
    with tempfile.TemporaryDirectory(prefix="perfopt-stress-") as tmp:
        try:
            built = build(source, language, Path(tmp) / "bin", "original", options)
        except BuildError as exc:
            raise TargetError(f"{path} does not build: {exc}") from None
        suite = stress_suite(built.source_file, built, inputs, text, Path(tmp) / "suite",
                             options, llm=llm, warn=warn)
        saved = save_suite(suite, out) if out else suite
        return summarize(str(path), saved, str(out) if out else None,
                         settings.model if llm is not None else None)


def _function(project: Path, settings: Settings, symbol: str, out: Path | None,
              budget_s: float, warn: Callable[[str], None]) -> StressReport:
    from perfopt import profilers, stress
    from perfopt.discover import discover
    from perfopt.verify.workspace import Workspace

    file, sep, qualname = symbol.partition("::")
    if not sep or not qualname:
        raise TargetError(f"--symbol {symbol!r}: write it as FILE::QUALNAME, e.g. "
                          "shop/stats.py::sku_frequencies")
    proj = discover(project, {"top": None})
    target = Target(file=file, qualname=qualname)
    if file not in proj.python_files:
        raise TargetError(f"{file} is not a Python file of {proj.root}")
    with Workspace.create(proj.root) as base, tempfile.TemporaryDirectory(
        prefix="perfopt-stress-"
    ) as tmp:
        captures = Path(tmp) / "captures"
        reports = profilers.capture_calls(base.root, proj.workload, [target], captures, settings,
                                          python=proj.python)
        seeds = stress.build_suite(target, captures, reports.get(target.key))
        model = _function_model(settings, proj.root, target, base.root / file, warn)
        # nothing captured: Hypothesis draws seeds from the type hints, if there are any
        suite = stress.stress_function(base.root, target, seeds, Path(tmp) / "suite",
                                       budget_s=budget_s, python=proj.python, model=model)
        if not suite.cases:
            raise TargetError(f"the workload never called {target.key} and its type hints "
                              "give no valid call; pass --tests or --workload so that it runs")
        saved = stress.save_suite(suite, out) if out else suite
        return summarize(target.key, saved, str(out) if out else None,
                         settings.model if model is not None else None)


def _function_model(settings: Settings, root: Path, target: Target, source: Path,
                    warn: Callable[[str], None]) -> Callable[[str], str | None] | None:
    """What the function stressor asks for the model's stress code (given the seeds'
    shapes), or None with no model configured."""
    from perfopt.generate import LLMGenerator
    from perfopt.languages import python as pylang
    from perfopt.llm import LLMClient, ModelConfig
    from perfopt.models import Hotspot

    config = ModelConfig.from_settings(settings, root)
    if config is None:
        return None
    original_def = pylang.get_function(source.read_text(encoding="utf-8"),
                                       target.qualname or "")
    generator = LLMGenerator(client=LLMClient(config), warn=warn, plan_for=lambda *_: (),
                             then=WITHOUT_MODEL)
    hotspot = Hotspot(target=target, self_share=0.0, total_share=0.0, score=0.0)
    return lambda shapes: generator.stress_code(hotspot, original_def, shapes)
