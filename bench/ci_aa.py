"""A/A guard for `perfopt ci`'s regression check: the same code at the base and the head.

    .venv/bin/python bench/ci_aa.py --out bench/results/ci_aa.txt     # 50 trials, wall clock
    .venv/bin/python bench/ci_aa.py --trials 5 --metric auto          # a quick check

`perfopt ci` never times a change that is the same code up to comments, docstrings and
formatting, so the A/A has to call the check below that filter: a project (one package,
one function that does real work, tests that call it) is laid out twice, the head a copy
whose function differs from the base's by whitespace and a comment only; the tests run
once on the head with the function wrapped (`commands.ci.capture`, as `perfopt ci` does);
then each trial is one `commands.ci.compare_versions(base, head, ...)`, the same call
`perfopt ci` makes per changed function (bench.measure.measure_all: interleaved workers,
the interval statistics of `optimize`). A trial is flagged when the slowdown interval's
lower bound reaches fail_on_slowdown (1.10, the default). Expected: 0 flagged.
`--metric wall` (default here) makes the noisy clock decide; `auto` lets instruction
counts decide when valgrind is installed (they are exact, so they cannot flag an A/A).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

SOURCE = '''\
def count_known(items, known):
    known_set = set(known)
    return sum(1 for x in items if x in known_set)


def norm(rows):
    out = []
    for r in rows:
        out.append(sorted(r)[len(r) // 2] if r else 0)
    return out
'''
HEAD = SOURCE.replace("    out = []\n", "    out  =  []   # the same code, reformatted\n\n")
TESTS = '''\
from pkg.lookup import norm


def test_norm():
    rows = [[(i * 7919 + j * 104729) % 1000 for j in range(200)] for i in range(200)]
    for _ in range(3):
        assert len(norm(rows)) == 200
'''


def layout(root: Path, source: str) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "aa"\nversion = "0"\n')
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "lookup.py").write_text(source)
    (root / "tests" / "test_lookup.py").write_text(TESTS)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--metric", default="wall", choices=("auto", "wall", "instructions"))
    ap.add_argument("--fail-on-slowdown", type=float, default=1.10)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from perfopt.commands.ci import capture, compare_versions
    from perfopt.discover import discover
    from perfopt.languages.python import get_function, same_code
    from perfopt.models import Target

    assert HEAD != SOURCE and same_code(get_function(SOURCE, "norm"), get_function(HEAD, "norm"))
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    holder = Path(tempfile.mkdtemp(prefix="perfopt-ci-aa-"))
    try:
        base, head = holder / "base" / "aa", holder / "head" / "aa"
        layout(base, SOURCE)
        layout(head, HEAD)
        project = discover(head, {"metric": args.metric})
        target = Target("pkg/lookup.py", "norm")
        suites = capture(head, project, [target], holder / "captures", project.settings)
        suite = suites[target.key]
        say(f"perfopt ci A/A: {args.trials} trials, metric {args.metric}, "
            f"{len(suite.cases)} captured input(s), flag at lower bound >= "
            f"{args.fail_on_slowdown:.2f}")
        flagged, slowdowns, started = 0, [], time.monotonic()
        for i in range(args.trials):
            r = compare_versions(base, head, target, suite, project.settings)
            hit = r.low >= args.fail_on_slowdown
            flagged += hit
            slowdowns.append(r.slowdown)
            say(f"trial {i + 1:3d}: slowdown {r.slowdown:.3f}x [{r.low:.3f}, {r.high:.3f}] "
                f"{r.metric}{'  FLAGGED' if hit else ''}")
        say(f"flagged: {flagged} of {args.trials}; slowdown median "
            f"{statistics.median(slowdowns):.3f}x, min {min(slowdowns):.3f}x, max "
            f"{max(slowdowns):.3f}x; {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(holder, ignore_errors=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    return 0 if flagged == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
