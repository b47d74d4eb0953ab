"""Whole-program candidates: deterministic codemods, and an LLM when one is configured."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfopt.config import Settings
from perfopt.models import Candidate, Skill, StressSuite, Target


def codemod_candidates(source: str, target: Target) -> list[Candidate]:
    """One candidate per codemod chain that changes the file (`apply_all_program`)."""
    from perfopt.skills import codemods

    return [
        Candidate(target=target, source=new, origin=f"codemod:{key}",
                  skills=tuple(key.split("+")))
        for key, new in codemods.apply_all_program(source, target.language)
    ]


def skill_plan(source: str, language: str, settings: Settings) -> tuple[Skill, ...]:
    try:
        from perfopt.skills import retrieval
    except ImportError:
        return ()
    return tuple(retrieval.plan(source, None, language, extra_paths=settings.skills_paths))


class ProgramLLM:
    """The model, for whole programs: `generate` once, `refine` per rejected candidate.
    Model failures (budget, endpoint) turn it off with one warning; codemods go on."""

    def __init__(self, client: Any, settings: Settings, warn: Callable[[str], None],
                 then: str | None = None) -> None:
        from perfopt.llm.guard import CODEMODS_ONLY, ModelGuard

        self.client = client
        self.settings = settings
        self.warn = warn
        self.guard = ModelGuard(client, warn, then or CODEMODS_ONLY)

    @property
    def disabled(self) -> str:
        return self.guard.disabled

    @classmethod
    def create(cls, settings: Settings, project: Path,
               warn: Callable[[str], None], then: str | None = None) -> ProgramLLM | None:
        """None with no model configured. `then`: what goes on once the model fails."""
        from perfopt.llm import LLMClient, ModelConfig

        config = ModelConfig.from_settings(settings, project)
        return None if config is None else cls(LLMClient(config), settings, warn, then)

    def _context(self, target: Target, source: str, suite: StressSuite | None):
        from perfopt.llm import PromptContext, summarize_suite

        return PromptContext(file=target.file, qualname=None,
                             stress_summary=summarize_suite(suite) if suite else "",
                             plan=skill_plan(source, target.language, self.settings))

    def _guarded(self, call: Callable[[], Any], default: Any) -> Any:
        return self.guard.call(call, default)

    def generate(self, target: Target, source: str,
                 suite: StressSuite | None) -> list[Candidate]:
        from perfopt.llm import generate

        ctx = self._context(target, source, suite)
        return self._guarded(lambda: generate(target, source, ctx, self.client), [])

    def refine(self, cand: Candidate, gate: str, evidence: str, source: str,
               suite: StressSuite | None) -> Candidate | None:
        from perfopt.llm import refine

        ctx = self._context(cand.target, source, suite)
        return self._guarded(lambda: refine(cand, gate, evidence, ctx, self.client,
                                            original_def=source), None)

    def stress_code(self, source: str, language: str, statement: str | None,
                    samples: list[str]) -> str | None:
        """The model's stress conditions and input generator (perfopt.stress.conditions),
        or None (with a warning) when it gave none."""
        from perfopt.llm.engine import ask
        from perfopt.stress.conditions import ask_for_code

        def request() -> tuple[str | None, str]:
            return ask_for_code(lambda template, **v: ask(self.client, template, **v),
                                source, language, statement, samples)

        code, note = self._guarded(request, (None, ""))
        if code is None and note:
            self.warn(f"stress: {note}")
        return code

    def usage(self) -> dict[str, float]:
        return dict(self.client.usage.to_dict())
