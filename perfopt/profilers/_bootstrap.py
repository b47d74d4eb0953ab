"""A throw-away `sitecustomize.py` that runs some perfopt code at the start of every
Python process of a workload (shell commands may start several), then hands over to the
project's or the environment's own sitecustomize, which ours would otherwise shadow."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_CHAIN = '''
# Hand over to the sitecustomize this one shadows, if there is one.
def _perfopt_chain():
    import os as _os
    import sys as _sys
    here = _os.path.dirname(_os.path.abspath(__file__))
    saved = list(_sys.path)
    mine = _sys.modules.pop("sitecustomize", None)
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != here]
    try:
        import sitecustomize  # noqa: F401
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
        if mine is not None:
            _sys.modules["sitecustomize"] = mine
    finally:
        _sys.path[:] = saved


_perfopt_chain()
del _perfopt_chain
'''


def write_bootstrap(folder: Path, body: str) -> Path:
    """Write `folder/sitecustomize.py` running `body` first; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(body.rstrip() + "\n\n" + _CHAIN, encoding="utf-8")
    return folder


def with_pythonpath(env: Mapping[str, str], folder: Path) -> dict[str, str]:
    """`env` with `folder` first on PYTHONPATH (the project's own entries kept after it)."""
    out = dict(env)
    old = out.get("PYTHONPATH", "")
    out["PYTHONPATH"] = str(folder) + (os.pathsep + old if old else "")
    return out
