"""Whole-program targets: a Python script or a C++ program that reads stdin (the PIE case).

    built = build(source, "cpp", folder, "prog", ProgramOptions())      # programs.build
    baseline = prepare_baseline(prog, "cpp", suite, samples_dir, settings, workdir)
    result = verify_program(prog, new_source, "cpp", suite, samples_dir, settings,
                            baseline=baseline)                          # -> CandidateResult
    run = optimize_program(prog, inputs_dir, settings)                  # -> RunResult

Gates: unchanged -> compile -> equivalence (samples vs expected outputs, stress inputs vs
the original's outputs; token by token, floats within 1e-6) -> benchmark (interleaved
fresh-process runs, speedup CI; exact instruction counts for C++ under valgrind).
"""

from perfopt.programs.build import BuildError, Built, ProgramOptions, build, language_of
from perfopt.programs.cases import Baseline, Case, prepare_baseline
from perfopt.programs.optimize import optimize_program
from perfopt.programs.outputs import first_difference, same_token
from perfopt.programs.verify import (
    ProgramVerification,
    check_candidate,
    verify_detailed,
    verify_program,
)

__all__ = [
    "Baseline",
    "BuildError",
    "Built",
    "Case",
    "ProgramOptions",
    "ProgramVerification",
    "build",
    "check_candidate",
    "first_difference",
    "language_of",
    "optimize_program",
    "prepare_baseline",
    "same_token",
    "verify_detailed",
    "verify_program",
]
