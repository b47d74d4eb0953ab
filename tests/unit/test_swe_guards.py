import json
from pathlib import Path

import pytest

from perfopt.verify.guards import check_patch, parse_diff

SYMPY = Path(__file__).resolve().parents[2] / "datasets" / "swefficiency" / "sympy"

GETFRAME = """\
diff --git a/pkg/mod.py b/pkg/mod.py
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,3 +1,6 @@
 import sys
 def work(n):
+    caller = sys._getframe(1)
+    if caller.f_code.co_name == "workload":
+        return 0
     return sum(range(n))
"""

ALIASED_NEW = "from sys import _getframe as gf\n\ndef work(n):\n    gf(1)\n    return n\n"
ALIASED = """\
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,5 @@
+from sys import _getframe as gf
+
 def work(n):
+    gf(1)
     return n
"""

MEMO_NEW = "_MEMO = {}\n\ndef work(n):\n    if n in _MEMO:\n        return _MEMO[n]\n" \
           "    _MEMO[n] = r = sum(range(n))\n    return r\n"
MEMO = """\
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,7 @@
+_MEMO = {}
+
 def work(n):
-    return sum(range(n))
+    if n in _MEMO:
+        return _MEMO[n]
+    _MEMO[n] = r = sum(range(n))
+    return r
"""

LRU = """\
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,4 @@
+import functools
+@functools.lru_cache(maxsize=None)
 def work(n):
     return sum(range(n))
"""


def test_parse_diff_numbers_added_lines_in_the_new_file():
    (diff,) = parse_diff(GETFRAME)
    assert diff.path == "pkg/mod.py"
    assert sorted(diff.added) == [3, 4, 5]
    assert "_getframe" in diff.added[3]


def test_getframe_is_rejected_from_the_diff_alone():
    result = check_patch(GETFRAME)
    assert not result.ok
    assert "sys._getframe" in result.reason and "f_code" in result.reason


def test_aliased_import_resolves_through_the_full_file():
    result = check_patch(ALIASED, {"pkg/mod.py": ALIASED_NEW})
    assert not result.ok and "sys._getframe" in result.reason


def test_global_memo_keyed_on_arguments_is_rejected():
    result = check_patch(MEMO, {"pkg/mod.py": MEMO_NEW})
    assert [f.rule for f in result.findings] == ["workload-cache"]
    assert "_MEMO" in result.reason and "work()" in result.reason


def test_cache_decorator_only_counts_on_functions_the_workload_calls():
    assert not check_patch(LRU).ok  # unknown call graph: flagged
    assert not check_patch(LRU, called={"work"}).ok
    assert check_patch(LRU, called={"other"}).ok


def test_regex_fallback_on_unparsable_fragment():
    patch = GETFRAME.replace("+        return 0", "+        return (")
    result = check_patch(patch)
    assert "sys._getframe" in result.reason


@pytest.mark.parametrize("name", sorted(p.name for p in SYMPY.glob("*.json")))
def test_expert_patches_pass_the_guards(name):
    data = json.loads((SYMPY / name).read_text())
    result = check_patch(data["patch"])
    assert result.ok, result.reason


def test_introspection_through_dunder_import_is_caught():
    patch = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,2 @@\n def f():\n" \
            "+    __import__('sys')._getframe(1)\n"
    assert "._getframe" in check_patch(patch).reason
