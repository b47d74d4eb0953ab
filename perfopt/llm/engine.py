"""LLM candidates for a target: build the prompt, ask in parallel, parse, retry bad replies.

The pipeline calls `generate` once per target and `refine` once per rejected candidate and
round; `preview` renders the same prompts for `--show-prompts` without sending anything.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from perfopt.llm.client import LLMClient, LLMError, Message, ModelConfig, dumps_messages
from perfopt.llm.parse import ReplyError, extract_code, extract_program, stress_code_block
from perfopt.llm.privacy import is_private
from perfopt.llm.prompts import render
from perfopt.models import Candidate, Skill, StressSuite, Target

MAX_EVIDENCE_CHARS = 6000  # failing test logs can be megabytes; the head and tail carry the news
MAX_RATIONALE_CHARS = 400
LANGUAGE_NAMES = {"python": "Python", "cpp": "C++"}
FENCE_TAGS = {"python": "python", "cpp": "cpp"}


class PrivateCode(LLMError):
    """The target's file is git-ignored or looks secret: its code is not sent."""


@dataclass(frozen=True)
class PromptContext:
    file: str
    qualname: str | None
    hot_lines: tuple[tuple[int, float], ...] = ()  # (line in file, share), as in Hotspot
    stress_summary: str = ""  # see summarize_suite
    plan: tuple[Skill, ...] = ()
    # the plan from the code alone, without profile signals: the cache key's plan, since
    # the profile-guided plan can swap a card between two identical runs (None: `plan`)
    key_plan: tuple[Skill, ...] | None = None


# --- prompt pieces --------------------------------------------------------------------


def format_plan(plan: tuple[Skill, ...]) -> str:
    if not plan:
        return "(no specific plan: use your judgement)"
    out = []
    for i, skill in enumerate(plan, 1):
        out.append(f"{i}. [{skill.id}] {skill.title}: {' '.join(skill.mechanism.split())}")
        for pitfall in skill.pitfalls[:2]:
            out.append(f"   pitfall: {pitfall}")
    return "\n".join(out)


def format_hot_lines(def_source: str, hot_lines: tuple[tuple[int, float], ...],
                     first_line: int | None) -> str:
    if not hot_lines:
        return "(no line-level profile)"
    lines = def_source.splitlines()
    out = []
    for line, share in sorted(hot_lines, key=lambda h: -h[1])[:8]:
        text = ""
        if first_line is not None and 0 <= line - first_line < len(lines):
            text = ": " + lines[line - first_line].strip()
        out.append(f"- line {line} ({share:.0%} of the function's samples){text}")
    return "\n".join(out)


def summarize_suite(suite: StressSuite, limit: int = 6) -> str:
    """One paragraph for the prompt: what inputs exist and which cost the most."""
    if not suite.cases:
        return "(no stress inputs)"
    kinds = Counter(c.provenance for c in suite.cases)
    head = f"{len(suite.cases)} inputs (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")"
    if suite.complexity is not None:
        head += f"; cost grows like size^{suite.complexity:.2f}"
    rows = sorted(suite.cases, key=lambda c: -(c.cost or 0.0))[:limit]
    lines = [head + "; the costliest:"]
    for case in rows:
        parts = [case.id]
        if case.size is not None:
            parts.append(f"size {case.size}")
        if case.cost is not None:
            parts.append(_seconds(case.cost))
        if case.note:
            parts.append(case.note)
        lines.append("- " + ", ".join(parts))
    return "\n".join(lines)


def _seconds(value: float) -> str:
    if value >= 1.0:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} us"


def _clip(text: str, limit: int = MAX_EVIDENCE_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters cut ...]\n{text[-half:]}"


def _language(target: Target) -> str:
    return LANGUAGE_NAMES.get(target.language, target.language)


def optimize_messages(target: Target, def_source: str, context: PromptContext) -> list[Message]:
    first = target.span[0] if target.span else None
    return [
        {"role": "system", "content": render("system", language=_language(target))},
        {"role": "user", "content": render(
            "optimize",
            language=_language(target),
            kind="function" if target.qualname else "program",
            fence=FENCE_TAGS.get(target.language, target.language),
            file=context.file,
            qualname=context.qualname or "(whole program)",
            code=def_source.rstrip("\n"),
            hot_lines=format_hot_lines(def_source, context.hot_lines, first),
            stress_summary=context.stress_summary or "(no stress inputs)",
            plan=format_plan(context.plan),
        )},
    ]


def refine_messages(candidate: Candidate, gate: str, evidence: str, context: PromptContext,
                    original_def: str | None = None) -> list[Message]:
    target = candidate.target
    return [
        {"role": "system", "content": render("system", language=_language(target))},
        {"role": "user", "content": render(
            "refine",
            fence=FENCE_TAGS.get(target.language, target.language),
            file=context.file,
            qualname=context.qualname or "(whole program)",
            original=(original_def or "(not shown)").rstrip("\n"),
            candidate=candidate.source.rstrip("\n"),
            gate=gate,
            evidence=_clip(evidence.strip() or "(no details)"),
            plan=format_plan(context.plan),
        )},
    ]


# --- asking ---------------------------------------------------------------------------


def _guard(target: Target, config: ModelConfig) -> None:
    if config.project is not None and is_private(Path(target.file), config.project):
        raise PrivateCode(
            f"not sending {target.file} to the model: it is git-ignored or its name looks"
            " secret (move the code to send it)"
        )


def _module_source(target: Target, config: ModelConfig) -> str | None:
    if config.project is None:
        return None
    try:
        return (config.project / target.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _rationale(reply: str) -> str:
    prose = re.sub(r"```.*?(```|\Z)", " ", reply, flags=re.DOTALL)
    return " ".join(prose.split())[:MAX_RATIONALE_CHARS]


def _stable(context: PromptContext) -> PromptContext:
    """The context less what changes from one identical run to the next (profile samples,
    timings, the cards the profile's signals chose): cache keys are built from it, so a
    rerun is served from the cache."""
    plan = context.plan if context.key_plan is None else context.key_plan
    return dataclasses.replace(context, hot_lines=(), stress_summary="", plan=plan,
                               key_plan=None)


def _extract(reply: str, qualname: str, references: tuple[str, ...],
             module_source: str | None) -> str:
    """The code of `reply` against the first of `references` it fits: a refinement's diff
    may be against the rejected candidate or against the original, both shown to it."""
    first: ReplyError | None = None
    for reference in references:
        try:
            return extract_code(reply, reference, qualname, module_source=module_source)
        except ReplyError as exc:
            first = first or exc
    assert first is not None
    raise first


def _ask_for_code(client: LLMClient, messages: list[Message], target: Target,
                  references: tuple[str, ...], module_source: str | None, variant: int,
                  key_messages: list[Message], label: str) -> tuple[str, str]:
    """(source, reply) of the first usable reply; ReplyError after parse_retries more asks."""
    convo, key_convo = list(messages), list(key_messages)
    last: ReplyError | None = None
    for _ in range(1 + max(0, client.config.parse_retries)):
        reply = client.chat(convo, variant=variant, key_messages=key_convo)[0]
        try:
            if target.qualname is None:
                return extract_program(reply, target.language), reply
            return _extract(reply, target.qualname, references, module_source), reply
        except ReplyError as exc:
            last = exc
            if len(convo) - len(messages) < 2 * max(0, client.config.parse_retries):
                client.warnings.append(f"{target.key}: {label} held no usable code"
                                       f" ({exc.reason}); asked again")
            again = [{"role": "assistant", "content": reply},
                     {"role": "user", "content": render(
                         "fix_reply", reason=exc.reason,
                         qualname=target.qualname or "the whole program")}]
            convo, key_convo = [*convo, *again], [*key_convo, *again]
    assert last is not None
    raise last


def generate(target: Target, def_source: str, context: PromptContext,
             client: LLMClient) -> list[Candidate]:
    """Up to `config.candidates` candidates, asked for in parallel.

    Raises UserError for a misconfigured endpoint (bad key, unknown model) and LLMError when
    no candidate came back because of the budget, the endpoint or privacy; smaller troubles
    are noted in `client.warnings`."""
    cfg = client.config
    _guard(target, cfg)
    messages = optimize_messages(target, def_source, context)
    key_messages = optimize_messages(target, def_source, _stable(context))
    module_source = _module_source(target, cfg)
    skills = tuple(s.id for s in context.plan)

    def one(k: int) -> Candidate | None:
        try:
            source, reply = _ask_for_code(client, messages, target, (def_source,),
                                          module_source, k, key_messages, f"reply #{k}")
        except ReplyError as exc:
            client.warnings.append(f"{target.key}: reply #{k} held no usable code ({exc.reason})")
            return None
        return Candidate(target=target, source=source, origin=f"llm:{cfg.model}#{k}",
                         skills=skills, rationale=_rationale(reply))

    count = max(1, cfg.candidates)
    with ThreadPoolExecutor(max_workers=max(1, min(cfg.concurrency, count))) as pool:
        futures = [pool.submit(one, k) for k in range(1, count + 1)]
        results: list[Candidate] = []
        problems: list[LLMError] = []
        for future in futures:
            try:
                cand = future.result()
            except LLMError as exc:
                problems.append(exc)
                continue
            same = [c for c in results if cand is not None and c.id == cand.id]
            if same and cand is not None:
                client.warnings.append(f"{target.key}: reply {cand.origin.split('#')[-1]}"
                                       f" repeats the code of {same[0].origin}")
            elif cand is not None:
                results.append(cand)
    if problems and not results:
        raise problems[0]
    for problem in problems[:1]:
        client.warnings.append(f"{target.key}: {problem}")
    return results


_ORIGIN = re.compile(r"^llm:(?P<model>.*)#(?P<k>\d+)(?:\.r(?P<round>\d+))?$")


def refine(candidate: Candidate, gate: str, evidence: str, context: PromptContext,
           client: LLMClient, *, original_def: str | None = None) -> Candidate | None:
    """A fixed version of a rejected candidate, or None when the model had nothing new.

    `gate` is the rejecting Verdict's gate, `evidence` its reason plus whatever shows the
    failure (test output, an input where outputs differed, the measurement)."""
    cfg = client.config
    target = candidate.target
    _guard(target, cfg)
    messages = refine_messages(candidate, gate, evidence, context, original_def)
    # measured numbers differ on every run; the rest of the evidence keys the cache
    key_messages = refine_messages(candidate, gate, re.sub(r"\d+(\.\d+)?", "#", evidence),
                                   _stable(context), original_def)
    try:
        references = (candidate.source, *([original_def] if original_def else []))
        source, reply = _ask_for_code(client, messages, target, references,
                                      _module_source(target, cfg), 0, key_messages,
                                      f"refinement of {candidate.id}")
    except ReplyError as exc:
        client.warnings.append(f"{target.key}: refinement of {candidate.id} held no usable"
                               f" code ({exc.reason})")
        return None
    if source.strip() == candidate.source.strip():
        client.warnings.append(f"{target.key}: refinement of {candidate.id} repeats it"
                               " unchanged")
        return None
    match = _ORIGIN.match(candidate.origin)
    k = match.group("k") if match else "0"
    round_ = int(match.group("round") or 0) + 1 if match else 1
    return Candidate(target=target, source=source, origin=f"llm:{cfg.model}#{k}.r{round_}",
                     skills=candidate.skills or tuple(s.id for s in context.plan),
                     parent=candidate.id, rationale=_rationale(reply))


def preview(target: Target, def_source: str, context: PromptContext,
            config: ModelConfig | None) -> str:
    """What `generate` would send, as text, without sending it (--show-prompts)."""
    messages = optimize_messages(target, def_source, context)
    if config is None:
        head = "# no model configured: this prompt would be sent once one is (--model)"
    else:
        head = (f"# model {config.model} at {config.base_url or 'the default OpenAI endpoint'};"
                f" {config.candidates} candidate(s), temperature {config.temperature}")
        if config.project is not None and is_private(Path(target.file), config.project):
            head += f"\n# NOT SENT: {target.file} is git-ignored or looks secret"
    return f"{head}\n# target {target.key}\n{dumps_messages(messages)}"


def ask_stress_code(target: Target, def_source: str, hot_lines: tuple[tuple[int, float], ...],
                    examples: str, client: LLMClient) -> str:
    """The model's reply to `stress_conditions`: performance-characterizing conditions over a
    function's arguments and a generator of calls meeting them (perfopt.stress.functions).
    PrivateCode (an LLMError) for a git-ignored or secret-looking file. The cache key leaves
    the hot lines out (profile noise, as in `generate`)."""
    _guard(target, client.config)
    first = target.span[0] if target.span else None
    return ask(client, "stress_conditions",
               stable={"hot_lines": format_hot_lines(def_source, (), first)},
               language=_language(target), file=target.file,
               qualname=target.qualname or "(whole program)",
               fence=FENCE_TAGS.get(target.language, target.language),
               code=def_source.rstrip("\n"),
               hot_lines=format_hot_lines(def_source, hot_lines, first), examples=examples)


def ask(client: LLMClient, template: str, *, stable: dict[str, object] | None = None,
        **variables: object) -> str:
    """One reply to a template (stress_conditions, stress_program, mine_skill), with the
    system prompt. `stable` replaces variables in the cache key only (what changes from one
    identical run to the next, such as profile samples)."""

    def messages(values: dict[str, object]) -> list[Message]:
        return [
            {"role": "system", "content": render("system", language="Python")},
            {"role": "user", "content": render(template, **values)},
        ]

    key = messages({**variables, **stable}) if stable else None
    return client.chat(messages(variables), key_messages=key)[0]


MAX_SAMPLE_CHARS = 1500  # of each sample shown to the model


def ask_program_stress_code(client: LLMClient, source: str, language: str,
                            statement: str | None,
                            samples: Sequence[str]) -> tuple[str | None, str]:
    """(code, note): a program's performance-characterizing conditions (predicates over the
    stdin text) and input generator, after WEDGE (prompt `stress_program`; the stressor
    runs the code in perfopt.stress.conditions' sandboxed worker)."""
    shown = "\n\n".join(f"Sample {k + 1}:\n```\n{text[:MAX_SAMPLE_CHARS]}\n```"
                        for k, text in enumerate(samples[:3])) or "(none)"
    started = time.monotonic()
    reply = ask(client, "stress_program", language=language, code=source,
                statement=(statement or "(no statement)")[:6000], samples=shown)
    code = stress_code_block(reply)
    took = time.monotonic() - started
    if code is None:
        return None, f"the model's reply had no generate() block ({took:.1f} s)"
    return code, f"stress conditions from the model ({took:.1f} s)"
