"""list-membership-to-set: `x in [...]` / `x in NAME` over a list or tuple -> a set.

Two shapes:
- a list or tuple display of hashable literals, `x in ("a", "b", "c")`: it becomes a set
  display, `x in {"a", "b", "c"}`, which CPython compiles to one frozenset constant;
- `x in NAME` in a loop, where NAME is evidently a list or tuple of hashable values (a
  display of literals, `text.split()`, `list(range(n))`, a `list[str]` parameter) that is
  never mutated or passed on: a display used only for membership becomes a set display,
  anything else gets `NAME_set = set(NAME)` before the loop.

Where NAME's type is not evident (a plain parameter, an attribute, a global) it refuses:
a dict or set is already O(1), a str means substrings, an iterator must not be consumed
early. It never emits try/isinstance scaffolding.
"""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt
from perfopt.skills.codemods._kinds import HASHABLE, kind_of, up

SKILL_ID = "list-membership-to-set"

# below three elements a tuple scan is as fast as the set lookup (measured on 3.11: 2 ints,
# tuple 13-49 ns vs set 15-31 ns; 3+ elements the set wins on misses and late hits)
MIN_LITERAL_ELEMENTS = 3
_CONSTANT_NAMES = frozenset({"None", "True", "False"})
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _hashable_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _hashable_literal(node.left) and _hashable_literal(node.right)
    if isinstance(node, cst.Name):
        return node.value in _CONSTANT_NAMES
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return isinstance(node.expression, (cst.Integer, cst.Float, cst.Imaginary))
    if isinstance(node, cst.Tuple):
        return _literal_elements(node)
    return False


def _literal_elements(node: cst.List | cst.Tuple) -> bool:
    return all(isinstance(e, cst.Element) and _hashable_literal(e.value) for e in node.elements)


def _as_set(node: cst.List | cst.Tuple) -> cst.Set:
    if isinstance(node, cst.List):
        inner_left, inner_right = node.lbracket.whitespace_after, node.rbracket.whitespace_before
    else:
        inner_left, inner_right = node.lpar[0].whitespace_after, node.rpar[0].whitespace_before
    return cst.Set(
        elements=node.elements,
        lbrace=cst.LeftCurlyBrace(whitespace_after=inner_left),
        rbrace=cst.RightCurlyBrace(whitespace_before=inner_right),
    )


def _needle(comparison: cst.Comparison, target: cst.ComparisonTarget) -> cst.BaseExpression:
    """The left operand of `target` in a possibly chained comparison."""
    index = list(comparison.comparisons).index(target)
    return comparison.left if index == 0 else comparison.comparisons[index - 1].comparator


def _tests(fn: Function, node: cst.CSTNode) -> cst.BaseExpression | None:
    """The needle when `node` is the right side of `needle in node` / `not in`, unless the
    needle is evidently unhashable (a set would raise where the scan answered False)."""
    target = fn.parents.get(node)
    comparison = up(fn, target)
    if not (
        isinstance(target, cst.ComparisonTarget)
        and target.comparator is node
        and isinstance(target.operator, (cst.In, cst.NotIn))
        and isinstance(comparison, cst.Comparison)
    ):
        return None
    needle = _needle(comparison, target)
    return None if kind_of(fn, needle).cls == "unhashable" else needle


def _literal_displays(fn: Function, replace: dict[cst.CSTNode, cst.CSTNode]) -> None:
    for node in _displays(fn.func):
        if len(node.elements) < MIN_LITERAL_ELEMENTS or not _literal_elements(node):
            continue
        if isinstance(node, cst.Tuple) and not node.lpar:
            continue
        if _tests(fn, node) is not None:
            replace[node] = _as_set(node)


def _displays(root: cst.CSTNode) -> list[cst.List | cst.Tuple]:
    found: list[cst.List | cst.Tuple] = []

    class _Find(cst.CSTVisitor):
        def visit_ComparisonTarget(self, node: cst.ComparisonTarget) -> None:
            if isinstance(node.comparator, (cst.List, cst.Tuple)):
                found.append(node.comparator)

    root.visit(_Find())
    return found


def _binding(
    fn: Function, name: str
) -> tuple[cst.CSTNode | None, cst.BaseExpression | None] | None:
    """(the assignment line, its value) of the single binding of `name`; (None, None) for
    a parameter; None when `name` is bound some other way or more than once."""
    binds = fn.bindings(name)
    if len(binds) != 1 or not fn.safe_name(name):
        return None
    if binds[0].kind == "param":
        return None, None
    assign = fn.assignment_of(binds[0].node)
    if assign is None:
        return None
    line = fn.parents.get(assign)
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
        return None
    return line, assign.value


def _anchor(fn: Function, node: cst.CSTNode, line: cst.CSTNode | None) -> cst.CSTNode | None:
    """The statement to build the set before: the outermost loop around `node` that runs
    after the binding, else the statement holding the comprehension around `node`."""
    chain = fn.loop_chain(node)
    if chain is None:
        return None
    candidates: list[cst.CSTNode] = list(reversed(chain))
    if any(isinstance(a, _COMPREHENSIONS) for a in fn.ancestors(node)):
        holder = fn.statement_of(node)
        if holder is not None:
            candidates.append(holder)
    for candidate in candidates:
        if line is None or (not fn.inside(line, candidate) and fn.precedes(line, candidate)):
            return candidate
    return None


def _names(
    fn: Function,
    replace: dict[cst.CSTNode, cst.CSTNode],
    before: dict[cst.CSTNode, list[cst.BaseStatement]],
) -> None:
    for name in sorted(fn.uses):
        loads = fn.loads(name)
        tested = [u.node for u in loads if _tests(fn, u.node) is not None]
        if not tested or not all(fn.read_only(u.node) for u in loads):
            continue
        binding = _binding(fn, name)
        if binding is None:
            continue
        line, value = binding
        # a parameter's kind comes from its annotation
        kind = kind_of(fn, value if value is not None else cst.Name(name))
        if kind.shape not in ("list", "tuple") or kind.item not in HASHABLE:
            continue
        anchors = {node: _anchor(fn, node, line) for node in tested}
        if not any(anchors.values()):
            continue
        display = isinstance(value, (cst.List, cst.Tuple)) and _literal_elements(value)
        if display and len(tested) == len(loads) and line is not None:
            assert isinstance(value, (cst.List, cst.Tuple))
            replace[value] = _as_set(value)
            continue
        new = f"{name}_SET" if name.isupper() else f"{name}_set"
        if fn.mentions(new) or not fn.is_local_builtin("set"):
            continue
        hoisted: set[cst.CSTNode] = set()
        for node, anchor in anchors.items():
            if anchor is None:
                continue
            replace[node] = cst.Name(new)
            if anchor not in hoisted:
                hoisted.add(anchor)
                before.setdefault(anchor, []).append(stmt(f"{new} = set({name})\n"))


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None:
        return None
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    _literal_displays(fn, replace)
    _names(fn, replace, before)
    if not replace:
        return None
    new_func = fn.func.visit(Edit(replace=replace, before=before))
    return emit(fn, new_func)  # type: ignore[arg-type]
