"""consumed-generator-to-comprehension: where it fires, where it must not, and that the
rewritten function computes the same items in the same order."""

from __future__ import annotations

import re
import textwrap
from importlib import resources

import pytest

from perfopt.skills.codemods import CODEMODS, apply_all
from perfopt.skills.codemods.consumed_generator import rewrite
from perfopt.skills.library import parse_card

NAME = "consumed-generator-to-comprehension"


def _src(code: str) -> str:
    return textwrap.dedent(code).lstrip()


@pytest.mark.parametrize("before,after", [
    ("def f(xs):\n    return tuple(x * 2 for x in xs)\n",
     "def f(xs):\n    return tuple([x * 2 for x in xs])\n"),
    ("def f(xs):\n    return sorted((x for x in xs if x), key=abs, reverse=True)\n",
     "def f(xs):\n    return sorted([x for x in xs if x], key=abs, reverse=True)\n"),
    ("def f(xs):\n    return list(str(x) for x in xs)\n",
     "def f(xs):\n    return [str(x) for x in xs]\n"),
    ("def f(xs):\n    return set(x % 7 for x in xs)\n",
     "def f(xs):\n    return {x % 7 for x in xs}\n"),
    ("def f(xs):\n    return ', '.join(str(x) for x in xs)\n",
     "def f(xs):\n    return ', '.join([str(x) for x in xs])\n"),
    ("def f(xs):\n    return b''.join(bytes([x]) for x in xs)\n",
     "def f(xs):\n    return b''.join([bytes([x]) for x in xs])\n"),
    # nested: each consumer gets its own comprehension
    ("def f(rows):\n    return tuple(tuple(c for c in row) for row in rows)\n",
     "def f(rows):\n    return tuple([tuple([c for c in row]) for row in rows])\n"),
])
def test_rewrites(before, after):
    assert rewrite(before) == after


def test_a_call_over_several_lines_keeps_its_layout():
    # attrs' generated ordering methods (src/attr/_make.py, attrs 26.1.0)
    before = _src('''
        def attrs_to_tuple(obj):
            """
            Save us some typing.
            """
            return tuple(
                key(value) if key else value
                for value, key in (
                    (getattr(obj, a.name), a.order_key) for a in attrs
                )
            )
        ''')
    assert rewrite(before) == _src('''
        def attrs_to_tuple(obj):
            """
            Save us some typing.
            """
            return tuple([
                key(value) if key else value
                for value, key in (
                    (getattr(obj, a.name), a.order_key) for a in attrs
                )
            ])
        ''')


@pytest.mark.parametrize("code", [
    # consumers that may stop early: a list would compute items they never read
    "def f(xs):\n    return any(x > 3 for x in xs)\n",
    "def f(xs):\n    return all(x > 3 for x in xs)\n",
    "def f(xs):\n    return next(x for x in xs if x > 3)\n",
    "def f(xs):\n    return 3 in (x for x in xs)\n",
    "def f(xs):\n    for y in (x * 2 for x in xs):\n        if y > 3:\n            return y\n",
    # no steady gain measured
    "def f(xs):\n    return sum(x * 2 for x in xs)\n",
    "def f(xs):\n    return max(x * 2 for x in xs)\n",
    "def f(xs):\n    return frozenset(x * 2 for x in xs)\n",
    # not str.join: os.path.join takes its parts as arguments
    "import os\n\ndef f(xs):\n    return os.path.join(x for x in xs)\n",
    "def f(sep, xs):\n    return sep.join(x for x in xs)\n",
    # the builtin is rebound in the function
    "def f(xs, tuple=list):\n    return tuple(x for x in xs)\n",
    "def f(xs):\n    sorted = reversed\n    return sorted(x for x in xs)\n",
    # an async generator is not iterable; a list comprehension would await instead
    "async def f(xs):\n    return tuple(x async for x in xs)\n",
    "async def f(xs, g):\n    return tuple(await g(x) for x in xs)\n",
    # already a comprehension, or more than the generator passed
    "def f(xs):\n    return tuple([x for x in xs])\n",
    "def f(xs, ys):\n    return sorted((x for x in xs), *ys)\n",
])
def test_leaves_alone(code):
    assert rewrite(code) is None


def test_items_are_computed_in_the_same_order_with_the_same_result():
    before = _src('''
        def f(xs, log):
            def seen(x):
                log.append(x)
                return -x
            return (tuple(seen(x) for x in xs), sorted(seen(x) for x in xs),
                    ",".join(str(seen(x)) for x in xs), set(seen(x) for x in xs))
        ''')
    after = rewrite(before)
    assert after is not None and "(x for x in xs)" not in after
    results = []
    for code in (before, after):
        space: dict = {}
        exec(compile(code, "<codemod>", "exec"), space)  # noqa: S102 - our own test code
        log: list[int] = []
        results.append((space["f"]([3, 1, 2], log), log))
    assert results[0] == results[1]


def test_an_exception_midway_is_the_same_exception():
    code = "def f(xs):\n    return tuple(10 // x for x in xs)\n"
    after = rewrite(code)
    assert after is not None
    for source in (code, after):
        space: dict = {}
        exec(compile(source, "<codemod>", "exec"), space)  # noqa: S102
        with pytest.raises(ZeroDivisionError):
            space["f"]([1, 0, 2])


def test_registered_and_reached_by_apply_all():
    found = dict(apply_all("def f(xs):\n    return tuple(x for x in xs)\n"))
    assert found == {NAME: "def f(xs):\n    return tuple([x for x in xs])\n"}


def test_card_example_is_what_the_codemod_writes():
    card = resources.files("perfopt.skills") / "cards" / "python" / f"{NAME}.md"
    skill = parse_card(card.read_text(encoding="utf-8"), NAME)
    assert skill.codemod == NAME and CODEMODS[NAME].skill_id == NAME
    assert CODEMODS[NAME].rewrite(skill.example_before) == skill.example_after
    assert len(re.findall(r"[\w.-]+/[\w.-]+#\d+", skill.source)) >= 2
