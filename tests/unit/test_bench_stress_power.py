"""bench/stress_power.py's comparison of two programs, on real runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("stress_power",
                                                  ROOT / "bench" / "stress_power.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_first_input_the_programs_disagree_on_is_kept(tmp_path):
    # p02983's fast program returned early on one valid input; the row said only that
    # the pair disagreed, and which input it was could not be checked afterwards
    bench = _bench()
    (tmp_path / "slow.py").write_text("n = int(input())\nprint(n * n)\n")
    (tmp_path / "fast.py").write_text("n = int(input())\nprint(n * n if n != 7 else 0)\n")
    (tmp_path / "empty.py").write_text("")
    cmd = [[sys.executable, str(tmp_path / name)] for name in ("slow.py", "fast.py", "empty.py")]
    inputs = [b"3\n", b"7\n", b"9\n"]
    result = bench._compare(*cmd, tmp_path, inputs, 1)
    assert not result["agree"] and result["both_ok"] == 3
    shown = result["disagreement"]
    assert shown["input"] == "7\n" and shown["input_chars"] == 2
    assert shown["slow"].strip() == "49" and shown["fast"].strip() == "0"
    assert shown["slow_ok"] and shown["fast_ok"]
    agreeing = bench._compare(*cmd, tmp_path, [b"3\n", b"9\n"], 1)
    assert agreeing["agree"] and agreeing["disagreement"] is None
