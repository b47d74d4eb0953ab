"""concat-in-loop-to-join: `acc += piece` in a loop -> `acc_parts.append(piece)`, one join.

Locals: `acc = ""` (or b"", or any str/bytes expression) before a for/while loop whose every
mention of acc is an `acc += piece` (any depth, any number of sites); `acc = "".join(...)`
lands right after the loop. Attributes (`self.text += piece`): the same, when the method
itself set the attribute to a str right before the loop and the loop never reads it or
hands `self` to anything; a `try/finally` stores the text built so far when the loop
raises, as the `+=` loop left it.

Pieces: `str += 1` raises TypeError at once, a join only at the end, after the remaining
iterations ran. Pieces must therefore surely be str (bytes): literals, f-strings,
`str(...)`, str methods, ... For a local accumulator, a piece of unknown type is also
accepted when the loop does nothing else a caller could see (only local assignments and
control flow): the call then still raises TypeError, only later.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from perfopt.skills.codemods._common import (
    Edit,
    Function,
    emit,
    exceptions_escape,
    parse_function,
    stmt,
)
from perfopt.skills.codemods._kinds import kind_of

SKILL_ID = "concat-in-loop-to-join"

LOOPS = (cst.For, cst.While)
# pieces that are surely neither str nor bytes: `s += 1` raises at once, a join only later
_NOT_STRINGS = (
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.List,
    cst.Tuple,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
    cst.Lambda,
)
# calls a loop over an attribute may make: they cannot reach the object being built
_SAFE_BUILTINS = frozenset(
    {
        "str",
        "repr",
        "format",
        "len",
        "int",
        "float",
        "round",
        "abs",
        "min",
        "max",
        "sum",
        "sorted",
        "enumerate",
        "zip",
        "range",
        "reversed",
        "chr",
        "ord",
        "hex",
        "oct",
        "bin",
    }
)


def string_kind(fn: Function, node: cst.BaseExpression) -> str | None:
    """ "str" or "bytes" when `node` surely evaluates to one (or raises first), else None.
    Beyond what _kinds knows, `text + x` counts as text: str.__add__ either returns a str
    or raises while the piece is built, before anything is appended."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return string_kind(fn, node.left) or string_kind(fn, node.right)
    if isinstance(node, cst.IfExp):
        body = string_kind(fn, node.body)
        return body if body == string_kind(fn, node.orelse) else None
    cls = kind_of(fn, node).cls
    return cls if cls in ("str", "bytes") else None


def _separator(kind: str, value: cst.BaseExpression) -> str:
    if isinstance(value, cst.SimpleString) and value.quote.startswith("'"):
        return "b''" if kind == "bytes" else "''"
    return 'b""' if kind == "bytes" else '""'


def _is_empty(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.SimpleString):
        return value.evaluated_value in ("", b"")
    return isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name)


def _same_target(a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    """`acc` and `acc`, or `self.text` and `self.text`."""
    if isinstance(a, cst.Name) and isinstance(b, cst.Name):
        return a.value == b.value
    if isinstance(a, cst.Attribute) and isinstance(b, cst.Attribute):
        return a.attr.value == b.attr.value and _same_target(a.value, b.value)
    return False


def _init(
    fn: Function, line: cst.BaseStatement, target: cst.BaseExpression
) -> tuple[cst.Assign, str] | None:
    """(the assignment, "str"/"bytes") when `line` is `target = <str or bytes>`."""
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
        return None
    assign = line.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    if not _same_target(assign.targets[0].target, target):
        return None
    value = assign.value
    if isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name):
        name = value.func.value  # str() / bytes()
        ok = name in ("str", "bytes") and fn.is_local_builtin(name)
        return (assign, name) if ok else None
    kind = string_kind(fn, value)
    return (assign, kind) if kind is not None else None


def _mentions(fn: Function, node: cst.CSTNode, target: cst.BaseExpression) -> list[cst.CSTNode]:
    """Every occurrence of `target` (a name, or `obj.attr`; for an attribute also every
    other use of obj) inside node."""
    root = target
    while isinstance(root, cst.Attribute):
        root = root.value
    assert isinstance(root, cst.Name)
    return [u.node for u in fn.uses.get(root.value, []) if fn.inside(u.node, node)]


def _sites(
    fn: Function, loop: cst.CSTNode, target: cst.BaseExpression
) -> list[cst.AugAssign] | None:
    """The `target += piece` statements of the loop, or None when the loop uses the target
    (or, for an attribute, its object) in any other way."""
    sites: list[cst.AugAssign] = []
    for node in _mentions(fn, loop, target):
        chain = fn.loop_chain(node)
        if not chain or loop not in chain:
            return None  # inside a nested function, or in the loop's `for ... in` header
        outer: cst.CSTNode = node
        if isinstance(target, cst.Attribute):
            outer = fn.parents[node]
            if not (isinstance(outer, cst.Attribute) and outer.value is node):
                return None  # `self` itself handed to something
        parent = fn.parents.get(outer)
        if _same_target(outer, target):  # type: ignore[arg-type]
            if not (
                isinstance(parent, cst.AugAssign)
                and parent.target is outer
                and isinstance(parent.operator, cst.AddAssign)
            ):
                return None  # read inside the loop
            sites.append(parent)
        elif fn.method_call(node) is not None or fn._stored(outer):  # type: ignore[arg-type]
            return None  # self.method() or self.x = ...: either may read the text
    return sites


def _quiet(fn: Function, loop: cst.For | cst.While, sites: list[cst.AugAssign]) -> bool:
    """True when the loop's only effects are the appends, local assignments and control
    flow: running its remaining iterations before a join raises shows nothing new."""
    stack: list[cst.CSTNode] = [loop.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite, cst.Else)):
            stack.extend(node.body if not isinstance(node, cst.Else) else [node.body])
        elif isinstance(node, (cst.For, cst.While, cst.If)):
            if isinstance(node, cst.For) and _target_names(fn, node.target) is None:
                return False
            stack.extend(c for c in (node.body, node.orelse) if c is not None)
        elif isinstance(node, cst.SimpleStatementLine):
            stack.extend(node.body)
        elif isinstance(node, (cst.Pass, cst.Break, cst.Continue)) or node in sites:
            continue
        elif isinstance(node, cst.Assign):
            if any(_target_names(fn, t.target) is None for t in node.targets):
                return False
        elif isinstance(node, cst.AugAssign):
            if _target_names(fn, node.target) is None:
                return False
        else:
            return False
    return True


def _target_names(fn: Function, target: cst.CSTNode) -> list[str] | None:
    if isinstance(target, cst.Name):
        return [target.value] if fn.safe_name(target.value) else None
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            if not isinstance(element, cst.Element):
                return None
            inner = _target_names(fn, element.value)
            if inner is None:
                return None
            names += inner
        return names
    return None


def _user_calls(fn: Function, loop: cst.CSTNode) -> bool:
    """True when the loop calls a function that is not a known builtin."""
    stack = [loop]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            name = node.func.value
            if name not in _SAFE_BUILTINS or not fn.is_local_builtin(name):
                return True
        stack.extend(node.children)
    return False


def _append(parts: str, site: cst.AugAssign) -> cst.Expr:
    return cst.Expr(
        cst.Call(
            func=cst.Attribute(cst.Name(parts), cst.Name("append")), args=[cst.Arg(site.value)]
        )
    )


def _loop_after(fn: Function, line: cst.CSTNode, target: cst.BaseExpression) -> cst.CSTNode | None:
    """The first statement after `line`, in its block, that mentions the target (for an
    attribute: its object)."""
    block = fn.block_of(line)
    if block is None:
        return None
    siblings = list(block.body)
    for sibling in siblings[siblings.index(line) + 1 :]:  # type: ignore[arg-type]
        if _mentions(fn, sibling, target):
            return sibling
    return None


def _piece_kinds_ok(fn: Function, sites: list[cst.AugAssign], kind: str) -> bool | None:
    """True: every piece surely has the accumulator's kind; None: some are unknown;
    False: one surely has another kind."""
    kinds = {string_kind(fn, s.value) for s in sites}
    if kinds - {kind, None} or any(isinstance(s.value, _NOT_STRINGS) for s in sites):
        return False
    return None if None in kinds else True


def _plan_local(fn: Function, name: str) -> Edit | None:
    parts = f"{name}_parts"
    if name in fn.params or not fn.safe_name(name) or fn.mentions(parts):
        return None
    target = cst.Name(name)
    for use in fn.bindings(name):
        line = fn.statement_of(use.node)
        found = _init(fn, line, target) if line is not None else None
        if found is None:
            continue
        assign, kind = found
        loop = _loop_after(fn, line, target)  # type: ignore[arg-type]
        if not isinstance(loop, LOOPS) or loop.orelse is not None:
            return None
        if not exceptions_escape(fn, loop):
            return None  # a handler could read the partial text
        sites = _sites(fn, loop, target)
        typed = _piece_kinds_ok(fn, sites, kind) if sites else False
        if typed is False or (typed is None and not _quiet(fn, loop, sites)):  # type: ignore[arg-type]
            return None
        replace: dict[cst.CSTNode, cst.CSTNode] = {s: _append(parts, s) for s in sites}  # type: ignore[union-attr]
        start = "[]" if _is_empty(assign.value) else f"[{fn.module.code_for_node(assign.value)}]"
        replace[assign] = cst.Assign(
            targets=[cst.AssignTarget(cst.Name(parts))], value=cst.parse_expression(start)
        )
        join = stmt(f"{name} = {_separator(kind, assign.value)}.join({parts})\n")
        return Edit(replace=replace, after={loop: [join]})
    return None


class _Wrap(Edit):
    """Edit, then wrap the loop in `try: ... finally: <store>`."""

    def __init__(self, loop: cst.CSTNode, store: cst.BaseStatement, **edits: object) -> None:
        super().__init__(**edits)  # type: ignore[arg-type]
        self.loop, self.store = loop, store

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        if original_node is self.loop:
            return cst.Try(
                body=cst.IndentedBlock([updated.with_changes(leading_lines=())]),
                finalbody=cst.Finally(body=cst.IndentedBlock([self.store])),
                leading_lines=updated.leading_lines,
            )
        return updated


def _attribute_targets(fn: Function) -> list[cst.Attribute]:
    found: dict[tuple[str, str], cst.Attribute] = {}
    for uses in fn.uses.values():
        for use in uses:
            attr = fn.parents.get(use.node)
            aug = fn.parents.get(attr) if isinstance(attr, cst.Attribute) else None
            if isinstance(attr, cst.Attribute) and isinstance(aug, cst.AugAssign):
                if aug.target is attr and attr.value is use.node:
                    found.setdefault((use.node.value, attr.attr.value), attr)
    return [found[k] for k in sorted(found)]


def _plan_attribute(fn: Function, target: cst.Attribute) -> Edit | None:
    obj = target.value.value  # type: ignore[attr-defined]
    parts = f"{target.attr.value}_parts"
    if fn.mentions(parts) or not fn.safe_name(obj) or len(fn.bindings(obj)) != 1:
        return None
    for use in fn.uses[obj]:
        line = fn.statement_of(use.node)
        found = _init(fn, line, target) if line is not None else None
        if found is None:
            continue
        assign, kind = found
        loop = _loop_after(fn, line, target)  # type: ignore[arg-type]
        if not isinstance(loop, LOOPS) or loop.orelse is not None:
            return None
        sites = _sites(fn, loop, target)
        if not sites or not _piece_kinds_ok(fn, sites, kind) or _user_calls(fn, loop):
            return None  # the object keeps a partial text if a piece fails: pieces must be str
        replace: dict[cst.CSTNode, cst.CSTNode] = {s: _append(parts, s) for s in sites}
        code = fn.module.code_for_node(target)
        start = stmt(f"{parts} = []\n" if _is_empty(assign.value) else f"{parts} = [{code}]\n")
        store = stmt(f"{code} = {_separator(kind, assign.value)}.join({parts})\n")
        return _Wrap(loop, store, replace=replace, before={loop: [start]})
    return None


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    plans = (_plan_local(fn, name) for name in sorted(fn.uses))
    attribute_plans = (_plan_attribute(fn, target) for target in _attribute_targets(fn))
    for planned in (*plans, *attribute_plans):
        if planned is not None:
            # one accumulator per pass keeps the edits independent; apply again for more
            out = emit(fn, fn.func.visit(planned))  # type: ignore[arg-type]
            again = rewrite(out)
            return again if again is not None else out
    return None
