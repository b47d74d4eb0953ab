"""dict-get-default: `if k in d: d[k] += n / else: d[k] = n` -> `d[k] = d.get(k, 0) + n`.

Only for a dict the function itself creates (`d = {}` / `dict()`, never rebound), a plain
name key and the same integer literal n in both branches, where 0 + n == n exactly."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, emit, parse_function, stmt

SKILL_ID = "dict-get-default"


def _fresh_dict(fn, name: str) -> bool:
    binds = fn.bindings(name)
    if len(binds) != 1 or binds[0].kind != "store" or not fn.safe_name(name):
        return False
    target = fn.parents.get(binds[0].node)
    assign = fn.parents.get(target)
    if not (isinstance(target, cst.AssignTarget) and isinstance(assign, cst.Assign)):
        return False
    if len(assign.targets) != 1:
        return False
    value = assign.value
    if isinstance(value, cst.Dict) and not value.elements:
        return True
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "dict"
        and not value.args
        and fn.is_local_builtin("dict")
    )


def _single(block: cst.BaseSuite) -> cst.BaseSmallStatement | None:
    if not isinstance(block, cst.IndentedBlock) or len(block.body) != 1:
        return None
    line = block.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return line.body[0]


def _subscript_of(node: cst.BaseExpression, d: str, k: str) -> bool:
    return (
        isinstance(node, cst.Subscript)
        and isinstance(node.value, cst.Name)
        and node.value.value == d
        and len(node.slice) == 1
        and isinstance(node.slice[0].slice, cst.Index)
        and isinstance(node.slice[0].slice.value, cst.Name)
        and node.slice[0].slice.value.value == k
    )


def _match(node: cst.If) -> tuple[str, str, str] | None:
    test = node.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    op = test.comparisons[0].operator
    left, right = test.left, test.comparisons[0].comparator
    if not (isinstance(left, cst.Name) and isinstance(right, cst.Name)):
        return None
    if node.orelse is None or not isinstance(node.orelse, cst.Else):
        return None
    k, d = left.value, right.value
    yes, no = _single(node.body), _single(node.orelse.body)
    if isinstance(op, cst.NotIn):
        yes, no = no, yes
    elif not isinstance(op, cst.In):
        return None
    if not (isinstance(yes, cst.AugAssign) and isinstance(yes.operator, cst.AddAssign)):
        return None
    if not (isinstance(no, cst.Assign) and len(no.targets) == 1):
        return None
    if not (_subscript_of(yes.target, d, k) and _subscript_of(no.targets[0].target, d, k)):
        return None
    n1, n2 = yes.value, no.value
    if not (isinstance(n1, cst.Integer) and isinstance(n2, cst.Integer)):
        return None
    if n1.evaluated_value != n2.evaluated_value:
        return None
    return d, k, n1.value


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for node in _ifs(fn.func):
        found = _match(node)
        if found is None:
            continue
        d, k, n = found
        if not _fresh_dict(fn, d) or not fn.safe_name(k):
            continue
        new = stmt(f"{d}[{k}] = {d}.get({k}, 0) + {n}\n")
        replace[node] = new.with_changes(leading_lines=node.leading_lines)
    if not replace:
        return None
    return emit(fn, fn.func.visit(Edit(replace=replace)))  # type: ignore[arg-type]


def _ifs(root: cst.CSTNode) -> list[cst.If]:
    found: list[cst.If] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.If):
            found.append(node)
        stack.extend(node.children)
    return found
