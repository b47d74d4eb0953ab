"""Counting loops -> one `Counter(...)` call (part of count-in-loop-to-counter).

    counts = {}                              counts = dict(Counter(w.lower() for w in words))
    for w in words:                   ->
        counts[w.lower()] = counts.get(w.lower(), 0) + 1

The loop may nest (`for line in lines: for word in line.split(): ...`) and filter
(`if word not in STOP: ...`); the count is an if/else on `key in counts`, `.get(key, 0) + 1`,
`setdefault(key, 0)` then `+= 1`, or `+= 1` into `defaultdict(int)` / `Counter()`.

Type: a dict that leaves the function (returned, passed, stored, printed) stays a plain dict
(`dict(Counter(...))`: same keys, same first-seen order, same counts). Only a dict read
locally in ways a Counter answers the same (`.items()`, `len`, `in`, iteration, keys known
to be present) becomes the Counter itself; a `defaultdict(int)` only then, since a
defaultdict inserts missing keys on read and the caller would see its type.
"""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import (
    Edit,
    Function,
    emit,
    exceptions_escape,
    parse_function,
    pure,
)
from perfopt.skills.codemods.count_shapes import Match, is_name, key_of, match

IMPORT = "from collections import Counter"

# builtins that only iterate a mapping's keys (or test its size): a Counter answers alike
_KEY_READERS = frozenset(
    {
        "len",
        "sorted",
        "min",
        "max",
        "sum",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "any",
        "all",
        "bool",
    }
)
_VIEWS = frozenset({"items", "values", "keys", "get"})
_UNMOVABLE = (cst.Await, cst.Yield, cst.NamedExpr, cst.Lambda)


def _init_kind(fn: Function, value: cst.BaseExpression) -> str | None:
    """ "dict" ({} / dict()), "defaultdict" (defaultdict(int)), "counter" (Counter())."""
    if isinstance(value, cst.Dict):
        return None if value.elements else "dict"
    if not isinstance(value, cst.Call) or any(a.keyword or a.star for a in value.args):
        return None
    func = value.func
    if isinstance(func, cst.Attribute) and is_name(func.value, "collections"):
        name = func.attr.value
        if fn.bindings("collections"):
            return None
    elif isinstance(func, cst.Name):
        name = func.value
        if fn.bindings(name):
            return None
    else:
        return None
    args = [a.value for a in value.args]
    if name == "dict" and not args and isinstance(func, cst.Name):
        return "dict"
    if name == "Counter" and not args:
        return "counter"
    if name == "defaultdict" and len(args) == 1 and is_name(args[0], "int"):
        return None if fn.bindings("int") else "defaultdict"
    return None


def _init_line(
    fn: Function, loop: cst.For, counts: str
) -> tuple[cst.SimpleStatementLine, str, bool] | None:
    """(the `counts = {}` line, its kind, whether it sits right before the loop): the last
    statement before the loop, in the same block, that mentions counts."""
    block = fn.block_of(loop)
    if block is None:
        return None
    siblings = list(block.body)
    at = siblings.index(loop)
    uses = fn.uses.get(counts, [])
    for k in range(at - 1, -1, -1):
        line = siblings[k]
        if not any(fn.inside(u.node, line) for u in uses):
            continue
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            return None
        assign = line.body[0]
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and is_name(assign.targets[0].target, counts)
        ):
            return None
        kind = _init_kind(fn, assign.value)
        return (line, kind, k == at - 1) if kind is not None else None
    return None


def _movable(fn: Function, node: cst.CSTNode, counts: str) -> bool:
    """True when `node` means the same inside a generator expression, before counts exists."""
    for sub in _walk(node):
        if isinstance(sub, _UNMOVABLE):
            return False
        if isinstance(sub, cst.Name) and sub.value in (counts, "super"):
            return False
    return True


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found


def _target_names(target: cst.CSTNode) -> list[str] | None:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            inner = _target_names(element.value) if isinstance(element, cst.Element) else None
            if inner is None:
                return None
            names += inner
        return names
    return None


def _present_key(fn: Function, sub: cst.Subscript, counts: str) -> bool:
    """`counts[k]` where k comes from iterating counts (or its keys/items): always present."""
    key = key_of(sub, counts)
    if not isinstance(key, cst.Name):
        return False
    for node in fn.ancestors(sub):
        clauses: list[cst.For | cst.CompFor] = []
        if isinstance(node, cst.For) and fn.inside(sub, node.body):
            clauses = [node]
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            clause: cst.CompFor | None = node.for_in
            while clause is not None:
                clauses.append(clause)
                clause = clause.inner_for_in
        for loop in clauses:
            if _binds_key(loop, counts, key.value) and not any(
                fn.inside(u.node, loop)
                for u in fn.bindings(key.value)
                if u.node is not _target(loop)
            ):
                return True
    return False


def _target(loop: cst.For | cst.CompFor) -> cst.CSTNode:
    target = loop.target
    if isinstance(target, cst.Tuple) and target.elements:
        return target.elements[0].value
    return target


def _binds_key(loop: cst.For | cst.CompFor, counts: str, key: str) -> bool:
    """`for key in counts`, `for key in counts.keys()`, `for key, n in counts.items()`."""
    it = loop.iter
    if is_name(it, counts):
        return is_name(loop.target, key)
    if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and not it.args):
        return False
    if not is_name(it.func.value, counts):
        return False
    if it.func.attr.value == "keys":
        return is_name(loop.target, key)
    return (
        it.func.attr.value == "items"
        and isinstance(loop.target, cst.Tuple)
        and is_name(_target(loop), key)
    )


def _read_like_a_dict(fn: Function, node: cst.Name, counts: str) -> bool:
    """True for a read that a Counter answers exactly as the dict (or defaultdict) did."""
    parent = fn.parents.get(node)
    if isinstance(parent, cst.Attribute) and parent.value is node:
        method = fn.method_call(node)
        return parent.attr.value in _VIEWS if method else parent.attr.value == "get"
    if isinstance(parent, cst.ComparisonTarget) and isinstance(
        parent.operator, (cst.In, cst.NotIn)
    ):
        return parent.comparator is node
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
        return True
    if isinstance(parent, cst.Subscript) and parent.value is node and not fn._stored(parent):
        return _present_key(fn, parent, counts)
    return fn.truthiness(node) or fn.builtin_arg(node, _KEY_READERS)


def _local_only(fn: Function, loop: cst.For, counts: str) -> bool:
    if len(fn.bindings(counts)) != 1:
        return False
    return all(
        fn.inside(u.node, loop) or _read_like_a_dict(fn, u.node, counts) for u in fn.loads(counts)
    )


def _code(fn: Function, node: cst.CSTNode, parens: bool = True) -> str:
    text = fn.module.code_for_node(node).strip()
    needs = isinstance(node, (cst.IfExp, cst.Lambda)) or (
        isinstance(node, cst.Tuple) and not node.lpar
    )
    return f"({text})" if parens and needs else text


def _counter_call(fn: Function, found: Match) -> str:
    clauses = found.clauses
    key = found.key
    only = clauses[0]
    if len(clauses) == 1 and isinstance(key, cst.Name) and is_name(only.target, key.value):
        return f"Counter({_code(fn, only.expr, parens=False)})"  # Counter(words)
    parts = [_code(fn, found.key)]
    for clause in clauses:
        if clause.target is not None:
            target = _code(fn, clause.target, parens=False)
            parts.append(f"for {target} in {_code(fn, clause.expr)}")
        else:
            parts.append(f"if {_code(fn, clause.expr)}")
    return f"Counter({' '.join(parts)})"


def _wrapped(fn: Function, loop: cst.For, line: str, width: int = 88) -> str:
    """`line`, its call's argument on a line of its own when it would pass `width`."""
    depth = sum(1 for a in fn.ancestors(loop) if isinstance(a, cst.IndentedBlock))
    indent = fn.module.default_indent
    if len(indent) * depth + len(line) <= width or "(" not in line:
        return line + "\n"
    head, _, arg = line.partition("(")
    closing = ")" * (len(line) - len(line.rstrip(")")))
    inner = arg[: len(arg) - len(closing)] + closing[:-1]
    return f"{head}(\n{indent}{inner}\n)\n"


def _plan(fn: Function, loop: cst.For) -> tuple[Edit, str] | None:
    found = match(loop)
    if found is None or found.counts in fn.params or not fn.safe_name(found.counts):
        return None
    counts = found.counts
    if any(fn.loop_chain(u.node) is None for u in fn.uses[counts]):
        return None  # a nested function sees counts: it could read the partial dict
    init = _init_line(fn, loop, counts)
    if init is None or not exceptions_escape(fn, loop):
        return None
    line, kind, adjacent = init
    if found.increment_only and kind == "dict":
        return None  # a plain dict would raise KeyError: not a counting loop
    if not _movable(fn, found.key, counts) or not all(
        _movable(fn, clause.expr, counts) for clause in found.clauses
    ):
        return None
    if not found.increment_only and not pure(fn, found.key):
        return None  # the key is evaluated more than once per item in the original
    for clause in found.clauses:
        if clause.target is not None:
            names = _target_names(clause.target)
            if names is None or any(
                not fn.safe_name(n) or not all(fn.inside(u.node, loop) for u in fn.uses[n])
                for n in names
            ):
                return None  # the loop variable is read after the loop: it must stay bound
    call = _counter_call(fn, found)
    if kind != "counter" and not _local_only(fn, loop, counts):
        if kind == "defaultdict":
            return None  # a returned defaultdict must stay one; its loop is fast already
        call = f"dict({call})"
    new = cst.parse_statement(_wrapped(fn, loop, f"{counts} = {call}"))
    assert isinstance(new, cst.SimpleStatementLine)
    lead = [*line.leading_lines, *loop.leading_lines] if adjacent else list(loop.leading_lines)
    new = new.with_changes(leading_lines=lead)
    if adjacent:
        new = new.with_changes(trailing_whitespace=line.trailing_whitespace)
    return Edit(replace={line: cst.RemovalSentinel.REMOVE, loop: new}), counts


def rewrite(def_source: str) -> str | None:
    """Every counting loop of the definition rewritten, or None when there is none."""
    fn = parse_function(def_source)
    if fn is None or fn.bindings("Counter") or fn.bindings("dict"):
        return None
    for node in _walk(fn.func.body):
        if isinstance(node, cst.For) and fn.loop_chain(node) is not None:
            planned = _plan(fn, node)
            if planned is not None:
                out = emit(fn, fn.func.visit(planned[0]), [IMPORT])  # type: ignore[arg-type]
                again = rewrite(out)  # one loop per pass keeps the edits independent
                return again if again is not None else out
    return None
