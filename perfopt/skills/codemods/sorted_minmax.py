"""sorted-index-to-min-max: `sorted(x)[0]` -> `min(x)`, `sorted(x)[-1]` -> `max(x)`.

What each end means, given that sorted() is stable and min()/max() return the first
extreme element they meet:
- `sorted(x, key=k)[0]` is the first minimal element: exactly `min(x, key=k)`;
- `sorted(x, key=k, reverse=True)[0]` is the first maximal one (reverse keeps equal
  elements in their order): exactly `max(x, key=k)`;
- `sorted(x)[-1]` is the *last* maximal element, where `max(x)` returns the first. The two
  agree only when equal elements are interchangeable, so the codemod wants evidently int,
  str or bytes items (1 and True, 0.0 and -0.0, two equal records are not) and no key.

An empty x raises IndexError from the subscript but ValueError from min/max, so the
codemod also wants evidence that x is not empty: a non-empty display, an enclosing
`if x:` / `if len(x) > 0:` / `... if x else ...`, or an earlier `if not x: return` (or
raise / continue / break) in a block around it, with x not rebound or mutated in between.
"""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function
from perfopt.skills.codemods._kinds import SCALARS, kind_of, up

SKILL_ID = "sorted-index-to-min-max"

_COPIERS = frozenset({"deque", "Counter"})
_JUMPS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_VIEWS = frozenset({"keys", "values", "items"})
# methods that cannot empty a container (they read it or only add to it)
_NON_EMPTYING = frozenset(
    {"keys", "values", "items", "get", "copy", "count", "index"}
    | {"append", "appendleft", "add", "extend", "insert", "update", "setdefault"}
)


def _end(node: cst.Subscript) -> int | None:
    """0 for `[0]`, -1 for `[-1]`, else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.Integer) and value.evaluated_value == 0:
        return 0
    if (
        isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        and value.expression.evaluated_value == 1
    ):
        return -1
    return None


def _arguments(call: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression | None, bool] | None:
    """(iterable, key, reverse) of a `sorted(...)` call; None for any other argument."""
    if not call.args or call.args[0].keyword is not None or call.args[0].star:
        return None
    key: cst.BaseExpression | None = None
    reverse = False
    for arg in call.args[1:]:
        if arg.star or arg.keyword is None:
            return None
        if arg.keyword.value == "key":
            is_none = isinstance(arg.value, cst.Name) and arg.value.value == "None"
            key = None if is_none else arg.value
        elif arg.keyword.value == "reverse":
            if not (isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False")):
                return None  # a runtime flag: which end is unknown
            reverse = arg.value.value == "True"
        else:
            return None
    return call.args[0].value, key, reverse


# --- evidence that the iterable is not empty ---------------------------------------------


def _truthy(test: cst.BaseExpression, name: str) -> bool:
    """`test` true implies `name` is not empty: `name`, `len(name)`, `len(name) > 0`..."""
    if isinstance(test, cst.Name):
        return test.value == name
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _truthy(test.left, name) or _truthy(test.right, name)
    if _is_len(test, name):
        return True
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if _is_len(test.left, name) and isinstance(right, cst.Integer):
            bound = right.evaluated_value
            return (
                (isinstance(op, (cst.GreaterThan, cst.NotEqual)) and bound == 0)
                or (isinstance(op, cst.GreaterThanEqual) and bound >= 1)
                or (isinstance(op, cst.Equal) and bound >= 1)
            )
    return False


def _falsy(test: cst.BaseExpression, name: str) -> bool:
    """`test` false implies `name` is not empty: `not name`, `len(name) == 0`..."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _truthy(test.expression, name)
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _falsy(test.left, name) or _falsy(test.right, name)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if _is_len(test.left, name) and isinstance(right, cst.Integer):
            bound = right.evaluated_value
            return (isinstance(op, cst.Equal) and bound == 0) or (
                isinstance(op, cst.LessThan) and bound == 1
            )
    return False


def _is_len(node: cst.BaseExpression, name: str) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "len"
        and len(node.args) == 1
        and isinstance(node.args[0].value, cst.Name)
        and node.args[0].value.value == name
    )


def _ends_in_jump(body: cst.BaseSuite) -> bool:
    last = body.body[-1] if body.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    elif isinstance(body, cst.SimpleStatementSuite):
        last = body.body[-1]
    return isinstance(last, _JUMPS)


def _guarded(fn: Function, name: str, use: cst.CSTNode) -> bool:
    """An enclosing test or an earlier early exit shows `name` is not empty at `use`, and
    nothing rebinds it on the way from there."""
    binds = [b.node for b in fn.bindings(name)]
    child: cst.CSTNode = use
    for parent in fn.ancestors(use):
        if parent is fn.func:
            return False
        between: list[cst.CSTNode] = []
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and child is parent.body:
            between = [child] if _truthy(parent.test, name) else []
        elif isinstance(parent, (cst.If, cst.IfExp)) and child is parent.orelse:
            between = [child] if _falsy(parent.test, name) else []
        elif isinstance(parent, cst.IndentedBlock):
            between = _after_exit(parent, child, name)
        if between:
            return not any(fn.inside(b, node) for b in binds for node in between)
        child = parent
    return False


def _after_exit(block: cst.IndentedBlock, child: cst.CSTNode, name: str) -> list[cst.CSTNode]:
    """The statements from an `if not name: return` in `block` up to `child`."""
    body = list(block.body)
    end = body.index(child)  # type: ignore[arg-type]
    for i in range(end - 1, -1, -1):
        stmt = body[i]
        if (
            isinstance(stmt, cst.If)
            and stmt.orelse is None
            and _falsy(stmt.test, name)
            and _ends_in_jump(stmt.body)
        ):
            return list(body[i + 1 : end + 1])
    return []


def _copied(fn: Function, node: cst.Name) -> bool:
    """`deque(node)` / `Counter(node)`, imported from collections: they only read it."""
    arg = fn.parents.get(node)
    call = up(fn, arg)
    if not (
        isinstance(arg, cst.Arg)
        and arg.keyword is None
        and not arg.star
        and isinstance(call, cst.Call)
        and isinstance(call.func, cst.Name)
        and call.func.value in _COPIERS
        and fn.is_local_builtin(call.func.value)
    ):
        return False
    return any(
        isinstance(small, cst.ImportFrom)
        and isinstance(small.module, cst.Name)
        and small.module.value == "collections"
        and not isinstance(small.names, cst.ImportStar)
        and any(
            a.evaluated_alias is None and a.evaluated_name == call.func.value for a in small.names
        )
        for line in fn.imports
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
    )


def _not_empty(fn: Function, iterable: cst.BaseExpression, use: cst.CSTNode) -> bool:
    if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
        return bool(iterable.elements) and all(
            isinstance(e, cst.Element) for e in iterable.elements
        )
    base = iterable
    if (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Attribute)
        and iterable.func.attr.value in _VIEWS
        and not iterable.args
    ):
        base = iterable.func.value  # a mapping that is not empty has non-empty views
    if not isinstance(base, cst.Name) or not fn.safe_name(base.value):
        return False
    name = base.value
    # an iterator is truthy even when exhausted: truthiness says nothing about it
    if kind_of(fn, base).shape == "iter":
        return False
    for load in fn.loads(name):
        method = fn.method_call(load.node)
        if method is not None and method[0] in _NON_EMPTYING:
            continue
        if not (fn.read_only(load.node) or _copied(fn, load.node)):
            return False  # it could be emptied between the test and the sort
    return _guarded(fn, name, use)


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or not fn.is_local_builtin("sorted"):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for use in fn.loads("sorted"):
        call = fn.parents.get(use.node)
        if not (isinstance(call, cst.Call) and call.func is use.node):
            continue
        sub = fn.parents.get(call)
        if not (isinstance(sub, cst.Subscript) and sub.value is call) or fn._stored(sub):
            continue
        end, parsed = _end(sub), _arguments(call)
        if end is None or parsed is None:
            continue
        iterable, key, reverse = parsed
        which = "max" if (end == 0) == reverse else "min"
        if end == -1 and (key is not None or kind_of(fn, iterable).item not in SCALARS):
            continue  # the last of equal elements is not the one min/max returns
        if not fn.is_local_builtin(which) or not _not_empty(fn, iterable, sub):
            continue
        code = fn.module.code_for_node
        key_text = "" if key is None else f", key={code(key)}"
        replace[sub] = cst.parse_expression(f"{which}({code(iterable)}{key_text})")
    if not replace:
        return None
    return emit(fn, fn.func.visit(Edit(replace=replace)))  # type: ignore[arg-type]
