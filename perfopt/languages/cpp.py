"""C++: find function definitions with tree-sitter-cpp.

Qualnames use "::" as C++ does: "main", "ns::S::f", "S::g" (out-of-class definitions keep
the qualifier they were written with, inside their enclosing namespaces).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfopt.languages.python import Definition

if TYPE_CHECKING:
    from perfopt.config import Settings
    from perfopt.languages.build import Built

_SCOPES = {"namespace_definition", "class_specifier", "struct_specifier", "union_specifier"}


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_cpp

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))


def _declarator_name(node: Any) -> str | None:
    """The name in a function definition's declarator (through pointers/references)."""
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return None
    name = decl.child_by_field_name("declarator")
    return name.text.decode("utf-8") if name is not None else None


def definitions(source: str) -> list[Definition]:
    """Every function definition and class/struct with a body, in source order."""
    tree = _parser().parse(source.encode("utf-8"))
    found: list[Definition] = []
    stack: list[tuple[Any, str, bool]] = [(tree.root_node, "", False)]
    while stack:
        node, prefix, in_class = stack.pop()
        for child in node.named_children:
            # a template's start line is the definition's first line, like a decorator
            outer = child
            inner = child
            if child.type == "template_declaration":
                defs = [
                    c for c in child.named_children if c.type in _SCOPES | {"function_definition"}
                ]
                if not defs:
                    continue
                inner = defs[-1]
            if inner.type == "function_definition":
                name = _declarator_name(inner)
                if name is None:
                    continue
                qualname = f"{prefix}::{name}" if prefix else name
                found.append(
                    Definition(
                        qualname=qualname,
                        kind="method" if in_class or "::" in name else "function",
                        start_line=outer.start_point[0] + 1,
                        end_line=inner.end_point[0] + 1,
                        def_line=inner.start_point[0] + 1,
                    )
                )
            elif inner.type in _SCOPES:
                name_node = inner.child_by_field_name("name")
                body = inner.child_by_field_name("body")
                if body is None:
                    continue
                name = name_node.text.decode("utf-8") if name_node is not None else ""
                qualname = f"{prefix}::{name}" if prefix and name else (name or prefix)
                is_class = inner.type != "namespace_definition"
                if is_class and name:
                    found.append(
                        Definition(
                            qualname=qualname,
                            kind="class",
                            start_line=outer.start_point[0] + 1,
                            end_line=inner.end_point[0] + 1,
                            def_line=inner.start_point[0] + 1,
                        )
                    )
                stack.append((body, qualname, is_class))
            else:
                stack.append((child, prefix, in_class))
    found.sort(key=lambda d: (d.start_line, d.def_line))
    return found


class LineMap:
    """Line -> innermost enclosing function (O(1) per lookup)."""

    def __init__(self, source: str) -> None:
        lines = source.count("\n") + 2
        self._owner: list[str | None] = [None] * (lines + 1)
        for d in definitions(source):
            if d.kind != "class":
                for line in range(d.start_line, min(d.end_line, lines) + 1):
                    self._owner[line] = d.qualname

    def function_at(self, line: int) -> str | None:
        return self._owner[line] if 0 < line < len(self._owner) else None


def same_code(a: str, b: str) -> bool:
    """The same translation unit up to whitespace."""
    return " ".join(a.split()) == " ".join(b.split())


def build(source: str, folder: Path, name: str, settings: Settings) -> Built:
    """A compiled binary (`cxx_flags`; PIE times its C++ at -O3)."""
    from perfopt.languages.build import Built, compile_cxx, portable_flags, write_source

    file = write_source(source, "cpp", folder, name)
    binary = compile_cxx(file, folder / name, settings.cxx_flags, settings)
    portable = portable_flags(settings.cxx_flags)
    return Built("cpp", file, (str(binary),),
                 (str(binary),) if portable == tuple(settings.cxx_flags) else None)
