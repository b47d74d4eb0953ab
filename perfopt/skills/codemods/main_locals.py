"""main-function-locals (program): move a script's module-level code into `def main()`.

At module level every variable is a global: each access is a dict lookup (LOAD_NAME /
LOAD_GLOBAL). Inside a function, locals are array slots (LOAD_FAST) and the functions
and comprehensions defined there read them as closure cells (LOAD_DEREF), so loop-heavy
scripts run markedly faster. Everything after the prologue (docstring, `from __future__`)
moves, definitions included, in the same order, and `main()` is called at the end.

Refuses whatever could tell the difference between a global and a local:
- `global` / `nonlocal` statements, `from x import *`, and eval/exec/globals/locals/
  vars/dir/__import__ (they read or bind names by string);
- a bare annotation (`x: int` makes x local to main without a value);
- a builtin name the script also binds (`input = sys.stdin.readline`) that is read before
  that binding or bound inside a block: at module level such a read finds the builtin,
  inside main() it would raise UnboundLocalError;
- pickling, multiprocessing and the like: a class or function defined inside main() has
  a `<locals>` qualified name and does not pickle;
- scripts without a module-level loop (nothing to win).
"""

from __future__ import annotations

import ast
import builtins

import libcst as cst

from perfopt.skills.codemods._common import is_prologue

SKILL_ID = "main-function-locals"
SCOPE = "program"
NAMES = ("main", "_main", "_perfopt_main")
_DYNAMIC = frozenset({"eval", "exec", "globals", "locals", "vars", "dir", "__import__"})
# modules whose use may serialize functions or classes by qualified name
_PICKLING = frozenset({"pickle", "multiprocessing", "concurrent", "dill", "cloudpickle",
                       "copyreg", "shelve"})
_BUILTINS = frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _has_module_loop(tree: ast.Module) -> bool:
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            return True
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _refused(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return True
        if isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return True
            if (node.module or "").split(".")[0] in _PICKLING:
                return True
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] in _PICKLING for a in node.names
        ):
            return True
        if isinstance(node, ast.Name) and node.id in _DYNAMIC:
            return True
        if isinstance(node, ast.AnnAssign) and node.value is None:
            return True
        if isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(
            node.value, ast.Name
        ) and node.value.id == "sys":
            return True  # sys.modules[__name__].x reads module globals
        if isinstance(node, ast.Import) and any(a.name == "__main__" for a in node.names):
            return True
    return False


def _module_bindings(tree: ast.Module) -> dict[str, tuple[int, bool]]:
    """Names bound by code that will move into main(), outside nested scopes:
    name -> (first line bound, whether that first binding is a top-level statement)."""
    found: dict[str, tuple[int, bool]] = {}

    def bind(name: str, line: int, top: bool) -> None:
        if name not in found or line < found[name][0]:
            found[name] = (line, top)

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name, node.lineno, top)
            for part in (*node.decorator_list, *getattr(node, "bases", ()),
                         *getattr(node, "keywords", ())):
                visit(part, False)
            args = getattr(node, "args", None)
            if args is not None:
                for default in (*args.defaults, *args.kw_defaults):
                    if default is not None:
                        visit(default, False)
            return
        if isinstance(node, ast.Lambda):
            for default in (*node.args.defaults, *node.args.kw_defaults):
                if default is not None:
                    visit(default, False)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bind((alias.asname or alias.name).split(".")[0], node.lineno, top)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bind(node.id, node.lineno, top)
        if isinstance(node, ast.ExceptHandler) and node.name:
            bind(node.name, node.lineno, False)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            # comprehension targets are the comprehension's own; the first iterable is
            # evaluated in the enclosing scope, the rest in the comprehension's
            visit(node.generators[0].iter, False)
            return
        for child in ast.iter_child_nodes(node):
            # a statement nested in a block (if/for/while/try/with) binds conditionally
            visit(child, top and not isinstance(child, ast.stmt))

    for statement in tree.body:
        visit(statement, True)
    return found


def _walrus_in_comprehension(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            if any(isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
                return True
    return False


def _shadowing_is_unsafe(tree: ast.Module, bound: dict[str, tuple[int, bool]]) -> bool:
    """A builtin name the script rebinds, read (anywhere, nested scopes too) on a line
    before its first binding, or first bound inside a block."""
    shadowed = {n: v for n, v in bound.items() if n in _BUILTINS}
    if not shadowed:
        return False
    for name, (line, top) in shadowed.items():
        if not top:  # bound only in a block: reads elsewhere may mean the builtin
            return True
        for node in ast.walk(tree):
            if (isinstance(node, ast.Name) and node.id == name
                    and isinstance(node.ctx, ast.Load) and node.lineno <= line):
                return True
    return False


def _free_name(tree: ast.Module) -> str | None:
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.name for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    used |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
             if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    used |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return next((name for name in NAMES if name not in used), None)


def rewrite(source: str) -> str | None:
    try:
        tree = ast.parse(source)
        module = cst.parse_module(source)
    except (SyntaxError, ValueError, cst.ParserSyntaxError):
        return None
    if not _has_module_loop(tree) or _refused(tree) or _walrus_in_comprehension(tree):
        return None
    if _shadowing_is_unsafe(tree, _module_bindings(tree)):
        return None
    name = _free_name(tree)
    if name is None:
        return None
    body = list(module.body)
    at = 0
    while at < len(body) and is_prologue(body[at]):
        at += 1
    moved = body[at:]
    if not moved:
        return None
    first = moved[0].with_changes(leading_lines=())
    func = cst.FunctionDef(
        name=cst.Name(name),
        params=cst.Parameters(),
        body=cst.IndentedBlock(body=[first, *moved[1:]]),
        leading_lines=[*moved[0].leading_lines] if at == 0 else
        [cst.EmptyLine(), *moved[0].leading_lines],
    )
    call = cst.SimpleStatementLine(
        body=[cst.Expr(cst.Call(func=cst.Name(name)))],
        leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
    )
    return module.with_changes(body=[*body[:at], func, call]).code
