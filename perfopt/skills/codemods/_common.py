"""Shared analysis for codemods: parse one definition, classify every use of a name, edit.

Codemods are conservative: each precondition is checked syntactically over the whole
function (nested functions included), and anything the analysis cannot classify refuses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ParentNodeProvider

# builtins that only read their arguments (and do not keep a reference that escapes)
PURE_BUILTINS = frozenset(
    {
        "len",
        "sorted",
        "set",
        "frozenset",
        "list",
        "tuple",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "enumerate",
        "zip",
        "reversed",
        "bool",
        "str",
        "repr",
        "hash",
        "id",
        "isinstance",
        "type",
        "abs",
        "int",
        "float",
        "round",
        "Counter",
    }
)
# methods of list/tuple/str that never mutate their receiver
READONLY_METHODS = frozenset({"count", "index", "copy", "startswith", "endswith", "find"})
# calls with no side effect, whose result depends on their arguments alone (see `pure`)
_PURE_CALLS = frozenset(
    {"len", "str", "int", "float", "abs", "round", "tuple", "frozenset", "ord", "chr", "bool"}
)
_PURE_METHODS = frozenset(
    "lower upper casefold title capitalize swapcase strip lstrip rstrip replace join center"
    " ljust rjust zfill removeprefix removesuffix expandtabs".split()
)
# calls that can read or rebind locals behind the analysis' back
DYNAMIC_CALLS = frozenset({"eval", "exec", "locals", "vars", "globals", "__import__"})
LOOPS = (cst.For, cst.While)
SCOPE_BOUNDARIES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass(frozen=True)
class Use:
    node: cst.Name
    kind: str  # "load" | "store" | "del" | "param" | "decl"


class Function:
    """One parsed definition (with any import lines before it) and the uses of its names."""

    def __init__(self, source: str) -> None:
        module = cst.parse_module(source)
        self.imports = [s for s in module.body[:-1]]
        wrapper = cst.MetadataWrapper(module)
        self.module = wrapper.module
        self.func: cst.FunctionDef = self.module.body[-1]  # type: ignore[assignment]
        self.parents: dict[cst.CSTNode, cst.CSTNode] = dict(wrapper.resolve(ParentNodeProvider))
        ctx = wrapper.resolve(ExpressionContextProvider)
        self.uses: dict[str, list[Use]] = {}
        self.dynamic = False
        self.declared: set[str] = set()  # names in global / nonlocal statements
        for node in _walk(self.func):
            if isinstance(node, cst.Name):
                kind = self._kind(node, ctx.get(node))
                if kind is not None:
                    self.uses.setdefault(node.value, []).append(Use(node, kind))
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                self.dynamic |= node.func.value in DYNAMIC_CALLS
            elif isinstance(node, (cst.Global, cst.Nonlocal)):
                self.declared.update(item.name.value for item in node.names)

    def _kind(self, node: cst.Name, ctx: ExpressionContext | None) -> str | None:
        parent = self.parents.get(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return None
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return None
        if isinstance(parent, cst.Param) and parent.name is node:
            return "param"
        if isinstance(parent, (cst.NameItem, cst.ImportAlias)) or self._under_import(node):
            return "decl"
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is node:
            return "decl" if parent is not self.func else None
        if ctx is ExpressionContext.STORE:
            return "store"
        if ctx is ExpressionContext.DEL:
            return "del"
        return "load"

    def _under_import(self, node: cst.CSTNode) -> bool:
        return any(isinstance(a, (cst.Import, cst.ImportFrom)) for a in self.ancestors(node))

    # --- queries -----------------------------------------------------------------------

    @property
    def params(self) -> set[str]:
        p = self.func.params
        every = [*p.posonly_params, *p.params, *p.kwonly_params]
        return {x.name.value for x in every}

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def assignment_of(self, node: cst.Name) -> cst.Assign | None:
        """The `node = value` statement when `node` is the whole and only target of it."""
        target = self.parents.get(node)
        assign = self.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            return assign
        return None

    def bindings(self, name: str) -> list[Use]:
        return [u for u in self.uses.get(name, []) if u.kind != "load"]

    def loads(self, name: str) -> list[Use]:
        return [u for u in self.uses.get(name, []) if u.kind == "load"]

    def mentions(self, name: str) -> bool:
        return name in self.uses

    def safe_name(self, name: str) -> bool:
        """True when `name` is a plain local/parameter the analysis can reason about."""
        return not self.dynamic and name not in self.declared

    def is_local_builtin(self, name: str) -> bool:
        """True when the builtin `name` is not shadowed inside the function."""
        return not self.bindings(name)

    def loop_chain(self, node: cst.CSTNode) -> list[cst.For | cst.While] | None:
        """The loops that re-run `node`, innermost first; None across a nested scope."""
        chain: list[cst.For | cst.While] = []
        child = node
        for parent in self.ancestors(node):
            if parent is self.func:
                return chain
            if isinstance(parent, SCOPE_BOUNDARIES):
                return None
            if isinstance(parent, cst.For) and child is parent.body:
                chain.append(parent)
            if isinstance(parent, cst.While) and child in (parent.body, parent.test):
                chain.append(parent)
            child = parent
        return chain

    def statement_of(self, node: cst.CSTNode) -> cst.BaseStatement | None:
        """The statement directly inside an indented block that contains `node`."""
        child: cst.CSTNode = node
        for parent in self.ancestors(node):
            if isinstance(parent, cst.IndentedBlock):
                return child  # type: ignore[return-value]
            if isinstance(parent, SCOPE_BOUNDARIES) and parent is not self.func:
                return None
            child = parent
        return None

    def block_of(self, stmt: cst.CSTNode) -> cst.IndentedBlock | None:
        parent = self.parents.get(stmt)
        return parent if isinstance(parent, cst.IndentedBlock) else None

    def reaching(self, node: cst.Name) -> cst.Name | None:
        """The binding every path to the load `node` passes last, when that is evident: a
        plain `x = ...` earlier in an enclosing block, or the target of the enclosing
        `for x in ...` (the loop rebinds it before each pass); else None."""
        name = node.value
        if not self.safe_name(name) or not any(u.node is node for u in self.loads(name)):
            return None
        binds = [u.node for u in self.bindings(name)]
        child: cst.CSTNode | None = self.statement_of(node)
        if child is None or any(self.inside(b, child) for b in binds):
            return None
        for parent in self.ancestors(child):
            if isinstance(parent, cst.IndentedBlock):
                body: list[cst.CSTNode] = list(parent.body)
                earlier = body[: body.index(child)]
                for line in reversed(earlier):
                    found = [b for b in binds if self.inside(b, line)]
                    if found:  # the line itself must bind it, not a block nested in it
                        plain = len(found) == 1 and self.statement_of(found[0]) is line
                        return (found[0] if plain and self.assignment_of(found[0]) is not None
                                else None)
            elif isinstance(parent, cst.For) and child is parent.body:
                target = parent.target
                if isinstance(target, cst.Name) and target.value == name:
                    return target
            if parent is self.func or isinstance(parent, SCOPE_BOUNDARIES):
                return None
            if any(self.inside(b, parent) and not self.inside(b, child) for b in binds):
                return None  # bound beside the path: in a test, a handler, a later pass
            child = parent
        return None

    def precedes(self, first: cst.CSTNode, later: cst.CSTNode) -> bool:
        """True when statement `first` runs before `later` every time `later` runs: `first`
        sits earlier in a block that encloses `later`."""
        block = self.block_of(first)
        if block is None:
            return False
        top = later
        for parent in self.ancestors(later):
            if parent is block:
                body = list(block.body)
                return body.index(first) < body.index(top)  # type: ignore[arg-type]
            top = parent
        return False

    def inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))

    def in_try_or_with(self, node: cst.CSTNode) -> bool:
        """Exceptions there can be caught and the partial state read afterwards."""
        return any(
            isinstance(a, (cst.Try, cst.TryStar, cst.With))
            for a in self.ancestors(node)
            if self.inside(a, self.func.body)
        )

    def truthiness(self, node: cst.CSTNode) -> bool:
        """True when the value of `node` is only used as a condition."""
        parent = self.parents.get(node)
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and parent.test is node:
            return True
        if isinstance(parent, cst.Assert) and parent.test is node:
            return True
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, cst.BooleanOperation):
            return self.truthiness(parent)
        return False

    def method_call(self, node: cst.Name) -> tuple[str, cst.Call] | None:
        """("append", call) when `node` is the receiver of `node.append(...)`."""
        attr = self.parents.get(node)
        if isinstance(attr, cst.Attribute) and attr.value is node:
            call = self.parents.get(attr)
            if isinstance(call, cst.Call) and call.func is attr:
                return attr.attr.value, call
        return None

    def builtin_arg(self, node: cst.Name, names: frozenset[str]) -> bool:
        """True when `node` is a plain positional argument of one of the builtins `names`."""
        arg = self.parents.get(node)
        if not (isinstance(arg, cst.Arg) and arg.value is node and arg.keyword is None):
            return False
        if arg.star:
            return False
        call = self.parents.get(arg)
        return (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value in names
            and self.is_local_builtin(call.func.value)
        )

    def read_only(self, node: cst.Name) -> bool:
        """True for a load whose use cannot mutate or leak the object."""
        parent = self.parents.get(node)
        if isinstance(parent, (cst.ComparisonTarget, cst.Comparison)):
            return True
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return self.parents.get(parent) is not None and not self._stored(parent)
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
            return True
        if isinstance(parent, cst.BinaryOperation):
            return True
        call = self.method_call(node)
        if call is not None:
            return call[0] in READONLY_METHODS
        return self.truthiness(node) or self.builtin_arg(node, PURE_BUILTINS)

    def _stored(self, node: cst.CSTNode) -> bool:
        parent = self.parents.get(node)
        if isinstance(parent, (cst.AssignTarget, cst.Del)):
            return True
        if isinstance(parent, cst.AugAssign) and parent.target is node:
            return True
        return isinstance(parent, (cst.Element, cst.Tuple, cst.List)) and self._stored(parent)


def pure(fn: Function, node: cst.BaseExpression) -> bool:
    """True when evaluating `node` twice or once makes no difference: names, attribute and
    subscript reads, literals, arithmetic, and a few side-effect free builtins and str
    methods."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Attribute):
        return pure(fn, node.value)
    if isinstance(node, cst.Subscript):
        return pure(fn, node.value) and all(
            isinstance(e.slice, cst.Index) and pure(fn, e.slice.value) for e in node.slice
        )
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and pure(fn, e.value) for e in node.elements)
    if isinstance(node, cst.UnaryOperation):
        return pure(fn, node.expression)
    if isinstance(node, cst.BinaryOperation):
        return pure(fn, node.left) and pure(fn, node.right)
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Name):
        ok = func.value in _PURE_CALLS and fn.is_local_builtin(func.value)
    elif isinstance(func, cst.Attribute):
        ok = func.attr.value in _PURE_METHODS and pure(fn, func.value)
    else:
        ok = False
    return ok and all(a.keyword is None and not a.star and pure(fn, a.value) for a in node.args)


def exceptions_escape(fn: Function, node: cst.CSTNode) -> bool:
    """True when an exception raised at `node` leaves the function, so that no local state
    it interrupted can be observed: no try around it, and no `with` other than
    `with open(...)` (which never swallows an exception)."""
    for parent in fn.ancestors(node):
        if parent is fn.func:
            return True
        if isinstance(parent, (cst.Try, cst.TryStar)):
            return False
        if isinstance(parent, cst.With):
            for item in parent.items:
                func = item.item.func if isinstance(item.item, cst.Call) else None
                if not (isinstance(func, cst.Name) and func.value == "open"):
                    return False
            if fn.bindings("open"):
                return False
    return True


def parse_function(source: str) -> Function | None:
    """The analysed definition, or None unless `source` is imports + one `def` (private
    module constants that an earlier codemod hoisted may sit between them)."""
    from perfopt.languages._pyconstants import is_constant_line

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None
    body = module.body
    if not body or not isinstance(body[-1], cst.FunctionDef):
        return None
    for stmt in body[:-1]:
        if not (_import_line(stmt) or is_constant_line(stmt)):
            return None
    return Function(source)


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def stmt(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


class Edit(cst.CSTTransformer):
    """Replace nodes by identity and insert statements before/after block statements."""

    def __init__(
        self,
        replace: dict[cst.CSTNode, Any] | None = None,
        before: Mapping[cst.CSTNode, Sequence[cst.BaseStatement]] | None = None,
        after: Mapping[cst.CSTNode, Sequence[cst.BaseStatement]] | None = None,
    ) -> None:
        super().__init__()
        self.replace = replace or {}
        self.before = before or {}
        self.after = after or {}

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        if original_node in self.replace:
            updated = self.replace[original_node]
        if isinstance(original_node, cst.IndentedBlock) and isinstance(updated, cst.IndentedBlock):
            body: list[cst.BaseStatement] = []
            kept = [
                old
                for old in original_node.body
                if not isinstance(self.replace.get(old), cst.RemovalSentinel)
            ]
            for old, new in zip(kept, updated.body, strict=True):
                inserted = list(self.before.get(old, ()))
                if inserted:
                    # a block's statements are simple lines or compound statements
                    assert isinstance(new, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
                    # blank lines above the statement move above the inserted code;
                    # comments stay with the statement they describe
                    lead = list(new.leading_lines)
                    cut = next((i for i, e in enumerate(lead) if e.comment), len(lead))
                    inserted[0] = inserted[0].with_changes(leading_lines=lead[:cut])
                    new = new.with_changes(leading_lines=lead[cut:])
                body += [*inserted, new, *self.after.get(old, ())]
            updated = updated.with_changes(body=body)
        return updated


def emit(fn: Function, new_func: cst.FunctionDef, imports: Sequence[str] = ()) -> str:
    """Source of the rewritten definition, preceded by the import lines it needs."""
    have = {fn.module.code_for_node(s.with_changes(leading_lines=())).strip() for s in fn.imports}
    lines: list[cst.BaseStatement] = list(fn.imports)
    at = 1 + max((i for i, s in enumerate(lines) if _import_line(s)), default=-1)
    for line in imports:
        if line not in have:
            lines.insert(at, stmt(line + "\n"))  # imports before any hoisted constant
            at += 1
            have.add(line)
    if lines:
        blank = (cst.EmptyLine(), cst.EmptyLine())
        new_func = new_func.with_changes(leading_lines=blank)
        lines[0] = lines[0].with_changes(leading_lines=())
    else:
        new_func = new_func.with_changes(leading_lines=())
    return fn.module.with_changes(body=[*lines, new_func], header=(), footer=()).code


def _import_line(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body
    )


def free_name(fn: Function, wanted: str) -> str | None:
    """`wanted` when nothing in the function uses it already."""
    return None if fn.mentions(wanted) else wanted


def is_prologue(node: cst.CSTNode) -> bool:
    """A module docstring or a `from __future__` import: it must stay first."""
    if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
        return False
    small = node.body[0]
    if isinstance(small, cst.ImportFrom):
        return isinstance(small.module, cst.Name) and small.module.value == "__future__"
    return isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)
