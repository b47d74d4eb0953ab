"""Checks on tree-sitter-python nodes that the Python detector table uses."""

from __future__ import annotations

import re
from typing import Any

from perfopt.skills.detectors import ancestors, text

_SCOPES = {"function_definition", "lambda", "class_definition"}
_COMPREHENSIONS = {
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
}
_BIG = 10**4  # loop bounds from here on cost milliseconds in CPython


def in_loop(node: Any) -> bool:
    """True when `node` re-runs per iteration of a loop or comprehension in its scope."""
    child = node
    for parent in ancestors(node):
        if parent.type in _SCOPES:
            return False
        if parent.type == "for_statement" and child == parent.child_by_field_name("body"):
            return True
        if parent.type == "while_statement":
            return True
        if parent.type in _COMPREHENSIONS and child.type != "for_in_clause":
            return True
        child = parent
    return False


def _loop_depth(node: Any) -> int:
    return sum(1 for a in ancestors(node) if a.type in ("for_statement", "while_statement"))


def _root(node: Any) -> Any:
    while node.parent is not None:
        node = node.parent
    return node


def _list_name(node: Any) -> bool:
    """`x in name` where `name` is bound to a list somewhere in the file, inside a loop."""
    if not in_loop(node):
        return False
    right = node.named_children[-1] if node.named_children else None
    if right is None or right.type != "identifier":
        return False
    name = re.escape(text(right))
    pattern = rf"(?m)^\s*{name}\s*=\s*(\[|list\(|sorted\()"
    return re.search(pattern, text(_root(node))) is not None


def _big_bound(node: Any) -> bool:
    for num in re.findall(r"10\s*\*\*\s*(\d+)|(\d[\d_]*)", text(node)):
        exp, lit = num
        if exp and int(exp) >= 4:
            return True
        if lit and int(lit.replace("_", "")) >= _BIG:
            return True
    return False


def _bitmask(node: Any) -> bool:
    args = text(node)
    return bool(re.search(r"1\s*<<|2\s*\*\*", args))


def _recursive(node: Any) -> bool:
    func = node.parent
    body = func.child_by_field_name("body") if func is not None else None
    name = re.escape(text(node))
    return body is not None and re.search(rf"\b{name}\s*\(", text(body)) is not None


def _pair_loop(node: Any) -> bool:
    return _loop_depth(node) >= 1 and re.match(r"range\(\s*\w+\s*\+\s*1\b", text(node)) is not None


def _search_loop(node: Any) -> bool:
    body = node.child_by_field_name("body")
    src = text(body)
    return bool(re.search(r"\b(break|exit\(\)|quit\(\)|return\b|sys\.exit)", src)) and (
        "if " in src
    )


def _str_piece(node: Any) -> bool:
    right = node.child_by_field_name("right")
    src = text(right)
    return in_loop(node) and (
        right is not None
        and (right.type in ("string", "concatenated_string") or src.startswith(("str(", "chr(")))
    )


def _accumulate(node: Any) -> bool:
    left = node.child_by_field_name("left")
    return (
        in_loop(node)
        and left is not None
        and left.type == "identifier"
        and not _str_piece(node)
        and "+=" in text(node)
    )


def _only_append(node: Any) -> bool:
    body = node.child_by_field_name("body")
    if body is None or len(body.named_children) != 1:
        return False
    return re.match(r"^\w+\.append\(", text(body.named_children[0])) is not None


def _nested(node: Any) -> bool:
    return (
        any(a.type in ("for_statement", "while_statement") for a in ancestors(node))
        and not any(a.type in _SCOPES for a in ancestors(node))
        or (_loop_depth(node) >= 1)
    )


def _module_level(node: Any) -> bool:
    return node.parent is not None and node.parent.type == "module"


def _len_bound(node: Any) -> bool:
    """for i in range(n) where n = len(...) earlier in the file."""
    args = node.child_by_field_name("arguments")
    names = [c for c in args.named_children] if args is not None else []
    if len(names) != 1 or names[0].type != "identifier":
        return False
    name = re.escape(text(names[0]))
    return re.search(rf"(?m)^\s*{name}\s*=\s*len\(", text(_root(node))) is not None


def _adjacent_equal(node: Any) -> bool:
    """S[i] == S[j] on the same sequence inside a loop: a run-length scan of sorted data."""
    kids = [c for c in node.named_children if c.type == "subscript"]
    if len(kids) != 2 or not in_loop(node):
        return False
    a, b = (k.child_by_field_name("value") for k in kids)
    return a is not None and b is not None and text(a) == text(b)


def _double_sort(node: Any) -> bool:
    """x.sort(...) directly followed by another x.sort(...)."""
    stmt = node.parent
    nxt = stmt.next_named_sibling if stmt is not None else None
    obj = node.child_by_field_name("function").child_by_field_name("object")
    return nxt is not None and obj is not None and text(nxt).startswith(text(obj) + ".sort(")


def _sort_then_slice(node: Any) -> bool:
    """x.sort(...) and later x[:k]: only the first k elements are used."""
    obj = node.child_by_field_name("function").child_by_field_name("object")
    if obj is None:
        return False
    name = re.escape(text(obj))
    return re.search(rf"\b{name}\[\s*:", text(_root(node))) is not None


def _count_loop(node: Any) -> bool:
    """for x in range(...): if cond: count += 1 -- counting by enumeration."""
    body = node.child_by_field_name("body")
    if (
        body is None
        or len(body.named_children) != 1
        or body.named_children[0].type != "if_statement"
    ):
        return False
    return re.search(r"\w+\s*\+=\s*1\b", text(body)) is not None and "range(" in text(
        node.child_by_field_name("right")
    )


def _invariant_inner(node: Any) -> bool:
    """An outer loop whose variable the nested loop body never reads."""
    left = node.child_by_field_name("left")
    body = node.child_by_field_name("body")
    if left is None or body is None or left.type != "identifier":
        return False
    if not any(c.type == "for_statement" for c in body.named_children):
        return False
    return re.search(rf"\b{re.escape(text(left))}\b", text(body)) is None
