"""perfopt.bench.program_clock: one run's seconds, the empty program's start-up, net cost."""

from __future__ import annotations

import sys
from pathlib import Path

from perfopt.bench.program_clock import FLOOR_S, NET_FLOOR_S, Startup, net_s, time_run


def test_net_cost_is_the_run_less_start_up_floored():
    assert net_s(0.050, 0.030) == 0.050 - 0.030
    assert net_s(0.030, 0.031) == NET_FLOOR_S  # jitter below start-up: still a cost
    assert Startup([], Path("."), None).net_s(0.25) == 0.25  # nothing timed: no start-up


def test_the_floor_widens_to_the_empty_programs_spread():
    calm = Startup([], Path("."), None, runs_s=[0.030, 0.031, 0.032])
    assert calm.median_s() == 0.031 and calm.floor_s() == FLOOR_S
    # a loaded machine: one start-up took 40 ms longer than the median
    busy = Startup([], Path("."), None, runs_s=[0.030, 0.031, 0.071])
    assert abs(busy.floor_s() - 0.040) < 1e-9
    # two runs say nothing about the spread yet
    assert Startup([], Path("."), None, runs_s=[0.030, 0.2]).floor_s() == FLOOR_S


def test_a_run_is_timed_from_its_exec_and_a_failed_empty_run_is_no_start_up(tmp_path):
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "sleep.py").write_text("import sys, time\ntime.sleep(float(sys.stdin.read()))\n")
    proc = time_run([sys.executable, str(tmp_path / "sleep.py")], b"0.2", cwd=tmp_path,
                    timeout_s=10, memory_mb=None)
    assert proc.ok and 0.2 <= proc.seconds < 5, proc.seconds
    startup = Startup([sys.executable, str(tmp_path / "empty.py")], tmp_path, 2048)
    startup.time(2)
    assert len(startup.runs_s) == 2 and all(s > 0 for s in startup.runs_s)
    failing = Startup([sys.executable, "-c", "raise SystemExit(1)"], tmp_path, 2048)
    failing.time(2)
    assert failing.runs_s == [] and failing.median_s() == 0.0
