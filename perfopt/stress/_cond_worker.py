"""Runs a model's stress code (conditions and an input generator) outside perfopt.

Standard library only; started by `perfopt.stress.conditions.ConditionRunner` in a sandbox
(time and memory limits, no credentials in its environment). Line protocol on stdin/stdout,
one JSON object per line:

    -> {"code": "..."}                        <- {"ok": true, "conditions": ["...", ...]}
    -> {"op": "check", "text": "..."}         <- {"ok": true, "hits": [true, false, ...]}
    -> {"op": "generate", "scale": 0.5, "seed": 7}   <- {"ok": true, "text": "..."}

The code must define `generate(scale, rng) -> str` and may define `CONDITIONS`, a dict of
description -> predicate over the input text. Any exception answers {"ok": false, "error"}.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from typing import TextIO

MAX_TEXT = 64 * 1024 * 1024  # a generated input larger than this is refused


def _reply(protocol: TextIO, value: dict) -> None:
    protocol.write(json.dumps(value) + "\n")
    protocol.flush()


def main() -> None:
    namespace: dict = {"__name__": "perfopt_stress_code"}
    conditions: list[tuple[str, Callable[[str], object]]] = []
    protocol = sys.stdout
    sys.stdout = sys.stderr  # what the model's code prints must not break the protocol
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if "code" in request:
                exec(compile(request["code"], "<model stress code>", "exec"), namespace)  # noqa: S102
                if not callable(namespace.get("generate")):
                    raise ValueError("the code defines no generate(scale, rng)")
                found = namespace.get("CONDITIONS") or {}
                conditions = [(str(k), v) for k, v in dict(found).items() if callable(v)]
                _reply(protocol, {"ok": True, "conditions": [name for name, _ in conditions]})
            elif request.get("op") == "check":
                text = request["text"]
                hits = []
                for _, predicate in conditions:
                    try:
                        hits.append(bool(predicate(text)))
                    except Exception:  # noqa: BLE001 - a failing predicate is not met
                        hits.append(False)
                _reply(protocol, {"ok": True, "hits": hits})
            elif request.get("op") == "generate":
                rng = random.Random(int(request.get("seed", 0)))
                scale = min(1.0, max(0.0, float(request.get("scale", 1.0))))
                text = namespace["generate"](scale, rng)
                if not isinstance(text, str):
                    raise TypeError(f"generate returned {type(text).__name__}, not str")
                if len(text) > MAX_TEXT:
                    raise ValueError(f"generated input of {len(text)} characters")
                _reply(protocol, {"ok": True, "text": text if text.endswith("\n") else text + "\n"})
            else:
                raise ValueError(f"unknown request {sorted(request)}")
        except Exception as exc:  # noqa: BLE001 - the model's code may raise anything
            _reply(protocol, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]})


if __name__ == "__main__":
    main()
