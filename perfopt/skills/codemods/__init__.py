"""Deterministic rewrites, one module per codemod, behind an explicit registry.

A codemod takes a dedented definition (as `languages.python.get_function` returns it,
optionally preceded by import lines) and returns the rewritten definition, preceded by
any import it needs, or None when it does not apply or a precondition fails. Codemods
refuse rather than risk a change in behaviour; verify still checks every result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from perfopt.errors import UserError


@dataclass(frozen=True)
class Codemod:
    name: str
    skill_id: str
    rewrite: Callable[[str], str | None]


def _registry() -> dict[str, Codemod]:
    from perfopt.skills.codemods import (
        append_comprehension,
        concat_join,
        count_counter,
        membership_set,
        pop0_deque,
        sorted_minmax,
    )

    modules = (
        membership_set,
        concat_join,
        pop0_deque,
        count_counter,
        sorted_minmax,
        append_comprehension,
    )
    return {m.SKILL_ID: Codemod(m.SKILL_ID, m.SKILL_ID, m.rewrite) for m in modules}


CODEMODS: dict[str, Codemod] = _registry()


def get_codemod(name: str) -> Codemod:
    try:
        return CODEMODS[name]
    except KeyError:
        valid = ", ".join(sorted(CODEMODS))
        raise UserError(f"unknown codemod '{name}'; valid codemods: {valid}") from None


def apply_all(def_source: str) -> list[tuple[str, str]]:
    """(skill id, new source) for every codemod that applies, plus one entry chaining all of
    them (ids joined by "+") when two or more apply."""
    results: list[tuple[str, str]] = []
    for codemod in CODEMODS.values():
        new = _safe(codemod, def_source)
        if new is not None:
            results.append((codemod.skill_id, new))
    if len(results) >= 2:
        current, applied = def_source, []
        for skill_id, _ in results:
            new = _safe(CODEMODS[skill_id], current)
            if new is not None:
                current, applied = new, [*applied, skill_id]
        if len(applied) >= 2:
            results.append(("+".join(applied), current))
    return results


def _safe(codemod: Codemod, source: str) -> str | None:
    new = codemod.rewrite(source)
    if new is None:
        return None
    try:
        compile(new, f"<codemod {codemod.name}>", "exec", dont_inherit=True)
    except SyntaxError:  # a codemod bug must not become a candidate
        return None
    return new
