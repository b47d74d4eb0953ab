"""C++ detectors: tree-sitter-cpp queries plus small checks on the matched node."""

from __future__ import annotations

import re
from typing import Any

from perfopt.skills.detectors import Detector, ancestors, text

_LOOPS = {"for_statement", "while_statement", "do_statement", "for_range_loop"}
_CONTAINERS = r"^(std::)?(vector|string|map|set|unordered_map|unordered_set|deque|basic_string)\b"


def in_loop(node: Any) -> bool:
    for parent in ancestors(node):
        if parent.type in ("function_definition", "lambda_expression"):
            return False
        if parent.type in _LOOPS:
            return True
    return False


def _root(node: Any) -> Any:
    while node.parent is not None:
        node = node.parent
    return node


def _no_sync(node: Any) -> bool:
    return "sync_with_stdio" not in text(_root(node))


def _by_value_container(node: Any) -> bool:
    decl = node.child_by_field_name("declarator")
    type_ = node.child_by_field_name("type")
    if decl is None or type_ is None or decl.type != "identifier":
        return False  # references/pointers already avoid the copy
    if any(c.type == "type_qualifier" and text(c) == "const" for c in node.children):
        return re.match(_CONTAINERS, text(type_)) is not None
    return re.match(_CONTAINERS, text(type_)) is not None


def _recursive(node: Any) -> bool:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    name = decl.child_by_field_name("declarator") if decl is not None else None
    body = node.child_by_field_name("body")
    if name is None or body is None:
        return False
    return re.search(rf"\b{re.escape(text(name))}\s*\(", text(body)) is not None


def _self_concat(node: Any) -> bool:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None or right.type != "binary_expression":
        return False
    return text(right).startswith(text(left) + " +") or text(right).startswith(text(left) + "+")


def _copy_loop_var(node: Any) -> bool:
    type_ = node.child_by_field_name("type")
    decl = node.child_by_field_name("declarator")
    if type_ is None or decl is None or decl.type != "identifier":
        return False
    return text(type_) == "auto" or re.match(_CONTAINERS, text(type_)) is not None


def _small_int_key(node: Any) -> bool:
    return (
        re.match(r"^(std::)?map<\s*(int|long long|long|short|char|unsigned)\b", text(node))
        is not None
    )


def _nested(node: Any) -> bool:
    return in_loop(node)


DETECTORS = (
    Detector(
        "cpp.endl",
        "cpp",
        '((identifier) @hit (#eq? @hit "endl"))'
        ' ((qualified_identifier) @hit (#eq? @hit "std::endl"))',
        "std::endl flushes the stream on every line",
    ),
    Detector(
        "cpp.cin-without-sync",
        "cpp",
        '((identifier) @hit (#eq? @hit "cin"))'
        ' ((qualified_identifier) @hit (#eq? @hit "std::cin"))',
        "iostreams stay synchronised with C stdio (no sync_with_stdio(false))",
        _no_sync,
    ),
    Detector(
        "cpp.pass-by-value-container",
        "cpp",
        "(parameter_declaration) @hit",
        "a container parameter passed by value is copied on every call",
        _by_value_container,
    ),
    Detector(
        "cpp.pow-in-loop",
        "cpp",
        "(call_expression function: [(identifier) (qualified_identifier)] @f"
        ' (#match? @f "^(std::)?pow$")) @hit',
        "floating-point pow() inside a loop",
        in_loop,
    ),
    Detector(
        "cpp.push-back-in-loop",
        "cpp",
        "(call_expression function: (field_expression field: (field_identifier) @m"
        ' (#any-of? @m "push_back" "emplace_back"))) @hit',
        "push_back inside a loop without reserve",
        lambda n: in_loop(n) and ".reserve(" not in text(_root(n)),
    ),
    Detector(
        "cpp.map-small-key",
        "cpp",
        "(template_type) @hit",
        "std::map keyed by a small integer (an array would do)",
        _small_int_key,
    ),
    Detector(
        "cpp.string-self-concat",
        "cpp",
        "(assignment_expression) @hit",
        "s = s + x copies the whole string",
        _self_concat,
    ),
    Detector(
        "cpp.recursion", "cpp", "(function_definition) @hit", "a recursive function", _recursive
    ),
    Detector(
        "cpp.range-for-copy",
        "cpp",
        "(for_range_loop) @hit",
        "a range-for that copies each element",
        _copy_loop_var,
    ),
    Detector(
        "cpp.container-in-loop",
        "cpp",
        "(declaration type: [(template_type) (qualified_identifier)] @t"
        ' (#match? @t "(vector|string|map|set)")) @hit',
        "a container constructed on every loop iteration",
        in_loop,
    ),
    Detector(
        "cpp.nested-loop",
        "cpp",
        "[(for_statement) (while_statement)] @hit",
        "a nested loop",
        _nested,
    ),
    Detector(
        "cpp.vector-of-vector",
        "cpp",
        "(template_type) @hit",
        "vector<vector<T>>: one allocation per row, poor locality",
        lambda n: re.match(r"^vector\s*<\s*(std::)?vector\s*<", text(n)) is not None,
    ),
    Detector(
        "cpp.scanf-printf-mix",
        "cpp",
        '(call_expression function: (identifier) @f (#any-of? @f "scanf" "printf")) @hit',
        "C stdio reads/writes",
    ),
    Detector(
        "cpp.modulo-pow-loop",
        "cpp",
        "(for_statement) @hit",
        "a loop that multiplies under a modulus",
        lambda n: "%" in text(n) and "*" in text(n) and in_loop(n),
    ),
)
