"""The SWE-fficiency harness: rebuild instances, run an engine, time, test, guard and score.

    from perfopt.evals.swefficiency import EvalOptions, run_eval
    report = run_eval(EvalOptions(instances=Path("datasets/swefficiency/sympy"), engine="expert"))
    report.suite.harmonic, report.markdown_path

See runner.py for the per-instance flow and scoring.py for the metrics.
"""

from perfopt.evals.swefficiency.runner import ENGINES, EvalOptions, EvalReport, run_eval

__all__ = ["ENGINES", "EvalOptions", "EvalReport", "run_eval"]
