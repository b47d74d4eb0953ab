"""PIE evaluation (`perfopt eval pie`): slow/fast program pairs through the program pipeline.

    report = run_pie(PieOptions(data=Path("datasets/pie-dev"), limit=20, engine="offline"))
    print(report.markdown()); report.summary()["pct_opt"]
"""

from perfopt.evals.pie.data import PiePair, load_pairs
from perfopt.evals.pie.metrics import PairResult, PieReport
from perfopt.evals.pie.mutants import Mutant, generate_mutants
from perfopt.evals.pie.runner import ENGINES, PieOptions, evaluate_pair, run_pie

__all__ = [
    "ENGINES",
    "Mutant",
    "PairResult",
    "PieOptions",
    "PiePair",
    "PieReport",
    "evaluate_pair",
    "generate_mutants",
    "load_pairs",
    "run_pie",
]
