"""Prompt templates (perfopt/llm/prompts/*.txt) and the one function that renders them.

Templates use `$name` / `${name}` fields (string.Template) so code with braces in a
template's examples needs no escaping; `$$` is a literal dollar. Rendering fails on a
missing or an extra variable, so a template and its caller cannot drift apart silently.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources


class PromptError(ValueError):
    """A template was rendered with the wrong variables (a bug in perfopt, not the user's)."""


TEMPLATES = ("system", "optimize", "refine", "fix_reply", "stress_conditions", "stress_program",
             "mine_skill")


@cache
def _template(name: str) -> string.Template:
    if name not in TEMPLATES:
        raise PromptError(f"unknown prompt '{name}'; valid prompts: {', '.join(TEMPLATES)}")
    # one part per joinpath: Traversable.joinpath takes several only from 3.11
    file = resources.files("perfopt.llm").joinpath("prompts").joinpath(f"{name}.txt")
    text = file.read_text("utf-8")
    return string.Template(text)


def fields(name: str) -> frozenset[str]:
    """The variables a template needs."""
    tmpl = _template(name)
    found = set()
    for match in tmpl.pattern.finditer(tmpl.template):
        ident = match.group("named") or match.group("braced")
        if ident:
            found.add(ident)
        elif match.group("invalid") is not None:
            raise PromptError(f"prompt '{name}' has a stray '$' (write $$ for a dollar sign)")
    return frozenset(found)


def render(name: str, **variables: object) -> str:
    """The template `name` filled with `variables`; every field must be given, and only those."""
    needed = fields(name)
    missing = sorted(needed - variables.keys())
    extra = sorted(variables.keys() - needed)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(extra)}")
        raise PromptError(f"prompt '{name}': {'; '.join(parts)}")
    return _template(name).substitute({k: str(v) for k, v in variables.items()})
