"""Private module constants that a replacement brings with it (`_WORD_RE = re.compile(...)`).

A codemod that hoists work out of a function (a compiled pattern) returns, between its
import lines and the definition, assignments to private upper-case names. `replace_function`
puts them just above the top-level statement that holds the function, where a maintainer
would write them, and refuses (ValueError) when that could change what the module does:
the name already means something in the file, or a name the constant reads is not bound
once, above it, at module level (it would fail at import, or freeze a value the module
rebinds later).
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

import libcst as cst

CONSTANT_NAME = re.compile(r"_[A-Z][A-Z0-9_]*\Z")


def is_constant_line(stmt: Any) -> bool:
    """`_NAME = <expression>`: one assignment to one private upper-case name."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and CONSTANT_NAME.match(small.targets[0].target.value) is not None
    )


def constant_name(stmt: Any) -> str | None:
    """`_NAME` of a constant line, else None."""
    return stmt.body[0].targets[0].target.value if is_constant_line(stmt) else None


def add_constants(
    module: cst.Module, placed: cst.CSTNode, constants: list[Any], imports: list[Any]
) -> cst.Module:
    """`module` with `constants` above the top-level statement that holds `placed`."""
    body = list(module.body)
    index = next(i for i, s in enumerate(body) if _holds(s, placed))
    nested = _nested_in_function(body[index], placed)
    imported = {n for s in imports for n in _bound(_ast(module, s))}
    before = [_bound(_ast(module, s)) for s in body[:index]]
    after = [_bound(_ast(module, s)) for s in body[index:]]
    have_above = {_key(module, s) for s in body[:index]}
    used = _names(module, placed)
    declared = {n for g in ast.walk(ast.parse(module.code)) if isinstance(g, ast.Global)
                for n in g.names}
    new: list[cst.SimpleStatementLine] = []
    for stmt in constants:
        if _key(module, stmt) in have_above:
            continue  # hoisted already by another function of this module
        tree = _ast(module, stmt)
        name = next(iter(_bound(tree)))
        if name in used:
            raise ValueError(f"the replacement's constant {name} is a name the file already uses")
        for free in sorted(_reads(tree) - set(dir(builtins))):
            above = sum(free in names for names in before)
            below = sum(free in names for names in after)
            if free in imported:  # an import line of the replacement, or the module's own
                ok = below == 0 and above <= 1
            else:  # a module constant the pattern reads: bound once, above, never again
                ok = not nested and above == 1 and below == 0 and free not in declared
            if not ok:
                raise ValueError(
                    f"the replacement's constant {name} reads {free}, which is not bound once "
                    "at module level above the function"
                )
        new.append(stmt.with_changes(leading_lines=()))
    if not new:
        return module
    # blank lines above the holder move above the constants; its comments stay with it
    lead = list(body[index].leading_lines)
    cut = next((i for i, e in enumerate(lead) if e.comment), len(lead))
    new[0] = new[0].with_changes(leading_lines=lead[:cut])
    body[index] = body[index].with_changes(
        leading_lines=(cst.EmptyLine(), cst.EmptyLine(), *lead[cut:])
    )
    body[index:index] = new
    return module.with_changes(body=body)


def _names(module: cst.Module, placed: cst.CSTNode) -> set[str]:
    """Every identifier in `module` outside `placed`."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if node is placed:
            continue
        if isinstance(node, cst.Name):
            found.add(node.value)
        stack.extend(node.children)
    return found


def _holds(stmt: cst.CSTNode, placed: cst.CSTNode) -> bool:
    stack = [stmt]
    while stack:
        node = stack.pop()
        if node is placed:
            return True
        stack.extend(node.children)
    return False


def _nested_in_function(top: cst.CSTNode, placed: cst.CSTNode) -> bool:
    """True when a function encloses `placed`: its locals could shadow a module name."""
    if top is placed:
        return False
    if isinstance(top, cst.FunctionDef):
        return True
    return any(_nested_in_function(c, placed) for c in top.children if _holds(c, placed))


def _key(module: cst.Module, stmt: cst.CSTNode) -> str:
    return module.code_for_node(stmt.with_changes(leading_lines=())).strip()


def _ast(module: cst.Module, stmt: cst.CSTNode) -> ast.Module:
    return ast.parse(_key(module, stmt))


def _bound(tree: ast.AST) -> set[str]:
    """Names a top-level statement binds at module level (not inside its defs)."""
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    return names


def _reads(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load)}
