"""Python: read with tree-sitter (fast, tolerant), rewrite with LibCST (lossless round-trip).

Qualnames are dotted without "<locals>": "func", "Class.method", "outer.inner".
When a qualname is defined more than once (conditional definitions, property setters) the
last definition wins, as it does when the module runs.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from perfopt.errors import TargetError

if TYPE_CHECKING:
    import libcst as cst

    from perfopt.config import Settings
    from perfopt.languages.build import Built


@dataclass(frozen=True)
class Definition:
    qualname: str
    kind: str  # "function" | "method" | "class"
    start_line: int  # 1-based; the first decorator line when decorated
    end_line: int
    def_line: int  # the `def` / `class` line


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def definitions(source: str) -> list[Definition]:
    """Every function, method and class in `source`, in source order (outer before inner)."""
    tree = _parser().parse(source.encode("utf-8"))
    found: list[Definition] = []
    # (node, enclosing qualname, enclosing kind) — an explicit stack: deep nesting must not
    # hit the recursion limit
    stack: list[tuple[Any, str, str]] = [(tree.root_node, "", "module")]
    while stack:
        node, prefix, scope = stack.pop()
        children = []
        for child in node.named_children:
            outer = child
            inner = child
            if child.type == "decorated_definition":
                inner = child.child_by_field_name("definition")
                if inner is None:
                    continue
            if inner.type in ("function_definition", "class_definition"):
                name_node = inner.child_by_field_name("name")
                name = name_node.text.decode("utf-8") if name_node is not None else "?"
                qualname = f"{prefix}.{name}" if prefix else name
                if inner.type == "class_definition":
                    kind = "class"
                else:
                    kind = "method" if scope == "class" else "function"
                found.append(
                    Definition(
                        qualname=qualname,
                        kind=kind,
                        start_line=outer.start_point[0] + 1,
                        end_line=inner.end_point[0] + 1,
                        def_line=inner.start_point[0] + 1,
                    )
                )
                children.append((inner, qualname, "class" if kind == "class" else "function"))
            else:
                children.append((child, prefix, scope))
        stack.extend(reversed(children))
    # source order: an outer definition always precedes the ones nested in it
    found.sort(key=lambda d: (d.start_line, d.def_line))
    return found


class LineMap:
    """Line -> innermost enclosing function/method, built once per file (O(1) per lookup)."""

    def __init__(self, source: str) -> None:
        lines = source.count("\n") + 2
        self._owner: list[str | None] = [None] * (lines + 1)
        # pre-order: an inner function overwrites the lines of its outer one
        for d in definitions(source):
            if d.kind == "class":
                continue
            for line in range(d.start_line, min(d.end_line, lines) + 1):
                self._owner[line] = d.qualname

    def function_at(self, line: int) -> str | None:
        if 0 < line < len(self._owner):
            return self._owner[line]
        return None


# --- LibCST: extract and replace -------------------------------------------------------


def _find(module: cst.Module, qualname: str) -> cst.FunctionDef | cst.ClassDef | None:
    import libcst as cst

    matches: list[cst.FunctionDef | cst.ClassDef] = []

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.path: list[str] = []

        def _enter(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
            self.path.append(node.name.value)
            if ".".join(self.path) == qualname:
                matches.append(node)
            return True

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return self._enter(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            self.path.pop()

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return self._enter(node)

        def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
            self.path.pop()

    module.visit(Finder())
    return matches[-1] if matches else None


def _parse_module(source: str, what: str) -> cst.Module:
    import libcst as cst

    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        message = str(exc.message).splitlines()[0]
        raise TargetError(f"cannot parse {what}: line {exc.raw_line}: {message}") from exc


def get_function(source: str, qualname: str) -> str:
    """The whole definition (decorators included) of `qualname`, dedented to column 0."""
    module = _parse_module(source, "the file")
    node = _find(module, qualname)
    if node is None:
        raise TargetError(f"no function or class '{qualname}' in the file; check the name")
    node = node.with_changes(leading_lines=())
    return module.code_for_node(node)


def _split_new_def(new_def: str, name: str) -> tuple[list[Any], list[Any], Any]:
    """(import statements, private module constants, the one definition) of a replacement;
    ValueError otherwise."""
    import libcst as cst

    from perfopt.languages._pyconstants import is_constant_line

    try:
        new_module = cst.parse_module(new_def)
    except cst.ParserSyntaxError as exc:
        message = str(exc.message).splitlines()[0]
        raise ValueError(f"replacement does not parse: line {exc.raw_line}: {message}") from exc
    imports: list[cst.SimpleStatementLine] = []
    constants: list[cst.SimpleStatementLine] = []
    defs: list[cst.FunctionDef | cst.ClassDef] = []
    for stmt in new_module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            defs.append(stmt)
        elif (is_import := isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
        )) or is_constant_line(stmt):
            if defs:
                raise ValueError("replacement has statements after the definition")
            (imports if is_import else constants).append(stmt)  # type: ignore[arg-type]
        else:
            raise ValueError(
                "replacement must hold only import lines, private module constants "
                "(`_NAME = ...`) and one definition, "
                f"found `{new_module.code_for_node(stmt).strip().splitlines()[0]}`"
            )
    if len(defs) != 1 or defs[0].name.value != name:
        names = ", ".join(d.name.value for d in defs) or "none"
        raise ValueError(
            f"replacement must hold exactly one definition named '{name}' (found: {names})"
        )
    return imports, constants, defs[0]


def replace_function(source: str, qualname: str, new_def: str) -> str:
    """`source` with `qualname`'s definition swapped for `new_def`; every other byte kept.

    Import lines before the definition in `new_def` go to the top of the module, private
    constants (`_WORD_RE = re.compile(...)`) just above the statement that holds it."""
    import libcst as cst

    module = _parse_module(source, "the file")
    target = _find(module, qualname)
    if target is None:
        raise TargetError(f"no function or class '{qualname}' in the file; check the name")
    imports, constants, new_node = _split_new_def(new_def, qualname.rsplit(".", 1)[-1])
    # keep the original's blank lines / comments above it, plus any comment lines of the new one
    extra = tuple(line for line in new_node.leading_lines if line.comment is not None)
    new_node = new_node.with_changes(leading_lines=(*target.leading_lines, *extra))

    class Swap(cst.CSTTransformer):
        def _swap(self, original: Any, updated: Any) -> Any:
            return new_node if original is target else updated

        def leave_FunctionDef(self, original_node: Any, updated_node: Any) -> Any:
            return self._swap(original_node, updated_node)

        def leave_ClassDef(self, original_node: Any, updated_node: Any) -> Any:
            return self._swap(original_node, updated_node)

    module = module.visit(Swap())
    if constants:
        from perfopt.languages._pyconstants import add_constants

        module = add_constants(module, new_node, constants, imports)
    if imports:
        module = _add_imports(module, imports)
    return module.code


def _import_key(module: cst.Module, stmt: Any) -> str:
    return module.code_for_node(stmt.with_changes(leading_lines=())).strip()


def _add_imports(module: cst.Module, imports: list[Any]) -> cst.Module:
    import libcst as cst

    body = list(module.body)
    existing = {
        _import_key(module, s)
        for s in body
        if isinstance(s, cst.SimpleStatementLine)
        and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)
    }
    # insertion point: after the docstring, `__future__` imports and the leading import block
    index = 0
    last_import = -1
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        small = stmt.body
        if (
            i == 0
            and len(small) == 1
            and isinstance(small[0], cst.Expr)
            and isinstance(small[0].value, (cst.SimpleString, cst.ConcatenatedString))
        ):
            index = 1
            continue
        if all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in small):
            last_import = i
            continue
        break
    if last_import >= 0:
        index = last_import + 1
    new = [
        s.with_changes(leading_lines=()) for s in imports if _import_key(module, s) not in existing
    ]
    if not new:
        return module
    empty = cst.EmptyLine()
    if last_import >= 0 and _is_future(body[last_import]):
        # `from __future__ import annotations` stands apart from the imports below it
        new[0] = new[0].with_changes(leading_lines=(empty,))
    if last_import < 0:
        if index > 0:  # a blank line between the docstring and the imports
            new[0] = new[0].with_changes(leading_lines=(empty,))
        if index < len(body) and not body[index].leading_lines:
            body[index] = body[index].with_changes(leading_lines=(empty, empty))
    body[index:index] = new
    return module.with_changes(body=body)


def _is_future(stmt: Any) -> bool:
    import libcst as cst

    return any(isinstance(x, cst.ImportFrom) and isinstance(x.module, cst.Name)
               and x.module.value == "__future__" for x in stmt.body)


# --- plain-text helpers --------------------------------------------------------------------


def same_code(a: str, b: str) -> bool:
    """True when `a` and `b` are the same program up to comments and formatting."""
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except (SyntaxError, ValueError):
        return a.strip() == b.strip()


def syntax_error(source: str) -> str | None:
    """A one-line description of the first syntax error, or None when `source` compiles."""
    try:
        compile(source, "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return f"line 1: {exc}"
    return None


def module_name(rel_path: str) -> str:
    """Dotted import name of a project-relative file ("src/pkg/mod.py" -> "pkg.mod")."""
    parts = list(PurePosixPath(rel_path.replace("\\", "/")).parts)
    if parts and parts[0] == ".":
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1].endswith(".py"):
        parts[-1] = parts[-1][: -len(".py")]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def callable_path(qualname: str, defs: list[Definition]) -> str:
    """The longest prefix of `qualname` reachable by getattr from the module."""
    kinds = {d.qualname: d.kind for d in defs}
    parts = qualname.split(".")
    if parts[0] not in kinds:
        raise TargetError(f"'{parts[0]}' is not defined at module level; check the name")
    path = parts[0]
    for part in parts[1:]:
        if kinds.get(path) != "class" or f"{path}.{part}" not in kinds:
            break
        path = f"{path}.{part}"
    return path


def build(source: str, folder: Path, name: str, settings: Settings) -> Built:
    """A stdin program: written and parsed (compile() parses only: the untrusted code does
    not run here); it runs under `settings.python` (perfopt's own interpreter by default)."""
    import sys

    from perfopt.languages.build import BuildError, Built, write_source

    file = write_source(source, "python", folder, name)
    try:
        compile(source, str(file), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise BuildError(f"{type(exc).__name__}: {exc}") from None
    return Built("python", file, (settings.python or sys.executable, str(file)))
