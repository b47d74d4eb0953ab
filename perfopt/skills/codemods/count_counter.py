"""count-in-loop-to-counter: `seq.count(x)` for each x of seq -> one Counter, O(1) lookups."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt

SKILL_ID = "count-in-loop-to-counter"
IMPORT = "from collections import Counter"

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _hoist(seq: str, new: str) -> cst.BaseStatement:
    # `x` always comes from iterating `seq`, so it is a key of the Counter; unhashable
    # items make Counter raise TypeError and the code keeps the original linear count
    return stmt(
        f"try:\n    {new} = Counter({seq}).__getitem__\n"
        f"except TypeError:  # unhashable items\n    {new} = {seq}.count\n"
    )


def _seq_statement(fn: Function, seq: str) -> tuple[bool, cst.CSTNode | None]:
    """(usable, the statement assigning a local seq); seq must never change."""
    if not fn.safe_name(seq):
        return False, None
    binds = fn.bindings(seq)
    if seq in fn.params:
        ok = len(binds) == 1
        line = None
    else:
        target = fn.parents.get(binds[0].node) if len(binds) == 1 else None
        assign = fn.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        line = fn.parents.get(assign) if isinstance(assign, cst.Assign) else None
        ok = isinstance(line, cst.SimpleStatementLine)
    ok = ok and all(fn.read_only(u.node) for u in fn.loads(seq))
    return ok, line


def _anchor(fn: Function, call: cst.Call, seq: str, item: str) -> cst.CSTNode | None:
    """The statement to hoist before: the `for item in seq` loop around the call, or the
    statement holding a comprehension `... for item in seq`."""
    for node in fn.ancestors(call):
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if isinstance(node, _COMPREHENSIONS):
            clause: cst.CompFor | None = node.for_in
            while clause is not None:
                if _iterates(clause, seq, item):
                    return fn.statement_of(node)
                clause = clause.inner_for_in
        if isinstance(node, cst.For) and _iterates(node, seq, item):
            if not fn.inside(call, node.body):
                return None
            # the loop variable must still be the item when counted
            if any(fn.inside(u.node, node.body) for u in fn.bindings(item)):
                return None
            return node
    return None


def _iterates(node: cst.For | cst.CompFor, seq: str, item: str) -> bool:
    return (
        node.asynchronous is None
        and isinstance(node.iter, cst.Name)
        and node.iter.value == seq
        and isinstance(node.target, cst.Name)
        and node.target.value == item
    )


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or fn.bindings("Counter") or fn.bindings("collections"):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    hoisted: set[tuple[cst.CSTNode, str]] = set()
    for seq in sorted(fn.uses):
        new = f"_{seq}_count"
        if fn.mentions(new):
            continue
        usable, line = _seq_statement(fn, seq)
        if not usable:
            continue
        for use in fn.loads(seq):
            method = fn.method_call(use.node)
            if method is None or method[0] != "count":
                continue
            call = method[1]
            if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
                continue
            item = call.args[0].value
            if not isinstance(item, cst.Name):
                continue
            anchor = _anchor(fn, call, seq, item.value)
            if anchor is None:
                continue
            if line is not None and (fn.inside(line, anchor) or not fn.precedes(line, anchor)):
                continue
            replace[call.func] = cst.Name(new)
            if (anchor, new) not in hoisted:
                hoisted.add((anchor, new))
                before.setdefault(anchor, []).append(_hoist(seq, new))
    if not replace:
        return None
    new_func = fn.func.visit(Edit(replace=replace, before=before))
    return emit(fn, new_func, [IMPORT])  # type: ignore[arg-type]
