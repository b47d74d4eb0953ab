import json
import sys
from pathlib import Path

import pytest

from perfopt.bench.workload import run_samples, strip_harness, time_trees

SYMPY = Path(__file__).resolve().parents[2] / "datasets" / "swefficiency" / "sympy"

# The cache fills during workload(); a forked child per repetition means it never carries
# over, so every repetition pays the same (long) first call.
TOY_WORKLOAD = """\
import timeit
import statistics
from toypkg import slow

def setup():
    pass

def workload():
    slow()

runtimes = timeit.repeat(workload, number=1, repeat=3, setup=setup)
print("Mean:", statistics.mean(runtimes))
"""

TOY_PKG = """\
import time
_CACHE = []

def slow():
    if not _CACHE:
        time.sleep(DELAY)
        _CACHE.append(1)
"""


def _tree(tmp_path: Path, name: str, delay: float) -> Path:
    pkg = tmp_path / name / "toypkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"DELAY = {delay}\n" + TOY_PKG)
    return tmp_path / name


@pytest.mark.parametrize("name", sorted(p.name for p in SYMPY.glob("*.json")))
def test_strip_harness_keeps_definitions_and_drops_timing(name):
    source = json.loads((SYMPY / name).read_text())["workload"]
    stripped, repeat = strip_harness(source)
    assert "timeit.repeat(" not in stripped and "print(\"Mean:" not in stripped
    assert "def workload" in stripped and "def setup" in stripped
    assert repeat in (5, 10, 20)
    assert len(stripped.splitlines()) == len(source.splitlines())  # line numbers kept
    compile(stripped, name, "exec")


def test_strip_harness_from_import_alias():
    src = "from timeit import repeat as r\ndef setup(): pass\ndef workload(): pass\n" \
          "xs = r(workload, number=1, repeat=4)\nprint(min(xs))\nKEEP = 1\n"
    stripped, repeat = strip_harness(src)
    assert repeat == 4 and "KEEP = 1" in stripped and "print" not in stripped


def test_forked_repetitions_do_not_share_caches(tmp_path):
    tree = _tree(tmp_path, "pre", 0.05)
    wl = tmp_path / "w.py"
    wl.write_text(strip_harness(TOY_WORKLOAD)[0])
    got = run_samples(sys.executable, tree, wl, 4, package="toypkg", name="pre",
                      timeout_s=60, memory_mb=None)
    assert got.ok, got.errors
    assert len(got.samples) == 4
    assert min(got.samples) >= 0.045  # each child slept: the cache did not carry over
    assert got.module_file is not None and str(tree) in got.module_file


def test_time_trees_interleaves_and_tells_trees_apart(tmp_path):
    trees = {"pre": _tree(tmp_path, "pre", 0.06), "patched": _tree(tmp_path, "fast", 0.0)}
    got = time_trees(sys.executable, trees, TOY_WORKLOAD, tmp_path / "t", package="toypkg",
                     repetitions=4, rounds=2, timeout_s=60)
    assert len(got["pre"].samples) == 4 and len(got["patched"].samples) == 4
    assert got["pre"].mean > 0.05 > 3 * got["patched"].mean


def test_workload_error_is_reported(tmp_path):
    tree = _tree(tmp_path, "pre", 0.0)
    got = time_trees(sys.executable, {"pre": tree}, "def setup(): pass\n"
                     "def workload(): raise ValueError('bad input')\n", tmp_path / "t",
                     package="toypkg", repetitions=2, timeout_s=60)
    assert not got["pre"].ok and "ValueError: bad input" in got["pre"].errors[0]
