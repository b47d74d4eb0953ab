"""list-comprehension-over-append:
`r = []` + `for x in xs: r.append(e)` -> `r = [e for x in xs]`."""

from __future__ import annotations

from itertools import pairwise

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function

SKILL_ID = "list-comprehension-over-append"


def _target_names(fn: Function, target: cst.BaseExpression) -> set[str] | None:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        names: set[str] = set()
        for element in target.elements:
            if isinstance(element, cst.StarredElement):
                return None
            inner = _target_names(fn, element.value)
            if inner is None:
                return None
            names |= inner
        return names
    return None


def _plan(fn: Function, line: cst.SimpleStatementLine, loop: cst.For) -> cst.CSTNode | None:
    """The `r = [...]` statement replacing `line` + `loop`, or None."""
    if len(line.body) != 1 or not isinstance(line.body[0], cst.Assign):
        return None
    assign = line.body[0]
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    if not (isinstance(assign.value, cst.List) and not assign.value.elements):
        return None
    name = assign.targets[0].target.value
    if loop.orelse is not None or loop.asynchronous is not None or not fn.safe_name(name):
        return None
    body = loop.body
    if not (
        isinstance(body, cst.IndentedBlock)
        and len(body.body) == 1
        and isinstance(body.body[0], cst.SimpleStatementLine)
        and len(body.body[0].body) == 1
        and isinstance(body.body[0].body[0], cst.Expr)
    ):
        return None
    call = body.body[0].body[0].value
    if not (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and isinstance(call.func.value, cst.Name)
        and call.func.value.value == name
        and call.func.attr.value == "append"
        and len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
    ):
        return None
    element = call.args[0].value
    # the accumulator must not be read while it is built (the comprehension has no name yet)
    if any(fn.inside(u.node, loop) for u in fn.uses[name] if u.node is not call.func.value):
        return None
    names = _target_names(fn, loop.target)
    if names is None or name in names:
        return None
    # a comprehension does not leak its variables: they must not be used outside the loop
    for var in names:
        if not fn.safe_name(var) or any(not fn.inside(u.node, loop) for u in fn.uses[var]):
            return None
    if any(isinstance(n, (cst.Yield, cst.Await)) for n in _nodes(element)):
        return None
    if fn.in_try_or_with(loop):
        return None
    comp = cst.ListComp(
        elt=element,
        for_in=cst.CompFor(target=loop.target, iter=loop.iter),
    )
    return line.with_changes(body=[assign.with_changes(value=comp)])


def _nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.children)
    return out


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    replace: dict[cst.CSTNode, object] = {}
    blocks = [n for n in _nodes(fn.func) if isinstance(n, cst.IndentedBlock)]
    for block in blocks:
        body = list(block.body)
        for line, loop in pairwise(body):
            if line in replace or not isinstance(line, cst.SimpleStatementLine):
                continue
            if not isinstance(loop, cst.For):
                continue
            new = _plan(fn, line, loop)
            if new is not None:
                comments = [e for e in loop.leading_lines if e.comment]
                replace[line] = new.with_changes(leading_lines=[*line.leading_lines, *comments])
                replace[loop] = cst.RemovalSentinel.REMOVE
    if not replace:
        return None
    return emit(fn, fn.func.visit(Edit(replace=replace)))  # type: ignore[arg-type]
