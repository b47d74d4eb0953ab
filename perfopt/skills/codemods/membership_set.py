"""list-membership-to-set: `x in NAME` in a loop, NAME a read-only list -> hoisted set."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt

SKILL_ID = "list-membership-to-set"

_EVIDENT_SEQUENCE_CALLS = frozenset({"list", "tuple", "sorted"})


def _membership_uses(fn: Function, name: str) -> list[cst.Name]:
    found = []
    for use in fn.loads(name):
        parent = fn.parents.get(use.node)
        if (
            isinstance(parent, cst.ComparisonTarget)
            and parent.comparator is use.node
            and isinstance(parent.operator, (cst.In, cst.NotIn))
        ):
            found.append(use.node)
    return found


_LITERALS = (cst.Integer, cst.Float, cst.SimpleString)


def _evident_kind(fn: Function, value: cst.BaseExpression) -> str:
    """What `NAME = value` binds: "literals" (a list/tuple of hashable literals), "sequence"
    (surely a fresh list or tuple), "skip" (already fast, or a str), or "unknown"."""
    if isinstance(value, (cst.List, cst.Tuple)) and all(
        isinstance(e, cst.Element) and isinstance(e.value, _LITERALS) for e in value.elements
    ):
        return "literals"
    if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)):
        return "sequence"
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        name = value.func.value
        if name in _EVIDENT_SEQUENCE_CALLS and fn.is_local_builtin(name):
            return "sequence"
        if name in {"set", "frozenset", "dict", "range", "str"}:
            return "skip"
    if isinstance(value, (cst.Set, cst.SetComp, cst.Dict, cst.DictComp)):
        return "skip"
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return "skip"
    return "unknown"


def _hoist(name: str, new: str, kind: str) -> cst.BaseStatement:
    if kind == "literals":
        return stmt(f"{new} = set({name})\n")
    if kind == "sequence":
        build = f"set({name})"
    else:
        # a str keeps substring semantics and an iterator must not be consumed early
        build = f"set({name}) if isinstance({name}, (list, tuple)) else {name}"
    return stmt(f"try:\n    {new} = {build}\nexcept TypeError:\n    {new} = {name}\n")


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    hoisted: set[tuple[cst.CSTNode, str]] = set()
    for name in sorted(fn.uses):
        uses = _membership_uses(fn, name)
        new = f"_{name}_set"
        if not uses or not fn.safe_name(name) or fn.mentions(new):
            continue
        binds = fn.bindings(name)
        assign: cst.CSTNode | None = None
        if name in fn.params:
            if len(binds) != 1:
                continue
            kind = "unknown"
        else:
            if len(binds) != 1 or binds[0].kind != "store":
                continue
            target = fn.parents.get(binds[0].node)
            assign = fn.parents.get(target) if isinstance(target, cst.AssignTarget) else None
            if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
                continue
            kind = _evident_kind(fn, assign.value)
            if kind == "skip":
                continue
            assign = fn.parents.get(assign)  # the SimpleStatementLine
        if not all(fn.read_only(u.node) for u in fn.loads(name)):
            continue
        for node in uses:
            chain = fn.loop_chain(node)
            if not chain:
                continue
            # hoist before the outermost loop that runs after the single assignment
            loop = next(
                (
                    lp
                    for lp in reversed(chain)
                    if assign is None or (not fn.inside(assign, lp) and fn.precedes(assign, lp))
                ),
                None,
            )
            if loop is None:
                continue
            replace[node] = cst.Name(new)
            if (loop, new) not in hoisted:
                hoisted.add((loop, new))
                before.setdefault(loop, []).append(_hoist(name, new, kind))
    if not replace:
        return None
    new_func = fn.func.visit(Edit(replace=replace, before=before))
    return emit(fn, new_func)  # type: ignore[arg-type]
