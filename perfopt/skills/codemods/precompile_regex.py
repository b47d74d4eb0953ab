"""precompile-regex: `re.match("lit", s)` in a loop -> one `re.compile` at the top of the
function and `_re_N.match(s)` in the loop.

Only literal patterns that compile here (so compiling early cannot raise where the original
did not) and calls without flags, whose Pattern-method signatures line up."""

from __future__ import annotations

import re

import libcst as cst

from perfopt.skills.codemods._common import Edit, emit, parse_function, stmt

SKILL_ID = "precompile-regex"
# function -> allowed positional counts (pattern included); no keywords at all
ARITY = {
    "match": (2,),
    "search": (2,),
    "fullmatch": (2,),
    "findall": (2,),
    "finditer": (2,),
    "split": (2, 3),
    "sub": (3, 4),
    "subn": (3, 4),
}
_LOOPISH = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _in_loop(fn, node: cst.CSTNode) -> bool:
    for parent in fn.ancestors(node):
        if parent is fn.func or isinstance(parent, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(parent, _LOOPISH):
            return True
    return False


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or fn.bindings("re") or not fn.safe_name("re"):
        return None
    hoisted: dict[str, str] = {}  # pattern source -> name
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for use in fn.loads("re"):
        attr = fn.parents.get(use.node)
        if not (isinstance(attr, cst.Attribute) and attr.value is use.node):
            continue
        call = fn.parents.get(attr)
        method = attr.attr.value
        if not (isinstance(call, cst.Call) and call.func is attr and method in ARITY):
            continue
        args = call.args
        if len(args) not in ARITY[method] or any(a.keyword or a.star for a in args):
            continue
        pat = args[0].value
        if not isinstance(pat, cst.SimpleString) or not _in_loop(fn, call):
            continue
        value = pat.evaluated_value
        try:
            re.compile(value)
        except (re.error, TypeError, ValueError):
            continue
        code = pat.value
        if code not in hoisted:
            name = f"_re_{len(hoisted)}"
            if fn.mentions(name):
                return None
            hoisted[code] = name
        replace[call] = cst.Call(
            func=cst.Attribute(cst.Name(hoisted[code]), cst.Name(method)), args=args[1:]
        )
    if not replace:
        return None
    new = fn.func.visit(Edit(replace=replace))
    assert isinstance(new, cst.FunctionDef)  # Edit replaces nodes inside the def only
    body = list(new.body.body)
    at = 1 if body and _docstring(body[0]) else 0
    lines = [stmt(f"{name} = re.compile({code})\n") for code, name in hoisted.items()]
    new = new.with_changes(body=new.body.with_changes(body=[*body[:at], *lines, *body[at:]]))
    return emit(fn, new, ["import re"])


def _docstring(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.SimpleStatementLine)
        and len(node.body) == 1
        and isinstance(node.body[0], cst.Expr)
        and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
