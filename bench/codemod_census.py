"""Where perfopt's codemods could fire at all in real code: every function of the real-projects
corpus (bench/real/README.md), and of the other pure-Python sdists cached beside it.

    .venv/bin/python bench/codemod_census.py                 # the corpus's ten packages
    .venv/bin/python bench/codemod_census.py --all           # every cached sdist
    .venv/bin/python bench/codemod_census.py --hotspots bench/results/real_projects/DATE

Each package's own code is read (not its tests, docs, examples or build scripts); every
function definition goes through every Python function codemod (`skills.codemods.apply_all`).
Printed: functions read, functions some codemod rewrites, per codemod; and, given a
real-projects results folder, whether any rewritten function is one of the hotspots that
perfopt optimize reported for that package. A codemod that fires nowhere hot cannot win
on the corpus, whatever the verifier does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from real_projects import CACHE, CORPUS  # noqa: E402

from perfopt.languages.python import definitions, get_function  # noqa: E402
from perfopt.skills.codemods import apply_all  # noqa: E402

NOT_LIBRARY = {"tests", "test", "testing", "docs", "doc", "examples", "examplefiles",
               "benchmarks", "scripts", "tools"}


def library_files(root: Path) -> list[Path]:
    """The package's own .py files: under src/ or a top-level package, tests and docs left out,
    and top-level scripts (setup.py, prebuild.py) too."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if len(rel) < 2 or NOT_LIBRARY.intersection(rel[:-1]) or rel[-1].startswith("test_"):
            continue
        out.append(path)
    return out


def census(root: Path) -> tuple[int, dict[str, list[str]]]:
    """(functions read, {codemod: [file::qualname it rewrites]})."""
    read, hits = 0, {}
    for path in library_files(root):
        try:
            source = path.read_text(encoding="utf-8")
            names = [d.qualname for d in definitions(source) if d.kind in ("function", "method")]
        except Exception:  # noqa: BLE001 - an unparsable file has no functions for us
            continue
        rel = path.relative_to(root).as_posix()
        for name in names:
            read += 1
            try:
                rewrites = apply_all(get_function(source, name))
            except Exception:  # noqa: BLE001 - a codemod's crash is a miss here (and a bug)
                continue
            for skill, _ in rewrites:
                hits.setdefault(skill, []).append(f"{rel}::{name}")
    return read, hits


def hotspots_of(results: Path | None, name: str) -> set[str]:
    if results is None:
        return set()
    report = results / f"{name}.optimize.json"
    if not report.is_file():
        return set()
    data = json.loads(report.read_text())
    return {f"{h['target']['file']}::{h['target']['qualname']}" for h in data.get("hotspots", [])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hotspots", type=Path, default=None,
                    help="a real-projects results folder (its <name>.optimize.json reports)")
    ap.add_argument("--all", action="store_true",
                    help="every sdist in the cache, not only the corpus's")
    args = ap.parse_args(argv)
    corpus = {f"{p.name.replace('-', '_')}-{p.version}".lower(): p.name for p in CORPUS}
    sdists = sorted(a for a in (CACHE / "sdists").glob("*.tar.gz")
                    if args.all or a.name[: -len(".tar.gz")].lower() in corpus)
    if not sdists:
        print(f"no sdists in {CACHE / 'sdists'}: run bench/real_projects.py --tests-only first")
        return 1
    total_read = total_hit = hot_hit = 0
    per_codemod: Counter[str] = Counter()
    print(f"{'package':34} {'functions':>9} {'rewritten':>9} {'in hotspots':>11}  codemods")
    with tempfile.TemporaryDirectory() as tmp:
        for archive in sdists:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            stem = archive.name[: -len(".tar.gz")]
            root = Path(tmp) / stem
            read, hits = census(root)
            name = corpus.get(stem.lower())
            hot = hotspots_of(args.hotspots, name) if name else set()
            funcs = {f for found in hits.values() for f in found}
            in_hot = funcs & hot
            total_read += read
            total_hit += len(funcs)
            hot_hit += len(in_hot)
            per_codemod.update({k: len(v) for k, v in hits.items()})
            label = stem + (" (corpus)" if name else "")
            shown = ", ".join(f"{k} {len(v)}" for k, v in sorted(hits.items()))
            hot_col = str(len(in_hot)) if name and args.hotspots else "-"
            print(f"{label:34} {read:9d} {len(funcs):9d} {hot_col:>11}  {shown}")
    print(f"\ntotal: {total_read} functions in {len(sdists)} packages, {total_hit} rewritten "
          f"by some codemod ({total_hit / max(total_read, 1):.1%}), {hot_hit} of them hotspots")
    print("per codemod: " + ", ".join(f"{k} {v}" for k, v in per_codemod.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
