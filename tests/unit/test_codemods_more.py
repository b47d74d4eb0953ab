"""The newer codemods: exact rewrites, refusals, equal behaviour on generated inputs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfopt.skills.codemods import CODEMODS, apply_all, apply_all_program
from tests.unit.test_codemods import assert_same, run


def test_registry_languages_and_scopes():
    assert len(CODEMODS) >= 15
    assert {c.scope for c in CODEMODS.values()} == {"function", "program"}
    cpp = {n for n, c in CODEMODS.items() if c.language == "cpp"}
    assert cpp == {"cpp-endl-to-newline", "cpp-sync-with-stdio", "cpp-pass-by-const-ref"}
    # apply_all only runs Python function codemods
    assert apply_all("def f(xs):\n    print(xs)\n") == []


# --- heapq-top-k ------------------------------------------------------------------------

TOPK = "def top(xs):\n    return sorted(xs)[:3], sorted(xs, key=abs, reverse=True)[:2]\n"


def test_heapq_rewrite():
    assert run("heapq-top-k", TOPK) == (
        "import heapq\n\n\ndef top(xs):\n"
        "    return heapq.nsmallest(3, xs), heapq.nlargest(2, xs, key=abs)\n"
    )


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs, k):\n    return sorted(xs)[:k]\n",  # k unknown: maybe large or negative
        "def f(xs):\n    return sorted(xs)[1:3]\n",
        "def f(xs):\n    return sorted(xs)[:1000]\n",
        "def f(xs, r):\n    return sorted(xs, reverse=r)[:2]\n",
        "def f(xs, heapq):\n    return sorted(xs)[:2]\n",
    ],
)
def test_heapq_refuses(src):
    assert run("heapq-top-k", src) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=10))
def test_heapq_property(xs):
    assert_same(TOPK, run("heapq-top-k", TOPK), "top", xs)


# --- bit-count-builtin ------------------------------------------------------------------

POP = "def pop(xs):\n    return [bin(x).count('1') for x in xs]\n"


def test_bit_count_rewrite():
    assert run("bit-count-builtin", POP) == (
        "from operator import index as _op_index\n\n\n"
        "def pop(xs):\n    return [_op_index(x).bit_count() for x in xs]\n"
    )
    assert run("bit-count-builtin", "def f(x):\n    return bin(x).count('0')\n") is None
    assert run("bit-count-builtin", "def f(x, bin):\n    return bin(x).count('1')\n") is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-(10**20), 10**20), st.booleans(), st.floats(), st.text(max_size=1)),
        max_size=5,
    )
)
def test_bit_count_property(xs):
    assert_same(POP, run("bit-count-builtin", POP), "pop", xs)


# --- dict-get-default -------------------------------------------------------------------

TALLY = """\
def tally(words):
    d = {}
    for w in words:
        if w not in d:
            d[w] = 2
        else:
            d[w] += 2
    return d
"""


def test_dict_get_rewrite():
    assert run("dict-get-default", TALLY) == TALLY.replace(
        "        if w not in d:\n            d[w] = 2\n        else:\n            d[w] += 2\n",
        "        d[w] = d.get(w, 0) + 2\n",
    )


@pytest.mark.parametrize(
    "src",
    [
        TALLY.replace("d = {}", "d = dict(a=1)"),
        TALLY.replace("    d = {}\n", "").replace("tally(words)", "tally(words, d)"),
        TALLY.replace("d[w] = 2", "d[w] = 1"),
        TALLY.replace("d[w] = 2", "d[w] = 2.0").replace("d[w] += 2", "d[w] += 2.0"),
        TALLY.replace("    return d", "    d = {}\n    return d"),
    ],
)
def test_dict_get_refuses(src):
    assert run("dict-get-default", src) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-2, 2), st.text("ab", max_size=2), st.lists(st.integers(), max_size=1)
        ),
        max_size=8,
    )
)
def test_dict_get_property(words):
    assert_same(TALLY, run("dict-get-default", TALLY), "tally", words)


# --- precompile-regex -------------------------------------------------------------------

SCRUB = '''\
import re


def scrub(lines):
    """Mask digits."""
    out = []
    for s in lines:
        if re.search(r"\\d", s):
            out.append(re.sub(r"\\d+", "#", s, 1))
    return out
'''


def test_precompile_rewrite():
    # module-level constants named from the pattern (tests/unit/test_codemods_idioms3.py
    # has every shape)
    assert run("precompile-regex", SCRUB) == SCRUB.replace(
        "import re\n",
        'import re\n\n_DIGIT_RE = re.compile(r"\\d")\n_DIGITS_RE = re.compile(r"\\d+")\n',
    ).replace('re.search(r"\\d", s)', "_DIGIT_RE.search(s)").replace(
        're.sub(r"\\d+", "#", s, 1)', '_DIGITS_RE.sub("#", s, 1)'
    )


@pytest.mark.parametrize(
    "src",
    [
        "import re\n\ndef f(xs):\n    return [re.match('(', x) for x in xs]\n",  # invalid pattern
        "import re\n\ndef f(xs, i):\n    return [re.match('a', x, i) for x in xs]\n",  # flags
        "import re\n\ndef f(xs, p):\n    return [re.match(p, x) for x in xs]\n",  # not literal
        "def f(xs, re):\n    return [re.match('a', x) for x in xs]\n",  # re is a parameter
    ],
)
def test_precompile_refuses(src):
    assert run("precompile-regex", src) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text("a1 9", max_size=5), max_size=6))
def test_precompile_property(lines):
    assert_same(SCRUB, run("precompile-regex", SCRUB), "scrub", lines)


# --- program codemods: main-function-locals, fast-stdin-input, print-join-output -------

PROGRAM = """\
n = int(input())
rows = [input() for _ in range(n)]
total = 0
for r in rows:
    total += len(r)
for i, r in enumerate(rows):
    if r == "stop":
        exit(3)
    print(i, r, sep=":", end="%\\n")
    print()
print(total)
"""


def run_program(source: str, stdin: str, tmp: Path) -> tuple[int, str]:
    path = tmp / "prog.py"
    path.write_text(source)
    # candidates are untrusted: a subprocess with a timeout
    done = subprocess.run(
        [sys.executable, str(path)], input=stdin, capture_output=True, text=True, timeout=10
    )
    return done.returncode, done.stdout


def test_program_codemods_apply_and_chain():
    found = dict(apply_all_program(PROGRAM))
    assert set(found) == {
        "main-function-locals",
        "fast-stdin-input",
        "print-join-output",
        "main-function-locals+fast-stdin-input+print-join-output",
    }
    assert "def input():" in found["fast-stdin-input"]
    joined = found["print-join-output"]
    assert "_perfopt_out.append('%s:%s%%\\n' % (i, r,))" in joined
    assert "finally:\n    _perfopt_sys.stdout.write(''.join(_perfopt_out))" in joined


@pytest.mark.parametrize(
    ("name", "src"),
    [
        ("fast-stdin-input", "x = input('name? ')\nfor _ in range(3):\n    input()\n"),
        ("fast-stdin-input", "input = lambda: 1\nfor _ in range(3):\n    input()\n"),
        ("fast-stdin-input", "x = input()\n"),  # one call: not worth it
        ("print-join-output", "import sys\nfor x in 'ab':\n    print(x, file=sys.stderr)\n"),
        ("print-join-output", "for x in 'ab':\n    print(*x)\n"),
        (
            "print-join-output",
            "def show(x):\n    print(x)\n\nfor x in 'ab':\n    show(x)\n    print(x)\n",
        ),
        ("print-join-output", "for x in 'ab':\n    print(input())\n"),
    ],
)
def test_program_codemods_refuse(name, src):
    assert CODEMODS[name].rewrite(src) is None


@settings(max_examples=8, deadline=None)
@given(st.lists(st.sampled_from(["a", "bb", "stop", "", "x y", "5%"]), max_size=4))
def test_program_codemods_property(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("prog")
    stdin = f"{len(rows)}\n" + "".join(r + "\n" for r in rows)
    expected = run_program(PROGRAM, stdin, tmp)
    for _, source in apply_all_program(PROGRAM):
        assert run_program(source, stdin, tmp) == expected


def test_main_locals_moves_everything_after_the_prologue():
    src = '"""doc"""\nfrom __future__ import annotations\nimport sys\n\n' + PROGRAM
    new = CODEMODS["main-function-locals"].rewrite(src)
    head, _, rest = new.partition("def main():\n")
    assert head.startswith('"""doc"""\nfrom __future__ import annotations\n')
    assert "import sys" not in head  # moved: a local import is a fast name too
    assert rest.endswith("\n\n\nmain()\n")
    assert "    total = 0\n    for r in rows:\n        total += len(r)\n" in rest


def test_main_locals_keeps_late_bound_helpers(tmp_path):
    # a helper that reads a name bound later in the script: a closure cell after the move
    src = "def f(x):\n    return x + k\n\nk = int(input())\nfor i in range(3):\n    print(f(i))\n"
    new = CODEMODS["main-function-locals"].rewrite(src)
    assert new is not None and new.startswith("def main():\n    def f(x):")
    expected = (0, "5\n6\n7\n")
    assert run_program(new, "5\n", tmp_path) == run_program(src, "5\n", tmp_path) == expected


@pytest.mark.parametrize(
    "src",
    [
        "x = 1\n",  # no module-level loop: nothing to win
        "for i in range(3):\n    x = i\n\ndef g():\n    global x\n    x = 1\n",
        "from math import *\nfor i in range(3):\n    print(sqrt(i))\n",
        "for i in range(3):\n    print(eval('i'))\n",
        "for i in range(3):\n    print(globals()['i'])\n",
        "import sys\nfor i in range(3):\n    print(sys.modules[__name__])\n",
        "n: int\nfor i in range(3):\n    n = i\n",
        "import pickle\nclass P: pass\nfor i in range(3):\n    pickle.dumps(P())\n",
        # input() is the builtin until the rebinding: inside main() it would be unbound
        "n = int(input())\ninput = lambda: '1'\nfor i in range(n):\n    print(input())\n",
        "print = print\nfor i in range(2):\n    print(i)\n",
        "if True:\n    input = lambda: '1'\nfor i in range(2):\n    print(input())\n",
        "for i in range(3):\n    print([y := i for _ in 'ab'])\nprint(y)\n",
        "main = _main = _perfopt_main = 1\nfor i in range(2):\n    print(i)\n",
    ],
)
def test_main_locals_refuses(src):
    assert CODEMODS["main-function-locals"].rewrite(src) is None


def test_main_locals_picks_a_free_name():
    src = "def main():\n    print(1)\n\nfor i in range(2):\n    main()\n"
    new = CODEMODS["main-function-locals"].rewrite(src)
    assert new.startswith("def _main():\n    def main():") and new.endswith("\n_main()\n")


def test_fast_stdin_keeps_eof_and_newlines(tmp_path):
    src = "a = input()\nb = input()\nc = input()\nprint(repr(a), repr(b))\n"
    new = CODEMODS["fast-stdin-input"].rewrite(src)
    for stdin in ("x\r\ny", "x\ny\nz"):
        assert run_program(new, stdin, tmp_path) == run_program(src, stdin, tmp_path)


# --- C++ codemods -----------------------------------------------------------------------

CPP = """\
#include <bits/stdc++.h>
using namespace std;
long long total(vector<long long> v, string s) {
    long long t = 0;
    for (long long x : v) t += x;
    return t + (long long)s.size() + (v.empty() ? 0 : v[0]);
}
int main() {
    int n;
    cin >> n;
    vector<long long> v(n);
    for (auto &x : v) cin >> x;
    for (int i = 0; i < n; i++) cout << v[i] * 2 << endl;
    cout << total(v, "ab") << std::endl;
}
"""


def test_cpp_rewrites():
    assert CODEMODS["cpp-endl-to-newline"].rewrite(CPP).count("'\\n'") == 2
    synced = CODEMODS["cpp-sync-with-stdio"].rewrite(CPP)
    assert (
        "int main() {\n    std::ios::sync_with_stdio(false);\n    std::cin.tie(nullptr);\n    int n;"  # noqa: E501
        in synced
    )
    const = CODEMODS["cpp-pass-by-const-ref"].rewrite(CPP)
    assert "long long total(const vector<long long>& v, const string& s) {" in const


@pytest.mark.parametrize(
    ("name", "src"),
    [
        (
            "cpp-endl-to-newline",
            "#include <iostream>\nint main() { std::cout << 1 << std::endl; abort(); }\n",
        ),
        (
            "cpp-endl-to-newline",
            "#include <iostream>\nint endl = 1;\nint main() { std::cout << endl; }\n",
        ),
        (
            "cpp-sync-with-stdio",
            '#include <bits/stdc++.h>\nint main() { int n; std::cin >> n; printf("%d", n); }\n',
        ),
        (
            "cpp-sync-with-stdio",
            "#include <iostream>\nint main() { std::ios::sync_with_stdio(0); std::cin.get(); }\n",
        ),
        (
            "cpp-pass-by-const-ref",
            "#include <vector>\nint f(std::vector<int> v) { v[0] = 1; return v[0]; }\n",
        ),
        (
            "cpp-pass-by-const-ref",
            "#include <vector>\nint f(std::vector<int> v) { v.push_back(1); return 0; }\n",
        ),
        (
            "cpp-pass-by-const-ref",
            "#include <vector>\nstd::vector<int> g;\nint f(std::vector<int> v) { g.clear(); return v.size(); }\n",  # noqa: E501
        ),
        (
            "cpp-pass-by-const-ref",
            "#include <vector>\nint f(std::vector<int> v);\nint f(std::vector<int> v) { return v.size(); }\n",  # noqa: E501
        ),
        (
            "cpp-pass-by-const-ref",
            "#include <vector>\nint f(std::vector<int> v) { std::sort(v.begin(), v.end()); return v[0]; }\n",  # noqa: E501
        ),
    ],
)
def test_cpp_refuses(name, src):
    assert CODEMODS[name].rewrite(src) is None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_cpp_equivalence_compiled(tmp_path):
    variants = [("orig", CPP), *apply_all_program(CPP, "cpp")]
    assert len(variants) == 5  # three codemods and their chain
    binaries = []
    for i, (_, source) in enumerate(variants):
        src = tmp_path / f"v{i}.cpp"
        src.write_text(source)
        exe = tmp_path / f"v{i}"
        subprocess.run(
            ["g++", "-O1", "-std=c++17", "-o", str(exe), str(src)],
            check=True,
            timeout=120,
            capture_output=True,
        )
        binaries.append(exe)
    for stdin in ("0\n", "3\n1 2 3\n", "5\n-7 0 9 1000000000000 4\n"):
        outs = {
            subprocess.run([str(b)], input=stdin, capture_output=True, text=True, timeout=10).stdout
            for b in binaries
        }
        assert len(outs) == 1, stdin
