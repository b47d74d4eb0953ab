"""Ctrl-C stops a command even when Python drops the KeyboardInterrupt where it was raised."""

from __future__ import annotations

import gc
import os
import signal
import sys

import pytest
import typer

from perfopt.cli import guarded
from perfopt.verify import sandbox


class _DropsItsErrors:
    """Python ignores an exception raised in __del__, as in an at-fork hook (logging's
    _releaseLock, where CI saw a Ctrl-C lost while a candidate's child started)."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs here, between bytecodes, and is dropped
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the drop
def test_a_dropped_ctrl_c_stops_the_command_at_its_next_child(tmp_path):
    children = []

    @guarded
    def command() -> str:
        _DropsItsErrors()
        gc.collect()
        for _ in range(3):  # would run all three without the remembered interrupt
            children.append(sandbox.run([sys.executable, "-c", "pass"], cwd=tmp_path,
                                        timeout_s=30, memory_mb=None))
        return "finished"

    # a terminal's disposition (CI's background jobs inherit SIGINT ignored)
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(typer.Exit) as stopped:
            command()
        assert stopped.value.exit_code == 130
        assert children == []
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, outer)
        sandbox.clear_interrupt()


def test_without_ctrl_c_the_command_returns(tmp_path):
    @guarded
    def command() -> int:
        return sandbox.run([sys.executable, "-c", "pass"], cwd=tmp_path, timeout_s=30,
                           memory_mb=None).returncode

    assert command() == 0
