"""The one model seam of the loop: candidates, refinements and stress code for every
target kind (a function, a whole program, a repository's function), through `perfopt.llm`.

Every model call goes through one `ModelGuard`: the first budget or endpoint failure turns
the model off with one warning and the run goes on with codemods. With no model
configured `make_generator` returns None and says, once, how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfopt.config import Settings
from perfopt.models import Candidate, CandidateResult, Skill, StressSuite
from perfopt.targets.base import Work

ADD_MODEL = ("add one with --model NAME and OPENAI_BASE_URL / OPENAI_API_KEY, "
             "or [tool.perfopt] model")
NO_MODEL_HINT = f"no model configured: using deterministic codemods only ({ADD_MODEL})"


class Generator:
    """The model for one run. `skills` are the plan's cards (best first); `key_skills` the
    cards chosen from the code alone, which key the reply cache (hot lines and signals are
    samples: a line near the threshold in one run and not the next swaps a card)."""

    def __init__(self, client: Any, warn: Callable[[str], None], then: str | None = None,
                 ) -> None:
        from perfopt.llm.guard import CODEMODS_ONLY, ModelGuard

        self.client = client
        self.warn = warn
        self._guard = ModelGuard(client, warn, then or CODEMODS_ONLY)

    def report_to(self, warn: Callable[[str], None]) -> None:
        """Send the model's warnings (each unused reply and why, a failed endpoint) to
        `warn` from now on: the run's, so they are in its report (--json) too."""
        self.warn = warn
        self._guard.warn = warn

    @property
    def disabled(self) -> str:
        return self._guard.disabled

    @property
    def model(self) -> str:
        return str(self.client.config.model)

    def _context(self, work: Work, skills: tuple[Skill, ...], key_skills: tuple[Skill, ...],
                 suite: StressSuite | None):
        from perfopt.llm import PromptContext, summarize_suite

        hot_lines = work.hotspot.hot_lines if work.hotspot is not None else ()
        return PromptContext(file=work.target.file, qualname=work.target.qualname,
                             hot_lines=hot_lines,
                             stress_summary=summarize_suite(suite) if suite else "",
                             plan=skills, key_plan=key_skills)

    def candidates(self, work: Work, skills: tuple[Skill, ...], key_skills: tuple[Skill, ...],
                   suite: StressSuite | None) -> list[Candidate]:
        from perfopt.llm import generate

        ctx = self._context(work, skills, key_skills, suite)
        return self._guard.call(lambda: generate(work.target, work.code, ctx, self.client), [])

    def refine(self, work: Work, skills: tuple[Skill, ...], key_skills: tuple[Skill, ...],
               suite: StressSuite | None, result: CandidateResult) -> Candidate | None:
        from perfopt.llm import refine

        ctx = self._context(work, skills, key_skills, suite)
        evidence = result.verdict.reason
        if result.measurements:
            m = result.measurements[0]
            evidence += (f"\nmeasured speedup {m.speedup:.3f}x, {int(m.confidence * 100)}% CI "
                         f"[{m.ci_low:.3f}, {m.ci_high:.3f}] ({m.metric})")
        return self._guard.call(lambda: refine(result.candidate, result.verdict.gate, evidence,
                                               ctx, self.client, original_def=work.code), None)

    def stress_code(self, work: Work, evidence: str) -> str | None:
        """The model's performance-characterizing conditions and input generator for `work`
        (after WEDGE; the stressor runs them sandboxed), or None with a warning. A function
        is asked with its captured calls' shapes (`evidence`), a program with its statement
        and samples."""
        if work.target.qualname is None:
            return self._program_stress_code(work)
        from perfopt.llm.engine import ask_stress_code
        from perfopt.llm.parse import stress_code_block

        hot_lines = work.hotspot.hot_lines if work.hotspot is not None else ()
        reply = self._guard.call(lambda: ask_stress_code(work.target, work.code, hot_lines,
                                                         evidence, self.client), None)
        if reply is None:
            return None
        code = stress_code_block(reply)
        if code is None:
            self.warn(f"stress: {work.target.key}: the model's reply had no generate() block")
        return code

    def _program_stress_code(self, work: Work) -> str | None:
        from perfopt.llm.engine import ask_program_stress_code

        code, note = self._guard.call(
            lambda: ask_program_stress_code(self.client, work.code, work.target.language,
                                            work.statement, work.samples), (None, ""))
        if code is None and note:
            self.warn(f"stress: {note}")
        return code

    def asker(self, work: Work) -> Callable[[str], str | None]:
        """What the stressor calls for this target's stress code (see `stress_code`)."""
        return lambda evidence: self.stress_code(work, evidence)

    def usage(self) -> dict[str, float]:
        return dict(self.client.usage.to_dict())


def make_generator(settings: Settings, root: Path, warn: Callable[[str], None], *,
                   note: Callable[[str], None] | None = None,
                   then: str | None = None) -> Generator | None:
    """The run's model, or None (saying how to add one to `note`) with none configured."""
    from perfopt.llm import LLMClient, ModelConfig

    config = ModelConfig.from_settings(settings, root)
    if config is None:
        if note is not None:
            note(NO_MODEL_HINT)
        return None
    return Generator(LLMClient(config), warn, then)


def preview(work: Work, skills: tuple[Skill, ...], suite: StressSuite, settings: Settings,
            root: Path) -> str:
    """What would be sent to the model for `work`, without sending it (--show-prompts)."""
    from perfopt.llm import ModelConfig, PromptContext, summarize_suite
    from perfopt.llm import preview as render_preview

    ctx = PromptContext(file=work.target.file, qualname=work.target.qualname,
                        hot_lines=work.hotspot.hot_lines if work.hotspot else (),
                        stress_summary=summarize_suite(suite), plan=skills)
    return render_preview(work.target, work.code, ctx, ModelConfig.from_settings(settings, root))

