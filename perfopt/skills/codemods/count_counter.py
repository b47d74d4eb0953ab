"""count-in-loop-to-counter: counting done by hand -> collections.Counter.

Two shapes, both rewritten in one pass:

- `seq.count(x)` for each x of seq (O(n^2)) -> `counts = Counter(seq)` built once before the
  loop and read as `counts[x]`, where seq's elements are evidently hashable (an annotation,
  `.split()`, a loop over `set(seq)`; see _kinds); elements of unknown type are left alone;
- a counting loop into a fresh dict (if/else, `.get(k, 0) + 1`, `setdefault`, or `+= 1`
  into `defaultdict(int)` / `Counter()`) -> one `Counter(...)` call (see count_loops.py).
"""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods import count_loops
from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt
from perfopt.skills.codemods._kinds import HASHABLE, items_of

SKILL_ID = "count-in-loop-to-counter"
IMPORT = "from collections import Counter"

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
# `for x in set(seq)`: every item was hashed before any count, so Counter cannot fail
_HASHING_WRAPPERS = frozenset({"set", "frozenset", "sorted"})


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


def _anchor(fn: Function, call: cst.Call, seq: str, item: str) -> tuple[cst.CSTNode, bool] | None:
    """(the statement to hoist before, whether the loop hashes every item first): the
    `for item in seq` loop around the call, or the statement holding a comprehension
    `... for item in seq`."""
    for node in fn.ancestors(call):
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if isinstance(node, _COMPREHENSIONS):
            clause: cst.CompFor | None = node.for_in
            while clause is not None:
                over = _iterates(clause, seq, item)
                if over is not None:
                    anchor = fn.statement_of(node)
                    return None if anchor is None else (anchor, over)
                clause = clause.inner_for_in
        if isinstance(node, cst.For):
            over = _iterates(node, seq, item)
            if over is None:
                continue
            if not fn.inside(call, node.body):
                return None
            # the loop variable must still be the item when counted
            if any(fn.inside(u.node, node.body) for u in fn.bindings(item)):
                return None
            return node, over
    return None


def _iterates(node: cst.For | cst.CompFor, seq: str, item: str) -> bool | None:
    """None unless `node` is `for item in seq` (False) or `for item in set(seq)` and the
    like (True: the loop header hashes every element)."""
    if node.asynchronous is not None:
        return None
    if not (isinstance(node.target, cst.Name) and node.target.value == item):
        return None
    it = node.iter
    if isinstance(it, cst.Name):
        return False if it.value == seq else None
    return True if _hashes(it, seq) else None


def _hashes(node: cst.BaseExpression, seq: str) -> bool:
    """`set(seq)`, `sorted(set(seq))`, `dict.fromkeys(seq)`."""
    if not isinstance(node, cst.Call) or len(node.args) != 1 or node.args[0].keyword:
        return False
    arg = node.args[0].value
    func = node.func
    if isinstance(func, cst.Attribute):
        is_fromkeys = isinstance(func.value, cst.Name) and func.value.value == "dict"
        return is_fromkeys and func.attr.value == "fromkeys" and _is_name(arg, seq)
    if not isinstance(func, cst.Name) or func.value not in _HASHING_WRAPPERS:
        return False
    if func.value == "sorted":
        return _hashes(arg, seq)
    return _is_name(arg, seq)


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _count_calls(fn: Function, seq: str) -> list[tuple[cst.Call, str]]:
    found = []
    for use in fn.loads(seq):
        method = fn.method_call(use.node)
        if method is None or method[0] != "count":
            continue
        call = method[1]
        if len(call.args) != 1 or call.args[0].keyword or call.args[0].star:
            continue
        item = call.args[0].value
        if isinstance(item, cst.Name):
            found.append((call, item.value))
    return found


def _found_counts(fn: Function) -> list[tuple[cst.Call, str, cst.CSTNode]]:
    """(the `seq.count(x)` call, seq, the statement to hoist before) where seq's elements
    are evidently hashable: Counter(seq) would raise TypeError where `.count` scanned, and
    a try/except fallback is no diff a maintainer merges."""
    found = []
    for seq in sorted(fn.uses):
        usable, line = _seq_statement(fn, seq)
        for call, item in _count_calls(fn, seq) if usable else []:
            anchored = _anchor(fn, call, seq, item)
            if anchored is None:
                continue
            anchor, loop_hashes = anchored
            if line is not None and (fn.inside(line, anchor) or not fn.precedes(line, anchor)):
                continue
            if loop_hashes or items_of(fn, cst.Name(seq)) in HASHABLE:
                found.append((call, seq, anchor))
    return found


def _names(fn: Function, seqs: set[str]) -> dict[str, str]:
    """`counts` for one Counter, `seq_counts` for several (or when `counts` is taken)."""
    names = {}
    for seq in seqs:
        name = "counts" if len(seqs) == 1 and not fn.mentions("counts") else f"{seq}_counts"
        if not fn.mentions(name):
            names[seq] = name
    return names


def _hoist_counts(def_source: str) -> str | None:
    """The `seq.count(x)` shape; None when it does not apply."""
    fn = parse_function(def_source)
    if fn is None or fn.bindings("Counter") or fn.bindings("collections"):
        return None
    found = _found_counts(fn)
    names = _names(fn, {seq for _, seq, _ in found})
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    hoisted: set[tuple[cst.CSTNode, str]] = set()
    for call, seq, anchor in found:
        new = names.get(seq)
        if new is None:
            continue
        item = cst.SubscriptElement(cst.Index(call.args[0].value))
        replace[call] = cst.Subscript(cst.Name(new), [item])
        if (anchor, new) not in hoisted:
            hoisted.add((anchor, new))
            before.setdefault(anchor, []).append(stmt(f"{new} = Counter({seq})\n"))
    if not replace:
        return None
    new_func = fn.func.visit(Edit(replace=replace, before=before))
    return emit(fn, new_func, [IMPORT])  # type: ignore[arg-type]


def rewrite(def_source: str) -> str | None:
    looped = count_loops.rewrite(def_source)
    current = looped if looped is not None else def_source
    hoisted = _hoist_counts(current)
    return hoisted if hoisted is not None else looped
