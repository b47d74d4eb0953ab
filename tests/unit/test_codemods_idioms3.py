"""precompile-regex and local-alias-hot-loop: exact rewrites, every refusal, the round trip
through replace_function into a whole module, and equal behaviour on generated inputs."""

from __future__ import annotations

import functools
import re
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfopt.languages.python import get_function, replace_function
from perfopt.skills.codemods import CODEMODS, apply_all, apply_all_program, local_alias
from tests.unit.test_codemods import assert_same, load


@functools.cache
def regex(source: str) -> str | None:
    return CODEMODS["precompile-regex"].rewrite(textwrap.dedent(source))


@functools.cache
def alias(source: str, version: tuple[int, int] = (3, 10)) -> str | None:
    return local_alias.rewrite_for(textwrap.dedent(source), version)


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- precompile-regex: shapes it fires on -----------------------------------------------

REGEX_CASES = [
    (  # a literal and constant flags in a comprehension; named after the function
        """
        def words(lines):
            return [w for line in lines for w in re.findall(r"[a-z]+", line, re.I)]
        """,
        """
        import re

        _WORDS_RE = re.compile(r"[a-z]+", re.I)


        def words(lines):
            return [w for line in lines for w in _WORDS_RE.findall(line)]
        """,
    ),
    (  # one call, no loop: the lookup is paid on every call of the function
        """
        def parse(line):
            m = re.match(r"(?P<key>\\w+)=(?P<value>.*)", line, flags=re.I | re.M)
            return m.group("key") if m else None
        """,
        """
        import re

        _KEY_VALUE_RE = re.compile(r"(?P<key>\\w+)=(?P<value>.*)", re.I | re.M)


        def parse(line):
            m = _KEY_VALUE_RE.match(line)
            return m.group("key") if m else None
        """,
    ),
    (  # search + sub with count, two constants, names from the escapes
        """
        def scrub(lines):
            out = []
            for s in lines:
                if re.search(r"\\d", s):
                    out.append(re.sub(r"\\d+", "#", s, count=1))
            return out
        """,
        """
        import re

        _DIGIT_RE = re.compile(r"\\d")
        _DIGITS_RE = re.compile(r"\\d+")


        def scrub(lines):
            out = []
            for s in lines:
                if _DIGIT_RE.search(s):
                    out.append(_DIGITS_RE.sub("#", s, count=1))
            return out
        """,
    ),
    (  # re.compile in the body: the local that only holds it becomes the constant
        """
        def todos(text):
            pattern = re.compile(r"TODO:\\s*(.*)")
            return [m.group(1) for m in pattern.finditer(text)]
        """,
        """
        import re

        _TODO_RE = re.compile(r"TODO:\\s*(.*)")


        def todos(text):
            return [m.group(1) for m in _TODO_RE.finditer(text)]
        """,
    ),
    (  # an informative local names the constant; re.findall(compiled, s) -> method
        """
        def words(text):
            word_re = re.compile(r"[a-z]+", flags=re.IGNORECASE)
            return word_re.findall(text) + re.findall(word_re, text.upper())
        """,
        """
        import re

        _WORD_RE = re.compile(r"[a-z]+", re.IGNORECASE)


        def words(text):
            return _WORD_RE.findall(text) + _WORD_RE.findall(text.upper())
        """,
    ),
    (  # re.compile recompiled on every iteration
        """
        def split_all(xs):
            out = []
            for x in xs:
                rx = re.compile(r"\\s+")
                out.append(rx.split(x))
            return out
        """,
        """
        import re

        _SPACES_RE = re.compile(r"\\s+")


        def split_all(xs):
            out = []
            for x in xs:
                out.append(_SPACES_RE.split(x))
            return out
        """,
    ),
    (  # a compiled pattern built from an argument: only re.match(pat, s) -> pat.match(s)
        """
        def keep(lines, p):
            pat = re.compile(p)
            return [x for x in lines if re.match(pat, x)]
        """,
        """
        import re


        def keep(lines, p):
            pat = re.compile(p)
            return [x for x in lines if pat.match(x)]
        """,
    ),
    (  # an UPPER_CASE module constant as the pattern (no flags), and nested calls
        """
        def normalize(s):
            return re.sub(r"a", "b", re.sub(WORD_SEP, " ", s), 1)
        """,
        """
        import re

        _NORMALIZE_RE = re.compile(r"a")
        _WORD_SEP_RE = re.compile(WORD_SEP)


        def normalize(s):
            return _NORMALIZE_RE.sub("b", _WORD_SEP_RE.sub(" ", s), 1)
        """,
    ),
    (  # re.compile in an expression; bytes pattern; split's maxsplit keeps its keyword
        """
        def fields(data):
            return re.split(rb",\\s*", data, maxsplit=2) + [re.compile(r"\\s+").sub("", "a b")]
        """,
        """
        import re

        _SPACES_RE = re.compile(r"\\s+")
        _FIELDS_RE = re.compile(rb",\\s*")


        def fields(data):
            return _FIELDS_RE.split(data, maxsplit=2) + [_SPACES_RE.sub("", "a b")]
        """,
    ),
    (  # a local bound twice stays, holding the constants; the import lines stay first
        """
        import re
        from typing import Optional


        def comment(s, strict) -> Optional[re.Match]:
            pat = re.compile(r"^\\s*#")
            if strict:
                pat = re.compile(r"^\\s*(#|//)")
            return pat.match(s)
        """,
        """
        import re
        from typing import Optional

        _COMMENT_RE = re.compile(r"^\\s*#")
        _COMMENT_RE_2 = re.compile(r"^\\s*(#|//)")


        def comment(s, strict) -> Optional[re.Match]:
            pat = _COMMENT_RE
            if strict:
                pat = _COMMENT_RE_2
            return pat.match(s)
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), REGEX_CASES)
def test_regex_rewrites(before, after):
    assert regex(before) == d(after)


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs, p):\n    return [re.match(p, x) for x in xs]\n",  # pattern is an argument
        "def f(xs, sep):\n    return [re.split('a' + sep, x) for x in xs]\n",  # built at run time
        "def f(x, n):\n    return re.match(f'a{n}', x)\n",  # f-string
        "def f(xs, i):\n    return [re.match('a', x, i) for x in xs]\n",  # flags from an argument
        "def f(x):\n    return re.match('a', x, FLAGS)\n",  # flags from a module name
        "def f(x):\n    return re.match('a', x, re.DEBUG)\n",  # prints when compiled
        "def f(x):\n    return re.match(pattern, x)\n",  # lower-case global: may change
        "def f(x):\n    return re.match(PAT, x, re.I)\n",  # module constant with flags
        "def f(x):\n    PAT = 'a'\n    return re.match(PAT, x)\n",  # a local, not a constant
        "def f(xs):\n    return [re.match('(', x) for x in xs]\n",  # does not compile
        "def f(x):\n    return re.match('[[a]', x)\n",  # FutureWarning at compile time
        "def f(x, re):\n    return re.match('a', x)\n",  # re is a parameter
        "def f(x):\n    import regex as re\n    return re.match('a', x)\n",  # another re
        "def f(x):\n    global re\n    return re.match('a', x)\n",
        "def f(x):\n    locals()\n    return re.match('a', x)\n",  # dynamic
        "def f(x):\n    return re.match(pattern='a', string=x)\n",  # keyword pattern
        "def f(x, a):\n    return re.match('a', *a)\n",  # star-arguments
        "def f(x):\n    return re.match('a', x, 0, 1)\n",  # too many: TypeError stays
        "def f(x):\n    return re.match('a', x, pos=1)\n",  # unknown keyword
        "def f(x, p):\n    pat = re.compile(p)\n    return re.match(pat, x, re.I)\n",  # raises
        "def f(x, p=re.compile('a')):\n    return p.match(x)\n",  # a default runs once
        "def f(x):\n    return re.escape(x)\n",  # not a pattern call
    ],
)
def test_regex_refuses(src):
    assert regex(src) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text("a1 9#/x", max_size=6), max_size=6), st.booleans())
def test_regex_same_behaviour(lines, strict):
    for before, _ in REGEX_CASES[2:4]:
        source = "import re\n" + d(before)
        name = re.search(r"def (\w+)", source).group(1)  # type: ignore[union-attr]
        rewritten = regex(source)
        assert rewritten is not None
        arg = lines if name == "scrub" else "\n".join(lines)
        assert_same(source, rewritten, name, arg)
    source = d(REGEX_CASES[-1][0])
    old, new = load(source, "comment"), load(regex(source), "comment")
    for s in lines:
        assert span(old(s, strict)) == span(new(s, strict))


def span(match: re.Match | None) -> tuple[int, int] | None:
    return None if match is None else match.span()


# --- precompile-regex through replace_function into a whole module ---------------------

MODULE = '''\
"""Log tools."""
import re

WORD_SEP = r"[,;]\\s*"


# the hot one
def tokens(line):
    return [t for t in re.split(WORD_SEP, line) if re.fullmatch(r"\\d+", t)]


class Parser:
    def keys(self, lines):
        return [re.match(r"(?P<key>\\w+)=", s) for s in lines]
'''


def _rewrite_module(source: str) -> str:
    for name in ("tokens", "Parser.keys"):
        new = regex(get_function(source, name))
        assert new is not None
        source = replace_function(source, name, new)
    return source


def test_regex_round_trip_places_constants_above_each_function():
    assert _rewrite_module(MODULE) == '''\
"""Log tools."""
import re

WORD_SEP = r"[,;]\\s*"


_WORD_SEP_RE = re.compile(WORD_SEP)
_DIGITS_RE = re.compile(r"\\d+")


# the hot one
def tokens(line):
    return [t for t in _WORD_SEP_RE.split(line) if _DIGITS_RE.fullmatch(t)]


_KEY_RE = re.compile(r"(?P<key>\\w+)=")


class Parser:
    def keys(self, lines):
        return [_KEY_RE.match(s) for s in lines]
'''


def test_regex_round_trip_behaves_the_same():
    old_ns: dict = {}
    new_ns: dict = {}
    exec(compile(MODULE, "<old>", "exec"), old_ns)  # noqa: S102 - test fixtures
    exec(compile(_rewrite_module(MODULE), "<new>", "exec"), new_ns)  # noqa: S102
    line = "12, ab;3;x4"
    assert old_ns["tokens"](line) == new_ns["tokens"](line) == ["12", "3"]
    keys = ["a=1", "b", "c_d=2"]
    old = [m and m.group("key") for m in old_ns["Parser"]().keys(keys)]
    assert old == [m and m.group("key") for m in new_ns["Parser"]().keys(keys)]


def test_regex_round_trip_import_added_and_constant_reused():
    one = "def {}(s):\n    return re.match('ab', s)\n"
    source = one.format("f") + "\n\n" + one.format("g")
    program = dict(apply_all_program(source))["precompile-regex"]
    assert program == (
        "import re\n\n\n_AB_RE = re.compile('ab')\n\n\ndef f(s):\n    return _AB_RE.match(s)\n"
        "\n\ndef g(s):\n    return _AB_RE.match(s)\n"
    )


def test_regex_in_a_script_main_that_imports_re_itself():
    # main-function-locals moves a script's `import re` into main()
    script = (
        "def main():\n    import re\n    for _ in range(int(input())):\n"
        "        print(len(re.findall(r'\\d+', input())))\n\n\nmain()\n"
    )
    new = regex(get_function(script, "main"))
    assert new is not None
    assert replace_function(script, "main", new) == (
        "import re\n\n\n_DIGITS_RE = re.compile(r'\\d+')\n\n\n" + script
    ).replace("re.findall(r'\\d+', input())", "_DIGITS_RE.findall(input())")


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("_AB_RE = 1\n\ndef f(s):\n    return re.match('ab', s)\n", "already uses"),
        ("def f(s):\n    return re.match(SEP, s)\n\nSEP = ','\n", "SEP"),  # defined below
        ("SEP = ','\n\ndef f(s):\n    return re.match(SEP, s)\n\nSEP = ';'\n", "SEP"),  # rebound
        ("import re\ndef f(s):\n    return re.match(SEP, s)\n", "SEP"),  # never defined
        ("SEP = ','\ndef o():\n    def f(s):\n        return re.match(SEP, s)\n", "SEP"),  # nested
    ],
)
def test_replace_function_refuses_unsafe_constants(module, message):
    name = "o.f" if "def o" in module else "f"
    new = regex(get_function(module, name))
    assert new is not None
    with pytest.raises(ValueError, match=message):
        replace_function(module, name, new)


@pytest.mark.parametrize(
    "bad",
    [
        "_x = re.compile('x')\ndef f(s):\n    return s\n",  # not an UPPER_CASE constant
        "_X = _Y = 1\ndef f(s):\n    return s\n",  # two targets
        "def f(s):\n    return s\n_X = 1\n",  # after the definition
    ],
)
def test_replace_function_accepts_only_private_constants_before_the_def(bad):
    with pytest.raises(ValueError, match="only import lines|after the definition"):
        replace_function("def f(s):\n    return s\n", "f", bad)


def test_replace_function_keeps_the_comment_above_the_function():
    new = "import re\n\n_X_RE = re.compile('x')\n\n\ndef f(s):\n    return _X_RE.match(s)\n"
    module = "import os\n\n\n# f finds x\ndef f(s):\n    return re.match('x', s)\n"
    assert replace_function(module, "f", new) == (
        "import os\nimport re\n\n\n_X_RE = re.compile('x')\n\n\n# f finds x\n"
        "def f(s):\n    return _X_RE.match(s)\n"
    )


def test_chained_codemods_keep_the_constants():
    src = "def f(xs):\n    return [bin(x).count('1') for x in xs if re.match('1+', str(x))]\n"
    chained = dict(apply_all(src))
    combined = chained["precompile-regex+bit-count-builtin"]
    assert combined.startswith("import re\nfrom operator import index as _op_index\n\n_F_RE =")
    assert "_op_index(x).bit_count()" in combined and "_F_RE.match(str(x))" in combined


# --- local-alias-hot-loop: shapes it fires on -------------------------------------------

ALIAS_CASES = [
    (  # a list literal's append and a math function, every iteration of a tight loop
        """
        def norms(points):
            out = []
            for x, y in points:
                out.append(math.sqrt(x * x + y * y))
            return out
        """,
        """
        def norms(points):
            out = []
            out_append = out.append
            sqrt = math.sqrt
            for x, y in points:
                out_append(sqrt(x * x + y * y))
            return out
        """,
    ),
    (  # dict() constructor; the method's call reads the dict it does not rebind
        """
        def tally(words):
            counts = dict()
            for w in words:
                counts[w] = counts.get(w, 0) + 1
            return counts
        """,
        """
        def tally(words):
            counts = dict()
            counts_get = counts.get
            for w in words:
                counts[w] = counts_get(w, 0) + 1
            return counts
        """,
    ),
    (  # a module function in an inner loop: bound once, before the outer loop
        """
        def grid(n):
            total = 0.0
            for i in range(n):
                for j in range(n):
                    total += math.hypot(i, j)
            return total
        """,
        """
        def grid(n):
            total = 0.0
            hypot = math.hypot
            for i in range(n):
                for j in range(n):
                    total += hypot(i, j)
            return total
        """,
    ),
    (  # a list rebound per row: its alias goes inside the outer loop; the outer loop's
        # extend is not aliased (a loop inside makes its body heavy)
        """
        def doubled(rows):
            total = []
            for row in rows:
                acc = []
                for x in row:
                    acc.append(x * 2)
                total.extend(acc)
            return total
        """,
        """
        def doubled(rows):
            total = []
            for row in rows:
                acc = []
                acc_append = acc.append
                for x in row:
                    acc_append(x * 2)
                total.extend(acc)
            return total
        """,
    ),
    (  # while loop, heapq; os.path.join reads as path_join
        """
        def drain(items, root):
            h = []
            while items:
                heapq.heappush(h, os.path.join(root, items.pop()))
            return h
        """,
        """
        def drain(items, root):
            h = []
            heappush = heapq.heappush
            path_join = os.path.join
            while items:
                heappush(h, path_join(root, items.pop()))
            return h
        """,
    ),
    (  # a builtin name (pow) is never shadowed: math_pow; the except clause's call uses
        # the alias too; an annotated literal is typed as well
        """
        def powers(xs, e):
            vals: list = []
            for x in xs:
                try:
                    vals.append(math.pow(x, e))
                except OverflowError:
                    vals.append(0.0)
            return vals
        """,
        """
        def powers(xs, e):
            vals: list = []
            vals_append = vals.append
            math_pow = math.pow
            for x in xs:
                try:
                    vals_append(math_pow(x, e))
                except OverflowError:
                    vals_append(0.0)
            return vals
        """,
    ),
    (  # two loops: the aliases bound before the first serve the second
        """
        def roots(xs, ys):
            a = [math.sqrt(x) for x in xs]
            for y in ys:
                a.append(math.sqrt(y))
            for y in ys:
                a.append(math.floor(y))
            return a
        """,
        """
        def roots(xs, ys):
            a = [math.sqrt(x) for x in xs]
            a_append = a.append
            sqrt = math.sqrt
            for y in ys:
                a_append(sqrt(y))
            floor = math.floor
            for y in ys:
                a_append(floor(y))
            return a
        """,
    ),
]


@pytest.mark.parametrize(("before", "after"), ALIAS_CASES)
def test_alias_rewrites_up_to_310(before, after):
    assert alias(before) == d(after)


@pytest.mark.parametrize(("before", "after"), ALIAS_CASES)
def test_alias_silent_from_311(before, after):
    # measured on 3.11: no alias reaches min_speedup and list.append gets slower
    assert alias(before, (3, 11)) is None and alias(before, (3, 13)) is None
    if sys.version_info >= (3, 11):
        assert CODEMODS["local-alias-hot-loop"].rewrite(d(before)) is None


@pytest.mark.parametrize(
    "src",
    [
        # the receiver's type is unknown: a parameter, a call's result, an attribute
        "def f(xs, out):\n    for x in xs:\n        out.append(x)\n",
        "def f(xs):\n    out = make()\n    for x in xs:\n        out.append(x)\n    return out\n",
        "def f(self, xs):\n    for x in xs:\n        self.items.add(x)\n",
        # rebound inside the loop: an alias before it would fill the first list only
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        out = [x]\n"
        "    return out\n",
        # bound only under an if: may be unbound where the alias would be taken
        "def f(xs, c):\n    if c:\n        out = []\n    for x in xs:\n        out.append(x)\n",
        # two kinds of object under one name
        "def f(xs):\n    out = []\n    out = set()\n    for x in xs:\n        out.add(x)\n",
        # a method outside the list (sort mutates order; no gain to claim)
        "def f(xs):\n    out = []\n    for x in xs:\n        out.sort()\n",
        # not on every iteration: under an if, in an else clause, the right of `and`
        "def f(xs):\n    seen = set()\n    for x in xs:\n        if x > 0:\n"
        "            seen.add(x)\n    return seen\n",
        "def f(xs):\n    out = []\n    for x in xs:\n        pass\n    else:\n"
        "        out.append(1)\n    return out\n",
        "def f(xs):\n    out = []\n    for x in xs:\n        x and out.append(x)\n    return out\n",
        # in a lambda or a comprehension of the loop: another scope
        "def f(xs):\n    for x in xs:\n        g = lambda v: math.sqrt(v)\n",
        "def f(xss):\n    for xs in xss:\n        print([math.sqrt(x) for x in xs])\n",
        # a heavy body: the saving disappears
        "def f(xs):\n    out = []\n    for x in xs:\n        y = x * 3 + 1\n"
        "        if y % 7 == 0:\n            y = y // 7\n        s = str(y)\n"
        "        out.append(s)\n    return out\n",
        # builtins, unknown modules and functions, the module rebound in the function
        "def f(rows):\n    t = 0\n    for r in rows:\n        t += len(r)\n    return t\n",
        "def f(xs):\n    for x in xs:\n        json.dumps(x)\n",
        "def f(xs):\n    for x in xs:\n        math.prod(x)\n",
        "def f(xs, math):\n    for x in xs:\n        math.sqrt(x)\n",
        "def f(xs):\n    import math\n    for x in xs:\n        math.sqrt(x)\n",
        # not in a loop
        "def f(x):\n    out = []\n    out.append(math.sqrt(x))\n    return out\n",
        # dynamic, or the alias name is taken by something else
        "def f(xs):\n    locals()\n    for x in xs:\n        math.sqrt(x)\n",
        "def f(xs):\n    out = []\n    out_append = 1\n    for x in xs:\n        out.append(x)\n",
    ],
)
def test_alias_refuses(src):
    assert alias(src) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), max_size=8))
def test_alias_same_behaviour(points):
    source = "import math\n" + d(ALIAS_CASES[0][0])
    assert_same(source, alias(source), "norms", points)
    rows = [[int(x) % 7 for x in p] for p in points]
    doubled = "import math\n" + d(ALIAS_CASES[3][0])
    assert_same(doubled, alias(doubled), "doubled", rows)


def test_alias_round_trip_into_a_module():
    module = (
        "import math\n\n\nclass Geo:\n    def norms(self, points):\n        out = []\n"
        "        for x, y in points:\n            out.append(math.sqrt(x * x + y * y))\n"
        "        return out\n"
    )
    new = alias(get_function(module, "Geo.norms"))
    assert new is not None
    out = replace_function(module, "Geo.norms", new)
    assert out == module.replace(
        "        out = []\n",
        "        out = []\n        out_append = out.append\n        sqrt = math.sqrt\n",
    ).replace("out.append(math.sqrt(", "out_append(sqrt(")
    ns: dict = {}
    exec(compile(out, "<alias>", "exec"), ns)  # noqa: S102 - test fixture
    assert ns["Geo"]().norms([(3.0, 4.0)]) == [5.0]
