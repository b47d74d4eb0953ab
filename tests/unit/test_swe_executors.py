import importlib.util
import os

import pytest

from perfopt.errors import UserError
from perfopt.evals.executors import run_all


def square_pid(x):
    return x * x, os.getpid()


def fail_on_two(x):
    if x == 2:
        raise ValueError("two")
    return x


def test_local_in_process_keeps_order():
    got = run_all(square_pid, [3, 1, 2], jobs=1)
    assert [v for v, _ in got] == [9, 1, 4]
    assert {pid for _, pid in got} == {os.getpid()}


def test_local_pool_runs_in_other_processes_in_order():
    got = run_all(square_pid, [1, 2, 3, 4], jobs=2)
    assert [v for v, _ in got] == [1, 4, 9, 16]
    assert os.getpid() not in {pid for _, pid in got}


def test_errors_reraise_or_come_back_in_place():
    with pytest.raises(ValueError, match="two"):
        run_all(fail_on_two, [1, 2, 3], jobs=1)
    got = run_all(fail_on_two, [1, 2, 3], jobs=1, return_exceptions=True)
    assert got[0] == 1 and isinstance(got[1], ValueError) and got[2] == 3


def test_bad_arguments_are_user_errors():
    with pytest.raises(UserError, match="jobs"):
        run_all(square_pid, [1], jobs=0)
    with pytest.raises(UserError, match="local, ray"):
        run_all(square_pid, [1], executor="dask")


@pytest.mark.skipif(importlib.util.find_spec("ray") is not None, reason="ray is installed")
def test_ray_missing_says_how_to_install():
    with pytest.raises(UserError, match=r"perfopt\[ray\]"):
        run_all(square_pid, [1], executor="ray")


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_ray_keeps_order_and_errors():
    got = run_all(fail_on_two, [1, 2, 3], jobs=2, executor="ray", return_exceptions=True)
    assert got[0] == 1 and got[2] == 3 and "two" in str(got[1])
