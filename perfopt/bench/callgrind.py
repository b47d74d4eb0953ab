"""Instruction counts under `valgrind --tool=callgrind`, restricted to the measured calls.

Why `--toggle-collect=sys_call_tracing`: collection must cover the target's calls and
nothing else (starting the worker is ~220 M instructions, a typical measured region 2-50 M,
so counting everything dilutes a 3x speedup towards 1x). callgrind can only toggle on a C
function it sees in the symbol table, and toggles again on every nested entry, so the
function must be one the target never calls. `_PyEval_EvalFrameDefault` does not work:
CPython 3.11 runs Python-to-Python calls inside one C frame and enters it for every import
and callback. `sys_call_tracing`, the C function behind `sys.call_tracing` (a debugger
hook: pdb's `debug` command is its only caller in the standard library; it calls its
argument with tracing state unchanged when no tracer is active), exists under that name on
CPython 3.8 to 3.13 and is entered exactly once, by the worker, around the measured loop;
everything below it is counted. (`_operator_call`, used before, needs 3.11.)

Measured here (valgrind 3.19, pyenv builds, the worker on `work(n)`, an n-step integer
loop; Ir, each identical on two runs):

    CPython   work(3000)  work(6000)  2 x work(3000)  work(1)  work(1) after heavy imports
    3.10.13    2,757,040   5,549,665       5,512,399    5,119    5,089
    3.11.7     1,582,120   3,196,120       3,162,904    4,376    4,287
    3.13.0     1,972,046   3,995,042       3,942,430    4,027    3,922

The region's fixed cost is ~4-5 k Ir; importing asyncio, email, unittest and more at
module level (and running reduce, Context.run and asyncio.run there) changes work(1) by
~100 Ir, so start-up is not counted. Whole-program collection of work(3000): 217,605,957
Ir on 3.10, 225,747,891 on 3.11, 245,239,312 on 3.13. On 3.11 `_operator_call` counted
1,582,081 for work(3000), 39 Ir less than this wrapper.

When the symbol is missing (a stripped interpreter: the toggled total is 0), the count
falls back to differencing two whole-program runs with L and 2L loops: start-up cancels
(measured on 3.11.7 for work(3000): 219,041,611 - 217,507,264 = 1,534,347, 3% under the
toggled 1,582,120). It costs a second valgrind run per side, hence only as a fallback.

Counts are exact for a given interpreter and PYTHONHASHSEED=0; valgrind runs 50-130x
slower than native (67x measured on the loop above), plus ~2 s to start CPython, so the
measured region is kept to a few hundredths of a second of native time.
C++ programs measured with `program_instructions` must not be built with -march=native:
valgrind cannot execute AVX-512 instructions.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from perfopt.bench.timing import BenchFailed, worker_command
from perfopt.config import Settings
from perfopt.interpreter import python_of
from perfopt.models import Measurement, StressSuite, Target
from perfopt.verify import sandbox
from perfopt.verify.jail import Jail, jail_for
from perfopt.verify.limits import Limit, candidate_limit

TOGGLE = "sys_call_tracing"
# The original's count run, estimated from its native seconds (both sides are counted at
# once, so its own time is not known when the candidate starts): 67x measured above, ~2 s
# to start CPython under valgrind.
VALGRIND_SLOWDOWN = 70.0
VALGRIND_START_S = 2.0

# Counts already taken in this process, by everything that decides them (tree path,
# target source, payload bytes, loops, interpreter): every candidate of a target is
# compared with the same original, whose ~3 CPU-seconds under valgrind are paid once.
_COUNTS: dict[str, tuple[int, str]] = {}


def valgrind_path() -> str | None:
    return shutil.which("valgrind")


def available() -> bool:
    return valgrind_path() is not None


def callgrind_prefix(out_file: Path, toggle: str | None) -> list[str]:
    valgrind = valgrind_path()
    if valgrind is None:
        raise BenchFailed("benchmark", "valgrind is not installed; use --metric wall")
    args = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out_file}"]
    if toggle:
        args += ["--collect-atstart=no", f"--toggle-collect={toggle}"]
    return args


def read_total(out_file: Path) -> int:
    """The instruction total of a callgrind output file (`totals:` or else `summary:`)."""
    found: dict[str, int] = {}
    for line in Path(out_file).read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key in ("totals", "summary") and value.strip():
            found[key] = int(value.split()[0])
    if not found:
        raise BenchFailed("sandbox", f"no instruction total in {out_file}")
    return found.get("totals", found.get("summary", 0))


def _env() -> dict[str, str]:
    # Hash seeds decide set/dict-of-str iteration order, hence instruction counts.
    return sandbox.scrubbed_env({"PYTHONHASHSEED": "0"})


def counting_limit(native_s: float, settings: Settings) -> Limit:
    """A candidate's count run limit: from the original's native seconds of the counted
    calls (`native_s`, warm-up loop included), as valgrind would run them."""
    estimate = VALGRIND_START_S + VALGRIND_SLOWDOWN * native_s
    return candidate_limit(estimate, settings,
                           f"estimated under valgrind ({VALGRIND_SLOWDOWN:g} x its "
                           f"{native_s:.3f} s native + {VALGRIND_START_S:g} s start)")


def _one_run(
    cmd: list[str], root: Path, settings: Settings, side: str, out_file: Path, toggle: str | None,
    limit: Limit | None = None,
) -> int:
    proc = sandbox.run(
        [*callgrind_prefix(out_file, toggle), *cmd],
        cwd=root,
        timeout_s=settings.timeout_s if limit is None else limit.seconds,
        memory_mb=settings.memory_mb,
        env=_env(),
        jail=jail_for(settings, out_file.parent),
    )
    if proc.timed_out and limit is not None:
        raise BenchFailed("timeout", limit.reason(f"counting instructions of the {side}"))
    if proc.timed_out:
        raise BenchFailed(
            "timeout", f"counting instructions of the {side} took over {settings.timeout_s:g} s"
        )
    if proc.returncode != 0 or not out_file.exists():
        raise BenchFailed(
            "sandbox",
            f"callgrind on the {side} failed (exit {proc.returncode}): {proc.tail(8)}",
        )
    return read_total(out_file)


def count_function(
    root: Path,
    target: Target,
    suite: StressSuite,
    cases_file: Path,
    loops: int,
    settings: Settings,
    side: str,
    *,
    toggle: str = TOGGLE,
    limit: Limit | None = None,
) -> tuple[int, str]:
    """Instructions of `loops` loops over the cases in `cases_file`; and how they were had
    ("toggled" or "differenced"). `limit` stops each valgrind run (else timeout_s)."""
    key = _cache_key(root, target, suite, cases_file, loops, toggle, python_of(settings))
    if key in _COUNTS:
        return _COUNTS[key]
    _COUNTS[key] = result = _count_function(
        root, target, suite, cases_file, loops, settings, side, toggle, limit
    )
    return result


def _cache_key(
    root: Path, target: Target, suite: StressSuite, cases_file: Path, loops: int, toggle: str,
    python: str,
) -> str:
    import hashlib
    import json

    digest = hashlib.sha256()
    for part in (str(Path(root).resolve()), target.key, python, str(loops), toggle):
        digest.update(part.encode() + b"\0")
    digest.update((Path(root) / target.file).read_bytes())
    for _, payload in json.loads(Path(cases_file).read_text(encoding="utf-8")):
        digest.update(b"\0" + (Path(suite.folder) / payload).read_bytes())
    return digest.hexdigest()


def _count_function(
    root: Path,
    target: Target,
    suite: StressSuite,
    cases_file: Path,
    loops: int,
    settings: Settings,
    side: str,
    toggle: str,
    limit: Limit | None = None,
) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="perfopt-callgrind-") as tmp:
        out = Path(tmp)

        def run(n: int, name: str, tog: str | None) -> int:
            cmd = worker_command(
                root, target, suite, cases_file, "--instructions", "--loops", str(n),
                python=python_of(settings),
            )
            return _one_run(cmd, root, settings, side, out / name, tog, limit)

        total = run(loops, "toggled.out", toggle)
        if total > 0:
            return total, "toggled"
        # The toggle symbol is not visible (stripped interpreter): difference L and 2L loops.
        once = run(loops, "once.out", None)
        twice = run(2 * loops, "twice.out", None)
        if twice <= once:
            raise BenchFailed(
                "sandbox", f"instruction counts of the {side} did not grow with loops"
            )
        return twice - once, "differenced"


def compare_instructions(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    cases: list[tuple[str, str]],
    loops: int,
    settings: Settings,
    *,
    toggle: str = TOGGLE,
    native_s: float | None = None,
) -> Measurement:
    """Both sides counted at once (counts do not depend on load; two cores halve the wait).
    `native_s`: the original's native seconds of the counted calls, which bound the
    candidate's runs (`counting_limit`); None: timeout_s does."""
    if target.qualname is None:
        raise BenchFailed("benchmark", "instruction counts of a function need a qualname")
    started = time.perf_counter()
    limit = None if native_s is None else counting_limit(native_s, settings)
    with tempfile.TemporaryDirectory(prefix="perfopt-instr-") as tmp:
        from perfopt.verify.loader import write_cases_file

        cases_file = write_cases_file(Path(tmp) / "cases.json", cases)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(
                    count_function, root, target, suite, cases_file, loops, settings, side,
                    toggle=toggle, limit=limit if side == "candidate" else None,
                )
                for root, side in ((baseline_root, "original"), (candidate_root, "candidate"))
            ]
            (base, how), (cand, _) = (f.result() for f in futures)
    if cand <= 0:
        raise BenchFailed("sandbox", "callgrind counted no instructions for the candidate")
    ratio = base / cand
    return Measurement(
        metric="instructions",
        baseline=(float(base),),
        candidate=(float(cand),),
        speedup=ratio,
        ci_low=ratio,
        ci_high=ratio,
        loops=loops,
        seconds_spent=time.perf_counter() - started,
        note=f"callgrind Ir ({how}) of {loops} loop(s) over {len(cases)} of "
        f"{len(suite.cases)} cases",
    )


def program_instructions(
    cmd: list[str],
    stdin_bytes: bytes,
    *,
    cwd: Path,
    timeout_s: float = 300.0,
    memory_mb: int | None = 4096,
    jail: Jail | None = None,
) -> int:
    """Instructions of a whole program run on `stdin_bytes` (full collection: a compiled
    program's start-up is small and the same for both versions), in `jail` when given.
    Build it without -march=native, or valgrind stops on the first AVX-512 instruction."""
    with tempfile.TemporaryDirectory(prefix="perfopt-callgrind-") as tmp:
        out = Path(tmp) / "program.out"
        proc = sandbox.run(
            [*callgrind_prefix(out, None), *cmd],
            cwd=cwd,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            env=_env(),
            stdin=stdin_bytes,
            jail=None if jail is None else jail.allowing(tmp),
        )
        if proc.timed_out:
            raise BenchFailed("timeout", f"counting instructions took over {timeout_s:g} s")
        if proc.returncode != 0 or not out.exists():
            raise BenchFailed(
                "sandbox", f"{cmd[0]} under callgrind failed (exit {proc.returncode}): "
                f"{proc.tail(8)}"
            )
        return read_total(out)


def programs_instructions(
    jobs: Sequence[tuple[Sequence[str], bytes]],
    *,
    cwd: Path,
    timeout_s: float = 300.0,
    memory_mb: int | None = 4096,
    jail: Jail | None = None,
) -> list[int]:
    """`program_instructions` of each (command, stdin bytes) job, in order, two runs at a
    time (counts do not depend on the load). The first failure raises BenchFailed."""

    def count(job: tuple[Sequence[str], bytes]) -> int:
        return program_instructions(list(job[0]), job[1], cwd=cwd, timeout_s=timeout_s,
                                    memory_mb=memory_mb, jail=jail)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(count, jobs))
