"""Performance-characterizing conditions from a model, used as rewards (after WEDGE).

With a model configured, the loop asks it once (perfopt.generate), with the program, its
statement and sample inputs, for
- conditions: what drives the cost up, each a Python predicate over the stdin text
  (`CONDITIONS = {"n is near its bound and most values repeat": lambda text: ...}`);
- a generator `generate(scale, rng) -> str` writing one input that meets them, `scale`
  in (0, 1] growing towards the statement's bounds.

The code is the model's, so it is untrusted: it runs in a sandboxed subprocess
(`_cond_worker.py`: memory limit, no credentials, a time limit per request), never in
perfopt. Its inputs are held to the same rule as every generated input (valid only when
the original program exits 0 within the time limit), and the search rewards reaching the
conditions: an input's score is its cost times 1 + CONDITION_BONUS x the share of
conditions it meets, so between inputs of similar cost the one meeting more conditions
leads the mutation search. A model that fails, times out or writes broken code turns this
off with a note; the stressor goes on without it.
"""

from __future__ import annotations

import json
import select
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perfopt.verify import sandbox
from perfopt.verify.jail import Jail

CONDITION_BONUS = 0.25
REQUEST_TIMEOUT_S = 5.0  # one check or one generate call
MEMORY_MB = 1024
SCALES = (0.125, 0.25, 0.5, 1.0)  # the generator is asked for inputs at these scales


class ConditionRunner:
    """The model's stress code, loaded in a sandboxed worker; every call is bounded by
    REQUEST_TIMEOUT_S and a failure switches the runner off (`error` says why)."""

    def __init__(self, code: str, *, cwd: Path, python: str = sys.executable,
                 jail: Jail | None = None) -> None:
        self.conditions: list[str] = []
        self.error = ""
        worker = Path(__file__).with_name("_cond_worker.py")
        # -I: the model's code sees neither perfopt nor the user's environment variables;
        # `jail`: nor the network, nor anything writable but its own scratch
        self._proc: Any = sandbox.start([python, "-I", str(worker)], cwd=cwd,
                                        memory_mb=MEMORY_MB, jail=jail)
        reply = self._ask({"code": code})
        if reply is not None:
            self.conditions = [str(c) for c in reply.get("conditions", [])]

    @property
    def active(self) -> bool:
        return self._proc is not None

    def _ask(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if self._proc is None:
            return None
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
            ready, _, _ = select.select([self._proc.stdout], [], [], REQUEST_TIMEOUT_S)
            line = self._proc.stdout.readline() if ready else b""
        except (OSError, ValueError) as exc:
            self._fail(f"the stress code's worker stopped: {exc}")
            return None
        if not line:
            self._fail(f"the stress code took over {REQUEST_TIMEOUT_S:g} s or exited")
            return None
        try:
            reply = json.loads(line)
        except ValueError:
            self._fail("the stress code's worker answered garbage")
            return None
        if not reply.get("ok"):
            if "code" in request:
                self._fail(f"the stress code does not load: {reply.get('error')}")
                return None
            return None  # one failing call (a generator that raised at this scale)
        return reply

    def _fail(self, why: str) -> None:
        self.error = why
        self.close()

    def check(self, text: str) -> tuple[bool, ...]:
        """Which conditions `text` meets (all False once the runner is off)."""
        if not self.conditions:
            return ()
        reply = self._ask({"op": "check", "text": text})
        hits = reply.get("hits", []) if reply else []
        return tuple(bool(h) for h in hits) or (False,) * len(self.conditions)

    def generate(self, scale: float, seed: int) -> str | None:
        reply = self._ask({"op": "generate", "scale": scale, "seed": seed})
        text = reply.get("text") if reply else None
        return text if isinstance(text, str) and text.strip() else None

    def close(self) -> None:
        if self._proc is not None:
            sandbox.stop(self._proc)
            self._proc = None

    def __enter__(self) -> ConditionRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def score(cost: float, hits: Sequence[bool]) -> float:
    """What the search maximizes: cost, raised by the share of conditions met."""
    if not hits:
        return cost
    return cost * (1.0 + CONDITION_BONUS * sum(hits) / len(hits))
