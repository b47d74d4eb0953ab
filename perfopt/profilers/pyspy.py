"""Sampling profiles with py-spy: no instrumentation, so hot spots are not distorted by
per-call overhead the way cProfile distorts small, often-called functions."""

from __future__ import annotations

import functools
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from perfopt.errors import ToolMissing, UserError
from perfopt.profilers.base import Frame, Profile, Stacks, tail
from perfopt.verify import sandbox

DEFAULT_RATE_HZ = 200  # py-spy's own default (100) gives too few samples on 1 s test runs

# A run this long with samples under this share of the rate lost py-spy's attach (see
# record) rather than ended before the first sample, and is run once more.
RETRY_AFTER_S = 0.5
MIN_SAMPLE_SHARE = 0.05
# Fewer stacks than this rank nothing reliably (a 0.2 s workload gave py-spy 3, none in the
# project's code): cProfile, which sees every call, profiles so short a run instead.
MIN_SAMPLES = 20

# "func (/abs/file.py:12)"; the function part may itself hold spaces and parentheses.
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")
# py-spy's words when the kernel refuses ptrace / process_vm_readv (containers, macOS SIP).
_DENIED = re.compile(
    r"permission denied|operation not permitted|ptrace|elevated permissions|os error (1|13)\b",
    re.IGNORECASE,
)


# Runs the workload; waits idle (py-spy does not sample idle threads) and records the status.
_LAUNCHER = """\
import subprocess, sys
rc_file, mode, *cmd = sys.argv[1:]
proc = subprocess.run(cmd[0], shell=True) if mode == "shell" else subprocess.run(cmd)
with open(rc_file, "w") as fh:
    fh.write(str(proc.returncode))
sys.exit(1 if proc.returncode < 0 else proc.returncode)
"""


def find_pyspy(override: str | None = None) -> str:
    """The py-spy executable: `override` if given, else next to this interpreter, else PATH."""
    if override is not None:
        if Path(override).is_file():
            return override
        raise ToolMissing(f"py-spy not found at {override}")
    beside = Path(sys.executable).parent / "py-spy"
    if beside.is_file():
        return str(beside)
    found = shutil.which("py-spy")
    if found:
        return found
    raise ToolMissing("py-spy is not installed (pip install py-spy)")


def parse_raw(text: str) -> Stacks:
    """Parse py-spy's raw (collapsed) format: "frame;frame;... count" per line, root first.

    With --subprocesses each stack starts with a 'process PID:"cmdline"' entry; it and any
    other piece that is not a frame are dropped (the cmdline may contain ';').
    """
    weights: dict[tuple[Frame, ...], int] = {}
    for line in text.splitlines():
        stack_text, _, count_text = line.rstrip().rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        frames = []
        for part in stack_text.split(";"):
            m = _FRAME.match(part)
            if m:
                frames.append(Frame(m["file"], int(m["line"]), m["func"]))
        if frames:
            key = tuple(frames)
            weights[key] = weights.get(key, 0) + int(count_text)
    return tuple(weights.items())


def record(
    cmd: list[str] | str,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    rate_hz: int = DEFAULT_RATE_HZ,
    *,
    stdin: bytes | None = None,
    memory_mb: int | None = None,
    pyspy: str | None = None,
    nonblocking: bool = True,
) -> Profile:
    """Run `cmd` under `py-spy record` and return its stacks.

    py-spy exits 0 whatever its child did, and stops (killing its child) as soon as no
    Python process is left, so a small Python launcher runs the command and writes its
    exit status to a file before it exits itself. Raises ToolMissing when py-spy is absent,
    may not read the child's memory, or got fewer than MIN_SAMPLES samples (or, twice, far
    too few for the run's length).

    py-spy (0.4, --subprocesses) gives a new child process about 100 ms to look like a
    running interpreter and never tries that pid again: a child it meets between fork and
    exec, or still starting on a loaded machine, goes unsampled (or yields a stray torn
    stack), and so does a shell that later execs Python. So a run of RETRY_AFTER_S or more
    whose samples fall below MIN_SAMPLE_SHARE of the rate is run once more, and the better
    of the two kept; when both fall short, cProfile (which counts waiting, too) is the
    better profiler for the workload anyway.

    `nonblocking=False` for a workload on Python 3.10 or older: there py-spy tells an idle
    thread only when it pauses the process (a second thread in time.sleep beside a busy
    main one, nonblocking: 310 of 620 samples on 3.8, 194 of 388 on 3.9, 202 of 404 on 3.10,
    none on 3.11; paused: 7 of 315 on 3.8).
    """
    exe = find_pyspy(pyspy)
    once = functools.partial(_record_once, exe, cmd, cwd, env, timeout_s, rate_hz,
                             stdin=stdin, memory_mb=memory_mb, nonblocking=nonblocking)

    def short(run: _Run) -> bool:
        return run.samples < MIN_SAMPLE_SHARE * rate_hz * run.proc.seconds

    run = once()
    if run.proc.seconds >= RETRY_AFTER_S and short(run):
        run = max(run, once(), key=lambda r: r.samples)
        if short(run):
            raise ToolMissing(
                f"py-spy caught {run.samples} samples in a {run.proc.seconds:.1f} s run, under "
                f"{MIN_SAMPLE_SHARE:.0%} of its {rate_hz} Hz, twice: it lost a starting "
                "process (or one that became Python by exec), or the workload mostly waits")
    if not run.stacks:
        # cProfile will still see a workload that ends before py-spy's first sample.
        raise ToolMissing("the workload finished before py-spy could sample it")
    if run.samples < MIN_SAMPLES:
        raise ToolMissing(f"py-spy caught {run.samples} samples in a {run.proc.seconds:.1f} s "
                          "run, too few to rank")
    return Profile(
        profiler="py-spy",
        samples=run.samples,
        stacks=run.stacks,
        wall_s=run.proc.seconds,
        returncode=run.workload_rc if run.workload_rc is not None else run.proc.returncode,
        output_tail=tail(_without_pyspy_chatter(run.output)),
    )


class _Run(NamedTuple):
    """One run under py-spy."""

    stacks: Stacks
    proc: sandbox.ProcResult
    workload_rc: int | None  # what the launcher wrote; None when it wrote nothing
    output: str

    @property
    def samples(self) -> int:
        return sum(w for _, w in self.stacks)


def _record_once(
    exe: str,
    cmd: list[str] | str,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    rate_hz: int,
    *,
    stdin: bytes | None,
    memory_mb: int | None,
    nonblocking: bool = True,
) -> _Run:
    """One run of `cmd` under py-spy."""
    with tempfile.TemporaryDirectory(prefix="perfopt-pyspy-") as tmp:
        raw, rc_file = Path(tmp) / "profile.txt", Path(tmp) / "rc"
        launcher = Path(tmp) / "launch.py"
        launcher.write_text(_LAUNCHER, encoding="utf-8")
        mode, args = ("shell", [cmd]) if isinstance(cmd, str) else ("argv", list(cmd))
        argv = [
            # --nonblocking: py-spy reads the stacks without pausing the workload. Pausing
            # cost 1.43x wall on the demo at 200 Hz; without it the ratio was within noise
            # (bench/profile_overhead.py). A rare torn stack only blurs a ranking.
            exe, "record", "--format", "raw", "--full-filenames", "--subprocesses",
            *(["--nonblocking"] if nonblocking else []), "--rate", str(rate_hz),
            "-o", str(raw), "--",
            sys.executable, "-I", str(launcher), str(rc_file), mode, *args,
        ]
        proc = sandbox.run(argv, cwd=cwd, timeout_s=timeout_s, memory_mb=memory_mb, env=env,
                           stdin=stdin)
        output = proc.stdout + proc.stderr
        if proc.timed_out:
            raise UserError(
                f"the workload ran past timeout_s={timeout_s:g} under py-spy; "
                "narrow it (--tests) or raise timeout_s"
            )
        text = raw.read_text(encoding="utf-8", errors="replace") if raw.is_file() else None
        workload_rc = _read_rc(rc_file)
        if text is None and _DENIED.search(output):
            raise ToolMissing(f"py-spy may not trace processes here ({_reason(output)})")
        if text is None and not (workload_rc is not None and "No python processes" in output):
            raise ToolMissing(f"py-spy failed: {_reason(output)}")
    return _Run(parse_raw(text or ""), proc, workload_rc, output)


def _read_rc(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _without_pyspy_chatter(output: str) -> str:
    return "\n".join(
        line for line in output.splitlines() if not line.startswith("py-spy>") and line.strip()
    )


def _reason(output: str) -> str:
    """py-spy's error line, for a one-line message."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith("error") or _DENIED.search(ln)]
    chosen = (errors or lines or ["no output"])[-1]
    return chosen[:200]
