"""The counting statements count_loops.py recognises: pure matchers over LibCST nodes.

`match(loop)` walks a `for` loop down through nested loops and filtering `if`s to the one
counting statement (or pair of statements) at the bottom:

    if k in counts: counts[k] += 1        counts[k] = counts.get(k, 0) + 1
    else: counts[k] = 1
    counts.setdefault(k, 0)               if k not in counts: counts[k] = 0
    counts[k] += 1                        counts[k] += 1
    counts[k] += 1   (into a defaultdict(int) or Counter() only)
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class Clause:
    """`for target in expr` (a loop), or `if expr` (a filter: target None)."""

    target: cst.BaseAssignTargetExpression | None
    expr: cst.BaseExpression


@dataclass(frozen=True)
class Match:
    counts: str
    key: cst.BaseExpression
    clauses: tuple[Clause, ...]
    increment_only: bool  # `counts[k] += 1` alone: needs a defaultdict or Counter


def _statements(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    """The statements of a block, small statements unwrapped (`a; b` counts as two)."""
    out: list[cst.CSTNode] = []
    body = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
    for line in body:
        if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            out.extend(line.body)
        else:
            out.append(line)
    return out


def _one(value: cst.CSTNode, n: int) -> bool:
    return isinstance(value, cst.Integer) and value.evaluated_value == n


def key_of(node: cst.CSTNode, counts: str) -> cst.BaseExpression | None:
    """K for `counts[K]`."""
    if not (isinstance(node, cst.Subscript) and is_name(node.value, counts)):
        return None
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return node.slice[0].slice.value


def is_name(node: cst.CSTNode | None, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _increment(node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """(counts, K) for `counts[K] += 1` or `counts[K] = counts[K] + 1`."""
    if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            key = key_of(target, target.value.value)
            if key is not None and _one(node.value, 1):
                return target.value.value, key
    if isinstance(node, cst.Assign) and len(node.targets) == 1:
        target = node.targets[0].target
        value = node.value
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            counts = target.value.value
            key = key_of(target, counts)
            if (
                key is not None
                and isinstance(value, cst.BinaryOperation)
                and isinstance(value.operator, cst.Add)
                and _one(value.right, 1)
                and (inner := key_of(value.left, counts)) is not None
                and inner.deep_equals(key)
            ):
                return counts, key
    return None


def _store(node: cst.CSTNode, n: int) -> tuple[str, cst.BaseExpression] | None:
    """(counts, K) for `counts[K] = n`."""
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and _one(node.value, n):
        target = node.targets[0].target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            key = key_of(target, target.value.value)
            if key is not None:
                return target.value.value, key
    return None


def _membership(test: cst.BaseExpression) -> tuple[str, cst.BaseExpression, bool] | None:
    """(counts, K, negated) for `K in counts` / `K not in counts`."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    if not isinstance(target.comparator, cst.Name):
        return None
    if not isinstance(target.operator, (cst.In, cst.NotIn)):
        return None
    return target.comparator.value, test.left, isinstance(target.operator, cst.NotIn)


def _same(*found: tuple[str, cst.BaseExpression] | None) -> tuple[str, cst.BaseExpression] | None:
    if any(f is None for f in found):
        return None
    first = found[0]
    assert first is not None
    ok = all(f[0] == first[0] and f[1].deep_equals(first[1]) for f in found if f is not None)
    return first if ok else None


def _if_else(node: cst.If) -> tuple[str, cst.BaseExpression] | None:
    """`if K in counts: counts[K] += 1 / else: counts[K] = 1` (either way round)."""
    member = _membership(node.test)
    if member is None or not isinstance(node.orelse, cst.Else):
        return None
    counts, key, negated = member
    present, absent = _statements(node.body), _statements(node.orelse.body)
    if negated:
        present, absent = absent, present
    if len(present) != 1 or len(absent) != 1:
        return None
    return _same((counts, key), _increment(present[0]), _store(absent[0], 1))


def _get_form(node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """`counts[K] = counts.get(K, 0) + 1`."""
    if not (isinstance(node, cst.Assign) and len(node.targets) == 1):
        return None
    target, value = node.targets[0].target, node.value
    if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)):
        return None
    call, one = value.left, value.right
    if _one(call, 1):
        call, one = one, call
    if not (_one(one, 1) and isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
        return None
    receiver = call.func.value
    if not (isinstance(receiver, cst.Name) and call.func.attr.value == "get"):
        return None
    args = call.args
    if len(args) != 2 or any(a.keyword or a.star for a in args) or not _one(args[1].value, 0):
        return None
    key = key_of(target, receiver.value)
    return _same((receiver.value, args[0].value), (receiver.value, key) if key else None)


def _start_at_zero(node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """`counts.setdefault(K, 0)` or `if K not in counts: counts[K] = 0`."""
    if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
        call = node.value
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.attr.value == "setdefault"
            and len(call.args) == 2
            and not any(a.keyword or a.star for a in call.args)
            and _one(call.args[1].value, 0)
        ):
            return func.value.value, call.args[0].value
    if isinstance(node, cst.If) and node.orelse is None:
        member = _membership(node.test)
        body = _statements(node.body)
        if member is not None and member[2] and len(body) == 1:
            return _same(member[:2], _store(body[0], 0))
    return None


def _count_statement(stmts: list[cst.CSTNode]) -> tuple[str, cst.BaseExpression, bool] | None:
    """(counts, K, increment only) for the body of the innermost loop."""
    if len(stmts) == 2:
        found = _same(_start_at_zero(stmts[0]), _increment(stmts[1]))
        return None if found is None else (*found, False)
    if len(stmts) != 1:
        return None
    only = stmts[0]
    if isinstance(only, cst.If):
        found = _if_else(only)
    else:
        found = _get_form(only)
    if found is not None:
        return (*found, False)
    found = _increment(only)
    return None if found is None else (*found, True)


def match(loop: cst.For) -> Match | None:
    clauses: list[Clause] = []
    node: cst.For | cst.If = loop
    while True:
        if isinstance(node, cst.For):
            if node.asynchronous is not None or node.orelse is not None:
                return None
            clauses.append(Clause(node.target, node.iter))
        else:
            assert isinstance(node, cst.If)
            clauses.append(Clause(None, node.test))
        stmts = _statements(node.body)
        inner = stmts[0] if len(stmts) == 1 else None
        if isinstance(inner, cst.For) or (isinstance(inner, cst.If) and inner.orelse is None):
            node = inner
            continue
        found = _count_statement(stmts)
        if found is None:
            return None
        return Match(found[0], found[1], tuple(clauses), found[2])
