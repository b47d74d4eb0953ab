"""Candidate generation beyond codemods: the bridge from the pipeline to `perfopt.llm`.

With no model configured `make_generator` returns None and says, once, how to add one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perfopt.models import Candidate, CandidateResult, Hotspot, Skill, StressSuite

ADD_MODEL = ("add one with --model NAME and OPENAI_BASE_URL / OPENAI_API_KEY, "
             "or [tool.perfopt] model")
NO_MODEL_HINT = f"no model configured: using deterministic codemods only ({ADD_MODEL})"


class LLMGenerator:
    """The model, for function targets: candidates per hotspot, one refinement per
    rejected candidate; failures handled by `ModelGuard`."""

    def __init__(self, client: Any, warn: Callable[[str], None],
                 plan_for: Callable[[Hotspot, str], tuple[Skill, ...]],
                 then: str | None = None) -> None:
        from perfopt.llm.guard import CODEMODS_ONLY, ModelGuard

        self.client = client
        self.plan_for = plan_for
        self._guard = ModelGuard(client, warn, then or CODEMODS_ONLY)

    def _context(self, h: Hotspot, original_def: str, suite: StressSuite):
        from perfopt.llm import PromptContext, summarize_suite

        # the cache key's plan comes from the code alone: hot lines and signals are samples,
        # and a line near the hot-line threshold in one run and not the next swaps a card.
        # The target alone, every measured field at zero or its default (a new one too)
        unsampled = Hotspot(h.target, self_share=0.0, total_share=0.0, score=0.0)
        return PromptContext(file=h.target.file, qualname=h.target.qualname,
                             hot_lines=h.hot_lines, stress_summary=summarize_suite(suite),
                             plan=self.plan_for(h, original_def),
                             key_plan=self.plan_for(unsampled, original_def))

    def _guarded(self, call: Callable[[], Any], default: Any) -> Any:
        return self._guard.call(call, default)

    def generate(self, h: Hotspot, original_def: str, suite: StressSuite) -> list[Candidate]:
        from perfopt.llm import generate

        ctx = self._context(h, original_def, suite)
        return self._guarded(lambda: generate(h.target, original_def, ctx, self.client), [])

    def refine(self, h: Hotspot, original_def: str, result: CandidateResult,
               suite: StressSuite) -> Candidate | None:
        from perfopt.llm import refine

        ctx = self._context(h, original_def, suite)
        evidence = result.verdict.reason
        if result.measurements:
            m = result.measurements[0]
            evidence += (f"\nmeasured speedup {m.speedup:.3f}x, {int(m.confidence * 100)}% CI "
                         f"[{m.ci_low:.3f}, {m.ci_high:.3f}] ({m.metric})")
        return self._guarded(lambda: refine(result.candidate, result.verdict.gate, evidence, ctx,
                                            self.client, original_def=original_def), None)

    def stress_code(self, h: Hotspot, original_def: str, examples: str) -> str | None:
        """The model's stress conditions and call generator for `h` (after WEDGE; run by
        perfopt.stress.functions in its sandboxed worker), or None with a warning."""
        from perfopt.llm.engine import ask_stress_code
        from perfopt.stress.conditions import code_from_reply

        reply = self._guarded(lambda: ask_stress_code(h.target, original_def, h.hot_lines,
                                                      examples, self.client), None)
        if reply is None:
            return None
        code = code_from_reply(reply)
        if code is None:
            self.warn(f"stress: {h.target.key}: the model's reply had no generate() block")
        return code

    def usage(self) -> dict[str, float]:
        return dict(self.client.usage.to_dict())


def make_generator(project: Any, options: Any, events: Any, warn: Callable[[str], None],
                   plan_for: Callable[[Hotspot, str], tuple[Skill, ...]]) -> LLMGenerator | None:
    from perfopt.llm import LLMClient, ModelConfig

    config = ModelConfig.from_settings(project.settings, project.root)
    if config is None:
        events.note(NO_MODEL_HINT)
        return None
    return LLMGenerator(client=LLMClient(config), warn=warn, plan_for=plan_for)
