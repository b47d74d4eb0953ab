"""The `offline` and `llm` engines: perfopt's own loop on an instance's repository.

profile the workload (perfopt.profilers) -> rank the repository's hotspots -> candidates for
each hotspot function (deterministic codemods; with `llm`, also model candidates) -> verify
each in a copy of the tree: guards, PASS_TO_PASS, workload timing whose speedup CI must
clear `min_speedup` -> the accepted rewrites, combined, are the engine's patch.

Everything found along the way goes into `notes`, including whether the hotspots reached
the functions the expert changed: that is what explains an SR far below 1.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.evals.swefficiency import guards, timing, workspace
from perfopt.evals.swefficiency.instances import Instance
from perfopt.evals.swefficiency.passtests import run_pass_to_pass
from perfopt.models import Target, Workload

PROFILE_LOOP = """

def _perfopt_profile_loop(seconds=3.0, most=50):
    import time
    start, runs = time.time(), 0
    while runs < 1 or (time.time() - start < seconds and runs < most):
        setup()
        workload()
        runs += 1


_perfopt_profile_loop()
"""
PROBE_REPETITIONS = 6  # per side, when timing a candidate during the search


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
    parts = []
    for rel, new in sorted(sources.items()):
        old = (pre / rel).read_text(encoding="utf-8")
        parts += difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                      f"a/{rel}", f"b/{rel}")
    return "".join(parts)


def _profile(instance: Instance, pre: Path, ctx: AdapterContext, note: Callable[[str], None]):
    from perfopt import profilers
    from perfopt.verify.sandbox import scrubbed_env

    stripped, _ = timing.strip_harness(instance.workload)
    driver = ctx.work / "profile_driver.py"
    driver.parent.mkdir(parents=True, exist_ok=True)
    # Repeat the workload for a few seconds (at least once) so that it, not the package's
    # import, owns most samples: sympy's import alone is ~1 s of a 0.3 s workload's profile.
    driver.write_text(stripped + PROFILE_LOOP, encoding="utf-8")
    command = f"{shlex.quote(ctx.python)} {shlex.quote(str(driver))}"
    env = scrubbed_env({"PYTHONPATH": str(pre)})
    prof = profilers.profile(pre, Workload(kind="command", command=command), ctx.settings,
                             python=ctx.python, env=env, console_note=note)
    if not prof.ok:
        note(f"profiling run failed (exit {prof.returncode}): {prof.output_tail[-300:]}")
    hotspots = profilers.rank_hotspots(prof, pre, ctx.settings, limit=ctx.settings.top)
    note(f"profile: {prof.profiler}, {prof.samples} samples, {prof.wall_s:.1f} s; hotspots: "
         + ", ".join(f"{h.target.key} ({h.self_share:.0%})" for h in hotspots))
    return hotspots


def _candidates(target: Target, def_source: str, ctx: AdapterContext,
                note: Callable[[str], None]) -> list[tuple[str, str]]:
    from perfopt.skills.codemods import apply_all

    found = apply_all(def_source)
    if not ctx.use_llm:
        return found
    from perfopt.llm import LLMClient, LLMError, ModelConfig, PromptContext, generate

    config = ModelConfig.from_settings(ctx.settings, ctx.work)
    if config is None:
        note("llm: no model configured (--model / PERFOPT_MODEL); codemods only")
        return found
    client = LLMClient(config)
    try:
        cands = generate(target, def_source, PromptContext(target.file, target.qualname), client)
    except LLMError as exc:
        note(f"llm: {target.key}: {exc}")
        return found
    return found + [(c.origin, c.source) for c in cands]


def propose(instance: Instance, pre: Path, ctx: AdapterContext) -> Proposal:
    from perfopt.bench.stats import speedup_ci
    from perfopt.languages import python as pylang

    notes: list[str] = []
    note = notes.append
    expert = expert_functions(instance.patch)
    note("expert patch changes: " + (", ".join(expert) or "(no function context in hunks)"))
    hotspots = _profile(instance, pre, ctx, note)
    keys = [h.target.key for h in hotspots]
    reached = [e for e in expert if any(k.startswith(e.split("::")[0]) and
                                        k.rsplit(".", 1)[-1].endswith(e.split("::")[1])
                                        for k in keys)]
    note("hotspots include the expert's functions: " + (", ".join(reached) or "none"))
    accepted: dict[str, str] = {}  # file -> its current accepted source
    for h in hotspots:
        if h.target.qualname is None:
            continue
        rel = h.target.file
        source = accepted.get(rel) or (pre / rel).read_text(encoding="utf-8")
        try:
            def_source = pylang.get_function(source, h.target.qualname)
        except Exception as exc:  # noqa: BLE001 - a hotspot we cannot parse is skipped, noted
            note(f"{h.target.key}: cannot read the definition ({exc})")
            continue
        cands = _candidates(h.target, def_source, ctx, note)
        if not cands:
            note(f"{h.target.key}: no codemod applies")
            continue
        for origin, new_def in cands:
            verdict = _verify(instance, pre, rel, pylang.replace_function(
                source, h.target.qualname, new_def), ctx, speedup_ci)
            note(f"{h.target.key}: {origin}: {verdict[1]}")
            if verdict[0]:
                accepted[rel] = pylang.replace_function(source, h.target.qualname, new_def)
                break
    patch = make_diff(pre, accepted) if accepted else ""
    note(f"accepted {len(accepted)} rewrite(s)" if accepted else "no rewrite accepted")
    if not reached:
        note(f"why: the expert's function(s) were not among the top {ctx.settings.top} hotspots")
    elif not any(e.split("::")[0] in accepted for e in reached):
        note("why: the profile reached the expert's function(s), but no candidate for them "
             "passed (with no model, only the codemod library's rewrites are tried)")
    return Proposal(patch, tuple(notes))


def _verify(instance: Instance, pre: Path, rel: str, new_source: str, ctx: AdapterContext,
            speedup_ci: Callable) -> tuple[bool, str]:
    """(accepted?, why) for one rewritten file, checked in a scratch copy of the tree."""
    diff = make_diff(pre, {rel: new_source})
    found = guards.check_patch(diff, {rel: new_source})
    if not found.ok:
        return False, f"guard: {found.reason}"
    cand = workspace.copy_tree(pre, ctx.work / "candidate")
    (cand / rel).write_text(new_source, encoding="utf-8")
    s = ctx.settings
    tests = run_pass_to_pass(ctx.python, cand, instance.pass_to_pass, timeout_s=s.timeout_s,
                             memory_mb=s.memory_mb)
    if not tests.passed:
        return False, f"PASS_TO_PASS failed: {tests.summary}"
    got = timing.time_trees(ctx.python, {"pre": pre, "cand": cand}, instance.workload,
                            ctx.work / "probe", package=instance.package,
                            repetitions=PROBE_REPETITIONS, rounds=2, timeout_s=s.timeout_s,
                            memory_mb=s.memory_mb)
    if not (got["pre"].ok and got["cand"].ok):
        return False, "timing failed: " + "; ".join(got["pre"].errors + got["cand"].errors)
    point, low, high = speedup_ci(got["pre"].samples, got["cand"].samples, s.confidence)
    text = f"speedup {point:.3f}x [{low:.3f}, {high:.3f}]"
    if low >= s.min_speedup:
        return True, f"accepted: {text}"
    return False, f"not faster enough: {text} (CI low must reach {s.min_speedup})"
