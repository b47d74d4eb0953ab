"""heapq-top-k: `sorted(x)[:k]` -> `heapq.nsmallest(k, x)` (and reverse=True -> nlargest).

The heapq docs define nsmallest(n, it, key) as equivalent to sorted(it, key=key)[:n] (ties
keep their order), so only a small literal k is required: that is where a heap wins.
"""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, emit, parse_function

SKILL_ID = "heapq-top-k"
MAX_K = 64  # past this a full sort is about as fast


def _k(node: cst.Subscript) -> int | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return None
    sl = node.slice[0].slice
    if sl.lower is not None or sl.step is not None or not isinstance(sl.upper, cst.Integer):
        return None
    k = int(sl.upper.evaluated_value)
    return k if 0 < k <= MAX_K else None


def _plain(arg: cst.Arg) -> cst.Arg:
    return arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or not fn.is_local_builtin("sorted") or fn.bindings("heapq"):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for use in fn.loads("sorted"):
        call = fn.parents.get(use.node)
        if not (isinstance(call, cst.Call) and call.func is use.node and call.args):
            continue
        sub = fn.parents.get(call)
        if not (isinstance(sub, cst.Subscript) and sub.value is call) or fn._stored(sub):
            continue
        k = _k(sub)
        first, *rest = call.args
        if k is None or first.keyword is not None or first.star:
            continue
        key: cst.Arg | None = None
        which = "nsmallest"
        ok = True
        for arg in rest:
            name = arg.keyword.value if arg.keyword is not None else None
            if name == "key":
                key = arg
            elif (
                name == "reverse"
                and isinstance(arg.value, cst.Name)
                and arg.value.value
                in (
                    "True",
                    "False",
                )
            ):
                which = "nlargest" if arg.value.value == "True" else "nsmallest"
            else:
                ok = False
        if not ok:
            continue
        args = [cst.Arg(cst.Integer(str(k))), _plain(first)]
        if key is not None:
            args.append(_plain(key))
        replace[sub] = cst.Call(
            func=cst.Attribute(cst.Name("heapq"), cst.Name(which)),
            args=[
                a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                if i < len(args) - 1
                else a
                for i, a in enumerate(args)
            ],
        )
    if not replace:
        return None
    return emit(fn, fn.func.visit(Edit(replace=replace)), ["import heapq"])  # type: ignore[arg-type]
