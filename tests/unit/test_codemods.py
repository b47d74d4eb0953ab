"""Codemods: exact rewrites, every refusal, and equal behaviour on generated inputs."""

from __future__ import annotations

import copy
import functools
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfopt.errors import UserError
from perfopt.languages.python import replace_function
from perfopt.skills.codemods import CODEMODS, apply_all, get_codemod


@functools.cache
def run(name: str, source: str) -> str | None:
    return CODEMODS[name].rewrite(textwrap.dedent(source))


@functools.cache
def rewrites(source: str) -> tuple[tuple[str, str], ...]:
    return tuple(apply_all(source))


@functools.cache
def load(source: str, name: str):
    namespace: dict = {}
    exec(compile(source, "<codemod-test>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace[name]


def outcome(func, *args):
    """(result or exception type, the arguments afterwards) of one call."""
    args = copy.deepcopy(args)
    try:
        result = func(*args)
    except Exception as exc:  # noqa: BLE001 - equal behaviour includes the same raise
        result = type(exc)
    return result, args


def assert_same(original: str, rewritten: str, name: str, *args) -> None:
    assert outcome(load(original, name), *args) == outcome(load(rewritten, name), *args)


# --- list-membership-to-set -----------------------------------------------------------

DEDUPE = """\
def dedupe(items, banned):
    out = []
    # scan
    for x in items:
        if x not in banned and x not in out:
            out.append(x)
    return out
"""
TYPED_DEDUPE = DEDUPE.replace("banned)", "banned: list[int])")


def test_membership_leaves_unknown_parameter_and_sets_annotated_one():
    # `banned` may be a dict, a set or a str: no guess, and no try/isinstance scaffolding
    assert run("list-membership-to-set", DEDUPE) is None
    assert run("list-membership-to-set", TYPED_DEDUPE) == TYPED_DEDUPE.replace(
        "    # scan", "    banned_set = set(banned)\n    # scan"
    ).replace("x not in banned", "x not in banned_set")


def test_membership_literal_list_local_becomes_a_set_display():
    src = """\
    def f(items):
        allowed = [1, 2, 3]
        n = 0
        while n < 10:
            for x in items:
                if x in allowed:
                    n += 1
            n += 1
        return n
    """
    assert run("list-membership-to-set", src) == textwrap.dedent("""\
    def f(items):
        allowed = {1, 2, 3}
        n = 0
        while n < 10:
            for x in items:
                if x in allowed:
                    n += 1
            n += 1
        return n
    """)


def test_membership_fresh_list_of_unknown_items_is_left_alone():
    # set(pool) could raise on an unhashable item; a try/except fallback is scaffolding
    src = "def f(xs, ys):\n    pool = list(ys)\n    return sum(1 for x in xs if x in pool) + len([x for x in xs])\n"
    assert run("list-membership-to-set", src) is None
    src = "def f(xs, ys):\n    pool = list(ys)\n    for x in xs:\n        if x in pool:\n            return x\n"
    assert run("list-membership-to-set", src) is None


@pytest.mark.parametrize(
    "src",
    [
        # (b is annotated: its type is known, so each case refuses for the reason it names)
        # mutated: append / subscript assignment / attribute call not read-only
        "def f(xs, b: list[int]):\n    for x in xs:\n        if x in b:\n            b.append(x)\n",
        "def f(xs, b: list[int]):\n    for x in xs:\n        if x in b:\n            b[0] = x\n",
        # rebound
        "def f(xs, b: list[int]):\n    b = list(b)\n    for x in xs:\n        if x in b:\n            return x\n",
        # passed to an unknown call (could mutate or keep it)
        "def f(xs, b: list[int]):\n    g(b)\n    for x in xs:\n        if x in b:\n            return x\n",
        # deleted
        "def f(xs, b: list[int]):\n    for x in xs:\n        if x in b:\n            return x\n    del b\n",
        # a str keeps substring semantics
        "def f(xs):\n    v = 'aeiou'\n    for x in xs:\n        if x in v:\n            return x\n",
        # already a set
        "def f(xs):\n    v = {1, 2}\n    for x in xs:\n        if x in v:\n            return x\n",
        # assigned inside the loop: no place to hoist
        "def f(xs):\n    for x in xs:\n        v = [x]\n        if x in v:\n            return x\n",
        # not in a loop
        "def f(x, b: list[int]):\n    return x in b\n",
        # dynamic scope access
        "def f(xs, b: list[int]):\n    for x in xs:\n        if x in b:\n            exec('b = 1')\n",
        # name collision with the hoisted name
        "def f(xs, b: list[int]):\n    b_set = 1\n    for x in xs:\n        if x in b:\n            return b_set\n",
    ],
)
def test_membership_refuses(src):
    assert run("list-membership-to-set", src) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-3, 3), st.text("ab", max_size=2)), max_size=8),
    st.one_of(
        st.lists(st.integers(-3, 3), max_size=5),
        st.tuples(st.integers(-3, 3), st.integers(-3, 3)),
    ),
)
def test_membership_property(items, banned):
    new = run("list-membership-to-set", TYPED_DEDUPE)
    assert_same(TYPED_DEDUPE, new, "dedupe", items, banned)


# --- concat-in-loop-to-join -----------------------------------------------------------

RENDER = """\
def render(rows):
    out = ""  # result
    for r in rows:
        if r:
            out += str(r) + "\\n"
    return out
"""


def test_concat_rewrites_to_join():
    assert (
        run("concat-in-loop-to-join", RENDER)
        == """\
def render(rows):
    out_parts = []  # result
    for r in rows:
        if r:
            out_parts.append(str(r) + "\\n")
    out = "".join(out_parts)
    return out
"""
    )


def test_concat_bytes_and_two_accumulators():
    src = "def f(xs):\n    s = b''\n    for x in xs:\n        s += x\n    n = str()\n    for y in xs:\n        n += y.hex()\n    return s, n\n"
    assert run("concat-in-loop-to-join", src) == (
        "def f(xs):\n    s_parts = []\n    for x in xs:\n        s_parts.append(x)\n"
        "    s = b''.join(s_parts)\n    n_parts = []\n    for y in xs:\n"
        '        n_parts.append(y.hex())\n    n = "".join(n_parts)\n    return s, n\n'
    )


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n        print(s)\n    return s\n",
        "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n    else:\n        s += '!'\n    return s\n",
        "def f(xs):\n    s = ''\n    print(s)\n    for x in xs:\n        s += x\n    return s\n",
        "def f(xs):\n    try:\n        s = ''\n        for x in xs:\n            s += x\n    finally:\n        pass\n    return s\n",
        # a non-str x: `+=` raises before the next print, the join only after every print
        "def f(xs):\n    s = 'head'\n    for x in xs:\n        print(x)\n        s += x\n    return s\n",
        "def f(xs, s=''):\n    for x in xs:\n        s += x\n    return s\n",
        "def f(xs):\n    s = ''\n    for x in xs:\n        s = s + x\n    return s\n",
        "def f(xs):\n    s = ''\n    for x in xs:\n        def g():\n            nonlocal s\n            s += x\n        g()\n    return s\n",
    ],
)
def test_concat_refuses(src):
    assert run("concat-in-loop-to-join", src) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-2, 2), st.text(max_size=3), st.none()), max_size=8))
def test_concat_property(rows):
    assert_same(RENDER, run("concat-in-loop-to-join", RENDER), "render", rows)


# --- list-pop0-to-deque ---------------------------------------------------------------

BFS = """\
def bfs(graph, start):
    seen = {start}
    queue = [start]
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order
"""


def test_deque_rewrites_bfs():
    assert run("list-pop0-to-deque", BFS) == BFS.replace(
        "queue = [start]", "queue = deque([start])"
    ).replace("queue.pop(0)", "queue.popleft()").replace(
        "def bfs", "from collections import deque\n\n\ndef bfs"
    )


ROTATE = """\
def fold(xs):
    q = list(xs)
    while len(q) > 1:
        q.insert(0, q.pop() - q.pop(0))
    return q[0] if q else None
"""


def test_deque_insert0_and_nested_pop():
    assert run("list-pop0-to-deque", ROTATE) == (
        "from collections import deque\n\n\ndef fold(xs):\n    q = deque(xs)\n"
        "    while len(q) > 1:\n        q.appendleft(q.pop() - q.popleft())\n"
        "    return q[0] if q else None\n"
    )


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    return q\n",  # escapes
        "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    return q[1:]\n",  # slicing
        "def f(q):\n    q.pop(0)\n",  # a parameter: the caller sees the type change
        "def f(xs):\n    q = list(xs)\n    q.append(1)\n    return len(q)\n",  # no FIFO use
        "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    q.sort()\n",  # list-only method
        "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    g(q)\n",  # passed to a call
        "def f(xs):\n    q = list(xs)\n    for x in q:\n        q.pop(0)\n",  # mutated while iterated
        "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    return q == [1]\n",  # deque != list
        "def f(xs, deque):\n    q = list(xs)\n    return q.pop(0)\n",  # name taken
        "def f(xs):\n    q = xs\n    return q.pop(0)\n",  # not a fresh list
    ],
)
def test_deque_refuses(src):
    assert run("list-pop0-to-deque", src) is None


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(0, 6), st.lists(st.integers(0, 6), max_size=4)), st.integers(0, 6)
)
def test_deque_property_bfs(graph, start):
    assert_same(BFS, run("list-pop0-to-deque", BFS), "bfs", graph, start)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 5), max_size=8))
def test_deque_property_fold(xs):
    assert_same(ROTATE, run("list-pop0-to-deque", ROTATE), "fold", xs)


# --- count-in-loop-to-counter ---------------------------------------------------------

MODE = """\
def mode(words: list[str]):
    best = None
    for w in words:
        if best is None or words.count(w) > words.count(best):
            best = w
    return best
"""

DUPS = "def dups(xs: tuple[int, ...]):\n    return [x for x in xs if xs.count(x) > 1]\n"


def test_counter_in_for_loop():
    assert (
        run("count-in-loop-to-counter", MODE)
        == """\
from collections import Counter


def mode(words: list[str]):
    best = None
    counts = Counter(words)
    for w in words:
        if best is None or counts[w] > words.count(best):
            best = w
    return best
"""
    )


def test_counter_in_comprehension():
    assert run("count-in-loop-to-counter", DUPS) == (
        "from collections import Counter\n\n\ndef dups(xs: tuple[int, ...]):\n"
        "    counts = Counter(xs)\n    return [x for x in xs if counts[x] > 1]\n"
    )
    # items of unknown type may be unhashable: Counter would raise where .count scanned,
    # and a try/except fallback around it is no diff a maintainer merges
    untyped = DUPS.replace(": tuple[int, ...]", "")
    assert run("count-in-loop-to-counter", untyped) is None
    assert run("count-in-loop-to-counter", MODE.replace(": list[str]", "")) is None


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs):\n    for x in xs:\n        xs.append(1)\n        xs.count(x)\n",
        "def f(xs, ys):\n    return [ys.count(x) for x in xs]\n",  # other sequence
        "def f(xs):\n    for x in xs:\n        x = x + 1\n        xs.count(x)\n",  # item rebound
        "def f(xs):\n    return [xs.count(x + 1) for x in xs]\n",  # not the item itself
        "def f(xs):\n    g(xs)\n    return [xs.count(x) for x in xs]\n",  # may be mutated
        "def f(xs, Counter):\n    return [xs.count(x) for x in xs]\n",  # name taken
        "def f(xs):\n    return [(lambda: xs.count(x))() for x in xs]\n",  # nested scope
        "async def f(xs):\n    async for x in xs:\n        xs.count(x)\n",  # async iteration
    ],
)
def test_counter_refuses(src):
    assert run("count-in-loop-to-counter", src) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-2, 2), st.booleans()), max_size=8),
    st.lists(st.text("abc", max_size=2), max_size=8),
)
def test_counter_property(ints, words):
    # inputs as the annotations promise (True == 1 and hash alike: still one key)
    assert_same(DUPS, run("count-in-loop-to-counter", DUPS), "dups", tuple(ints))
    assert_same(MODE, run("count-in-loop-to-counter", MODE), "mode", words)


# --- sorted-index-to-min-max ----------------------------------------------------------

ENDS = (
    "def ends(xs, d):\n    if not xs or not d:\n        return None\n"
    "    return sorted(xs)[0], sorted( d.values() )[-1], sorted(xs, key=abs)[0], sorted(xs)[1]\n"
)


def test_sorted_ends():
    # [0] is the first minimal element, as min returns; [-1] is the *last* maximal one, which
    # max only matches for interchangeable items (d's values are unknown): it stays
    assert run("sorted-index-to-min-max", ENDS) == (
        "def ends(xs, d):\n    if not xs or not d:\n        return None\n"
        "    return min(xs), sorted( d.values() )[-1], min(xs, key=abs), sorted(xs)[1]\n"
    )


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs):\n    return sorted(xs, reverse=True)[0]\n",
        "def f(xs):\n    return sorted(xs)[2]\n",
        "def f(xs, sorted):\n    return sorted(xs)[0]\n",
        "def f(xs, min):\n    return sorted(xs)[0]\n",
        "def f(xs):\n    return sorted(*xs)[0]\n",
    ],
)
def test_sorted_refuses(src):
    assert run("sorted-index-to-min-max", src) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-9, 9), min_size=2, max_size=8),
    st.dictionaries(st.text(max_size=2), st.integers(), min_size=1),
)
def test_sorted_property(xs, d):
    assert_same(ENDS, run("sorted-index-to-min-max", ENDS), "ends", xs, d)


# --- list-comprehension-over-append ---------------------------------------------------

SQUARES = "def squares(xs):\n    out = []\n    # square them\n    for x in xs:\n        out.append(x * x)\n    return out\n"


def test_append_to_comprehension():
    assert run("list-comprehension-over-append", SQUARES) == (
        "def squares(xs):\n    # square them\n    out = [x * x for x in xs]\n    return out\n"
    )


@pytest.mark.parametrize(
    "src",
    [
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out, x\n",
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(len(out))\n    return out\n",
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n        print(x)\n    return out\n",
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    else:\n        pass\n    return out\n",
        "def f(xs):\n    out = [0]\n    for x in xs:\n        out.append(x)\n    return out\n",
        "def f(xs):\n    out = []\n    for x in xs:\n        out.append((yield x))\n    return out\n",
    ],
)
def test_append_refuses(src):
    assert run("list-comprehension-over-append", src) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-50, 50), max_size=8))
def test_append_property(xs):
    assert_same(SQUARES, run("list-comprehension-over-append", SQUARES), "squares", xs)


# --- registry / apply_all -------------------------------------------------------------

REPORT = """\
def report(words: list[str], stop: list[str]):
    text = ""
    queue = list(words)
    while queue:
        w = queue.pop(0)
        if w not in stop:
            text += w + str(words.count(w))
    return text, sorted(words)[0] if words else None
"""


def test_apply_all_lists_each_and_the_combination():
    results = dict(apply_all(REPORT))
    assert set(results) == {
        "list-membership-to-set",
        "concat-in-loop-to-join",
        "list-pop0-to-deque",
        "sorted-index-to-min-max",
        "list-membership-to-set+concat-in-loop-to-join+list-pop0-to-deque+sorted-index-to-min-max",
    }
    combined = results[max(results, key=len)]
    assert "popleft()" in combined and "stop_set = set(stop)" in combined
    assert "min(words) if words" in combined
    assert combined.startswith("from collections import deque\n\n\ndef report")
    file_text = f'"""Mod."""\n\nimport os\n\n\n{REPORT}'
    new_file = replace_function(file_text, "report", combined)
    assert "import os\nfrom collections import deque\n" in new_file


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=8),
    st.lists(st.sampled_from(["a", "b"]), max_size=2),
)
def test_apply_all_property(words, stop):
    for _, new in rewrites(REPORT):
        assert_same(REPORT, new, "report", words, stop)


def test_apply_all_empty_for_plain_code_and_registry_names():
    assert apply_all("def f(x):\n    return x + 1\n") == []
    assert apply_all("x = 1\n") == []
    assert all(c.name == key for key, c in CODEMODS.items())
    # Python codemods are named after their skill; C++ ones say what they rewrite
    assert all(c.name == c.skill_id for c in CODEMODS.values() if c.language == "python")
    with pytest.raises(UserError, match="valid codemods: "):
        get_codemod("nope")
