"""Codemods for idioms, not texts: counting loops and `seq.count` (count-in-loop-to-counter),
str/bytes `+=` on locals and attributes (concat-in-loop-to-join), list queues
(list-pop0-to-deque) and equal-pair double loops (pair-count-to-counter).

Per codemod: every shape it must fire on with the exact rewrite, every case it must refuse
(where behaviour could change), equal behaviour of both versions on generated inputs, and
the textbook project's hotspots (tests/fixtures/textbook) reached through `apply_all`, the
way the pipeline asks (perfopt.skills.plan)."""

from __future__ import annotations

import collections
import copy
import functools
import random
import re
import types
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfopt.languages.python import get_function
from perfopt.skills.codemods import CODEMODS, apply_all
from perfopt.skills.library import parse_card

TEXTBOOK = Path(__file__).resolve().parents[1] / "fixtures" / "textbook"

# names the original snippets use without defining them
_GLOBALS = {
    "Counter": collections.Counter,
    "defaultdict": collections.defaultdict,
    "collections": collections,
    "log": lambda *a: None,
    "re": re,
    "encode_line": lambda *a: repr(a).encode(),
}


@functools.cache
def run(name: str, source: str) -> str | None:
    return CODEMODS[name].rewrite(source)


def load(source: str, name: str):
    namespace = dict(_GLOBALS)
    exec(compile(source, "<codemod-test>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace[name]


def outcome(func, *args):
    """(type and value returned, or the exception type; the arguments afterwards)."""
    args = copy.deepcopy(args)
    try:
        result = func(*args)
        result = (type(result), result)
    except Exception as exc:  # noqa: BLE001 - equal behaviour includes the same raise
        result = type(exc)
    return result, [vars(a) if isinstance(a, types.SimpleNamespace) else a for a in args]


def assert_same(original: str, rewritten: str | None, name: str, *args) -> None:
    assert rewritten is not None
    assert outcome(load(original, name), *args) == outcome(load(rewritten, name), *args)


def _name(source: str) -> str:
    return source.split("def ", 1)[1].split("(", 1)[0]


COUNT_FIRES = {
    "if-else-returned-stays-dict": (
        """\
def word_counts(words):
    counts = {}
    for w in words:
        if w in counts:
            counts[w] += 1
        else:
            counts[w] = 1
    return counts
""",
        """\
from collections import Counter


def word_counts(words):
    counts = dict(Counter(words))
    return counts
""",
    ),
    "nested-split-filter-get-local-counter": (
        """\
def top_word(lines, stop):
    counts = {}  # word -> n
    for line in lines:
        for word in line.split():
            if word not in stop:
                counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return max(counts.values())
""",
        """\
from collections import Counter


def top_word(lines, stop):
    counts = Counter(
        word.lower() for line in lines for word in line.split() if word not in stop
    )  # word -> n
    return max(counts.values())
""",
    ),
    "setdefault-absent-key-read-stays-dict": (
        """\
def mode(words):
    counts = {}
    for w in words:
        counts.setdefault(w, 0)
        counts[w] += 1
    best = max(counts, key=counts.get)
    return best, counts[best]
""",
        """\
from collections import Counter


def mode(words):
    counts = dict(Counter(words))
    best = max(counts, key=counts.get)
    return best, counts[best]
""",
    ),
    "defaultdict-read-locally-becomes-counter": (
        """\
def ranked(words):
    counts = collections.defaultdict(int)
    for w in words:
        counts[w] += 1
    return sorted(counts.items(), key=lambda kv: -kv[1])
""",
        """\
from collections import Counter


def ranked(words):
    counts = Counter(words)
    return sorted(counts.items(), key=lambda kv: -kv[1])
""",
    ),
    "not-in-zero-then-increment-tuple-target": (
        """\
def by_name(rows):
    counts = {}
    for name, qty in rows:
        if name not in counts:
            counts[name] = 0
        counts[name] += 1
    return counts
""",
        """\
from collections import Counter


def by_name(rows):
    counts = dict(Counter(name for name, qty in rows))
    return counts
""",
    ),
    "counter-init-stays-counter": (
        """\
def tally(words):
    counts = Counter()
    for w in words:
        counts[w] += 1
    return counts
""",
        """\
from collections import Counter


def tally(words):
    counts = Counter(words)
    return counts
""",
    ),
    "reset-per-document-escapes": (
        """\
def per_doc(docs):
    result = []
    for doc in docs:
        counts = {}
        for w in doc.split():
            counts[w] = counts.get(w, 0) + 1
        result.append(counts)
    return result
""",
        """\
from collections import Counter


def per_doc(docs):
    result = []
    for doc in docs:
        counts = dict(Counter(doc.split()))
        result.append(counts)
    return result
""",
    ),
    "present-keys-only-becomes-counter": (
        """\
def repeated(words):
    counts = {}
    for w in words:
        counts[w] = 1 + counts.get(w, 0)
    return [(k, counts[k]) for k in counts if counts[k] > 1]
""",
        """\
from collections import Counter


def repeated(words):
    counts = Counter(words)
    return [(k, counts[k]) for k in counts if counts[k] > 1]
""",
    ),
    "one-line-loop-key-expression": (
        """\
def lengths(words):
    counts = dict()
    for w in words: counts[len(w)] = counts.get(len(w), 0) + 1
    return counts
""",
        """\
from collections import Counter


def lengths(words):
    counts = dict(Counter(len(w) for w in words))
    return counts
""",
    ),
    "demo-sku-frequencies-annotated": (
        '''\
def sku_frequencies(skus: list[str]) -> dict[str, int]:
    """How many times each SKU was ordered, in first-seen order."""
    freq = {}
    for sku in skus:
        if sku not in freq:
            freq[sku] = skus.count(sku)
    return freq
''',
        '''\
from collections import Counter


def sku_frequencies(skus: list[str]) -> dict[str, int]:
    """How many times each SKU was ordered, in first-seen order."""
    freq = {}
    counts = Counter(skus)
    for sku in skus:
        if sku not in freq:
            freq[sku] = counts[sku]
    return freq
''',
    ),
    "iterates-set-hashes-first": (
        """\
def histogram(xs):
    return {x: xs.count(x) for x in set(xs)}
""",
        """\
from collections import Counter


def histogram(xs):
    counts = Counter(xs)
    return {x: counts[x] for x in set(xs)}
""",
    ),
    "split-built-list": (
        """\
def singles(text):
    words = text.split()
    out = []
    for w in words:
        if words.count(w) == 1:
            out.append(w)
    return out
""",
        """\
from collections import Counter


def singles(text):
    words = text.split()
    out = []
    counts = Counter(words)
    for w in words:
        if counts[w] == 1:
            out.append(w)
    return out
""",
    ),
    "findall-built-list": (
        """\
def repeated_words(text):
    words = re.findall(r"\\w+", text)
    return {w for w in words if words.count(w) > 1}
""",
        """\
from collections import Counter


def repeated_words(text):
    words = re.findall(r"\\w+", text)
    counts = Counter(words)
    return {w for w in words if counts[w] > 1}
""",
    ),
    "two-sequences-named-apart": (
        """\
def both(a: tuple[int, ...], b: list[str]):
    return [x for x in a if a.count(x) > 1], [y for y in b if b.count(y) > 1]
""",
        """\
from collections import Counter


def both(a: tuple[int, ...], b: list[str]):
    a_counts = Counter(a)
    b_counts = Counter(b)
    return [x for x in a if a_counts[x] > 1], [y for y in b if b_counts[y] > 1]
""",
    ),
}


COUNT_REFUSES = [
    pytest.param(
        """\
def dups(xs):
    return [x for x in xs if xs.count(x) > 1]
""",
        id="unknown-elements",  # unhashable ones: Counter raises where .count scanned
    ),
    pytest.param(
        """\
def dups(xs: list[list[int]]):
    return [x for x in xs if xs.count(x) > 1]
""",
        id="unhashable-elements",
    ),
    pytest.param(
        """\
def f(words):
    counts = defaultdict(int)
    for w in words:
        counts[w] += 1
    return counts
""",
        id="returned-defaultdict",
    ),
    pytest.param(
        """\
def f(words):
    counts = defaultdict(int)
    for w in words:
        counts[w] += 1
    return counts["the"]
""",
        id="defaultdict-read-at-absent-key",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        if norm(w) in counts:
            counts[norm(w)] += 1
        else:
            counts[norm(w)] = 1
    return counts
""",
        id="key-call-evaluated-twice",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts, w
""",
        id="loop-variable-read-after",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    try:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    except TypeError:
        pass
    return counts
""",
        id="inside-try",
    ),
    pytest.param(
        """\
def f(words):
    counts = {"the": 0}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
""",
        id="non-empty-start",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        counts[w] += 1
    return counts
""",
        id="plain-dict-increment-raises-keyerror",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    total = 0
    for w in words:
        counts[w] = counts.get(w, 0) + 1
        total += 1
    return counts, total
""",
        id="loop-does-more",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 2
    return counts
""",
        id="counts-by-two",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        counts[len(counts)] = counts.get(len(counts), 0) + 1
    return counts
""",
        id="key-reads-counts",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    else:
        counts["end"] = 0
    return counts
""",
        id="for-else",
    ),
    pytest.param(
        """\
async def f(words):
    counts = {}
    async for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
""",
        id="async-for",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    counts["seed"] = 1
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
""",
        id="counts-touched-between",
    ),
    pytest.param(
        """\
def f(words, Counter):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
""",
        id="Counter-shadowed",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    def seen(w):
        return w in counts
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts
""",
        id="nested-function-sees-counts",
    ),
    pytest.param(
        """\
def f(words):
    counts = {}
    for w in words:
        if w in counts:
            counts[w] += 1
        else:
            counts[w] = 0
    return counts
""",
        id="absent-branch-stores-zero",
    ),
    pytest.param(
        """\
async def f(words):
    counts = {}
    for w in words:
        counts[await key(w)] = counts.get(await key(w), 0) + 1
    return counts
""",
        id="await-in-key",
    ),
    pytest.param(
        """\
def f(xs):
    for x in xs:
        xs.append(1)
        xs.count(x)
""",
        id="seq-mutated-in-loop",
    ),
    pytest.param(
        """\
def f(xs, ys):
    return [ys.count(x) for x in xs]
""",
        id="other-sequence",
    ),
    pytest.param(
        """\
def f(xs: list[str]):
    xs = [x.strip() for x in xs]
    return [x for x in xs if xs.count(x) > 1]
""",
        id="param-rebound",
    ),
]


CONCAT_FIRES = {
    "str-call-piece-under-if": (
        """\
def render(rows):
    out = ""
    for r in rows:
        if r:
            out += str(r) + "\\n"
    return out
""",
        """\
def render(rows):
    out_parts = []
    for r in rows:
        if r:
            out_parts.append(str(r) + "\\n")
    out = "".join(out_parts)
    return out
""",
    ),
    "while-loop-unknown-piece-quiet": (
        """\
def shout(words):
    i = 0
    text = ""
    while i < len(words):
        text += words[i].upper()
        i += 1
    return text
""",
        """\
def shout(words):
    i = 0
    text_parts = []
    while i < len(words):
        text_parts.append(words[i].upper())
        i += 1
    text = "".join(text_parts)
    return text
""",
    ),
    "nested-loops-several-sites": (
        """\
def html_table(rows):
    html = "<table>"
    for row in rows:
        html += "<tr>"
        for cell in row:
            html += f"<td>{cell}</td>"
        html += "</tr>"
    html += "</table>"
    return html
""",
        """\
def html_table(rows):
    html_parts = ["<table>"]
    for row in rows:
        html_parts.append("<tr>")
        for cell in row:
            html_parts.append(f"<td>{cell}</td>")
        html_parts.append("</tr>")
    html = "".join(html_parts)
    html += "</table>"
    return html
""",
    ),
    "bytes-encode-pieces-loud-loop": (
        """\
def encode(lines: list[str]) -> bytes:
    out = b""
    for line in lines:
        log(line)
        out += line.encode("utf-8") + b"\\n"
    return out
""",
        """\
def encode(lines: list[str]) -> bytes:
    out_parts = []
    for line in lines:
        log(line)
        out_parts.append(line.encode("utf-8") + b"\\n")
    out = b"".join(out_parts)
    return out
""",
    ),
    "demo-encode-orders-unknown-piece-quiet": (
        '''\
def encode_orders(orders: list[dict]) -> bytes:
    """Encode orders as fixed-size records behind a 4-byte count header."""
    payload = b""
    for order in orders:
        payload += encode_line(order["id"], order["sku"], order["amount"])
    return struct.pack("<I", len(orders)) + payload
''',
        '''\
def encode_orders(orders: list[dict]) -> bytes:
    """Encode orders as fixed-size records behind a 4-byte count header."""
    payload_parts = []
    for order in orders:
        payload_parts.append(encode_line(order["id"], order["sku"], order["amount"]))
    payload = b"".join(payload_parts)
    return struct.pack("<I", len(orders)) + payload
''',
    ),
    "attribute-fstring-init": (
        """\
def render(self, rows):
    self.text = f"{self.title}\\n"
    for name, qty, price in rows:
        self.text += f"{name:<12}{qty:>6}{price:>10.2f}\\n"
    self.text += "-" * 28 + "\\n"
    return self.text
""",
        """\
def render(self, rows):
    self.text = f"{self.title}\\n"
    text_parts = [self.text]
    try:
        for name, qty, price in rows:
            text_parts.append(f"{name:<12}{qty:>6}{price:>10.2f}\\n")
    finally:
        self.text = "".join(text_parts)
    self.text += "-" * 28 + "\\n"
    return self.text
""",
    ),
    "attribute-empty-init-comment": (
        """\
def flush(self, chunks):
    self.buf = ""
    # one chunk per line
    for chunk in chunks:
        self.buf += str(chunk) + self.sep
""",
        """\
def flush(self, chunks):
    self.buf = ""
    buf_parts = []
    # one chunk per line
    try:
        for chunk in chunks:
            buf_parts.append(str(chunk) + self.sep)
    finally:
        self.buf = "".join(buf_parts)
""",
    ),
    "non-empty-literal-start": (
        """\
def f(xs):
    s = 'head'
    for x in xs:
        s += x
    return s
""",
        """\
def f(xs):
    s_parts = ['head']
    for x in xs:
        s_parts.append(x)
    s = ''.join(s_parts)
    return s
""",
    ),
    "inside-with-open": (
        """\
def join_lines(path):
    with open(path) as fh:
        text = ""
        for line in fh:
            text += line.rstrip() + "\\n"
    return text
""",
        """\
def join_lines(path):
    with open(path) as fh:
        text_parts = []
        for line in fh:
            text_parts.append(line.rstrip() + "\\n")
        text = "".join(text_parts)
    return text
""",
    ),
}


CONCAT_REFUSES = [
    pytest.param(
        """\
def f(xs):
    s = ""
    for x in xs:
        if len(s) > 10:
            break
        s += x
    return s
""",
        id="len-read-in-loop",
    ),
    pytest.param(
        """\
def f(xs):
    s = ""
    for x in xs:
        if not s.endswith(","):
            s += ","
        s += x
    return s
""",
        id="endswith-read-in-loop",
    ),
    pytest.param(
        """\
def f(xs):
    s = ""
    for x in xs:
        s += x
        log(s)
    return s
""",
        id="passed-to-call",
    ),
    pytest.param(
        """\
def f(xs):
    s = ""
    for x in xs:
        print(x)
        s += x
    return s
""",
        id="unknown-piece-and-print",
    ),
    pytest.param(
        """\
def f(xs):
    s = ""
    for x in xs:
        s += b"x"
    return s
""",
        id="bytes-piece-into-str",
    ),
    pytest.param(
        """\
def f(xs):
    s = ""
    for x in xs:
        s += 1
    return s
""",
        id="int-piece",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    for row in rows:
        self.text += str(row)
        self.flush()
""",
        id="attribute-method-call",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    for row in rows:
        self.text += str(row)
        audit(self)
""",
        id="attribute-object-passed",
    ),
    pytest.param(
        """\
def render(self, rows):
    for row in rows:
        self.text += str(row)
""",
        id="attribute-no-init-in-method",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    for row in rows:
        self.text += fmt(row)
""",
        id="attribute-unknown-piece",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    for row in rows:
        self.text += str(row)
        notify()
""",
        id="attribute-user-call",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    for row in rows:
        if self.text:
            self.text += ", "
        self.text += str(row)
""",
        id="attribute-read-in-loop",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    for row in rows:
        self.count += 1
        self.text += str(row)
""",
        id="attribute-other-store",
    ),
    pytest.param(
        """\
def render(self, rows):
    self.text = ""
    self.reset()
    for row in rows:
        self.text += str(row)
""",
        id="attribute-method-between-init-and-loop",
    ),
    pytest.param(
        """\
def f(xs):
    try:
        s = ''
        for x in xs:
            s += x
    finally:
        pass
    return s
""",
        id="local-inside-try",
    ),
    pytest.param(
        """\
def f(xs):
    s = ''
    for x in xs:
        s += x
    else:
        s += '!'
    return s
""",
        id="for-else",
    ),
    pytest.param(
        """\
def f(xs, s=''):
    for x in xs:
        s += x
    return s
""",
        id="parameter-accumulator",
    ),
    pytest.param(
        """\
def f(xs):
    s = ''
    for x in xs:
        s = s + x
    return s
""",
        id="plain-concatenation",
    ),
    pytest.param(
        """\
def f(xs):
    s = ''
    for x in xs:
        def g():
            nonlocal s
            s += x
        g()
    return s
""",
        id="nonlocal-in-nested-function",
    ),
    pytest.param(
        """\
def f(xs):
    s = ''
    for x in xs:
        out[x] = 1
        s += x
    return s
""",
        id="subscript-store-with-unknown-piece",
    ),
]


DEQUE_FIRES = {
    "bfs-len-test": (
        """\
def hops_from(graph, start):
    hops = {start: 0}
    queue = [start]
    while len(queue) > 0:
        station = queue.pop(0)
        for nxt in graph.get(station, []):
            if nxt not in hops:
                hops[nxt] = hops[station] + 1
                queue.append(nxt)
    return hops
""",
        """\
from collections import deque


def hops_from(graph, start):
    hops = {start: 0}
    queue = deque([start])
    while len(queue) > 0:
        station = queue.popleft()
        for nxt in graph.get(station, []):
            if nxt not in hops:
                hops[nxt] = hops[station] + 1
                queue.append(nxt)
    return hops
""",
    ),
    "empty-list-then-append": (
        """\
def order(tree, root):
    q = []
    q.append(root)
    seen = []
    while q:
        node = q.pop(0)
        seen.append(node)
        q.extend(tree.get(node, ()))
    return seen
""",
        """\
from collections import deque


def order(tree, root):
    q = deque()
    q.append(root)
    seen = []
    while q:
        node = q.popleft()
        seen.append(node)
        q.extend(tree.get(node, ()))
    return seen
""",
    ),
    "annotated-level-order": (
        """\
def levels(tree: dict[str, list[str]], root: str) -> list[list[str]]:
    queue: list[str] = [root]
    out = []
    while queue:
        level = []
        for _ in range(len(queue)):
            node = queue.pop(0)
            level.append(node)
            queue.extend(tree.get(node, []))
        out.append(level)
    return out
""",
        """\
from collections import deque


def levels(tree: dict[str, list[str]], root: str) -> list[list[str]]:
    queue: deque[str] = deque([root])
    out = []
    while queue:
        level = []
        for _ in range(len(queue)):
            node = queue.popleft()
            level.append(node)
            queue.extend(tree.get(node, []))
        out.append(level)
    return out
""",
    ),
    "sorted-del-insert0-list-copy": (
        """\
def schedule(tasks):
    q = sorted(tasks, key=len)
    done = []
    while q:
        t = q[0]
        del q[0]
        if t.startswith("!"):
            q.insert(0, t[1:])
        else:
            done.append(t)
    return done, list(q)
""",
        """\
from collections import deque


def schedule(tasks):
    q = deque(sorted(tasks, key=len))
    done = []
    while q:
        t = q[0]
        del q[0]
        if t.startswith("!"):
            q.appendleft(t[1:])
        else:
            done.append(t)
    return done, list(q)
""",
    ),
    "augmented-extend-round-robin": (
        """\
def round_robin(queues):
    order = []
    pending = [list(q) for q in queues if q]
    while pending:
        q = pending.pop(0)
        order.append(q.pop())
        if q:
            pending += [q]
    return order
""",
        """\
from collections import deque


def round_robin(queues):
    order = []
    pending = deque(list(q) for q in queues if q)
    while pending:
        q = pending.popleft()
        order.append(q.pop())
        if q:
            pending += [q]
    return order
""",
    ),
    "pop0-in-for": (
        """\
def take(xs, k):
    q = [x for x in xs if x]
    out = []
    for _ in range(k):
        if q:
            out.append(q.pop(0))
    return out, sum(q)
""",
        """\
from collections import deque


def take(xs, k):
    q = deque(x for x in xs if x)
    out = []
    for _ in range(k):
        if q:
            out.append(q.popleft())
    return out, sum(q)
""",
    ),
}


DEQUE_REFUSES = [
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    return q
""",
        id="returned",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    return q[1:]
""",
        id="sliced",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    q.sort()
""",
        id="sorted-in-place",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    return json.dumps(q)
""",
        id="json-dumps",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    handle(q)
""",
        id="user-call",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    while q != []:
        q.pop(0)
""",
        id="compared-with-list",
    ),
    pytest.param(
        """\
def f(xs, other):
    q = list(xs)
    q.pop(0)
    return q + other
""",
        id="concatenated",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    p = q
    p.pop(0)
    return q
""",
        id="aliased",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    return q[len(q) // 2]
""",
        id="variable-index",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    print(q)
""",
        id="printed",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    return q.copy()
""",
        id="copy",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    for x in q:
        q.pop(0)
""",
        id="mutated-while-iterated",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q.pop(0)
    return sorted(q, key=lambda x: q.pop())
""",
        id="key-function",
    ),
    pytest.param(
        """\
def f(q):
    return q.pop(0)
""",
        id="parameter",
    ),
    pytest.param(
        """\
def f(xs):
    q = xs
    return q.pop(0)
""",
        id="not-fresh",
    ),
    pytest.param(
        """\
def f(xs, deque):
    q = list(xs)
    return q.pop(0)
""",
        id="deque-shadowed",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q = q + [1]
    return q.pop(0)
""",
        id="rebound-by-concatenation",  # deque + list raises
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    q *= 2
    return q.pop(0)
""",
        id="augmented-multiply",
    ),
    pytest.param(
        """\
def f(xs):
    q = list(xs)
    return q.pop(1)
""",
        id="pop-other-index",
    ),
]


PAIRS_FIRE = {
    "textbook-range-len": (
        '''\
def duplicate_pairs(customer_ids: list[int]) -> int:
    """How many pairs of orders (i < j) were placed by the same customer."""
    pairs = 0
    for i in range(len(customer_ids)):
        for j in range(i + 1, len(customer_ids)):
            if customer_ids[i] == customer_ids[j]:
                pairs += 1
    return pairs
''',
        '''\
from collections import Counter


def duplicate_pairs(customer_ids: list[int]) -> int:
    """How many pairs of orders (i < j) were placed by the same customer."""
    pairs = sum(count * (count - 1) // 2 for count in Counter(customer_ids).values())
    return pairs
''',
    ),
    "j-below-i-named-length-removed": (
        """\
def same_pairs(words: tuple[str, ...]) -> int:
    n = len(words)
    total = 0
    for a in range(n):
        for b in range(a):
            if words[b] == words[a]:
                total += 1
    return total
""",
        """\
from collections import Counter


def same_pairs(words: tuple[str, ...]) -> int:
    total = sum(count * (count - 1) // 2 for count in Counter(words).values())
    return total
""",
    ),
    "long-names-wrapped-comment-kept": (
        """\
def repeat_orders(customer_order_ids: list[str]) -> int:
    # one pair per two orders of the same customer
    same_customer_pairs = 0
    for i in range(len(customer_order_ids)):
        for j in range(i + 1, len(customer_order_ids)):
            if customer_order_ids[i] == customer_order_ids[j]:
                same_customer_pairs += 1
    return same_customer_pairs
""",
        """\
from collections import Counter


def repeat_orders(customer_order_ids: list[str]) -> int:
    # one pair per two orders of the same customer
    same_customer_pairs = sum(
        count * (count - 1) // 2 for count in Counter(customer_order_ids).values()
    )
    return same_customer_pairs
""",
    ),
    "range-zero-one-plus-i-tuples": (
        """\
def matches(cells: list[tuple[int, int]]) -> str:
    count = 10
    for i in range(0, len(cells)):
        for j in range(1 + i, len(cells)):
            if cells[i] == cells[j]: count += 1
    return f"{count} matches"
""",
        """\
from collections import Counter


def matches(cells: list[tuple[int, int]]) -> str:
    count = 10
    count += sum(k * (k - 1) // 2 for k in Counter(cells).values())
    return f"{count} matches"
""",
    ),
}


PAIRS_REFUSE = [
    pytest.param(
        """\
def f(a: list[float]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="float-elements",
    ),
    pytest.param(
        """\
def f(a) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="unannotated",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] != a[j]:
                t += 1
    return t
""",
        id="not-equal",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i, len(a)):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="includes-i-equals-j",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(len(a)):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="ordered-pairs",
    ),
    pytest.param(
        """\
def f(a: list[int], b: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == b[j]:
                t += 1
    return t
""",
        id="two-sequences",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 2
    return t
""",
        id="adds-two",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
            else:
                t -= 1
    return t
""",
        id="else-branch",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
                print(i, j)
    return t
""",
        id="extra-statement",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
    return t, i
""",
        id="i-read-after",
    ),
    pytest.param(
        """\
def f(a: list[int], t: int) -> int:
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="total-parameter",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    n = len(a)
    a.append(0)
    t = 0
    for i in range(n):
        for j in range(i + 1, n):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="mutated-after-len",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] is a[j]:
                t += 1
    return t
""",
        id="identity",
    ),
    pytest.param(
        """\
def f(a: list[int]) -> int:
    t = 0.0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] == a[j]:
                t += 1
    return t
""",
        id="float-total",
    ),
]


@pytest.mark.parametrize(
    ("codemod", "source", "expected"),
    [
        *(pytest.param("count-in-loop-to-counter", *v, id=k) for k, v in COUNT_FIRES.items()),
        *(pytest.param("concat-in-loop-to-join", *v, id=k) for k, v in CONCAT_FIRES.items()),
        *(pytest.param("list-pop0-to-deque", *v, id=k) for k, v in DEQUE_FIRES.items()),
        *(pytest.param("pair-count-to-counter", *v, id=k) for k, v in PAIRS_FIRE.items()),
    ],
)
def test_fires_with_the_exact_rewrite(codemod, source, expected):
    assert run(codemod, source) == expected
    compile(expected, "<rewrite>", "exec")


@pytest.mark.parametrize("source", COUNT_REFUSES)
def test_counter_refuses(source):
    assert run("count-in-loop-to-counter", source) is None


@pytest.mark.parametrize("source", CONCAT_REFUSES)
def test_concat_refuses(source):
    assert run("concat-in-loop-to-join", source) is None


@pytest.mark.parametrize("source", DEQUE_REFUSES)
def test_deque_refuses(source):
    assert run("list-pop0-to-deque", source) is None


@pytest.mark.parametrize("source", PAIRS_REFUSE)
def test_pairs_refuse(source):
    assert run("pair-count-to-counter", source) is None


# --- the same behaviour on generated inputs ---------------------------------------------

WORDS = st.lists(st.sampled_from(["a", "B", "b", "the", "The", "x y"]), max_size=12)
# hashable and unhashable items, equal-but-distinct keys (1, 1.0, True)
ITEMS = st.lists(
    st.one_of(
        st.integers(-2, 2),
        st.sampled_from([1.0, True, "a"]),
        st.lists(st.integers(0, 1), max_size=2),
    ),
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(WORDS, ITEMS)
def test_counter_rewrites_behave_the_same(words, items):
    for key in (
        "if-else-returned-stays-dict",
        "setdefault-absent-key-read-stays-dict",
        "defaultdict-read-locally-becomes-counter",
        "counter-init-stays-counter",
        "present-keys-only-becomes-counter",
        "iterates-set-hashes-first",
    ):
        source, rewritten = COUNT_FIRES[key]
        assert_same(source, rewritten, _name(source), items)
    lines = [" ".join(words[k : k + 3]) for k in range(0, len(words), 3)]
    for key, args in (
        ("nested-split-filter-get-local-counter", (lines, {"the"})),
        ("reset-per-document-escapes", (lines,)),
        ("split-built-list", (" ".join(words),)),
        ("one-line-loop-key-expression", (words,)),
        ("not-in-zero-then-increment-tuple-target", ([(w, 1) for w in words],)),
        ("demo-sku-frequencies-annotated", (words,)),
        ("findall-built-list", (" ".join(words),)),
    ):
        source, rewritten = COUNT_FIRES[key]
        assert_same(source, rewritten, _name(source), *args)


PIECES = st.lists(st.one_of(st.text("ab", max_size=3), st.integers(0, 3), st.none()), max_size=8)


@settings(max_examples=40, deadline=None)
@given(PIECES)
def test_concat_rewrites_behave_the_same(pieces):
    # a non-str piece raises TypeError in both versions (in the join, for the rewrite)
    for key in (
        "str-call-piece-under-if",
        "while-loop-unknown-piece-quiet",
        "nested-loops-several-sites",
        "non-empty-literal-start",
    ):
        source, rewritten = CONCAT_FIRES[key]
        assert_same(source, rewritten, _name(source), pieces)
    source, rewritten = CONCAT_FIRES["demo-encode-orders-unknown-piece-quiet"]
    orders = [{"id": k, "sku": str(p), "amount": 1.5} for k, p in enumerate(pieces)]
    assert_same(
        source.replace("struct.pack", "repr"),
        rewritten.replace("struct.pack", "repr"),
        "encode_orders",
        orders,
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text("ab", max_size=2), st.integers(0, 9), st.one_of(st.floats(0, 9), st.just("x"))
        ),
        max_size=6,
    )
)
def test_attribute_rewrite_keeps_the_partial_text_on_a_raise(rows):
    # "x" as a price fails `:>10.2f` mid-loop: the object must keep the lines built so far
    source, rewritten = CONCAT_FIRES["attribute-fstring-init"]
    report = types.SimpleNamespace(title="T", text="old")
    assert_same(source, rewritten, "render", report, rows)
    source, rewritten = CONCAT_FIRES["attribute-empty-init-comment"]
    buffer = types.SimpleNamespace(buf="old", sep=";")
    assert_same(source, rewritten, "flush", buffer, [r[2] for r in rows])


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdef"), st.lists(st.sampled_from("abcdef"), max_size=3)),
    st.lists(st.sampled_from(["t", "!t", "u", "!!v", ""]), max_size=6),
    st.integers(0, 4),
)
def test_deque_rewrites_behave_the_same(graph, tasks, k):
    source, rewritten = DEQUE_FIRES["bfs-len-test"]
    assert_same(source, rewritten, "hops_from", graph, "a")
    tree = {node: [c for c in children if c > node] for node, children in graph.items()}
    for key in ("empty-list-then-append", "annotated-level-order"):  # no seen set: a tree
        source, rewritten = DEQUE_FIRES[key]
        assert_same(source, rewritten, _name(source), tree, "a")
    source, rewritten = DEQUE_FIRES["sorted-del-insert0-list-copy"]
    assert_same(source, rewritten, "schedule", tasks)
    source, rewritten = DEQUE_FIRES["augmented-extend-round-robin"]
    assert_same(source, rewritten, "round_robin", [list(t) for t in tasks])
    source, rewritten = DEQUE_FIRES["pop0-in-for"]
    assert_same(source, rewritten, "take", [len(t) for t in tasks], k)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-3, 3), max_size=12))
def test_pair_rewrites_behave_the_same(values):
    source, rewritten = PAIRS_FIRE["textbook-range-len"]
    assert_same(source, rewritten, "duplicate_pairs", values)
    source, rewritten = PAIRS_FIRE["j-below-i-named-length-removed"]
    assert_same(source, rewritten, "same_pairs", tuple(str(v) for v in values))
    source, rewritten = PAIRS_FIRE["range-zero-one-plus-i-tuples"]
    assert_same(source, rewritten, "matches", [(v, v % 2) for v in values])
    source, rewritten = PAIRS_FIRE["long-names-wrapped-comment-kept"]
    assert_same(source, rewritten, "repeat_orders", [str(v) for v in values])


# --- cards: each example is what its codemod writes, each cites real changes --------------


@pytest.mark.parametrize(
    "name",
    [
        "count-in-loop-to-counter",
        "concat-in-loop-to-join",
        "list-pop0-to-deque",
        "pair-count-to-counter",
    ],
)
def test_each_card_example_is_what_its_codemod_writes(name):
    card = resources.files("perfopt.skills") / "cards" / "python" / f"{name}.md"
    skill = parse_card(card.read_text(encoding="utf-8"), name)
    assert skill.codemod == name and CODEMODS[name].skill_id == name
    assert CODEMODS[name].rewrite(skill.example_before) == skill.example_after
    # where the idiom came from: real projects' changes, cited as owner/repo#number
    assert len(re.findall(r"[\w.-]+/[\w.-]+#\d+", skill.source)) >= 2


# --- the textbook project: four hotspots in shapes the demo does not use ------------------


def _textbook(module: str, qualname: str) -> str:
    return get_function((TEXTBOOK / "textbook" / f"{module}.py").read_text(), qualname)


def _rewrites(module: str, qualname: str) -> dict[str, str]:
    return dict(apply_all(_textbook(module, qualname)))


def test_textbook_bfs_gets_a_deque():
    found = _rewrites("routes", "hops_from")
    assert set(found) == {"list-pop0-to-deque"}
    new = found["list-pop0-to-deque"]
    assert "queue = deque([start])" in new and "station = queue.popleft()" in new
    rng = random.Random(3)
    stations = [f"s{k}" for k in range(60)]
    graph = {s: rng.sample(stations, 3) for s in stations}
    source = _textbook("routes", "hops_from")
    for start in ("s0", "s7", "nowhere"):
        assert_same(source, new, "hops_from", graph, start)


def test_textbook_report_gets_parts_and_a_join():
    found = _rewrites("report", "Report.render")
    assert set(found) == {"concat-in-loop-to-join"}
    new = found["concat-in-loop-to-join"]
    assert "text_parts = [self.text]" in new and 'self.text = "".join(text_parts)' in new
    source = _textbook("report", "Report.render")
    rows = [("bolt", 3, 0.5), ("nut", 12, 0.25), ("washer", 100, 0.01)]
    for case in (rows, [], [*rows, ("bad", 1, "x")]):
        report = types.SimpleNamespace(title="Stock", text="")
        assert_same(source, new, "render", report, case)


def test_textbook_pair_count_gets_a_counter():
    found = _rewrites("pairs", "duplicate_pairs")
    assert set(found) == {"pair-count-to-counter"}
    new = found["pair-count-to-counter"]
    assert "Counter(customer_ids).values()" in new
    rng = random.Random(4)
    source = _textbook("pairs", "duplicate_pairs")
    for ids in ([], [1], [1, 1, 1], [rng.randrange(30) for _ in range(200)]):
        assert_same(source, new, "duplicate_pairs", ids)


def test_textbook_dedupe_gets_a_companion_set():
    # `tag = tag.strip().lower()` reaches the test and the append: the keys are str, and
    # the returned list keeps its order beside a set that answers the membership tests
    found = _rewrites("tags", "unique_tags")
    assert set(found) == {"seen-list-to-set"}
    new = found["seen-list-to-set"]
    assert "seen_set = set()" in new and "if tag not in seen_set:" in new
    source = _textbook("tags", "unique_tags")
    posts = [{"tags": [" B", "a ", "b"]}, {"tags": []}, {"tags": ["C", "A", " c "]}]
    assert_same(source, new, "unique_tags", posts)
    assert_same(source, new, "unique_tags", [{"tags": [" x ", 1]}])  # AttributeError in both
