"""Shared helpers for C++ codemods: tree-sitter parsing and byte-range edits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from perfopt.skills.detectors import parse


def tree(source: str) -> Any | None:
    """The root node, or None when the file does not parse cleanly (codemods refuse)."""
    root = parse(source, "cpp").root_node
    return None if root.has_error else root


def walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def text(node: Any) -> str:
    return node.text.decode("utf-8")


def apply(source: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace byte ranges [start, end) with new text; ranges must not overlap."""
    data = source.encode("utf-8")
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def function_name(node: Any) -> str | None:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    name = decl.child_by_field_name("declarator") if decl is not None else None
    return text(name) if name is not None else None


def functions(root: Any) -> list[Any]:
    return [n for n in walk(root) if n.type == "function_definition"]
