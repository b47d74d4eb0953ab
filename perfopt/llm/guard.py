"""One policy for model failures inside a run: the first budget or endpoint failure turns
the model off with one warning and the codemods carry on; the client's smaller warnings
are passed on once each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CODEMODS_ONLY = "continuing with codemods only"


class ModelGuard:
    def __init__(self, client: Any, warn: Callable[[str], None],
                 then: str = CODEMODS_ONLY) -> None:
        self.client = client
        self.warn = warn
        self.then = then  # what goes on without the model, for the warning
        self.disabled = ""
        self._seen = 0

    def call(self, fn: Callable[[], Any], default: Any) -> Any:
        from perfopt.llm.client import LLMError

        if self.disabled:
            return default
        try:
            return fn()
        except LLMError as exc:
            self.disabled = str(exc)
            self.warn(f"model: {exc}; {self.then}")
            return default
        finally:
            for w in self.client.warnings[self._seen:]:
                self.warn(f"model: {w}")
            self._seen = len(self.client.warnings)
