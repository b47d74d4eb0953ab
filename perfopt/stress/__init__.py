"""Stress inputs: per target, the inputs that make its slow paths hurt (`StressSuite`).

A suite is a folder: `suite.json` (the `StressSuite` value) beside the payload files its
cases name (pickled `{"args", "kwargs"}` for functions, stdin bytes for programs).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from perfopt import jsonout
from perfopt.errors import UserError
from perfopt.models import StressSuite, from_dict, to_dict
from perfopt.stress.captured import build_suite

SUITE_FILE = "suite.json"

__all__ = [
    "SUITE_FILE",
    "FunctionStressOptions",
    "ProgramStressOptions",
    "build_suite",
    "fit_exponent",
    "is_superlinear",
    "load_suite",
    "save_suite",
    "stress_function",
    "stress_program",
]


def __getattr__(name: str):
    # The generators import numpy/scipy-heavy helpers: load them only when asked for.
    if name in ("stress_function", "FunctionStressOptions"):
        from perfopt.stress import functions

        return getattr(functions, name)
    if name in ("stress_program", "ProgramStressOptions"):
        from perfopt.stress import programs

        return getattr(programs, name)
    if name in ("fit_exponent", "is_superlinear"):
        from perfopt.stress import sweep

        return getattr(sweep, name)
    raise AttributeError(name)


def save_suite(suite: StressSuite, folder: Path) -> StressSuite:
    """Write `suite` to `folder/suite.json`, copying its payloads there if they live
    elsewhere; returns the suite as saved (its `folder` set to `folder`)."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(suite.folder).resolve() if suite.folder else folder
    if source != folder:
        for case in suite.cases:
            dest = folder / case.payload
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / case.payload, dest)
    saved = replace(suite, folder=str(folder))
    data = to_dict(saved)
    data["folder"] = ""  # the folder is wherever suite.json is; keep the file movable
    (folder / SUITE_FILE).write_text(jsonout.dumps(data, indent=2), encoding="utf-8")
    return saved


def load_suite(folder: Path) -> StressSuite:
    folder = Path(folder).resolve()
    try:
        data = json.loads((folder / SUITE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {folder / SUITE_FILE}: {exc}; re-run perfopt stress") from exc
    suite = from_dict(StressSuite, data)
    missing = [c.payload for c in suite.cases if not (folder / c.payload).is_file()]
    if missing:
        raise UserError(f"{folder} lacks payload files {', '.join(missing[:3])}; re-run stress")
    return replace(suite, folder=str(folder))
