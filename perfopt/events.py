"""How the pipeline tells the outside world what it is doing, without knowing about terminals."""

from __future__ import annotations

from typing import Protocol


class Events(Protocol):
    def stage(self, name: str, detail: str = "") -> None: ...

    def note(self, text: str) -> None: ...

    def warn(self, text: str) -> None: ...

    def candidate_done(
        self, key: str, origin: str, verdict: str, speedup: float | None
    ) -> None: ...


class Silent:
    """Events sink for library use and tests."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def stage(self, name: str, detail: str = "") -> None:
        self.log.append(("stage", f"{name} {detail}".strip()))

    def note(self, text: str) -> None:
        self.log.append(("note", text))

    def warn(self, text: str) -> None:
        self.log.append(("warn", text))

    def candidate_done(self, key: str, origin: str, verdict: str, speedup: float | None) -> None:
        self.log.append(("candidate", f"{key} {origin} {verdict} {speedup}"))
