"""Retrieval recall@k on the labelled PIE pairs (datasets/skills-labelled/pie_labels.jsonl).

For each labelled pair, rank skills on the SLOW program only (retrieval never sees the fast
program or the labels) and count a hit when any labelled skill id is in the top k.

    .venv/bin/python bench/skills_recall.py [--k 5] [--pairs PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "datasets" / "skills-labelled" / "pie_labels.jsonl"
PAIRS = ROOT / "datasets" / "pie-dev" / "pairs.jsonl"  # copy of shared PIE dev pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from perfopt.skills.retrieval import plan, rank

    slow = {}
    for line in args.pairs.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        slow[(row["submission_id_v0"], row["submission_id_v1"])] = row["slow_code"]
    labels = [json.loads(x) for x in args.labels.read_text(encoding="utf-8").splitlines() if x]
    hits_rank = hits_plan = 0
    for item in labels:
        code = slow[(item["submission_id_v0"], item["submission_id_v1"])]
        top = [r.skill.id for r in rank(code, "python", k=args.k)]
        planned = [s.id for s in plan(code, None, "python", k=args.k)]
        ok = bool(set(item["skill_ids"]) & set(top))
        hits_rank += ok
        hits_plan += bool(set(item["skill_ids"]) & set(planned))
        if args.verbose:
            mark = "HIT " if ok else "miss"
            print(f"{mark} {item['problem_id']} want={item['skill_ids']} top={top}")
    n = len(labels)
    print(f"pairs: {n}")
    print(f"recall@{args.k} (rank): {hits_rank}/{n} = {hits_rank / n:.1%}")
    print(f"recall@{args.k} (plan): {hits_plan}/{n} = {hits_plan / n:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
