"""The diagnose stage: for one target's code, the skills worth trying (detector hits,
profile signals and text similarity over the cards: perfopt.skills.retrieval) and the
codemods that apply. The same plan feeds the codemods (their rewrites are the offline
candidates) and the model (its cards are in the prompt); the run records it."""

from __future__ import annotations

from dataclasses import dataclass

from perfopt.models import Hotspot, Plan, Skill, Target


@dataclass(frozen=True)
class Diagnosis:
    plan: Plan
    skills: tuple[Skill, ...]  # the plan's cards, best first: what the model is shown
    # the same choice made from the code alone, without the profile's samples: the model's
    # reply cache is keyed by it (a hot line near the threshold in one run and not the next
    # would swap a card, and an identical rerun would miss the cache)
    key_skills: tuple[Skill, ...]
    rewrites: tuple[tuple[str, str], ...]  # (codemod chain, rewritten source)


def diagnose(code: str, target: Target, hotspot: Hotspot | None = None, *,
             extra_paths: tuple[str, ...] = (), codemods: bool = True) -> Diagnosis:
    from perfopt.skills import codemods as mods
    from perfopt.skills.retrieval import plan as retrieve

    language = target.language
    skills = tuple(retrieve(code, hotspot, language, extra_paths=extra_paths))
    if hotspot is None:
        key_skills = skills
    else:
        unsampled = Hotspot(hotspot.target, self_share=0.0, total_share=0.0, score=0.0)
        key_skills = tuple(retrieve(code, unsampled, language, extra_paths=extra_paths))
    rewrites: list[tuple[str, str]] = []
    if codemods:
        rewrites = (mods.apply_all(code) if target.qualname is not None
                    else mods.apply_all_program(code, language))
    plan = Plan(target, tuple(s.id for s in skills), tuple(key for key, _ in rewrites))
    return Diagnosis(plan, skills, key_skills, tuple(rewrites))
