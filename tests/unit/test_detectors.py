"""Detectors: every detector fires on a positive snippet and stays quiet on a negative one."""

from __future__ import annotations

import pytest

from perfopt.skills.detectors import Hit, detect, detector_ids, detectors
from perfopt.skills.library import load_skills

PY = {
    "py.input-in-loop": ("for _ in range(n):\n    x = input()\n", "x = input()\n"),
    "py.input-call": ("x = input()\n", "x = sys.stdin.readline()\n"),
    "py.eval-input": ("n = int(eval(input()))\n", "n = int(input())\n"),
    "py.print-in-loop": ("for x in xs:\n    print(x)\n", "print(xs)\n"),
    "py.str-concat-in-loop": ("for x in xs:\n    s += str(x)\n", "for x in xs:\n    s += x\n"),
    "py.list-membership-in-loop": (
        "seen = []\nfor x in xs:\n    if x in seen:\n        pass\n",
        "seen = set()\nfor x in xs:\n    if x in seen:\n        pass\n",
    ),
    "py.keys-list-membership": ("ok = k in list(d.keys())\n", "ok = k in d\n"),
    "py.pop0": ("q.pop(0)\n", "q.pop()\n"),
    "py.count-in-loop": ("for x in xs:\n    c = xs.count(x)\n", "c = xs.count(1)\n"),
    "py.sorted-index": ("m = sorted(xs)[0]\n", "m = min(xs)\n"),
    "py.append-loop": (
        "for x in xs:\n    out.append(x)\n",
        "for x in xs:\n    out.append(x)\n    n += 1\n",
    ),
    "py.sort-in-loop": ("for x in xs:\n    y = sorted(x)\n", "y = sorted(xs)\n"),
    "py.list-sort-in-loop": ("while q:\n    q.sort()\n", "q.sort()\n"),
    "py.nested-loop": ("for i in a:\n    for j in b:\n        pass\n", "for i in a:\n    pass\n"),
    "py.big-range": ("for i in range(10**5):\n    pass\n", "for i in range(n):\n    pass\n"),
    "py.bitmask-range": ("for b in range(1 << n):\n    pass\n", "for b in range(n):\n    pass\n"),
    "py.pair-loop": (
        "for i in range(n):\n    for j in range(i + 1, n):\n        pass\n",
        "for i in range(n):\n    for j in range(n):\n        pass\n",
    ),
    "py.search-loop": (
        "for i in range(n):\n    if i * i > n:\n        break\n",
        "for i in range(n):\n    t += i\n",
    ),
    "py.float-inf": ("INF = float('inf')\n", "INF = 10**18\n"),
    "py.deepcopy": ("b = copy.deepcopy(a)\n", "b = copy.copy(a)\n"),
    "py.recursion": ("def f(n):\n    return f(n - 1)\n", "def f(n):\n    return g(n - 1)\n"),
    "py.setrecursionlimit": ("sys.setrecursionlimit(10**6)\n", "sys.getrecursionlimit()\n"),
    "py.module-level-loop": (
        "for x in xs:\n    pass\n",
        "def main():\n    for x in xs:\n        pass\n",
    ),
    "py.range-len": ("for i in range(len(a)):\n    pass\n", "for x in a:\n    pass\n"),
    "py.range-len-var": (
        "n = len(s)\nfor i in range(n):\n    pass\n",
        "n = int(s)\nfor i in range(n):\n    pass\n",
    ),
    "py.sum-slice-in-loop": ("for i in r:\n    t = sum(a[i:j])\n", "t = sum(a[i:j])\n"),
    "py.table-2d": ("dp = [[0] * m for _ in range(n)]\n", "dp = [0] * m\n"),
    "py.pow-in-loop": ("for i in r:\n    v = pow(i, M - 2, M)\n", "v = pow(i, M - 2, M)\n"),
    "py.bin-count": ("c = bin(x).count('1')\n", "c = x.bit_count()\n"),
    "py.regex-in-loop": ("for s in xs:\n    re.match('a', s)\n", "re.match('a', s)\n"),
    "py.try-in-loop": (
        "for x in xs:\n    try:\n        f(x)\n    except E:\n        pass\n",
        "try:\n    f(x)\nexcept E:\n    pass\n",
    ),
    "py.priority-queue": ("q = queue.PriorityQueue()\n", "q = []\n"),
    "py.reduce-lambda": ("r = reduce(lambda a, b: a & b, xs)\n", "r = reduce(op, xs)\n"),
    "py.str-digits-in-loop": ("for i in r:\n    s = str(i)\n", "s = str(i)\n"),
    "py.accumulate-in-loop": ("for x in xs:\n    t += x\n", "t += x\n"),
    "py.dict-count-if": (
        "for k in ks:\n    if k in d:\n        d[k] += 1\n    else:\n        d[k] = 1\n",
        "for k in ks:\n    if k in d:\n        d[k] += 1\n",
    ),
    "py.list-cast-iter": ("for k in list(d):\n    pass\n", "for k in d:\n    pass\n"),
    "py.decimal": ("x = Decimal('1.5')\n", "x = 15\n"),
    "py.big-list-alloc": ("L = [0] * 1000000\n", "L = [0] * (n + 1)\n"),
    "py.readline-stdin": ("r = sys.stdin.readline\n", "r = input\n"),
    "py.sorted-unpack": ("a, b, c = sorted(xs)\n", "a = sorted(xs)\n"),
    "py.adjacent-equal-scan": (
        "while i < n:\n    if s[i] == s[j]:\n        i += 1\n",
        "while i < n:\n    if s[i] == t[j]:\n        i += 1\n",
    ),
    "py.double-sort": ("a.sort()\na.sort(key=f)\n", "a.sort()\nb.sort()\n"),
    "py.sort-then-slice": ("a.sort()\nprint(a[:3])\n", "a.sort()\nprint(a[3])\n"),
    "py.product-enumeration": (
        "for t in product(r, repeat=n):\n    pass\n",
        "for t in r:\n    pass\n",
    ),
    "py.count-loop": (
        "for i in range(n):\n    if ok(i):\n        c += 1\n",
        "for i in range(n):\n    c += 1\n",
    ),
    "py.invariant-inner-loop": (
        "for p in ps:\n    for i in r:\n        t += i\n",
        "for p in ps:\n    for i in r:\n        t += p\n",
    ),
    "py.str-digits": ("d = str(n)[0]\n", "d = n % 10\n"),
}

CPP = {
    "cpp.endl": (
        "int main() { std::cout << 1 << std::endl; }\n",
        "int main() { std::cout << 1 << '\\n'; }\n",
    ),
    "cpp.cin-without-sync": (
        "int main() { int n; std::cin >> n; }\n",
        "int main() { std::ios::sync_with_stdio(false); int n; std::cin >> n; }\n",
    ),
    "cpp.pass-by-value-container": (
        "int f(std::vector<int> v) { return v[0]; }\n",
        "int f(const std::vector<int>& v) { return v[0]; }\n",
    ),
    "cpp.pow-in-loop": (
        "void f() { for (int i = 0; i < n; i++) s += pow(i, 2); }\n",
        "void f() { s = pow(n, 2); }\n",
    ),
    "cpp.push-back-in-loop": (
        "void f() { for (int i = 0; i < n; i++) v.push_back(i); }\n",
        "void f() { v.reserve(n); for (int i = 0; i < n; i++) v.push_back(i); }\n",
    ),
    "cpp.map-small-key": ("std::map<int, int> m;\n", "std::map<std::string, int> m;\n"),
    "cpp.string-self-concat": ("void f() { s = s + c; }\n", "void f() { s += c; }\n"),
    "cpp.recursion": (
        "int f(int n) { return n ? f(n - 1) : 0; }\n",
        "int f(int n) { return g(n); }\n",
    ),
    "cpp.range-for-copy": (
        "void f() { for (auto s : v) g(s); }\n",
        "void f() { for (const auto& s : v) g(s); }\n",
    ),
    "cpp.container-in-loop": (
        "void f() { for (int i = 0; i < n; i++) { std::vector<int> v(n); } }\n",
        "void f() { std::vector<int> v(n); }\n",
    ),
    "cpp.nested-loop": (
        "void f() { for (;;) { for (;;) {} } }\n",
        "void f() { for (;;) {} }\n",
    ),
    "cpp.vector-of-vector": (
        "std::vector<std::vector<int>> g;\n",
        "std::vector<int> g;\n",
    ),
    "cpp.scanf-printf-mix": ('void f() { scanf("%d", &n); }\n', "void f() { std::cin >> n; }\n"),
    "cpp.modulo-pow-loop": (
        "void f() { for (;;) { for (int i = 0; i < n; i++) r = r * b % M; } }\n",
        "void f() { for (int i = 0; i < n; i++) r = r + b; }\n",
    ),
}


def ids(source: str, language: str) -> set[str]:
    return {h.detector_id for h in detect(source, language)}


def test_every_detector_has_cases_and_a_card():
    assert set(PY) | set(CPP) == detector_ids()
    triggers = {t for s in load_skills() for t in s.triggers}
    assert detector_ids() <= triggers  # every detector leads to at least one card


@pytest.mark.parametrize("det", sorted(PY))
def test_python_detector(det):
    positive, negative = PY[det]
    assert det in ids(positive, "python")
    assert det not in ids(negative, "python")


@pytest.mark.parametrize("det", sorted(CPP))
def test_cpp_detector(det):
    positive, negative = CPP[det]
    assert det in ids(positive, "cpp")
    assert det not in ids(negative, "cpp")


def test_hits_carry_line_and_snippet():
    hits = detect("x = 1\nfor i in range(n):\n    y = input()\n", "python")
    hit = next(h for h in hits if h.detector_id == "py.input-in-loop")
    assert hit == Hit("py.input-in-loop", 3, "input()")
    assert hits == sorted(hits, key=lambda h: (h.line, h.detector_id))


def test_unknown_language_and_broken_code():
    assert detect("x = 1", "cobol") == []
    assert "py.input-in-loop" in ids("for i in (:\nfor i in r:\n    input()\n", "python")
    assert all(d.language in ("python", "cpp") for d in detectors())
