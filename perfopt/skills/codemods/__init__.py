"""Deterministic rewrites, one module per codemod, behind an explicit registry.

A function codemod takes a dedented definition (as `languages.python.get_function` returns
it, optionally preceded by import lines) and returns the rewritten definition, preceded by
any import it needs (and any private module constant it hoists, `_WORD_RE = re.compile(...)`,
which languages.python.replace_function puts above the function), or None when it does not
apply or a precondition fails. A program codemod takes a whole file (a Python script or a
C++ translation unit) and returns the whole rewritten file. Codemods refuse rather than risk
a change in behaviour; verify still checks every result.
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
    language: str = "python"
    scope: str = "function"  # "function" (one def) | "program" (a whole file)


def _registry() -> dict[str, Codemod]:
    from perfopt.skills.codemods import (
        append_comprehension,
        bit_count,
        concat_join,
        consumed_generator,
        count_counter,
        cpp_const_ref,
        cpp_endl,
        cpp_sync,
        dict_get,
        fast_stdin,
        heapq_topk,
        len_list,
        local_alias,
        main_locals,
        membership_set,
        pair_count,
        pop0_deque,
        precompile_regex,
        print_join,
        seen_dedupe,
        sorted_minmax,
    )

    # main-function-locals first: chained after it, the function codemods also reach the
    # script's former module-level code (now inside main)
    modules = (
        main_locals,
        membership_set,
        seen_dedupe,
        concat_join,
        pop0_deque,
        count_counter,
        pair_count,
        sorted_minmax,
        len_list,
        consumed_generator,
        append_comprehension,
        heapq_topk,
        dict_get,
        precompile_regex,
        bit_count,
        local_alias,  # last function codemod: it aliases what the others leave
        fast_stdin,
        print_join,
        cpp_endl,
        cpp_sync,
        cpp_const_ref,
    )
    found: dict[str, Codemod] = {}
    for m in modules:
        name = getattr(m, "NAME", m.SKILL_ID)
        found[name] = Codemod(
            name,
            m.SKILL_ID,
            m.rewrite,
            getattr(m, "LANGUAGE", "python"),
            getattr(m, "SCOPE", "function"),
        )
    return found


CODEMODS: dict[str, Codemod] = _registry()


def get_codemod(name: str) -> Codemod:
    try:
        return CODEMODS[name]
    except KeyError:
        valid = ", ".join(sorted(CODEMODS))
        raise UserError(f"unknown codemod '{name}'; valid codemods: {valid}") from None


def _chain(
    codemods: list[Codemod], source: str, check: Callable[[Codemod, str], str | None]
) -> list[tuple[str, str]]:
    """(skill id, new source) per codemod that applies, plus one entry chaining all of them
    (ids joined by "+") when two or more apply."""
    results: list[tuple[str, str]] = []
    applicable: list[Codemod] = []
    for codemod in codemods:
        new = check(codemod, source)
        if new is not None:
            results.append((codemod.skill_id, new))
            applicable.append(codemod)
    if len(results) >= 2:
        current = source
        applied: list[str] = []
        for codemod in applicable:
            new = check(codemod, current)
            if new is not None:
                current, applied = new, [*applied, codemod.skill_id]
        if len(applied) >= 2:
            results.append(("+".join(applied), current))
    return results


def apply_all(def_source: str) -> list[tuple[str, str]]:
    """Every Python function codemod on one definition (see `_chain`)."""
    mods = [c for c in CODEMODS.values() if c.language == "python" and c.scope == "function"]
    return _chain(mods, def_source, _safe)


def apply_all_program(source: str, language: str = "python") -> list[tuple[str, str]]:
    """Every codemod on a whole program: program codemods on the file and, for Python,
    function codemods on each top-level function (spliced back into the file)."""
    mods = [c for c in CODEMODS.values() if c.language == language]
    if language == "python":
        return _chain(mods, source, _safe_in_program)
    return _chain(mods, source, lambda c, s: _changed(c.rewrite(s), s))


def _changed(new: str | None, old: str) -> str | None:
    return new if new is not None and new != old else None


def _safe(codemod: Codemod, source: str) -> str | None:
    new = codemod.rewrite(source)
    if new is None:
        return None
    try:
        compile(new, f"<codemod {codemod.name}>", "exec", dont_inherit=True)
    except SyntaxError:  # a codemod bug must not become a candidate
        return None
    return new


def _safe_in_program(codemod: Codemod, source: str) -> str | None:
    if codemod.scope == "program":
        return _changed(_safe(codemod, source), source)
    from perfopt.languages.python import definitions, get_function, replace_function

    try:
        names = [d.qualname for d in definitions(source) if d.kind == "function"]
    except Exception:  # noqa: BLE001 - an unparsable program gets no function codemods
        return None
    current = source
    for name in names:
        try:
            new_def = _safe(codemod, get_function(current, name))
            if new_def is not None:
                current = replace_function(current, name, new_def)
        except Exception:  # noqa: BLE001 - a def we cannot splice back is skipped
            continue
    return _changed(current, source)
