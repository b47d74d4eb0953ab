"""pair-count-to-counter: counting equal pairs with two nested loops -> one Counter.

    total = 0                                   total = sum(
    for i in range(n):                                count * (count - 1) // 2
        for j in range(i + 1, n):         ->          for count in Counter(a).values()
            if a[i] == a[j]:                        )
                total += 1

k equal elements make k*(k-1)/2 pairs, so the O(n^2) double loop becomes one O(n) pass
(`total += sum(...)` when the total starts elsewhere than at 0 right before the loops).
Exact only where `==` is an equivalence that hash agrees with: the elements must be
known (from the parameter's annotation) to be str, int, bytes, bool or tuples of them.
Floats are refused: NaN != NaN, but a Counter files the same NaN object under one key.
"""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt
from perfopt.skills.codemods._kinds import exact_items

SKILL_ID = "pair-count-to-counter"
IMPORT = "from collections import Counter"


def _name(node: cst.CSTNode) -> str | None:
    return node.value if isinstance(node, cst.Name) else None


def _only(suite: cst.BaseSuite) -> cst.CSTNode | None:
    """The single statement of a block (a small statement unwrapped), else None."""
    body = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
    if len(body) != 1:
        return None
    line = body[0]
    if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return line.body[0] if len(line.body) == 1 else None
    return line


def _range_args(fn: Function, node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    if not (isinstance(node, cst.Call) and _name(node.func) == "range"):
        return None
    if not fn.is_local_builtin("range") or any(a.keyword or a.star for a in node.args):
        return None
    return [a.value for a in node.args]


def _is_len_of(fn: Function, node: cst.BaseExpression, seq: str) -> bool:
    """`len(seq)`, or a name bound once to `len(seq)`."""
    if isinstance(node, cst.Call):
        return (
            _name(node.func) == "len"
            and fn.is_local_builtin("len")
            and len(node.args) == 1
            and _name(node.args[0].value) == seq
        )
    name = _name(node)
    if name is None or name in fn.params or len(fn.bindings(name)) != 1:
        return False
    target = fn.parents.get(fn.bindings(name)[0].node)
    assign = fn.parents.get(target) if isinstance(target, cst.AssignTarget) else None
    return isinstance(assign, cst.Assign) and _is_len_of(fn, assign.value, seq)


def _plus_one(node: cst.BaseExpression, i: str) -> bool:
    """`i + 1` or `1 + i`."""
    if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add)):
        return False
    one = (node.left, node.right) if _name(node.right) == i else (node.right, node.left)
    return _name(one[1]) == i and isinstance(one[0], cst.Integer) and one[0].evaluated_value == 1


def _item(node: cst.BaseExpression, index: str) -> str | None:
    """`seq` for `seq[index]`."""
    if not (isinstance(node, cst.Subscript) and len(node.slice) == 1):
        return None
    part = node.slice[0].slice
    if not (isinstance(part, cst.Index) and _name(part.value) == index):
        return None
    return _name(node.value)


def _index_loops(
    fn: Function, outer: cst.For, inner: cst.For
) -> tuple[str, str, cst.BaseExpression] | None:
    """(i, j, n) for `for i in range(n): for j in range(i + 1, n)` (or `range(i)`)."""
    i, j = _name(outer.target), _name(inner.target)
    outer_range, inner_range = _range_args(fn, outer.iter), _range_args(fn, inner.iter)
    if i is None or j is None or i == j or outer_range is None or inner_range is None:
        return None
    if len(outer_range) == 2 and isinstance(outer_range[0], cst.Integer):
        if outer_range[0].evaluated_value != 0:
            return None
        outer_range = outer_range[1:]
    if len(outer_range) != 1:
        return None
    n = outer_range[0]
    if len(inner_range) == 1 and _name(inner_range[0]) == i:
        return i, j, n  # j < i: each unordered pair once
    if len(inner_range) == 2 and _plus_one(inner_range[0], i) and inner_range[1].deep_equals(n):
        return i, j, n  # j > i
    return None


def _pair_test(test: cst.BaseExpression, i: str, j: str) -> str | None:
    """`seq` for `seq[i] == seq[j]` (either way round)."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return None
    left_i, right_j = _item(test.left, i), _item(target.comparator, j)
    left_j, right_i = _item(test.left, j), _item(target.comparator, i)
    if left_i is not None and left_i == right_j:
        return left_i
    if left_j is not None and left_j == right_i:
        return left_j
    return None


def _increment(node: cst.CSTNode | None) -> str | None:
    """`total` for `total += 1`."""
    if not (isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign)):
        return None
    one = node.value
    if not (isinstance(one, cst.Integer) and one.evaluated_value == 1):
        return None
    return _name(node.target)


def _match(fn: Function, outer: cst.For) -> tuple[str, str, tuple[str, ...]] | None:
    """(total, seq, loop variables) for the double loop."""
    inner = _only(outer.body)
    if not isinstance(inner, cst.For) or outer.orelse or inner.orelse:
        return None
    if outer.asynchronous or inner.asynchronous:
        return None
    condition = _only(inner.body)
    if not isinstance(condition, cst.If) or condition.orelse is not None:
        return None
    total = _increment(_only(condition.body))
    loops = _index_loops(fn, outer, inner)
    if total is None or loops is None:
        return None
    i, j, n = loops
    seq = _pair_test(condition.test, i, j)
    if seq is None or not _is_len_of(fn, n, seq):
        return None
    return total, seq, (i, j)


def _int_total(fn: Function, total: str, outer: cst.For) -> bool:
    """The total is a local int: bound to an int literal before the loop, and otherwise
    only moved by int literals (`+= 1`, `-= 2`)."""
    if total in fn.params or not fn.safe_name(total):
        return False
    literal = 0
    for use in fn.bindings(total):
        parent = fn.parents.get(use.node)
        if fn.inside(use.node, outer):
            continue
        assign = fn.parents.get(parent) if isinstance(parent, cst.AssignTarget) else None
        if isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Integer):
            literal += 1
            line = fn.statement_of(assign)
            if line is None or not fn.precedes(line, outer):
                return False
        elif not (
            isinstance(parent, cst.AugAssign)
            and isinstance(parent.operator, (cst.AddAssign, cst.SubtractAssign))
            and isinstance(parent.value, cst.Integer)
        ):
            return False
    return literal >= 1


def _dead_length(fn: Function, outer: cst.For) -> cst.CSTNode | None:
    """The `n = len(seq)` line when only the replaced loops read n."""
    n = _range_args(fn, outer.iter)[0]  # type: ignore[index]
    name = _name(n)
    if name is None or any(not fn.inside(u.node, outer) for u in fn.loads(name)):
        return None
    line = fn.statement_of(fn.bindings(name)[0].node)
    ok = isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
    return line if ok else None


def _plan(fn: Function, outer: cst.For) -> dict[cst.CSTNode, object] | None:
    found = _match(fn, outer)
    if found is None or fn.loop_chain(outer) is None:
        return None
    total, seq, loop_names = found
    if not _int_total(fn, total, outer) or not fn.safe_name(seq):
        return None
    if not exact_items(fn, seq):
        return None  # unknown or float elements: == and Counter may disagree
    if not all(fn.read_only(u.node) for u in fn.loads(seq)):
        return None  # changed before the loop: n = len(seq) may be stale
    if any(not fn.inside(u.node, outer) for n in loop_names for u in fn.uses[n]):
        return None  # i or j used outside the loop: they must stay bound
    count = "count" if not fn.mentions("count") else "k"
    if fn.mentions(count):
        return None
    pairs = f"{count} * ({count} - 1) // 2 for {count} in Counter({seq}).values()"
    start = _zero_start(fn, total, outer)
    lead = [*start.leading_lines, *outer.leading_lines] if start else outer.leading_lines
    line = f"{total} {'=' if start else '+='} sum({pairs})"
    depth = sum(1 for a in fn.ancestors(outer) if isinstance(a, cst.IndentedBlock))
    if depth * len(fn.module.default_indent) + len(line) > 88:
        line = f"{total} {'=' if start else '+='} sum(\n    {pairs}\n)"
    replace: dict[cst.CSTNode, object] = {outer: stmt(line + "\n").with_changes(leading_lines=lead)}
    for gone in (start, _dead_length(fn, outer)):
        if gone is not None:
            replace[gone] = cst.RemovalSentinel.REMOVE
    return replace


def _zero_start(fn: Function, total: str, outer: cst.For) -> cst.SimpleStatementLine | None:
    """The `total = 0` line right before the loops: `total = sum(...)` replaces both."""
    block = fn.block_of(outer)
    body = list(block.body) if block is not None else []
    at = body.index(outer) if outer in body else 0
    line = body[at - 1] if at else None
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
        return None
    assign = line.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    value = assign.value
    zero = isinstance(value, cst.Integer) and value.evaluated_value == 0
    return line if zero and _name(assign.targets[0].target) == total else None


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or fn.bindings("Counter") or fn.bindings("sum"):
        return None
    replace: dict[cst.CSTNode, object] = {}
    for uses in fn.uses.values():
        for use in uses:
            loop = fn.parents.get(use.node)
            if isinstance(loop, cst.For) and loop.target is use.node:
                replace.update(_plan(fn, loop) or {})
    if not replace:
        return None
    return emit(fn, fn.func.visit(Edit(replace=replace)), [IMPORT])  # type: ignore[arg-type]
