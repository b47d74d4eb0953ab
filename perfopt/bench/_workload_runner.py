# ruff: noqa: UP031, UP032 - this file runs on CPython 3.6 too
"""Timing worker run inside an instance's venv (any CPython >= 3.6: keep the syntax old).

usage: python _runner.py WORKLOAD_FILE REPETITIONS PACKAGE

Executes the workload's definitions once, then for every repetition forks a child that runs
`timeit.Timer(workload, setup=setup).timeit(number=1)`, as the official harness does with
`timeit.repeat(..., number=1)` in a forked child: setup is outside the timed region, the
garbage collector is off while timing (timeit's default), and no cache a repetition fills
carries over to the next. Prints one line `@@PERFOPT@@ {json}` with the samples.
"""

import json
import os
import sys
import timeit

MARKER = "@@PERFOPT@@"


def child(ns, write_fd):
    result = {}
    try:
        timer = timeit.Timer(ns["workload"], setup=ns["setup"])
        result["t"] = timer.timeit(number=1)
    except BaseException as exc:  # report it; the parent decides
        result["error"] = "%s: %s" % (type(exc).__name__, exc)
    data = json.dumps(result).encode("utf-8")
    while data:
        data = data[os.write(write_fd, data):]
    os._exit(0)


def one_repetition(ns):
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        child(ns, write_fd)
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"error": "repetition child died (wait status %d)" % status}
    return json.loads(b"".join(chunks).decode("utf-8"))


def main():
    path, repetitions, package = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path) as handle:
        source = handle.read()
    ns = {"__name__": "__perfopt_workload__", "__file__": path}
    exec(compile(source, path, "exec"), ns)
    out = {"samples": [], "errors": []}
    for name in ("setup", "workload"):
        if not callable(ns.get(name)):
            out["errors"].append("the workload defines no %s()" % name)
    module = sys.modules.get(package)
    out["module_file"] = getattr(module, "__file__", None) if module else None
    if not out["errors"]:
        for _ in range(repetitions):
            result = one_repetition(ns)
            if "t" in result:
                out["samples"].append(result["t"])
            else:
                out["errors"].append(result["error"])
                break
    sys.stdout.write("\n%s %s\n" % (MARKER, json.dumps(out)))


if __name__ == "__main__":
    main()
