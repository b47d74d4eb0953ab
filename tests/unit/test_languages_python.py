"""perfopt.languages.python (and the registry, and the small C++ reader)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfopt.errors import TargetError, UserError
from perfopt.languages import get_language
from perfopt.languages import python as py
from perfopt.languages.python import Definition

SOURCE = '''"""Module doc."""
from __future__ import annotations

import os

# comment about f
@dec
@other(1)
def f(x):
    def inner():
        return 1  # keep me
    return inner()


class A:
  """Two-space class."""

  def m(self, y):
      return y  # odd indent

  class B:
    def deep(self):
      pass


if os.name:
    def cond():
        pass
'''


def test_definitions_qualnames_kinds_and_spans():
    assert py.definitions(SOURCE) == [
        Definition("f", "function", 7, 12, 9),
        Definition("f.inner", "function", 10, 11, 10),
        Definition("A", "class", 15, 23, 15),
        Definition("A.m", "method", 18, 19, 18),
        Definition("A.B", "class", 21, 23, 21),
        Definition("A.B.deep", "method", 22, 23, 22),
        Definition("cond", "function", 27, 28, 27),
    ]


def test_line_map_innermost_function_and_decorators():
    lines = py.LineMap(SOURCE)
    assert [lines.function_at(n) for n in (6, 7, 8, 9, 10, 11, 12, 13)] == [
        None,
        "f",
        "f",
        "f",
        "f.inner",
        "f.inner",
        "f",
        None,
    ]
    assert lines.function_at(16) is None  # class body outside any method
    assert lines.function_at(19) == "A.m"
    assert lines.function_at(23) == "A.B.deep"
    assert lines.function_at(0) is None and lines.function_at(10_000) is None


def test_line_map_is_fast_to_query():
    source = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(2000))
    lines = py.LineMap(source)
    start = time.perf_counter()
    for n in range(100_000):
        lines.function_at(n % 6000)
    assert time.perf_counter() - start < 0.5
    assert lines.function_at(2) == "f0" and lines.function_at(3 * 1999 + 2) == "f1999"


def test_get_function_dedents_and_keeps_decorators_and_comments():
    assert py.get_function(SOURCE, "f") == (
        "@dec\n@other(1)\ndef f(x):\n    def inner():\n        return 1  # keep me\n"
        "    return inner()\n"
    )
    assert py.get_function(SOURCE, "A.m") == "def m(self, y):\n    return y  # odd indent\n"
    assert py.get_function(SOURCE, "A.B.deep") == "def deep(self):\n  pass\n"
    assert py.get_function(SOURCE, "f.inner").startswith("def inner():")


def test_get_function_missing_raises_target_error():
    with pytest.raises(TargetError, match="no function or class 'nope'"):
        py.get_function(SOURCE, "nope")


def test_replace_function_keeps_every_other_byte():
    new = py.replace_function(SOURCE, "A.m", "def m(self, y):\n    # faster\n    return y * 2\n")
    expected = SOURCE.replace(
        "  def m(self, y):\n      return y  # odd indent\n",
        "  def m(self, y):\n      # faster\n      return y * 2\n",
    )
    assert new == expected


def test_replace_function_with_decorators_and_imports():
    new_def = (
        "from collections import deque\nimport heapq\n\n\n@dec\ndef f(x):\n    return deque(x)\n"
    )
    new = py.replace_function(SOURCE, "f", new_def)
    assert new.startswith(
        '"""Module doc."""\nfrom __future__ import annotations\n\nimport os\n'
        "from collections import deque\nimport heapq\n\n# comment about f\n@dec\ndef f(x):\n"
        "    return deque(x)\n\n\nclass A:"
    )
    # an import already present is not added twice
    assert py.replace_function(new, "f", new_def).count("from collections import deque") == 1


def test_replace_function_import_without_existing_imports():
    src = '"""Doc."""\n\n\ndef f(x):\n    return x\n'
    out = py.replace_function(
        src, "f", "import heapq\ndef f(x):\n    return heapq.nlargest(1, x)\n"
    )
    assert out == '"""Doc."""\n\nimport heapq\n\n\ndef f(x):\n    return heapq.nlargest(1, x)\n'
    assert py.syntax_error(out) is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("def f(:\n    pass\n", "does not parse"),
        ("def g():\n    pass\n", "named 'f'"),
        ("x = 1\ndef f():\n    pass\n", "only import lines"),
        ("def f():\n    pass\ndef f():\n    pass\n", "exactly one"),
        ("def f():\n    pass\nimport os\n", "after the definition"),
    ],
)
def test_replace_function_rejects_bad_replacements(bad, message):
    with pytest.raises(ValueError, match=message):
        py.replace_function(SOURCE, "f", bad)


def test_same_code_ignores_comments_and_formatting_but_not_docstrings():
    assert py.same_code("def f(x):\n    return x+1  # c\n", "def f( x ):\n    return (x + 1)\n")
    assert not py.same_code('def f():\n    "a"\n', 'def f():\n    "b"\n')
    assert not py.same_code("x = 1\n", "x = 2\n")
    assert not py.same_code("def f(:\n", "x = 1\n")


def test_syntax_error_one_line():
    assert py.syntax_error("x = 1\n") is None
    message = py.syntax_error("x = 1\ndef f(:\n    pass\n")
    assert message is not None and message.startswith("line 2:") and "\n" not in message
    assert py.syntax_error("x = '\0'\x00") is not None


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("pkg/mod.py", "pkg.mod"),
        ("src/pkg/mod.py", "pkg.mod"),
        ("pkg/__init__.py", "pkg"),
        ("mod.py", "mod"),
        ("./a/b/c.py", "a.b.c"),
        ("pkg\\sub\\m.py", "pkg.sub.m"),
    ],
)
def test_module_name(path, name):
    assert py.module_name(path) == name


def test_callable_path():
    defs = py.definitions(SOURCE)
    assert py.callable_path("f", defs) == "f"
    assert py.callable_path("f.inner", defs) == "f"
    assert py.callable_path("A.m", defs) == "A.m"
    assert py.callable_path("A.B.deep", defs) == "A.B.deep"
    assert py.callable_path("cond", defs) == "cond"
    with pytest.raises(TargetError):
        py.callable_path("missing.x", defs)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4, unique=True))
def test_get_then_replace_round_trips(names):
    source = "\n\n".join(f"def {n}(x):\n    return x  # {n}\n" for n in names)
    for name in names:
        assert py.replace_function(source, name, py.get_function(source, name)) == source


def test_registry():
    assert get_language("python") is py
    assert get_language("Py") is py
    with pytest.raises(UserError, match="valid choices: python, cpp"):
        get_language("cobol")


def test_cpp_definitions():
    cpp = get_language("c++")
    src = (
        "namespace ns {\nstruct S {\n  int f(int x) const { return x; }\n};\n"
        "int S::g() { return 1; }\ntemplate <typename T>\nT add(T a, T b) { return a + b; }\n}\n"
        "int* p() { return nullptr; }\nint main() {\n  return 0;\n}\n"
    )
    assert [(d.qualname, d.kind, d.start_line, d.end_line) for d in cpp.definitions(src)] == [
        ("ns::S", "class", 2, 4),
        ("ns::S::f", "method", 3, 3),
        ("ns::S::g", "method", 5, 5),
        ("ns::add", "function", 6, 7),
        ("p", "function", 9, 9),
        ("main", "function", 10, 12),
    ]
    assert cpp.LineMap(src).function_at(11) == "main"
    assert cpp.LineMap(src).function_at(4) is None
