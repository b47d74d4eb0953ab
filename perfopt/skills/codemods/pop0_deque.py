"""list-pop0-to-deque: a local list used as a FIFO (`q.pop(0)`, `q.insert(0, x)`) -> deque."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function

SKILL_ID = "list-pop0-to-deque"
IMPORT = "from collections import deque"

# list methods whose deque namesake behaves the same (pop/insert only in the forms below)
_SAME_METHODS = frozenset({"append", "extend", "clear", "count", "index", "remove", "reverse"})
# builtins that read the queue once, start to end, and build their own result
_CONSUMERS = frozenset(
    {"len", "sorted", "list", "tuple", "set", "frozenset", "sum", "min", "max", "any", "all"}
)


def _is_zero(arg: cst.Arg) -> bool:
    return (
        arg.keyword is None
        and not arg.star
        and isinstance(arg.value, cst.Integer)
        and arg.value.evaluated_value == 0
    )


def _end_index(node: cst.Subscript) -> bool:
    """`q[0]`, `q[-1]` (any constant index): a deque indexes the same way, O(1) at the
    ends; a slice or a variable index (O(n) in a deque's middle) is refused."""
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
    if isinstance(value, cst.ListComp):  # deque(x for x in xs): no list built first
        generator = cst.GeneratorExp(elt=value.elt, for_in=value.for_in, lpar=(), rpar=())
        return call.with_changes(args=[cst.Arg(generator)])
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
        return None
    name = value.func.value
    if not fn.is_local_builtin(name) or any(a.star for a in value.args):
        return None
    positional = [a for a in value.args if a.keyword is None]
    if name == "list" and len(value.args) == len(positional) <= 1:
        return value.with_changes(func=cst.Name("deque"))
    if name == "sorted" and len(positional) == 1:
        return call.with_changes(args=[cst.Arg(value)])  # a fresh list, sorted
    return None


def _deque_annotation(node: cst.Annotation) -> cst.Annotation | None:
    """`deque[T]` for `list[T]` / `List[T]`, `deque` for `list`."""
    value = node.annotation
    if isinstance(value, cst.Name) and value.value in ("list", "List"):
        return node.with_changes(annotation=cst.Name("deque"))
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name):
        if value.value.value in ("list", "List"):
            return node.with_changes(annotation=value.with_changes(value=cst.Name("deque")))
    return None


def _binding(
    fn: Function, name: str, edits: dict[cst.CSTNode, object]
) -> cst.BaseExpression | None:
    """The list the single `name = [...]` (or `name: list[T] = [...]`) binds; its
    annotation edit goes into `edits`."""
    binds = [b for b in fn.bindings(name) if not _extended(fn, b.node)]
    if len(binds) != 1 or binds[0].kind != "store":
        return None
    target = fn.parents.get(binds[0].node)
    if isinstance(target, cst.AnnAssign) and target.target is binds[0].node:
        annotation = _deque_annotation(target.annotation)
        if annotation is None or target.value is None:
            return None
        edits[target.annotation] = annotation
        return target.value
    assign = fn.assignment_of(binds[0].node)
    return assign.value if assign is not None else None


def _extended(fn: Function, node: cst.Name) -> bool:
    """`q += items`: a list and a deque both extend themselves in place by any iterable."""
    aug = fn.parents.get(node)
    return isinstance(aug, cst.AugAssign) and aug.target is node and isinstance(
        aug.operator, cst.AddAssign
    )


def _plan(fn: Function, name: str, replace: dict[cst.CSTNode, object]) -> bool:
    if name in fn.params or not fn.safe_name(name):
        return False
    edits: dict[cst.CSTNode, object] = {}
    value = _binding(fn, name, edits)
    initial = _initial(fn, value) if value is not None else None
    if value is None or initial is None:
        return False
    edits[value] = initial
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
            if not _end_index(parent):
                return False  # q[i] / q[0] = x / del q[0]: a deque does all three alike
            deleted = isinstance(fn.parents.get(parent), cst.Del)
            fifo |= deleted and _is_zero(cst.Arg(parent.slice[0].slice.value))  # type: ignore[attr-defined]
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
        elif not (fn.truthiness(node) or _consumed(fn, node)):
            return False
    if fifo:
        replace.update(edits)
    return fifo


def _consumed(fn: Function, node: cst.Name) -> bool:
    """`len(q)`, `sorted(q)`, `list(q)`...: read once, no key function that could mutate it."""
    call = fn.parents.get(fn.parents.get(node))  # type: ignore[arg-type]
    return fn.builtin_arg(node, _CONSUMERS) and isinstance(call, cst.Call) and len(call.args) == 1


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
