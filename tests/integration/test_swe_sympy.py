"""The SWE-fficiency harness end to end on sympy__sympy-14772 (sympy 1.2 sdist from PyPI,
CPython 3.6 venv): the expert patch reproduces a > 100x speedup with PASS_TO_PASS passing,
and a planted `sys._getframe` patch is rejected by the guard. Minutes on first run (download,
venv); the tree and venv are cached under ~/.cache/perfopt/swe-test-work afterwards."""

import socket
import sys
from pathlib import Path

import pytest

from perfopt.evals.swefficiency import EvalOptions, run_eval
from perfopt.evals.swefficiency.instances import load_instances
from perfopt.evals.swefficiency.venvs import pyenv_pythons
from perfopt.evals.swefficiency.workspace import default_cache

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "datasets" / "swefficiency" / "sympy"
ID = "sympy__sympy-14772"
WORK = Path.home() / ".cache" / "perfopt" / "swe-test-work"


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


def _skip_reason() -> str | None:
    inst = load_instances(DATA, (ID,))[0]
    sdist_cached = (default_cache() / inst.sdist.sdist_file).is_file()
    if not sdist_cached and not _pypi_reachable():
        return "no network to PyPI and the sympy 1.2 sdist is not in ~/.cache/perfopt/sdists"
    if not (WORK / ID / "venv" / ".perfopt-ready").is_file() and not _pypi_reachable():
        return "no network to PyPI to build the instance's venv (mpmath, pytest)"
    if not any(v[:2] <= (3, 9) for v, _ in pyenv_pythons()):
        return "sympy 1.2 needs CPython <= 3.9; none found under ~/.pyenv/versions"
    return None


pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def ready():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


def test_expert_patch_reproduces_the_speedup(ready, tmp_path):
    report = run_eval(EvalOptions(instances=DATA, out=tmp_path, engine="expert", ids=(ID,),
                                  work=WORK, repetitions=6))
    (score,) = report.scores
    assert score.status == "ok", score.reason
    assert "38 passed" in score.tests
    assert score.expert_speedup > 100 and score.measured_speedup > 100
    assert report.markdown_path.is_file()


def test_planted_getframe_patch_is_rejected(ready, tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench.swe_sympy import planted_patches

    folder = planted_patches(WORK, tmp_path / "patches")["planted-getframe"]
    report = run_eval(EvalOptions(instances=DATA, out=tmp_path, engine="patch", patches=folder,
                                  ids=(ID,), work=WORK, repetitions=4))
    (score,) = report.scores
    assert score.status == "guard-rejected" and "_getframe" in score.reason
    assert score.speedup == 1.0 and score.measured_speedup > 100
