"""The `offline` and `llm` engines: an adapter that turns an instance into a repository
target (perfopt.targets.repository) and drives the one loop (perfopt.pipeline) on it.

The loop profiles the workload, ranks the repository's hotspots, offers codemods (and with
`llm`, the model's rewrites, refined on rejection) and judges each in a copy of the tree:
guards, PASS_TO_PASS, workload timing through the critic; the accepted rewrites, combined,
are the engine's patch.

Everything found along the way goes into `notes`, including whether the hotspots reached
the functions the expert changed: that is what explains an SR far below 1.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.evals.swefficiency.instances import Instance


@dataclass(frozen=True)
class Proposal:
    patch: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class AdapterContext:
    python: str  # the instance venv's interpreter
    work: Path  # scratch folder of this instance
    settings: Settings  # profiler, top, min_speedup, confidence, timeout_s, model...
    use_llm: bool = False


def expert_functions(patch: str) -> list[str]:
    """`file::function` for every hunk of a diff, from the hunk headers' context."""
    out: list[str] = []
    current = ""
    for line in patch.splitlines():
        if line.startswith("+++ "):
            current = line[4:].strip().removeprefix("b/")
        match = re.match(r"@@ [^@]+ @@\s*(?:async\s+)?(?:def|class)\s+(\w+)", line)
        if match and f"{current}::{match.group(1)}" not in out:
            out.append(f"{current}::{match.group(1)}")
    return out


def make_diff(pre: Path, sources: dict[str, str]) -> str:
    parts: list[str] = []
    for rel, new in sorted(sources.items()):
        old = (pre / rel).read_text(encoding="utf-8")
        parts += difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                      f"a/{rel}", f"b/{rel}")
    return "".join(parts)


def propose(instance: Instance, pre: Path, ctx: AdapterContext) -> Proposal:
    """The loop on the instance's repository: its hot functions, the codemods' and (with
    `use_llm`) the model's rewrites, judged by the guards, PASS_TO_PASS and the workload's
    timing; the accepted ones, combined, are the engine's patch."""
    from perfopt.events import Silent
    from perfopt.generate import make_generator
    from perfopt.pipeline import Job, RunOptions, run
    from perfopt.targets.repository import RepositoryKind

    notes: list[str] = []
    note = notes.append
    expert = expert_functions(instance.patch)
    note("expert patch changes: " + (", ".join(expert) or "(no function context in hunks)"))
    model = make_generator(ctx.settings, ctx.work, note) if ctx.use_llm else None
    if ctx.use_llm and model is None:
        note("llm: no model configured (--model / PERFOPT_MODEL); codemods only")
    kind = RepositoryKind(pre, ctx.python, instance.workload, instance.package,
                          instance.pass_to_pass, ctx.work)
    events = Silent()
    result = run(Job(kind, ctx.settings, str(pre), model=model), RunOptions(), events)
    notes += [text for what, text in events.log if what in ("note", "warn")]
    keys = [h.target.key for h in result.hotspots]
    reached = [e for e in expert if any(k.startswith(e.split("::")[0]) and
                                        k.rsplit(".", 1)[-1].endswith(e.split("::")[1])
                                        for k in keys)]
    note("hotspots include the expert's functions: " + (", ".join(reached) or "none"))
    for r in result.results:
        note(f"{r.candidate.target.key}: {r.candidate.origin}: {r.verdict.gate}: "
             f"{r.verdict.reason[:200]}")
    accepted = {r.candidate.target.file for r in result.results if r.verdict.accepted}
    note(f"accepted rewrites in {len(accepted)} file(s)" if result.patch
         else "no rewrite accepted")
    if not reached:
        note(f"why: the expert's function(s) were not among the top {ctx.settings.top} hotspots")
    elif not any(e.split("::")[0] in accepted for e in reached):
        note("why: the profile reached the expert's function(s), but no candidate for them "
             "passed (with no model, only the codemod library's rewrites are tried)")
    return Proposal(result.patch, tuple(notes))
