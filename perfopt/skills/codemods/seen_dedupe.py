"""seen-list-to-set: `if x not in seen: seen.append(x)` over a list -> O(1) set lookups.

Three forms, most specific first:
- the dedupe is the whole function (`seen = []`, the loop, `return seen`): the body becomes
  `return list(dict.fromkeys(items))`;
- the list is only tested and appended to (a "seen" list beside the real result): it
  becomes a set, `seen = set()` and `seen.add(x)`;
- the list is also read as a list (returned, iterated, sorted): a companion set named
  after it (`tags_set`) is kept beside it, added to wherever the list is appended to.

Hashing must not change behaviour: the values must be evidently hashable (see _kinds).
The one exception is the whole-function form over a parameter of unknown items, the
textbook `dedupe(items)`: it tries `dict.fromkeys` once and, on TypeError (an unhashable
item), runs the original loop unchanged; the card says why this guard is worth its lines.
"""

from __future__ import annotations

import textwrap

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt
from perfopt.skills.codemods._kinds import HASHABLE, items_of, kind_of, up

SKILL_ID = "seen-list-to-set"

# list methods that reorder the list without changing what it holds
_REORDER = frozenset({"sort", "reverse"})


def _empty_list(fn: Function, value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.List):
        return not value.elements
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "list"
        and not value.args
        and fn.is_local_builtin("list")
    )


def _init_line(fn: Function, name: str) -> cst.SimpleStatementLine | None:
    """The `name = []` line, when it is the only binding of the local `name`."""
    if name in fn.params or not fn.safe_name(name):
        return None
    binds = fn.bindings(name)
    if len(binds) != 1 or binds[0].kind != "store":
        return None
    assign = fn.assignment_of(binds[0].node)
    if assign is None:
        return None
    line = fn.parents.get(assign)
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
        return None
    if fn.block_of(line) is None or not _empty_list(fn, assign.value):
        return None
    return line


def _membership(fn: Function, node: cst.Name) -> cst.Comparison | None:
    """The comparison when `node` is the right side of a lone `v in node` / `v not in node`."""
    target = fn.parents.get(node)
    comparison = up(fn, target)
    if (
        isinstance(target, cst.ComparisonTarget)
        and target.comparator is node
        and isinstance(target.operator, (cst.In, cst.NotIn))
        and isinstance(comparison, cst.Comparison)
        and len(comparison.comparisons) == 1
    ):
        return comparison
    return None


def _statement_call(fn: Function, node: cst.Name, methods: frozenset[str]) -> cst.Call | None:
    """`node.method(...)` used as a whole statement, for one of `methods`."""
    found = fn.method_call(node)
    if found is None or found[0] not in methods:
        return None
    call = found[1]
    expr = fn.parents.get(call)
    if not isinstance(expr, cst.Expr):
        return None
    if not isinstance(fn.parents.get(expr), (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return None
    return call


def _escapes_at_end(fn: Function, node: cst.Name) -> bool:
    """`return seen` or `return seen, n`: the list leaves only when the function ends."""
    parent = fn.parents.get(node)
    if isinstance(parent, cst.Element):
        parent = fn.parents.get(parent)
        if not isinstance(parent, cst.Tuple):
            return False
        parent = fn.parents.get(parent)
    return isinstance(parent, cst.Return)


def _joined(fn: Function, node: cst.Name) -> bool:
    """`", ".join(seen)`: a str method that only reads its argument."""
    arg = fn.parents.get(node)
    call = up(fn, arg)
    return (
        isinstance(arg, cst.Arg)
        and arg.keyword is None
        and not arg.star
        and isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "join"
        and isinstance(call.func.value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _twice_safe(node: cst.BaseExpression) -> bool:
    """Evaluating `node` a second time gives the same value, with no side effect."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Attribute):
        return _twice_safe(node.value)
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and _twice_safe(e.value) for e in node.elements)
    return False


def _in_loop(fn: Function, node: cst.CSTNode) -> bool:
    comprehensions = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
    return bool(fn.loop_chain(node)) or any(
        isinstance(a, comprehensions) for a in fn.ancestors(node)
    )


def _plan(fn: Function, name: str) -> tuple[str, dict, dict, dict] | None:
    """(form, replace, before, after) for the list `name`, or None when it must stay."""
    line = _init_line(fn, name)
    if line is None:
        return None
    members: list[cst.Comparison] = []
    appends: list[cst.Call] = []
    read_as_list = False
    for use in fn.loads(name):
        comparison = _membership(fn, use.node)
        append = _statement_call(fn, use.node, frozenset({"append"}))
        if comparison is not None:
            members.append(comparison)
        elif append is not None and len(append.args) == 1 and not append.args[0].keyword:
            if append.args[0].star:
                return None
            appends.append(append)
        elif _statement_call(fn, use.node, _REORDER) is not None:
            read_as_list = True
        elif fn.read_only(use.node) or _escapes_at_end(fn, use.node) or _joined(fn, use.node):
            read_as_list = True
        else:
            return None  # mutated, aliased or passed on: a set beside it would go stale
    if not members or not appends or not any(_in_loop(fn, c) for c in members):
        return None
    values = [c.left for c in members] + [a.args[0].value for a in appends]
    if not all(kind_of(fn, v).cls in HASHABLE for v in values):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    after: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    if not read_as_list:
        assign = line.body[0]
        assert isinstance(assign, cst.Assign)
        if not fn.is_local_builtin("set"):
            return None
        replace[assign.value] = cst.parse_expression("set()")
        for call in appends:
            assert isinstance(call.func, cst.Attribute)
            replace[call.func.attr] = cst.Name("add")
        return "set", replace, before, after
    companion = f"{name}_set"
    if fn.mentions(companion) or not fn.is_local_builtin("set"):
        return None
    if not all(_twice_safe(a.args[0].value) for a in appends):
        return None
    after[line] = [stmt(f"{companion} = set()\n")]
    for comparison in members:
        target = comparison.comparisons[0]
        replace[target.comparator] = cst.Name(companion)
    for call in appends:
        if not _mirror_append(fn, call, companion, replace, before):
            return None
    return "companion", replace, before, after


def _mirror_append(
    fn: Function, call: cst.Call, companion: str, replace: dict, before: dict
) -> bool:
    """Add `companion.add(v)` just before the statement `seen.append(v)`."""
    expr = fn.parents.get(call)
    holder = up(fn, expr)
    value = fn.module.code_for_node(call.args[0].value)
    add = cst.Expr(cst.parse_expression(f"{companion}.add({value})"))
    if isinstance(holder, cst.SimpleStatementLine) and len(holder.body) == 1:
        if fn.block_of(holder) is None:
            return False
        before.setdefault(holder, []).append(cst.SimpleStatementLine([add]))
        return True
    if isinstance(holder, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        body: list[cst.BaseSmallStatement] = []
        for small in holder.body:
            if small is expr:
                body.append(
                    add.with_changes(
                        semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
                    )
                )
            body.append(small)
        replace[holder] = holder.with_changes(body=body)
        return True
    return False


# --- the whole function is the dedupe --------------------------------------------------


def _docstring(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.SimpleStatementLine)
        and len(node.body) == 1
        and isinstance(node.body[0], cst.Expr)
        and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_name(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _only_small(node: cst.CSTNode) -> cst.BaseSmallStatement | None:
    body = (
        node.body if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else None
    )
    if isinstance(node, cst.IndentedBlock) and len(node.body) == 1:
        return _only_small(node.body[0])
    return body[0] if body is not None and len(body) == 1 else None


def _appends(node: cst.CSTNode, seen: str, x: str) -> bool:
    small = _only_small(node)
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return False
    call = small.value
    return (
        isinstance(call.func, cst.Attribute)
        and _is_name(call.func.value, seen)
        and call.func.attr.value == "append"
        and len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
        and _is_name(call.args[0].value, x)
    )


def _test(node: cst.BaseExpression, seen: str, x: str, op: type) -> bool:
    return (
        isinstance(node, cst.Comparison)
        and _is_name(node.left, x)
        and len(node.comparisons) == 1
        and isinstance(node.comparisons[0].operator, op)
        and _is_name(node.comparisons[0].comparator, seen)
    )


def _loop_filter(loop: cst.For, seen: str, x: str) -> tuple[bool, cst.BaseExpression | None]:
    """(matches, the extra condition) for the loop bodies
    `if [cond and] x not in seen: seen.append(x)` and `if x in seen: continue` + append."""
    body = list(loop.body.body) if isinstance(loop.body, cst.IndentedBlock) else []
    if len(body) == 2:
        first = body[0]
        ok = (
            isinstance(first, cst.If)
            and first.orelse is None
            and _test(first.test, seen, x, cst.In)
            and isinstance(_only_small(first.body), cst.Continue)
            and _appends(body[1], seen, x)
        )
        return ok, None
    if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
        return False, None
    test = body[0].test
    cond = None
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        cond, test = test.left, test.right
    return _test(test, seen, x, cst.NotIn) and _appends(body[0].body, seen, x), cond


def _whole(fn: Function) -> str | None:
    if not isinstance(fn.func.body, cst.IndentedBlock) or fn.dynamic:
        return None
    statements = list(fn.func.body.body)
    doc = statements[:1] if statements and _docstring(statements[0]) else []
    rest = statements[len(doc) :]
    if len(rest) != 3:
        return None
    init, loop, ret = rest
    small = _only_small(init)
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
        return None
    seen_node = small.targets[0].target
    if not isinstance(seen_node, cst.Name) or not _empty_list(fn, small.value):
        return None
    seen = seen_node.value
    ret_small = _only_small(ret)
    if not (isinstance(ret_small, cst.Return) and ret_small.value is not None):
        return None
    if not _is_name(ret_small.value, seen) or seen in fn.params:
        return None
    if not (isinstance(loop, cst.For) and loop.orelse is None and loop.asynchronous is None):
        return None
    if not isinstance(loop.target, cst.Name):
        return None
    x = loop.target.value
    if not (fn.safe_name(seen) and fn.safe_name(x)):
        return None  # `global seen`: the caller sees the list being filled
    ok, cond = _loop_filter(loop, seen, x)
    if not ok or not all(fn.is_local_builtin(b) for b in ("list", "dict")):
        return None
    if _mentions(loop.iter, {seen, x}) or (cond is not None and _mentions(cond, {seen})):
        return None
    items = fn.module.code_for_node(loop.iter)
    if cond is not None:
        items = f"{x} for {x} in {items} if {fn.module.code_for_node(cond)}"
    fast = f"return list(dict.fromkeys({items}))"
    cls = items_of(fn, loop.iter)
    if cls in HASHABLE:
        comments = init.leading_lines if isinstance(init, cst.SimpleStatementLine) else ()
        new_body = [*doc, stmt(fast + "\n").with_changes(leading_lines=comments)]
    elif cls is None and cond is None and isinstance(loop.iter, cst.Name):
        scan = textwrap.indent("".join(fn.module.code_for_node(s) for s in rest), "    ")
        guarded = (
            f"try:\n    {fast}\nexcept TypeError:  # an unhashable item: keep the list scan\n{scan}"
        )
        new_body = [*doc, stmt(guarded)]
    else:
        return None
    new_func = fn.func.with_changes(body=fn.func.body.with_changes(body=new_body))
    return emit(fn, new_func)


def _mentions(node: cst.CSTNode, names: set[str]) -> bool:
    """`node` reads one of `names`, or yields/awaits (which mean something else inside the
    generator expression the condition moves to)."""
    found = False

    class _Find(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            nonlocal found
            found |= isinstance(n, (cst.Yield, cst.Await))
            found |= isinstance(n, cst.Name) and n.value in names
            return not found

    node.visit(_Find())
    return found


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    whole = _whole(fn)
    if whole is not None:
        return whole
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    after: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    for name in sorted(fn.uses):
        plan = _plan(fn, name)
        if plan is None:
            continue
        _, r, b, a = plan
        replace.update(r)
        for table, extra in ((before, b), (after, a)):
            for key, lines in extra.items():
                table.setdefault(key, []).extend(lines)
    if not replace:
        return None
    new_func = fn.func.visit(Edit(replace=replace, before=before, after=after))
    return emit(fn, new_func)  # type: ignore[arg-type]
