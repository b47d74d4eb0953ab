"""cpp-pass-by-const-ref: `f(std::vector<int> v)` -> `f(const std::vector<int>& v)` for a
vector/string parameter the function only reads.

Constness makes any write a compile error (caught by the compile gate), so the real risk
is aliasing: the function seeing a change to the caller's object made through another
path. Refuses when the function touches a file-scope variable, when the parameter's name is
used in any way not known to be read-only, or when the function has a separate declaration
whose signature would no longer match."""

from __future__ import annotations

import re
from typing import Any

from perfopt.skills.codemods._cpp import apply, function_name, functions, text, tree, walk

NAME = "cpp-pass-by-const-ref"
SKILL_ID = "pass-by-const-ref"
LANGUAGE = "cpp"
SCOPE = "program"
_TYPE = re.compile(r"^(std::)?(vector<.*>|string)$", re.DOTALL)
_READ_METHODS = {
    "size",
    "length",
    "empty",
    "front",
    "back",
    "substr",
    "find",
    "rfind",
    "compare",
    "at",
    "count",
}
_ASSIGNING = {"assignment_expression", "update_expression"}


def _globals(root: Any) -> set[str]:
    names = set()
    for child in root.named_children:
        if child.type == "declaration":
            for d in walk(child):
                if (
                    d.type == "identifier"
                    and d.parent is not None
                    and d.parent.type
                    in (
                        "init_declarator",
                        "declaration",
                        "array_declarator",
                    )
                ):
                    names.add(text(d))
    return names


def _prototypes(root: Any) -> set[str]:
    """Names of functions declared (not defined) anywhere: their signatures must match."""
    names = set()
    for node in walk(root):
        if node.type in ("declaration", "field_declaration"):
            for d in walk(node):
                if d.type == "function_declarator":
                    name = d.child_by_field_name("declarator")
                    if name is not None:
                        names.add(text(name))
    return names


def _read_only(use: Any) -> bool:
    parent = use.parent
    if parent is None:
        return False
    if parent.type == "field_expression" and parent.child_by_field_name("argument") == use:
        field = parent.child_by_field_name("field")
        call = parent.parent
        return (
            field is not None
            and text(field) in _READ_METHODS
            and call is not None
            and call.type == "call_expression"
        )
    if parent.type == "subscript_expression" and parent.child_by_field_name("argument") == use:
        outer = parent.parent
        if outer is None or outer.type in _ASSIGNING or outer.type == "pointer_expression":
            return (
                outer is not None
                and outer.type == "assignment_expression"
                and (outer.child_by_field_name("right") == parent)
            )
        return True
    if parent.type == "for_range_loop" and parent.child_by_field_name("right") == use:
        decl = parent.child_by_field_name("declarator")
        return decl is not None and decl.type == "identifier"  # by value: never writes back
    if parent.type in ("binary_expression", "condition_clause", "return_statement"):
        return True
    return False


def _candidate(fn: Any, param: Any, global_names: set[str]) -> tuple[int, int, str] | None:
    type_ = param.child_by_field_name("type")
    decl = param.child_by_field_name("declarator")
    if type_ is None or decl is None or decl.type != "identifier":
        return None
    if any(c.type in ("type_qualifier",) for c in param.children):
        return None
    if not _TYPE.match(text(type_)):
        return None
    name = text(decl)
    body = fn.child_by_field_name("body")
    if body is None:
        return None
    for node in walk(body):
        if node.type == "identifier" and text(node) in global_names:
            return None
        if node.type == "identifier" and text(node) == name and not _read_only(node):
            return None
    return (param.start_byte, param.end_byte, f"const {text(type_)}& {name}")


def rewrite(source: str) -> str | None:
    root = tree(source)
    if root is None:
        return None
    global_names = _globals(root)
    declared = _prototypes(root)
    edits = []
    for fn in functions(root):
        fname = function_name(fn)
        if fname is None or fname == "main":
            continue
        if fname in declared:
            continue  # a forward declaration would no longer match
        decl = fn.child_by_field_name("declarator")
        while decl is not None and decl.type != "function_declarator":
            decl = decl.child_by_field_name("declarator")
        params = decl.child_by_field_name("parameters") if decl is not None else None
        if params is None:
            continue
        for param in params.named_children:
            if param.type != "parameter_declaration":
                continue
            edit = _candidate(fn, param, global_names)
            if edit is not None:
                edits.append(edit)
    return apply(source, edits) if edits else None
