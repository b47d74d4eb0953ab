"""cpp-endl-to-newline: `<< std::endl` / `<< endl` -> `<< '\\n'` (no flush per line).

Refuses when the program can end without flushing buffers (abort, _exit, quick_exit) or
when `endl` is not the standard manipulator (no `using namespace std` for a bare endl)."""

from __future__ import annotations

import re

from perfopt.skills.codemods._cpp import apply, text, tree, walk

NAME = "cpp-endl-to-newline"
SKILL_ID = "newline-over-endl"
LANGUAGE = "cpp"
SCOPE = "program"
_NO_FLUSH_EXIT = re.compile(r"\b(abort|_exit|_Exit|quick_exit)\s*\(")


def rewrite(source: str) -> str | None:
    root = tree(source)
    if root is None or _NO_FLUSH_EXIT.search(source):
        return None
    std = re.search(r"using\s+namespace\s+std\s*;", source) is not None
    edits = []
    for node in walk(root):
        if node.type not in ("identifier", "qualified_identifier"):
            continue
        name = text(node)
        if name != "std::endl" and not (name == "endl" and std):
            continue
        parent = node.parent
        if parent is None or parent.type != "binary_expression":
            continue
        if parent.child_by_field_name("right") != node:
            continue
        op = parent.child_by_field_name("operator")
        if op is None or text(op) != "<<":
            continue
        edits.append((node.start_byte, node.end_byte, "'\\n'"))
    if re.search(r"\bendl\b", source) and re.search(r"\b(int|auto|char|string)\s+endl\b", source):
        return None  # a user variable named endl
    return apply(source, edits) if edits else None
