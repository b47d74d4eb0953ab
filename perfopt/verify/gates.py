"""The gate chain, once for every target kind: the first gate a candidate fails names its
verdict.

    unchanged   the same code as the original, up to formatting (never timed, never kept)
    parse       the candidate does not fit where the original was
    compile     the file does not compile / the program does not build
    guard       a Python candidate that tampers with the proof: the clock, the interpreter,
                perfopt's verifier (perfopt.verify.tamper; static, before anything runs)
    equivalence a different outcome on some recorded input (or a timeout there)
    tests       the project's tests fail with it
    benchmark   not measured faster: the critic's decision on the kind's clock

The kind (perfopt.targets) does each step its own way; this module only orders them and
turns their answers into a `CandidateResult`.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from perfopt.bench import critic
from perfopt.bench.timing import BenchFailed
from perfopt.languages import get_language
from perfopt.models import Candidate, CandidateResult, Verdict
from perfopt.targets.base import Rejected, Session, Work
from perfopt.verify import tamper
from perfopt.verify.tests import NO_TESTS_REASON


def judge(session: Session, work: Work, baseline: Any, candidate: Candidate) -> CandidateResult:
    """The verdict on `candidate` for `work`, against the original's recorded `baseline`."""
    language = get_language(work.target.language)
    if language.same_code(work.code, candidate.source):
        return CandidateResult(candidate, Verdict.reject(
            "unchanged", "candidate is the original code (modulo formatting)"))
    with ExitStack() as stack:
        try:
            tree = stack.enter_context(session.replace(work, candidate))
        except Rejected as exc:
            return CandidateResult(candidate, Verdict.reject(exc.gate, exc.reason),
                                   diff=exc.diff)
        tampered = _tampered(session, work, candidate)
        if tampered is not None:
            return CandidateResult(candidate, tampered, diff=tree.diff)
        verdict = session.compare(tree, baseline)
        if not verdict.accepted:
            return CandidateResult(candidate, verdict, diff=tree.diff)
        tests = session.tests(tree)
        if tests is not None and not tests.accepted:
            return CandidateResult(candidate, tests, diff=tree.diff)
        try:
            measurements = session.measure(tree, baseline)
        except BenchFailed as exc:
            return CandidateResult(candidate, Verdict.reject(exc.gate, exc.reason),
                                   diff=tree.diff)
        verdict = critic.accept(measurements, critic.policy_from_settings(session.settings))
        if tests is not None and tests.reason == NO_TESTS_REASON:
            verdict = Verdict(verdict.accepted, verdict.gate,
                              verdict.reason + " (the project collected no tests)")
        return CandidateResult(candidate, verdict, tuple(measurements), diff=tree.diff)
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def _tampered(session: Session, work: Work, candidate: Candidate) -> Verdict | None:
    """The guard gate: a Python candidate's source checked before it runs. A function is
    placed in its module, whose imports resolve its names; a whole program stands alone."""
    if work.target.language != "python":
        return None
    function = work.target.qualname is not None
    found = tamper.check(candidate.source, original=work.code,
                         context=session.original_text(work.target.file) if function else "",
                         whole_program=not function)
    return Verdict.reject("guard", tamper.describe(found)) if found else None
