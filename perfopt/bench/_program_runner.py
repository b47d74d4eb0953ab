"""A program timing worker: runs one program on every input, `repeat` times, and times each
run from its exec to its exit. Standard library only; `python -I -S` runs it.

It runs inside the jail with the program, so the jail's start-up (bwrap: ~14 ms) is no
part of any run's seconds. Its request is one JSON object on stdin:
{"cmd": [...], "inputs": [file, ...], "repeat": N, "timeout_s": T}. Each run gets an
input file as stdin, /dev/null as stdout and this worker's stderr; posix_spawn returns
once the program has exec'd, and os.wait4 returns when it exits. The report is one JSON
line on this worker's stdout, which the program never holds (its stdout is /dev/null),
and the worker makes itself non-dumpable first, so a program cannot reach that pipe
through /proc/PID/fd either: a candidate cannot forge its own seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

PR_SET_DUMPABLE = 4


def _undumpable() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the jail is basic or off there anyway
        pass


def _run(cmd: list[str], stdin_file: str, timeout_s: float) -> tuple[float, int, bool]:
    """One run: seconds from exec to exit, the exit code (negative: a signal), timed out."""
    actions = [(os.POSIX_SPAWN_OPEN, 0, stdin_file, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    pid = os.posix_spawnp(cmd[0], cmd, dict(os.environ), file_actions=actions)
    started = time.perf_counter()
    timed_out = []

    def stop(signum: int, frame: object) -> None:
        timed_out.append(True)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    _, status, _ = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    signal.setitimer(signal.ITIMER_REAL, 0)
    return seconds, os.waitstatus_to_exitcode(status), bool(timed_out)


def main() -> None:
    _undumpable()
    request = json.loads(sys.stdin.read())
    cmd, inputs = [str(c) for c in request["cmd"]], [str(f) for f in request["inputs"]]
    report: dict[str, object] = {"seconds": []}
    totals: list[float] = []
    for _ in range(int(request["repeat"])):
        total = 0.0
        for index, stdin_file in enumerate(inputs):
            seconds, code, timed_out = _run(cmd, stdin_file, float(request["timeout_s"]))
            if code != 0 or timed_out:
                report.update(returncode=code, timed_out=timed_out, input=index)
                break
            total += seconds
        else:
            totals.append(total)
            continue
        break
    report["seconds"] = totals
    sys.stderr.flush()
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
