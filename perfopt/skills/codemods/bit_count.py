"""bit-count-builtin: `bin(x).count("1")` -> `_index(x).bit_count()`.

`operator.index` accepts exactly what bin() accepts (ints, bools, __index__ objects) and
int.bit_count counts the bits of abs(x), as bin() shows them (Python 3.10+)."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, emit, expr, parse_function

SKILL_ID = "bit-count-builtin"
ALIAS = "_op_index"


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or not fn.is_local_builtin("bin") or fn.mentions(ALIAS):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for use in fn.loads("bin"):
        inner = fn.parents.get(use.node)
        if not (isinstance(inner, cst.Call) and inner.func is use.node and len(inner.args) == 1):
            continue
        arg = inner.args[0]
        if arg.keyword is not None or arg.star:
            continue
        attr = fn.parents.get(inner)
        if not (
            isinstance(attr, cst.Attribute) and attr.value is inner and attr.attr.value == "count"
        ):
            continue
        outer = fn.parents.get(attr)
        if not (isinstance(outer, cst.Call) and outer.func is attr and len(outer.args) == 1):
            continue
        needle = outer.args[0]
        if (
            needle.keyword is not None
            or needle.star
            or not isinstance(needle.value, cst.SimpleString)
        ):
            continue
        if needle.value.evaluated_value != "1":
            continue
        code = fn.module.code_for_node(arg.value)
        replace[outer] = expr(f"{ALIAS}({code}).bit_count()")
    if not replace:
        return None
    new = fn.func.visit(Edit(replace=replace))
    return emit(fn, new, [f"from operator import index as {ALIAS}"])  # type: ignore[arg-type]
