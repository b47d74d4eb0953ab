"""concat-in-loop-to-join: `acc = ""` then `acc += piece` in a loop -> list + one join."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, expr, parse_function, stmt

SKILL_ID = "concat-in-loop-to-join"


def _empty_kind(fn: Function, value: cst.BaseExpression) -> str | None:
    """The join separator ('""' or "b''"...) when `value` is an empty str/bytes, else None."""
    if isinstance(value, cst.SimpleString):
        evaluated = value.evaluated_value
        if evaluated in ("", b""):
            quote = "'" if value.quote.startswith("'") else '"'
            return ("b" if isinstance(evaluated, bytes) else "") + quote * 2
    if (
        isinstance(value, cst.Call)
        and not value.args
        and isinstance(value.func, cst.Name)
        and value.func.value in ("str", "bytes")
        and fn.is_local_builtin(value.func.value)
    ):
        return '""' if value.func.value == "str" else 'b""'
    return None


def _init_statement(fn: Function, name: str) -> tuple[cst.SimpleStatementLine, cst.Assign] | None:
    for use in fn.bindings(name):
        target = fn.parents.get(use.node)
        assign = fn.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        line = fn.parents.get(assign) if assign is not None else None
        if (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1
            and _empty_kind(fn, assign.value) is not None
        ):
            return line, assign
    return None


def _plan(fn: Function, name: str) -> tuple[Edit, str] | None:
    if name in fn.params or not fn.safe_name(name):
        return None
    parts = f"_{name}_parts"
    if fn.mentions(parts) or fn.bindings("list"):
        return None
    found = _init_statement(fn, name)
    if found is None:
        return None
    line, assign = found
    block = fn.block_of(line)
    if block is None:
        return None
    siblings = list(block.body)
    start = siblings.index(line)
    # the first loop after the initialisation that appends to the accumulator
    augs = [
        u.node
        for u in fn.bindings(name)
        if isinstance(fn.parents.get(u.node), cst.AugAssign)
        and isinstance(fn.parents[u.node].operator, cst.AddAssign)  # type: ignore[attr-defined]
    ]
    loop = None
    for sibling in siblings[start + 1 :]:
        if any(fn.inside(u.node, sibling) for u in fn.uses[name]):
            loop = sibling
            break
    if not isinstance(loop, (cst.For, cst.While)) or loop.orelse is not None:
        return None
    if fn.in_try_or_with(loop):
        return None
    in_loop = [u for u in fn.uses[name] if fn.inside(u.node, loop)]
    if not in_loop or any(u.node not in augs for u in in_loop):
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for use in in_loop:
        chain = fn.loop_chain(use.node)
        if not chain or loop not in chain:
            return None  # inside a nested function, or in the loop's `for ... in` header
        aug: cst.AugAssign = fn.parents[use.node]  # type: ignore[assignment]
        replace[aug] = cst.Expr(
            cst.Call(
                func=cst.Attribute(cst.Name(parts), cst.Name("append")),
                args=[cst.Arg(aug.value)],
            )
        )
    separator = _empty_kind(fn, assign.value)
    replace[assign] = cst.Assign(targets=[cst.AssignTarget(cst.Name(parts))], value=expr("[]"))
    join = stmt(f"{name} = {separator}.join({parts})\n")
    return Edit(replace=replace, after={loop: [join]}), name


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    for name in sorted(fn.uses):
        planned = _plan(fn, name)
        if planned is not None:
            # one accumulator per pass keeps the edits independent; apply again for more
            new_func = fn.func.visit(planned[0])
            out = emit(fn, new_func)  # type: ignore[arg-type]
            again = rewrite(out)
            return again if again is not None else out
    return None
