"""sorted-index-to-min-max: `sorted(x)[0]` -> `min(x)`, `sorted(x)[-1]` -> `max(x)`."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, emit, parse_function

SKILL_ID = "sorted-index-to-min-max"


def _end(node: cst.Subscript) -> str | None:
    """The builtin for the subscript: "min" for [0], "max" for [-1], else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.Integer) and value.evaluated_value == 0:
        return "min"
    if (
        isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        and value.expression.evaluated_value == 1
    ):
        return "max"
    return None


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or not fn.is_local_builtin("sorted"):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for use in fn.loads("sorted"):
        call = fn.parents.get(use.node)
        if not (isinstance(call, cst.Call) and call.func is use.node and len(call.args) == 1):
            continue
        arg = call.args[0]
        if arg.keyword is not None or arg.star:
            continue  # key= / reverse= change which element is first
        sub = fn.parents.get(call)
        if not (isinstance(sub, cst.Subscript) and sub.value is call) or fn._stored(sub):
            continue
        which = _end(sub)
        if which is None or not fn.is_local_builtin(which):
            continue
        replace[sub] = cst.Call(
            func=cst.Name(which),
            args=[
                arg.with_changes(
                    comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace("")
                )
            ],
        )
    if not replace:
        return None
    return emit(fn, fn.func.visit(Edit(replace=replace)))  # type: ignore[arg-type]
