"""list-pop0-to-deque: a local list used as a FIFO (`q.pop(0)`, `q.insert(0, x)`) -> deque."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function

SKILL_ID = "list-pop0-to-deque"
IMPORT = "from collections import deque"

# list methods whose deque namesake behaves the same (pop/insert only in the forms below)
_SAME_METHODS = frozenset({"append", "extend", "clear", "count"})


def _is_zero(arg: cst.Arg) -> bool:
    return (
        arg.keyword is None
        and not arg.star
        and isinstance(arg.value, cst.Integer)
        and arg.value.evaluated_value == 0
    )


def _end_index(node: cst.Subscript) -> bool:
    """`q[0]` or `q[-1]`: indexing a deque at its ends is O(1) and means the same."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    value = node.slice[0].slice.value
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return isinstance(value, cst.Integer)


def _initial(fn: Function, value: cst.BaseExpression) -> cst.BaseExpression | None:
    """deque(...) equivalent of the list initialiser, or None when it is not a fresh list."""
    call = cst.Call(func=cst.Name("deque"))
    if isinstance(value, cst.List):
        return call if not value.elements else call.with_changes(args=[cst.Arg(value)])
    if isinstance(value, cst.ListComp):
        return call.with_changes(args=[cst.Arg(value)])
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "list"
        and fn.is_local_builtin("list")
        and len(value.args) <= 1
        and all(a.keyword is None and not a.star for a in value.args)
    ):
        return value.with_changes(func=cst.Name("deque"))
    return None


def _plan(fn: Function, name: str, replace: dict[cst.CSTNode, object]) -> bool:
    if name in fn.params or not fn.safe_name(name):
        return False
    binds = fn.bindings(name)
    if len(binds) != 1 or binds[0].kind != "store":
        return False
    target = fn.parents.get(binds[0].node)
    assign = fn.parents.get(target) if isinstance(target, cst.AssignTarget) else None
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return False
    initial = _initial(fn, assign.value)
    if initial is None:
        return False
    edits: dict[cst.CSTNode, object] = {assign.value: initial}
    fifo = False
    for use in fn.loads(name):
        node = use.node
        parent = fn.parents.get(node)
        method = fn.method_call(node)
        if method is not None:
            attr, call = method
            args = list(call.args)
            if attr == "pop" and len(args) == 1 and _is_zero(args[0]):
                # edit the pieces, not the call, so edits nested in its arguments survive
                edits[call.func.attr] = cst.Name("popleft")  # type: ignore[attr-defined]
                edits[args[0]] = cst.RemovalSentinel.REMOVE
                fifo = True
            elif attr == "insert" and len(args) == 2 and _is_zero(args[0]) and not args[1].star:
                edits[call.func.attr] = cst.Name("appendleft")  # type: ignore[attr-defined]
                edits[args[0]] = cst.RemovalSentinel.REMOVE
                fifo = True
            elif not (attr in _SAME_METHODS or (attr == "pop" and not args)):
                return False
        elif isinstance(parent, cst.Subscript) and parent.value is node:
            if not _end_index(parent) or fn._stored(parent):
                return False
        elif isinstance(parent, cst.ComparisonTarget) and isinstance(
            parent.operator, (cst.In, cst.NotIn)
        ):
            continue
        elif isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
            # a deque raises if mutated while iterated; a list does not
            loop_body = parent.body if isinstance(parent, cst.For) else fn.parents.get(parent)
            if loop_body is not None and any(
                fn.inside(u.node, loop_body) for u in fn.uses[name] if u.node is not node
            ):
                return False
        elif not (fn.truthiness(node) or fn.builtin_arg(node, frozenset({"len"}))):
            return False
    if fifo:
        replace.update(edits)
    return fifo


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or fn.bindings("deque") or fn.bindings("collections"):
        return None
    replace: dict[cst.CSTNode, object] = {}
    changed = [name for name in sorted(fn.uses) if _plan(fn, name, replace)]
    if not changed:
        return None
    new_func = fn.func.visit(Edit(replace=replace))
    return emit(fn, new_func, [IMPORT])  # type: ignore[arg-type]
