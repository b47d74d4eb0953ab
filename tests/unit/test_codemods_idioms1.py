"""Idiom codemods: seen-list dedupe, literal/list membership, sorted ends, len(list(...)).

Each shape the codemod fires on has an exact expected rewrite; each case where behaviour
could change has a refusal; a few properties run original and rewrite on generated inputs.
"""

from __future__ import annotations

import re
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfopt.skills.codemods import CODEMODS, apply_all, apply_all_program
from perfopt.skills.library import parse_card
from tests.unit.test_codemods import assert_same, run
from tests.unit.test_codemods_more import run_program


def expect(name: str, before: str, after: str) -> None:
    assert run(name, before) == textwrap.dedent(after)


# --- seen-list-to-set -------------------------------------------------------------------

DEDUPE = """\
def dedupe(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
"""


def test_dedupe_textbook_unknown_items_keeps_the_scan_for_unhashables():
    expect(
        "seen-list-to-set",
        DEDUPE,
        """\
        def dedupe(items):
            try:
                return list(dict.fromkeys(items))
            except TypeError:  # an unhashable item: keep the list scan
                seen = []
                for x in items:
                    if x not in seen:
                        seen.append(x)
                return seen
        """,
    )


def test_dedupe_whole_function_over_split_words():
    expect(
        "seen-list-to-set",
        '''\
        def unique_words(text):
            """Words in first-seen order."""
            # keep the first occurrence
            words = []
            for w in text.split():
                if w in words:
                    continue
                words.append(w)
            return words
        ''',
        '''\
        def unique_words(text):
            """Words in first-seen order."""
            # keep the first occurrence
            return list(dict.fromkeys(text.split()))
        ''',
    )


def test_dedupe_whole_function_with_a_filter():
    expect(
        "seen-list-to-set",
        """\
        def nonempty_unique(lines: list[str]):
            out = []
            for s in lines:
                if s and s not in out:
                    out.append(s)
            return out
        """,
        """\
        def nonempty_unique(lines: list[str]):
            return list(dict.fromkeys(s for s in lines if s))
        """,
    )


MERGE_TAGS = """\
def merge_tags(posts):
    tags = []
    for post in posts:
        for tag in post.split(","):
            tag = tag.strip()
            if tag and tag not in tags:
                tags.append(tag)
    return sorted(tags)
"""


def test_dedupe_companion_set_when_the_list_is_read():
    expect(
        "seen-list-to-set",
        MERGE_TAGS,
        """\
        def merge_tags(posts):
            tags = []
            tags_set = set()
            for post in posts:
                for tag in post.split(","):
                    tag = tag.strip()
                    if tag and tag not in tags_set:
                        tags_set.add(tag)
                        tags.append(tag)
            return sorted(tags)
        """,
    )


def test_dedupe_normalised_keys_of_unknown_items():
    # `.strip().lower()` only exists on str (and bytes): the keys are hashable
    expect(
        "seen-list-to-set",
        """\
        def normalize(names):
            result = []
            for n in names:
                key = n.strip().lower()
                if key not in result:
                    result.append(key)
            return result
        """,
        """\
        def normalize(names):
            result = []
            result_set = set()
            for n in names:
                key = n.strip().lower()
                if key not in result_set:
                    result_set.add(key)
                    result.append(key)
            return result
        """,
    )


TAGS = """\
def unique_tags(posts):
    seen = []
    for post in posts:
        for tag in post["tags"]:
            tag = tag.strip().lower()
            if tag not in seen:
                seen.append(tag)
    return seen
"""


def test_dedupe_loop_variable_normalised_in_place():
    # the textbook shape: `tag` is rebound right before the test, so what reaches the test
    # and the append is `tag.strip().lower()` (a str), whatever the posts held
    add = "                seen_set.add(tag)\n"
    assert run("seen-list-to-set", TAGS) == TAGS.replace(
        "    seen = []\n", "    seen = []\n    seen_set = set()\n"
    ).replace("if tag not in seen:", "if tag not in seen_set:").replace(
        "                seen.append(tag)", add + "                seen.append(tag)"
    )


_TAG_LOOP = "    for tag in tags:\n{}        if tag not in seen:\n            seen.append(tag)\n"


@pytest.mark.parametrize(
    "middle",
    [
        "        tag = tag.split()\n",  # a list: unhashable
        "        tag = [tag.lower()]\n",
        "        if tag:\n            tag = tag.lower()\n",  # only on some paths
        "        tag, n = tag.lower(), 1\n",  # a tuple target: not a plain rebinding
        "        tag = tag.lower()\n        tag = load(tag)\n",  # the later binding reaches
    ],
)
def test_dedupe_rebinding_that_does_not_prove_hashable(middle):
    src = "def f(tags):\n    seen = []\n" + _TAG_LOOP.format(middle) + "    return seen\n"
    assert run("seen-list-to-set", src) is None


def test_dedupe_binding_later_in_a_while_loop_reaches_the_next_pass():
    # `key` is a str on the first pass only: the loop rebinds it to `item` afterwards
    src = (
        "def f(items):\n    seen = []\n    key = ''\n    for item in items:\n"
        "        if key not in seen:\n            seen.append(key)\n        key = item\n"
        "    return seen\n"
    )
    assert run("seen-list-to-set", src) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from([" A", "a ", "B", "b", "c"]), max_size=4), max_size=5))
def test_dedupe_normalised_in_place_property(tag_lists):
    posts = [{"tags": tags} for tags in tag_lists]
    assert_same(TAGS, run("seen-list-to-set", TAGS), "unique_tags", posts)


def test_dedupe_seen_list_beside_the_result_becomes_a_set():
    expect(
        "seen-list-to-set",
        """\
        def dedupe_lines(text):
            seen = []
            out = []
            for line in text.splitlines():
                key = line.lower()
                if key not in seen:
                    seen.append(key)
                    out.append(line)
            return out
        """,
        """\
        def dedupe_lines(text):
            seen = set()
            out = []
            for line in text.splitlines():
                key = line.lower()
                if key not in seen:
                    seen.add(key)
                    out.append(line)
            return out
        """,
    )


def test_dedupe_one_line_if_and_join():
    expect(
        "seen-list-to-set",
        """\
        def first_digits(text: str):
            digits = []
            for ch in text:
                if ch.isdigit() and ch not in digits: digits.append(ch)
            return "".join(digits)
        """,
        """\
        def first_digits(text: str):
            digits = []
            digits_set = set()
            for ch in text:
                if ch.isdigit() and ch not in digits_set: digits_set.add(ch); digits.append(ch)
            return "".join(digits)
        """,
    )


def test_dedupe_zip_target_and_returned_tuple():
    expect(
        "seen-list-to-set",
        """\
        def winners(names: list[str], scores, cutoff):
            picked = []
            for name, score in zip(names, scores):
                if score >= cutoff and name not in picked:
                    picked.append(name)
            return picked, len(picked)
        """,
        """\
        def winners(names: list[str], scores, cutoff):
            picked = []
            picked_set = set()
            for name, score in zip(names, scores):
                if score >= cutoff and name not in picked_set:
                    picked_set.add(name)
                    picked.append(name)
            return picked, len(picked)
        """,
    )


_LOOP = "    for w in text.split():\n        if w not in seen:\n            seen.append(w)\n"


@pytest.mark.parametrize(
    "src",
    [
        # removal, index assignment, insert: the set would keep what the list lost
        f"def f(text):\n    seen = []\n{_LOOP}        seen.remove(w)\n    return seen\n",
        f"def f(text):\n    seen = []\n{_LOOP}        seen[0] = w\n    return seen\n",
        f"def f(text):\n    seen = []\n{_LOOP}        seen.insert(0, w)\n    return seen\n",
        # passed to a call before the loop ends, aliased, yielded: may change behind us
        f"def f(text):\n    seen = []\n{_LOOP}        log(seen)\n    return seen\n",
        f"def f(text):\n    seen = []\n    alias = seen\n{_LOOP}    return alias\n",
        f"def f(text):\n    seen = []\n{_LOOP}        yield seen\n",
        # the caller's list, a non-empty start, a second binding
        "def f(text, seen):\n" + _LOOP + "    return seen\n",
        f"def f(text):\n    seen = ['a']\n{_LOOP}    return seen\n",
        f"def f(text):\n    seen = []\n{_LOOP}    seen = []\n    return seen\n",
        # evidently unhashable items: the fallback would always run
        "def f(rows: list[list[int]]):\n    out = []\n    for r in rows:\n"
        "        if r not in out:\n            out.append(r)\n    return out\n",
        "def f():\n    out = []\n    for r in [[1], [2], [1]]:\n"
        "        if r not in out:\n            out.append(r)\n    return out\n",
        # unknown items outside the whole-function shape: no guard is possible there
        "def f(items):\n    seen = []\n    out = []\n    for x in items:\n"
        "        if x not in seen:\n            seen.append(x)\n            out.append(x)\n"
        "    return out\n",
        # unknown items from a call: the fallback would call it twice
        "def f():\n    seen = []\n    for x in load():\n        if x not in seen:\n"
        "            seen.append(x)\n    return seen\n",
        # not in a loop: nothing to win
        "def f(w: str):\n    seen = []\n    if w not in seen:\n        seen.append(w)\n"
        "    return seen\n",
        # dynamic scope, a shadowed builtin, a taken companion name
        f"def f(text):\n    seen = []\n{_LOOP}    exec('')\n    return seen\n",
        "def f(items):\n    global seen\n" + DEDUPE.split("\n", 1)[1],
        "def f(items, dict):\n" + DEDUPE.split("\n", 1)[1],
        f"def f(text, seen_set):\n    seen = []\n{_LOOP}    return seen, seen_set\n",
    ],
)
def test_dedupe_refuses(src):
    assert run("seen-list-to-set", src) is None


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.lists(st.one_of(st.integers(-2, 2), st.text("ab", max_size=1)), max_size=8),
        st.lists(st.one_of(st.integers(0, 2), st.lists(st.integers(0, 1), max_size=1))),
        st.tuples(st.integers(0, 2), st.integers(0, 2)),
        st.text("aab", max_size=5),
        st.none(),
    )
)
def test_dedupe_property(items):
    # unhashable items and non-iterables included: the guard keeps them equal
    assert_same(DEDUPE, run("seen-list-to-set", DEDUPE), "dedupe", items)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("a, b", max_size=6), max_size=5))
def test_dedupe_companion_property(posts):
    assert_same(MERGE_TAGS, run("seen-list-to-set", MERGE_TAGS), "merge_tags", posts)


# --- list-membership-to-set -------------------------------------------------------------

CLASSIFY = """\
def classify(codes):
    n = 0
    for c in codes:
        if c in ("NAME", "NUMBER", "STRING"):
            n += 1
        elif c not in [ -1, None, 0x10, True ]:
            n -= 1
    return n
"""


def test_membership_literal_displays_become_set_displays():
    expect(
        "list-membership-to-set",
        CLASSIFY,
        """\
        def classify(codes):
            n = 0
            for c in codes:
                if c in {"NAME", "NUMBER", "STRING"}:
                    n += 1
                elif c not in { -1, None, 0x10, True }:
                    n -= 1
            return n
        """,
    )


def test_membership_local_display_used_only_for_membership():
    expect(
        "list-membership-to-set",
        "def f(items):\n    allowed = [1, 2, 3]\n    return [x for x in items if x in allowed]\n",
        "def f(items):\n    allowed = {1, 2, 3}\n    return [x for x in items if x in allowed]\n",
    )


def test_membership_display_also_indexed_gets_a_set_beside_it():
    expect(
        "list-membership-to-set",
        """\
        def rank(levels):
            ORDER = ["low", "mid", "high"]
            total = 0
            for level in levels:
                if level in ORDER:
                    total += ORDER.index(level)
            return total
        """,
        """\
        def rank(levels):
            ORDER = ["low", "mid", "high"]
            total = 0
            ORDER_SET = set(ORDER)
            for level in levels:
                if level in ORDER_SET:
                    total += ORDER.index(level)
            return total
        """,
    )


def test_membership_split_words_in_a_comprehension():
    expect(
        "list-membership-to-set",
        """\
        def content_words(text, words):
            stop = text.split()
            return [w for w in words if w not in stop]
        """,
        """\
        def content_words(text, words):
            stop = text.split()
            stop_set = set(stop)
            return [w for w in words if w not in stop_set]
        """,
    )


def test_membership_annotated_parameter():
    expect(
        "list-membership-to-set",
        """\
        def keep(items, banned: list[str]):
            out = []
            # scan
            for x in items:
                if x not in banned:
                    out.append(x)
            return out
        """,
        """\
        def keep(items, banned: list[str]):
            out = []
            banned_set = set(banned)
            # scan
            for x in items:
                if x not in banned_set:
                    out.append(x)
            return out
        """,
    )


_IN_LOOP = "    for p in xs:\n        if p in opens:\n            return p\n"


@pytest.mark.parametrize(
    "src",
    [
        # the real-library case: a dict (or set) is already O(1); unknown type: no guess
        "def f(xs, opens):\n" + _IN_LOOP,
        "def f(xs):\n    opens = {}\n" + _IN_LOOP,
        "def f(xs, pairs):\n    opens = dict(pairs)\n" + _IN_LOOP,
        "def f(xs):\n    opens = {'(', '['}\n" + _IN_LOOP,
        # a str means substrings
        "def f(xs):\n    opens = '(['\n" + _IN_LOOP,
        # items of unknown hashability
        "def f(xs, rows):\n    opens = [r.id for r in rows]\n" + _IN_LOOP,
        "def f(xs, ys):\n    opens = list(ys)\n" + _IN_LOOP,
        # mutated, aliased, passed on
        "def f(xs):\n    opens = ['(', '[']\n" + _IN_LOOP + "    opens.append('{')\n",
        "def f(xs):\n    opens = ['(', '[']\n    alias = opens\n" + _IN_LOOP,
        "def f(xs):\n    opens = ['(', '[']\n    g(opens)\n" + _IN_LOOP,
        # displays: too short, not literals, unhashable elements, an unhashable needle
        "def f(xs):\n    return [x for x in xs if x in (1, 2)]\n",
        "def f(xs, a, b, c):\n    return [x for x in xs if x in (a, b, c)]\n",
        "def f(xs):\n    return [x for x in xs if x in [[1], [2], [3]]]\n",
        "def f(xs):\n    return [x for x in xs if x in (f'{1}', '2', '3')]\n",
        "def f(xs):\n    return [[x] in (1, 2, 3) for x in xs]\n",
        # an attribute: its type is not visible here
        "def f(self, xs):\n    return [x for x in xs if x in self.opens]\n",
    ],
)
def test_membership_refuses(src):
    assert run("list-membership-to-set", src) is None


def test_membership_never_emits_scaffolding():
    for src in ("def f(xs, b):\n" + _IN_LOOP.replace("opens", "b"), CLASSIFY):
        new = run("list-membership-to-set", src) or ""
        assert "try:" not in new and "isinstance" not in new


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(["NAME", "OP", "", 16, -1, 1, None]), st.booleans()),
        max_size=8,
    )
)
def test_membership_property(codes):
    assert_same(CLASSIFY, run("list-membership-to-set", CLASSIFY), "classify", codes)


# --- sorted-index-to-min-max ------------------------------------------------------------

ENDS = """\
def ends(xs):
    if not xs:
        return None
    return sorted(xs)[0], sorted(xs, key=abs)[0], sorted(xs, reverse=True)[0]
"""


def test_sorted_after_an_early_return():
    expect(
        "sorted-index-to-min-max",
        ENDS,
        """\
        def ends(xs):
            if not xs:
                return None
            return min(xs), min(xs, key=abs), max(xs)
        """,
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # a loop over groups, each tested; key= and reverse= carried over
            "def f(groups):\n    out = []\n    for g in groups:\n        if g:\n"
            "            out.append(sorted(g, key=len, reverse=True)[0])\n    return out\n",
            "def f(groups):\n    out = []\n    for g in groups:\n        if g:\n"
            "            out.append(max(g, key=len))\n    return out\n",
        ),
        (  # [-1] over str items: equal strs are interchangeable
            "def f(words: list[str]):\n    return sorted(words)[-1] if words else ''\n",
            "def f(words: list[str]):\n    return max(words) if words else ''\n",
        ),
        (
            "def f(xs):\n    if len(xs) > 0:\n        return sorted(xs)[0]\n    return None\n",
            "def f(xs):\n    if len(xs) > 0:\n        return min(xs)\n    return None\n",
        ),
        (
            "def f(a, b, c):\n    return sorted([a, b, c])[0]\n",
            "def f(a, b, c):\n    return min([a, b, c])\n",
        ),
        (  # a mapping that is not empty has items
            "def f(prices):\n    if not prices:\n        raise ValueError('none')\n"
            "    return sorted(prices.items(), key=lambda kv: kv[1])[0]\n",
            "def f(prices):\n    if not prices:\n        raise ValueError('none')\n"
            "    return min(prices.items(), key=lambda kv: kv[1])\n",
        ),
        (  # reverse=True, [-1]: the last of the descending order is the minimum
            "def f(line: str):\n    words = line.split()\n    if not words:\n        return ''\n"
            "    return sorted(words, reverse=True)[-1]\n",
            "def f(line: str):\n    words = line.split()\n    if not words:\n        return ''\n"
            "    return min(words)\n",
        ),
        (  # the early exit is a continue inside the loop
            "def f(rows):\n    for r in rows:\n        if len(r) == 0:\n            continue\n"
            "        print(sorted(r)[0])\n",
            "def f(rows):\n    for r in rows:\n        if len(r) == 0:\n            continue\n"
            "        print(min(r))\n",
        ),
    ],
)
def test_sorted_rewrites(before, after):
    assert run("sorted-index-to-min-max", before) == after


@pytest.mark.parametrize(
    "src",
    [
        # maybe empty: IndexError would become ValueError
        "def f(xs):\n    return sorted(xs)[0]\n",
        "def f(xs):\n    return sorted(x for x in xs)[0]\n",
        # [-1] keeps the last of equal elements, max the first: unknown items, or a key
        "def f(xs):\n    return sorted(xs)[-1] if xs else None\n",
        "def f(words: list[str]):\n    return sorted(words, key=len)[-1] if words else None\n",
        # emptied or rebound between the test and the sort
        "def f(xs):\n    if not xs:\n        return\n    xs.clear()\n    return sorted(xs)[0]\n",
        "def f(xs, ys):\n    if not xs:\n        return\n    xs = ys\n    return sorted(xs)[0]\n",
        "def f(xs):\n    while xs:\n        print(sorted(xs)[0])\n        xs = xs[1:]\n",
        # no exit in the test's body, an assert (gone under -O), a runtime reverse flag
        "def f(xs):\n    if not xs:\n        print('empty')\n    return sorted(xs)[0]\n",
        "def f(xs):\n    assert xs\n    return sorted(xs)[0]\n",
        "def f(xs, r):\n    if xs:\n        return sorted(xs, reverse=r)[0]\n",
        # an iterator is truthy even when exhausted
        "def f(xs):\n    g = (x for x in xs)\n    if g:\n        return sorted(g)[0]\n",
        # other indexes, shadowed builtins, star arguments
        "def f(xs):\n    if xs:\n        return sorted(xs)[1]\n",
        "def f(xs, min):\n    if xs:\n        return sorted(xs)[0]\n",
        "def f(xs, sorted):\n    if xs:\n        return sorted(xs)[0]\n",
        "def f(xs):\n    if xs:\n        return sorted(*xs)[0]\n",
    ],
)
def test_sorted_refuses(src):
    assert run("sorted-index-to-min-max", src) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-4, 4), max_size=6))
def test_sorted_property(xs):
    assert_same(ENDS, run("sorted-index-to-min-max", ENDS), "ends", xs)


# --- len-without-list -------------------------------------------------------------------

SIZES = """\
def sizes(xs, d: dict[str, int], line: str, n):
    parts = line.split(",")
    counts = {}
    for p in parts:
        counts[p] = counts.get(p, 0) + 1
    a = len(list(set(xs))), len(list(x for x in xs if x > 0))
    b = len(list(filter(lambda v: v % 2, xs))), len(list(d.items())), len(list(counts))
    c = len(list(line)), len(list(range(n))), len(list(parts)), len(list(sorted(parts)))
    return a, b, c
"""


def test_len_without_list():
    expect(
        "len-without-list",
        SIZES,
        """\
        def sizes(xs, d: dict[str, int], line: str, n):
            parts = line.split(",")
            counts = {}
            for p in parts:
                counts[p] = counts.get(p, 0) + 1
            a = len(set(xs)), len([x for x in xs if x > 0])
            b = len([v for v in xs if v % 2]), len(d), len(counts)
            c = len(line), len(range(n)), len(parts), len(sorted(parts))
            return a, b, c
        """,
    )


@pytest.mark.parametrize(
    "src",
    [
        # an iterator of unknown type: list() is CPython's fastest way to count it
        "def f(xs):\n    return len(list(xs))\n",
        "def f(xs):\n    return len(list(iter(xs)))\n",
        "def f(xs, g):\n    return len(list(map(g, xs)))\n",
        # views of an unknown receiver may not be sized
        "def f(obj):\n    return len(list(obj.items()))\n",
        # a named predicate or None: filter() calls it from C, faster than a comprehension
        "def f(xs, ok):\n    return len(list(filter(ok, xs)))\n",
        "def f(xs):\n    return len(list(filter(None, xs)))\n",
        # a walrus binds elsewhere from a comprehension than from a lambda
        "def f(xs):\n    return len(list(filter(lambda v: (w := v), xs)))\n",
        # shadowed builtins, other arities
        "def f(xs, len):\n    return len(list(set(xs)))\n",
        "def f(xs, list):\n    return len(list(set(xs)))\n",
        "def f(xs):\n    return len(list(*xs))\n",
        "def f(xs):\n    return len(list(set(xs)), 1)\n",
    ],
)
def test_len_refuses(src):
    assert run("len-without-list", src) is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-3, 3), max_size=6),
    st.dictionaries(st.text("ab", max_size=2), st.integers(), max_size=3),
    st.text("a,b", max_size=6),
    st.integers(-1, 4),
)
def test_len_property(xs, d, line, n):
    assert_same(SIZES, run("len-without-list", SIZES), "sizes", xs, d, line, n)


# --- together, and inside a whole stdin program -----------------------------------------

SCRIPT = """\
import sys


def report(words: list[str]):
    seen = []
    for w in words:
        if w not in seen:
            seen.append(w)
    short = 0
    for w in seen:
        if w in ("a", "an", "the", "of"):
            short += 1
    return len(list(set(words))), short, sorted(seen)[0] if seen else ""


print(*report(sys.stdin.read().split()))
"""


def test_idioms_apply_on_a_whole_program(tmp_path: Path):
    found = dict(apply_all_program(SCRIPT))
    mine = "list-membership-to-set+seen-list-to-set+sorted-index-to-min-max+len-without-list"
    assert {
        "seen-list-to-set",
        "list-membership-to-set",
        "sorted-index-to-min-max",
        "len-without-list",
    } <= set(found)
    assert mine in found  # the four chain in registry order
    combined = found[mine]
    assert "seen_set = set()" in combined and '{"a", "an", "the", "of"}' in combined
    assert "min(seen) if seen else" in combined and "len(set(words))" in combined
    for stdin in ("", "the cat of the hat a cat\n", "b a b\n"):
        expected = run_program(SCRIPT, stdin, tmp_path)
        for _, source in found.items():
            assert run_program(source, stdin, tmp_path) == expected


IDIOMS = (
    "seen-list-to-set",
    "list-membership-to-set",
    "sorted-index-to-min-max",
    "len-without-list",
)


@pytest.mark.parametrize("name", IDIOMS)
def test_each_card_example_is_what_its_codemod_writes(name):
    card = resources.files("perfopt.skills") / "cards" / "python" / f"{name}.md"
    skill = parse_card(card.read_text(encoding="utf-8"), name)
    assert skill.codemod == name and CODEMODS[name].skill_id == name
    assert CODEMODS[name].rewrite(skill.example_before) == skill.example_after
    # where the idiom came from: real projects' changes, cited as owner/repo#number
    assert len(re.findall(r"[\w.-]+/[\w.-]+#\d+", skill.source)) >= 2


def test_plain_code_gets_no_idiom_rewrite():
    assert apply_all("def f(x):\n    return x\n") == []
