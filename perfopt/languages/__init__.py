"""Per-language verbs the pipeline needs (parse, find a symbol, replace it).

An explicit registry: `get_language("python")` returns the module implementing them."""

from __future__ import annotations

import importlib
from types import ModuleType

from perfopt.errors import UserError

LANGUAGES = {
    "python": "perfopt.languages.python",
    "cpp": "perfopt.languages.cpp",
}
ALIASES = {"py": "python", "c++": "cpp", "cxx": "cpp"}


def get_language(name: str) -> ModuleType:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LANGUAGES:
        raise UserError(f"unknown language '{name}'; valid choices: {', '.join(LANGUAGES)}")
    return importlib.import_module(LANGUAGES[key])
