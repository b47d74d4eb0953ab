import shutil
import subprocess
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.evals.swefficiency import EvalOptions, run_eval
from perfopt.evals.swefficiency.adapter import expert_functions, make_diff
from perfopt.evals.swefficiency.docker import docker_command
from perfopt.evals.swefficiency.instances import load_instances

SYMPY = Path(__file__).resolve().parents[2] / "datasets" / "swefficiency" / "sympy"


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    proc = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    return proc.returncode == 0


def test_unknown_engine_and_missing_patches_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="expert, noop, patch, offline, llm"):
        run_eval(EvalOptions(instances=SYMPY, out=tmp_path, engine="magic"))
    with pytest.raises(UserError, match="--patches"):
        run_eval(EvalOptions(instances=SYMPY, out=tmp_path, engine="patch"))


@pytest.mark.skipif(_docker_answers(), reason="a Docker engine answers here")
def test_docker_runner_without_engine_is_a_clear_user_error(tmp_path):
    with pytest.raises(UserError, match="Docker"):
        run_eval(EvalOptions(instances=SYMPY, out=tmp_path, runner="docker"))


def test_docker_command_pins_the_official_limits(tmp_path):
    inst = load_instances(SYMPY, ("sympy__sympy-21006",))[0]
    cmd = docker_command(inst, tmp_path / "p.diff", tmp_path)
    assert cmd[:3] == ["docker", "run", "--rm"]
    assert "--cpus=4" in cmd and "--memory=16g" in cmd
    assert any("sympy__sympy-21006" in part for part in cmd)


def test_expert_functions_and_diff(tmp_path):
    inst = load_instances(SYMPY, ("sympy__sympy-14772",))[0]
    assert expert_functions(inst.patch) == ["sympy/crypto/crypto.py::_legendre"]
    (tmp_path / "m.py").write_text("x = 1\n")
    diff = make_diff(tmp_path, {"m.py": "x = 2\n"})
    assert diff.startswith("--- a/m.py\n+++ b/m.py\n") and "+x = 2" in diff
