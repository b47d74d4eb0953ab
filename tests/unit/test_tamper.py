"""The guard gate's static check (perfopt.verify.tamper): every way of touching the clock,
the interpreter or perfopt's verifier is named with its line; ordinary code passes."""

from __future__ import annotations

import textwrap

import pytest

from perfopt.verify.tamper import WHY_CLOCK, check, describe


def found(source: str, **kw: object) -> str:
    return describe(check(textwrap.dedent(source), **kw))  # type: ignore[arg-type]


# --- what is rejected ------------------------------------------------------------------

REJECTED = {
    "assign": ("""
        import time
        def f(x):
            time.perf_counter = lambda: 0.0
            return x
        """, "line 4: assigns time.perf_counter"),
    "module level": ("""
        import time
        time.monotonic = lambda: 0.0
        """, "line 3: assigns time.monotonic"),
    "import alias": ("""
        import time as _t
        def f(x):
            _t.process_time = lambda: 0.0
        """, "line 4: assigns time.process_time"),
    "name bound to the module": ("""
        import time
        def f(x):
            clock = time
            clock.perf_counter_ns = lambda: 0
        """, "line 5: assigns time.perf_counter_ns"),
    "setattr on __import__": ("""
        def f(x):
            setattr(__import__("time"), "perf_counter", lambda: 0.0)
        """, "line 3: assigns time.perf_counter"),
    "setattr on importlib": ("""
        import importlib
        def f(x):
            setattr(importlib.import_module("operator"), "call", print)
        """, "line 4: assigns operator.call"),
    "setattr on an unknown object": ("""
        def f(x, mods):
            for m in mods:
                setattr(m, "monotonic", lambda: 0.0)
        """, "line 4: assigns .monotonic"),
    "loop variable": ("""
        import time
        def f(x):
            for m in (time,):
                m.process_time = lambda: 0.0
        """, "line 5: assigns .process_time"),
    "augmented": ("""
        import operator
        def f(x):
            operator.call += 1
        """, "line 4: assigns operator.call"),
    "del": ("""
        import gc
        def f(x):
            del gc.collect
        """, "line 4: deletes gc.collect"),
    "delattr": ("""
        import sys
        def f(x):
            delattr(sys, "call_tracing")
        """, "line 4: deletes sys.call_tracing"),
    "__setattr__ bound": ("""
        import time
        def f(x):
            time.__setattr__("perf_counter", lambda: 0.0)
        """, "line 4: assigns time.perf_counter"),
    "__setattr__ unbound": ("""
        import sys
        def f(x):
            object.__setattr__(sys, "call_tracing", lambda fn, a: fn(*a))
        """, "line 4: assigns sys.call_tracing"),
    "module __dict__": ("""
        import time
        def f(x):
            time.__dict__["perf_counter"] = lambda: 0.0
        """, "line 4: reaches time.__dict__"),
    "vars of a module": ("""
        import os
        def f(x):
            vars(os).update(getpid=lambda: 1)
        """, "line 4: reaches os.__dict__"),
    "builtins module": ("""
        import builtins
        def f(x):
            builtins.range = lambda n: iter(())
        """, "line 4: assigns builtins.range"),
    "__builtins__ item": ("""
        def f(x):
            __builtins__["len"] = lambda s: 0
        """, "line 3: assigns builtins[...]"),
    "from-imported submodule": ("""
        from os import path
        def f(x):
            path.join = str
        """, "line 4: assigns os.path.join"),
    "other stdlib": ("""
        import timeit
        def f(x):
            timeit.Timer.timeit = lambda self, number=1: 0.0
        """, "line 4: assigns timeit.Timer.timeit"),
    "the GPU clock": ("""
        import torch
        def f(x):
            torch.cuda.synchronize = lambda: None
        """, "line 4: assigns torch.cuda.synchronize"),
    "perfopt": ("""
        def f(x):
            from perfopt.bench import worker
            worker.MAX_LOOPS = 1
        """, "line 3: imports perfopt.bench"),
    "__main__": ("""
        def f(x):
            import __main__
            __main__._clock = lambda: 0.0
        """, "line 4: assigns __main__._clock"),
    "ctypes": ("""
        import ctypes
        def f(x):
            return ctypes.c_int(x)
        """, "line 2: imports ctypes"),
    "ctypes by __import__": ("""
        def f(x):
            return __import__("ctypes").c_int(x)
        """, "line 3: imports ctypes"),
    "sys.modules": ("""
        import sys
        def f(x):
            sys.modules["time"].perf_counter = lambda: 0.0
        """, "line 4: assigns time.perf_counter"),
    "sys.modules read": ("""
        import sys
        def f(x):
            return sys.modules.get("__main__")
        """, "line 4: reaches sys.modules"),
    "sys._getframe": ("""
        from sys import _getframe
        def f(x):
            return _getframe(1)
        """, "line 2: imports sys._getframe"),
    "inspect": ("""
        import inspect
        def f(x):
            return inspect.currentframe()
        """, "line 4: reaches inspect.currentframe"),
    "f_back": ("""
        def f(x, frame):
            return frame.f_back.f_globals
        """, "line 3: reaches frame attribute .f_back"),
    "tb_frame by getattr": ("""
        def f(x):
            try:
                1 / 0
            except ZeroDivisionError as e:
                return getattr(e.__traceback__, "tb_frame")
        """, "line 6: reaches frame attribute .tb_frame"),
    "coroutine frame": ("""
        def f(x, coro):
            return coro.cr_frame
        """, "line 3: reaches frame attribute .cr_frame"),
    "exec of a literal": ("""
        def f(x):
            exec("import time\\ntime.perf_counter = lambda: 0.0")
        """, "line 4: assigns time.perf_counter"),
    "exec of a built string": ("""
        def f(x, code):
            exec("import " + code)
        """, "line 3: runs code built at run time (exec)"),
    "computed import": ("""
        def f(x, name):
            return __import__(name)
        """, "line 3: imports a module by a computed name (__import__)"),
    "default argument": ("""
        import time
        def f(x, _=setattr(time, "perf_counter", lambda: 0.0)):
            return x
        """, "line 3: assigns time.perf_counter"),
    "decorator": ("""
        import sys
        @(lambda fn: setattr(sys, "call_tracing", lambda g, a: g(*a)) or fn)
        def f(x):
            return x
        """, "line 3: assigns sys.call_tracing"),
    "gc.disable in a function": ("""
        import gc
        def f(x):
            gc.disable()
            return x
        """, "line 4: calls gc.disable()"),
    "gc.freeze in a function": ("""
        import gc
        def f(x):
            gc.freeze()
        """, "line 4: calls gc.freeze()"),
    "stdout in a function": ("""
        import io, sys
        def f(x):
            sys.stdout = io.StringIO()
        """, "line 4: assigns sys.stdout"),
    "method skipping a class attribute": ("""
        import time
        class A:
            time = None
            def f(self):
                time.perf_counter = lambda: 0.0
        """, "line 6: assigns time.perf_counter"),
}


@pytest.mark.parametrize(("source", "expected"), REJECTED.values(), ids=REJECTED.keys())
def test_tampering_is_named_with_its_line(source: str, expected: str) -> None:
    assert expected in found(source)


def test_the_reason_says_what_and_why() -> None:
    reason = found("""
        import time
        def f(x):
            time.perf_counter = lambda: 0.0
        """)
    assert reason == f"line 4: assigns time.perf_counter: {WHY_CLOCK}"
    assert WHY_CLOCK == "a candidate must not touch the clock or the interpreter"


def test_a_function_placed_in_a_module_resolves_through_its_imports() -> None:
    context = "import time as clock\n\n\ndef f(x):\n    return x\n"
    assert "assigns time.perf_counter" in found("""
        def f(x):
            clock.perf_counter = lambda: 0.0
        """, context=context)


# --- what passes -----------------------------------------------------------------------

ALLOWED = {
    "reading the clock and os and sys": """
        import os, sys, time
        from time import perf_counter
        def f(x):
            t = time.perf_counter() - perf_counter()
            return os.path.join("a", str(x)), sys.maxsize, t, os.environ.get("HOME")
        """,
    "rebinding a from-import": """
        from time import perf_counter
        def f(x):
            perf_counter = x
            return perf_counter
        """,
    "a local named time": """
        import time
        def f(x):
            time = x.start
            time.total = 0
            return time
        """,
    "a parameter named time": """
        def f(time):
            time.elapsed += 1
            return time
        """,
    "a global named sys": """
        sys = {}
        def f(x):
            sys.update(x=1)
        """,
    "object.__setattr__ on self": """
        class A:
            def __init__(self, x):
                object.__setattr__(self, "x", x)
                setattr(self, "y", x)
                self.time = x
        """,
    "interpreter limits and collection": """
        import gc, sys
        def f(x):
            sys.setrecursionlimit(10_000)
            sys.set_int_max_str_digits(0)
            gc.collect()
            gc.enable()
            return x
        """,
    "re.compile and a local compile": """
        import re
        def f(x, compile=None):
            return re.compile(x)
        """,
    "eval of a safe literal": """
        def f(x):
            return eval("x + 1")
        """,
    "numpy and friends": """
        import numpy as np
        def f(x):
            np.seterr(all="ignore")
            return np.asarray(x).sum()
        """,
    "relative import of a name the stdlib has too": """
        from . import types
        def f(x):
            types.cache = {}
        """,
    "lambda and comprehension": """
        f = lambda xs: [y for y in xs if y]
        """,
}


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_ordinary_code_passes(source: str) -> None:
    assert found(source) == ""


def test_what_the_guard_cannot_read_does_not_pass() -> None:
    assert found("def f(x)\n    time.perf_counter = 0\n") == (
        "line 1: does not parse for the guard: the guard cannot check code it cannot read")
    deep = "def f(x):\n    return " + " + ".join(["x"] * 1500) + "\n"
    assert found(deep) == ""  # deep, but readable: no recursion limit in the walk


def test_a_whole_program_may_turn_gc_off_and_rebind_its_streams() -> None:
    program = """
        import gc, io, os, sys
        gc.disable()
        sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False))
        sys.setrecursionlimit(1 << 20)
        print(sum(map(int, sys.stdin.read().split())))
        """
    assert found(program, whole_program=True) == ""
    # ...but not touch the clock
    patched = textwrap.dedent(program) + "import time\ntime.perf_counter = lambda: 0.0\n"
    assert "line 8: assigns time.perf_counter" in found(patched, whole_program=True)


def test_what_the_original_already_does_is_not_held_against_the_candidate() -> None:
    original = "import gc\ndef f(x):\n    gc.disable()\n    return sorted(x)\n"
    candidate = "import gc\ndef f(x):\n    gc.disable()\n    return x\n"
    assert check(candidate, original=original) == ()
    assert check(candidate, original="def f(x):\n    return sorted(x)\n")


# --- the gate: every Python kind, never C++ ----------------------------------------------


class _Session:
    def original_text(self, rel: str) -> str:
        return "import time as clock\n\n\ndef f(x):\n    return x\n"


def _gate(source: str, language: str = "python", qualname: str | None = "f"):
    from perfopt.models import Candidate, Target
    from perfopt.targets.base import Work
    from perfopt.verify.gates import _tampered

    target = Target("m.py", qualname, language=language)
    original = "def f(x):\n    return x\n"
    return _tampered(_Session(), Work(target, original), Candidate(target, source, "llm:m#1"))


def test_the_gate_rejects_a_python_candidate_as_guard_with_its_module_imports() -> None:
    verdict = _gate("def f(x):\n    clock.perf_counter = lambda: 0.0\n    return x\n")
    assert verdict is not None and (verdict.accepted, verdict.gate) == (False, "guard")
    assert verdict.reason == f"line 2: assigns time.perf_counter: {WHY_CLOCK}"


def test_the_gate_leaves_cpp_alone_and_lets_a_program_own_its_interpreter() -> None:
    assert _gate("int main() { time.perf_counter = 0; }", language="cpp", qualname=None) is None
    assert _gate("import gc\ngc.disable()\nprint(1)\n", qualname=None) is None
    assert _gate("import gc\ndef f(x):\n    gc.disable()\n    return x\n") is not None
