"""Per-pair outcomes of a PIE run and the figures the literature reports.

A pair is *optimized* (%Opt) when a candidate was accepted (correct on every input,
significantly faster) with speedup >= 1.10; a pair is *correct* when some candidate
passed equivalence. An incorrect or absent result counts as speedup 1.0 (perfopt keeps
the original). SR (speedup recovered) = achieved / the human reference's, per pair.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

OPT_THRESHOLD = 1.10


@dataclass(frozen=True)
class PairResult:
    pair_id: str
    problem_id: str
    language: str
    engine: str
    status: str = "ok"  # "ok" | "error" | "skipped"
    error: str = ""
    candidates: int = 0
    accepted: int = 0
    correct: bool = False  # some candidate passed equivalence
    speedup: float = 1.0  # best accepted candidate's deciding speedup, else 1.0
    best_origin: str = ""
    reference_speedup: float | None = None  # human fast program, measured the same way
    reference_ci: tuple[float, float] | None = None
    reference_accepted: bool | None = None
    reference_gate: str = ""
    reference_reason: str = ""
    gates: dict[str, int] = field(default_factory=dict)  # verdict gate -> candidates
    mutants_kept: int = 0  # behaviour-changing mutants verified
    mutants_equivalent: int = 0  # same outputs as the fast program everywhere: excluded
    mutants_invalid: int = 0  # did not compile
    mutants_accepted: int = 0  # must stay 0
    stress_cases: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    verdicts: tuple[dict, ...] = ()  # origin, gate, reason, speedup, ci per candidate

    @property
    def optimized(self) -> bool:
        return self.accepted > 0 and self.speedup >= OPT_THRESHOLD


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


@dataclass(frozen=True)
class PieReport:
    engine: str
    pairs: tuple[PairResult, ...]
    seconds: float = 0.0

    def summary(self) -> dict[str, float | int]:
        done = [p for p in self.pairs if p.status == "ok"]
        n = len(done)
        speedups = [p.speedup for p in done]
        refs = [p for p in done if p.reference_speedup is not None]
        ref_speedups = [p.reference_speedup for p in refs if p.reference_speedup is not None]
        real = [p for p in refs if (p.reference_speedup or 0.0) >= OPT_THRESHOLD]
        # the same, and significantly faster at all (CI above 1.0): noise on a loaded
        # machine puts many 1.0x pairs above 1.10 by chance
        sig = [p for p in real if p.reference_ci is not None and p.reference_ci[0] > 1.0]
        ratios = [p.speedup / p.reference_speedup for p in refs
                  if p.reference_speedup is not None and p.reference_speedup > 0]
        out: dict[str, float | int] = {
            "pairs": len(self.pairs),
            "evaluated": n,
            "errors": sum(p.status == "error" for p in self.pairs),
            "pct_opt": 100.0 * sum(p.optimized for p in done) / n if n else math.nan,
            "pct_correct": 100.0 * sum(p.correct for p in done) / n if n else math.nan,
            "mean_speedup": statistics.fmean(speedups) if speedups else math.nan,
            "geomean_speedup": _geomean(speedups),
            "reference_measured": len(refs),
            "reference_mean_speedup": statistics.fmean(ref_speedups) if refs else math.nan,
            "reference_geomean_speedup": _geomean(ref_speedups),
            "reference_real": len(real),  # human speedup >= 1.10x on the stress suite
            "reference_accepted_of_real": sum(bool(p.reference_accepted) for p in real),
            "reference_real_significant": len(sig),
            "reference_accepted_of_real_significant": sum(bool(p.reference_accepted)
                                                          for p in sig),
            "reference_rejected_equivalence": sum(p.reference_gate == "equivalence"
                                                  for p in done),
            "sr_mean": statistics.fmean(ratios) if ratios else math.nan,
            "candidates": sum(p.candidates for p in done),
            "accepted": sum(p.accepted for p in done),
            "seconds": round(self.seconds, 1),
        }
        if real:
            out["reference_recall_pct"] = 100.0 * out["reference_accepted_of_real"] / len(real)
        if any(p.mutants_kept or p.mutants_equivalent for p in done):
            out["mutants_kept"] = sum(p.mutants_kept for p in done)
            out["mutants_accepted"] = sum(p.mutants_accepted for p in done)
            out["mutants_equivalent"] = sum(p.mutants_equivalent for p in done)
            out["mutants_invalid"] = sum(p.mutants_invalid for p in done)
        return out

    def markdown(self) -> str:
        s = self.summary()
        lines = [f"# PIE evaluation: engine `{self.engine}`", "",
                 "| metric | value |", "| --- | --- |"]
        for key, value in s.items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            lines.append(f"| {key} | {shown} |")
        lines += ["", "| pair | lang | cands | accepted | speedup | reference | ref gate | note |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for p in self.pairs:
            ref = f"{p.reference_speedup:.2f}x" if p.reference_speedup is not None else "-"
            note = p.error or (f"mutants {p.mutants_kept} kept / {p.mutants_accepted} accepted"
                               if p.mutants_kept else p.best_origin)
            lines.append(f"| {p.pair_id} | {p.language} | {p.candidates} | {p.accepted} | "
                         f"{p.speedup:.2f}x | {ref} | {p.reference_gate or '-'} | "
                         f"{note[:60].replace('|', '/')} |")
        return "\n".join(lines) + "\n"
