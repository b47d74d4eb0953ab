"""One policy for model failures inside a run: the first budget or endpoint failure turns
the model off with one warning and the codemods carry on; the client's smaller warnings
are passed on once each. A private file (git-ignored, or a secret-looking name) is
withheld alone: its target gets no model call, with one note, and the others still do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CODEMODS_ONLY = "continuing with codemods only"
WITHHELD = "this target goes on without the model; the others still get it"


class ModelGuard:
    def __init__(self, client: Any, warn: Callable[[str], None],
                 then: str = CODEMODS_ONLY) -> None:
        self.client = client
        self.warn = warn
        self.then = then  # what goes on without the model, for the warning
        self.disabled = ""
        self.withheld: set[str] = set()  # private-code refusals already noted
        self._seen = 0

    def call(self, fn: Callable[[], Any], default: Any) -> Any:
        from perfopt.llm.client import LLMError
        from perfopt.llm.engine import PrivateCode

        if self.disabled:
            return default
        try:
            return fn()
        except PrivateCode as exc:  # this file only: the model stays on for the others
            if str(exc) not in self.withheld:
                self.withheld.add(str(exc))
                self.warn(f"model: {exc}; {WITHHELD}")
            return default
        except LLMError as exc:
            self.disabled = str(exc)
            self.warn(f"model: {exc}; {self.then}")
            return default
        finally:
            for w in self.client.warnings[self._seen:]:
                self.warn(f"model: {w}")
            self._seen = len(self.client.warnings)
