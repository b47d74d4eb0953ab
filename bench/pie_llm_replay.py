"""Replay real model outputs through `perfopt eval pie --engine llm`.

bench/replay_server.py serves the programs OpenAI Codex and CodeGen-16B wrote for PIE-Python
dev pairs (each judged correct and faster by PIE's own tests); this runs the pairs that
have generations through the eval's llm engine against it and prints: generations served,
accepted (correct and >= 1.10x on the stress suite), rejected per gate, and for each
generation rejected for behaviour the input it differs on, with whether the human fast
program agrees with the slow one there (a real bug PIE's tests missed) or not.

    .venv/bin/python bench/pie_llm_replay.py --limit 20 --out /tmp/replay \
        --save bench/results/pie_llm_replay
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_server import PAIRS, ReplayServer, _norm, load  # noqa: E402

MIN_SPEEDUP = 1.10


def _data(folder: Path, keys: set[str], limit: int | None) -> None:
    """pairs.jsonl of the pairs with generations (file order), and problems/ linked."""
    rows = [json.loads(x) for x in PAIRS.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if _norm(r["slow_code"]) in keys]
    # one pair of each problem first, then the second of each, ...: a subset spans problems
    seen: Counter[str] = Counter()
    rank = []
    for r in rows:
        rank.append(seen[r["problem_id"]])
        seen[r["problem_id"]] += 1
    rows = [r for _, _, r in sorted(zip(rank, range(len(rows)), rows, strict=True))][:limit]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    link = folder / "problems"
    if not link.exists():
        link.symlink_to(PAIRS.parent / "problems")


def _run(code: str, data: bytes, folder: Path) -> str:
    src = folder / "prog.py"
    src.write_text(code, encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, str(src)], input=data, capture_output=True,
                              timeout=60, cwd=folder)
    except subprocess.TimeoutExpired:
        return "<timeout>"
    out = proc.stdout.decode("utf-8", "replace")
    return out if proc.returncode == 0 else out + f"<exit {proc.returncode}>"


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()


def _case_input(work: Path, reason: str) -> tuple[str, bytes] | None:
    """The stdin of the case an equivalence reason names, found under the pair's work."""
    # "stress:mutated-1: differs ...", "exit 1 on sample:input.0.txt: ...",
    # "the candidate on stress:mutated-0 ran past its limit ..."
    m = re.search(r"\b(stress|sample):(\S+?):?\s", reason)
    if not m:
        return None
    kind, case = m.groups()
    if kind == "sample":
        found = next(iter((work / "tests").rglob(case)), None)
        if found is not None:
            return f"sample:{case}", found.read_bytes()
        number = re.fullmatch(r"input\.(\d+)\.txt", case)  # the suite's copy: sample-N
        case = f"sample-{number.group(1)}" if number else case
    index = work / "suite" / "cases.json"
    payload = json.loads(index.read_text(encoding="utf-8")).get(case) if index.is_file() else None
    if payload is None:
        return None
    return f"{kind}:{case}", (work / "suite" / payload).read_bytes()


def behaviour(rows: list[dict], out: Path, tmp: Path) -> list[dict]:
    """Each equivalence rejection: the input, and whether the human fast program agrees."""
    found = []
    seen: set[tuple[str, str]] = set()
    tmp.mkdir(parents=True, exist_ok=True)
    for row in rows:
        found_input = _case_input(out / "work" / row["pair_id"], row["reason"])
        entry = {k: row[k] for k in ("pair_id", "model", "pie_speedup", "reason")}
        if found_input is None:
            found.append({**entry, "verdict": "input not found"})
            continue
        case, data = found_input
        started = time.monotonic()
        slow = _run(row["slow_code"], data, tmp)
        slow_s = time.monotonic() - started
        started = time.monotonic()
        gen = _run(row["generated_code"], data, tmp)
        gen_s = time.monotonic() - started
        fast = _run(row["fast_code"], data, tmp)
        timed_out = "ran past its limit" in row["reason"]
        verdict = ("real bug: the human fast program agrees with the slow one"
                   if _same(slow, fast) and not _same(gen, slow) else
                   f"same output, but {gen_s / max(slow_s, 1e-3):.0f}x the slow program's time "
                   f"here ({gen_s:.1f} s against {slow_s:.1f} s): a real slowdown"
                   if timed_out and _same(gen, slow) and gen_s > 3 * slow_s else
                   "outputs agree when whitespace is ignored: a false rejection"
                   if _same(gen, slow) else "the human fast program differs too")
        if len(row["served_for_pair"]) > 1 and _same(gen, slow):
            continue  # the pair's other generation is the one rejected
        key = (row["pair_id"], row["generated_code"])
        if key in seen:
            continue  # both of a pair's candidates rejected: each generation listed once
        seen.add(key)
        found.append({**entry, "case": case, "input": data.decode("utf-8", "replace")[:300],
                      "slow_output": slow[:200], "generated_output": gen[:200],
                      "fast_output": fast[:200], "verdict": verdict})
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None,
                   help="only N pairs: one of each problem first, then the second of each")
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "pie-llm-replay")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--save", type=Path, default=None, help="write SAVE.txt and SAVE.json")
    p.add_argument("--report", action="store_true",
                   help="summarize the pairs finished in --out (a stopped run) and run nothing")
    args = p.parse_args()
    from perfopt.evals.pie import PieOptions, run_pie

    gens = load()
    requests: dict[str, int] = {}
    if not args.report:
        _data(args.out / "data", set(gens), args.limit)
        server = ReplayServer(gens).start()
        options = PieOptions(data=args.out / "data", out_dir=args.out, engine="llm",
                             jobs=args.jobs, reference=False, keep_work=True)
        options = PieOptions(**{**options.__dict__, "settings": options.settings.replace(
            model="pie-replay", base_url=server.base_url, refine_rounds=0, candidates=2,
            cache=False)})
        run_pie(options)
        server.close()
        requests = dict(server.requests)
    summary = summarize(gens, args.out, requests)
    text = render(summary)
    print(text)
    if args.save:
        args.save.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        args.save.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")


def summarize(gens: dict[str, list[dict]], out: Path, requests: dict[str, int]) -> dict:
    """From the per-pair JSON files in `out` (finished pairs only)."""
    by_pair: dict[str, list[dict]] = {}
    for rows_of_program in gens.values():
        for r in rows_of_program:
            by_pair.setdefault(f"{r['problem_id']}_{r['submission_id_v0']}", []).append(r)
    gates: Counter[str] = Counter()
    accepted = served = 0
    won: set[str] = set()  # pairs with a generation accepted at >= MIN_SPEEDUP
    rows, errors, seconds = [], [], 0.0
    finished = sorted((out / "pairs").glob("*.llm.json"))
    for path in finished:
        pair = json.loads(path.read_text(encoding="utf-8"))
        seconds += pair.get("seconds") or 0.0
        if pair["status"] != "ok":
            errors.append(pair["pair_id"])
            continue
        mine = by_pair.get(pair["pair_id"], [])
        served += len(mine)
        for v in pair["verdicts"]:
            if not v["origin"].startswith("llm:"):
                continue
            ok = v["gate"] == "accepted" and (v["speedup"] or 0) >= MIN_SPEEDUP
            accepted += ok
            if ok:
                won.add(pair["pair_id"])
            gates["accepted" if ok else "accepted, below 1.10x" if v["gate"] == "accepted"
                  else v["gate"]] += 1
            if v["gate"] in ("equivalence", "timeout"):
                rows += [{**r, "pair_id": pair["pair_id"], "reason": v["reason"],
                          "served_for_pair": mine} for r in mine]
    return {"pairs": len(finished), "pair_errors": errors, "seconds": round(seconds),
            "generations_served": served, "requests": requests,
            "candidates_judged": sum(gates.values()), "accepted": accepted,
            "pairs_with_own_generations": sum(1 for p in finished if p.name.split(".")[0]
                                              in by_pair),
            "pairs_accepted": len(won),
            "gates": dict(gates), "behaviour": behaviour(rows, out, out / "scratch")}


def render(s: dict) -> str:
    lines = [f"pairs run: {s['pairs']} (errors: {len(s['pair_errors'])}), {s['seconds']} s; "
             f"{s['pairs_with_own_generations']} with generations of their own, the others "
             "share a slow program with one of those (a slow program's generations are served "
             "to every pair it is the slow program of, in turn)",
             f"generations published for the pairs run: {s['generations_served']}"
             + (f"; requests {s['requests']}" if s["requests"] else ""),
             f"candidates judged (a generation served for a pair): {s['candidates_judged']}",
             f"accepted (correct and >= {MIN_SPEEDUP:.2f}x): {s['accepted']}; pairs with an "
             f"accepted generation: {s['pairs_accepted']} of {s['pairs']}"]
    lines += [f"  {gate}: {n}" for gate, n in sorted(s["gates"].items())]
    for b in s["behaviour"]:
        lines.append(f"behaviour rejection {b['pair_id']} ({b['model']}, PIE "
                     f"{b['pie_speedup']:.2f}x): {b['verdict']}")
        if "input" in b:
            lines.append(f"    input {b['case']}: {b['input'][:120]!r}")
            lines.append(f"    slow {b['slow_output'][:60]!r} generated "
                         f"{b['generated_output'][:60]!r} fast {b['fast_output'][:60]!r}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
