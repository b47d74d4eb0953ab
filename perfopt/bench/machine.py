"""Where a measurement was taken: every clock in bench/ stamps its `Measurement` with the
interpreter that ran the measured code, the CPU and the load around the measurement (as
pyperf keeps metadata with each run), so figures from different machines, interpreters or
loads are never compared unknowingly."""

from __future__ import annotations

import dataclasses
import functools
import os
import platform
import subprocess
import sys

from perfopt.models import Machine, Measurement


@functools.lru_cache(maxsize=16)
def python_version(python: str) -> str:
    """`3.11.7` for an interpreter path ("" when it cannot say: a compiled program)."""
    if python == sys.executable:
        return platform.python_version()
    try:
        out = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not on every platform
        return 0.0


class Stamp:
    """Collects the load at the start; `apply` adds the machine to finished measurements."""

    def __init__(self, python: str | None) -> None:
        self.python = python_version(python) if python else ""
        self.load_start = _load()

    def machine(self) -> Machine:
        return Machine(python=self.python, platform=platform.platform(terse=True),
                       cpu=cpu_model(), cpus=os.cpu_count() or 0, load_start=self.load_start,
                       load_end=_load())

    def apply(self, measurements: tuple[Measurement, ...]) -> tuple[Measurement, ...]:
        machine = self.machine()
        return tuple(dataclasses.replace(m, machine=machine) for m in measurements)
