"""local-alias-hot-loop: `out.append(x)` / `math.sqrt(v)` called on every iteration of a
tight loop -> `out_append = out.append` / `sqrt = math.sqrt` bound once, before the loop.

Only where the alias cannot change what the loop calls:

- a method of a local that is evidently a list, dict or set (every binding of it in the
  function is a literal, a comprehension or a `list()`/`dict()`/`set()` call, one of them
  runs before the loop and none inside it): such objects have no instance attributes, so
  `out.append` is the same bound method on every iteration;
- a function of a standard-library module (`math`, `heapq`, `bisect`, `os.path`,
  `random`...) that the function never binds;

and only where it pays: the call runs on every iteration of its innermost loop (not under an
`if` or in an `except`, not in a nested function or comprehension), and that loop is tight (at
most STATEMENTS_PER_CALL statements per such call; in a heavy body the saving is lost in the
noise). Builtins (`len`, `abs`) are never aliased: LOAD_GLOBAL has been cached since CPython
3.8 and `_len = len` reads badly. On CPython 3.11+ (PEP 659) nothing is aliased at all:
measured there, no alias reaches perfopt's min_speedup and `list.append` gets slower (its call
is specialized; a bound-method object is not); see the card for the figures.
"""

from __future__ import annotations

import builtins
import sys

import libcst as cst

from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt

SKILL_ID = "local-alias-hot-loop"
# the last CPython whose method and module-attribute calls are not specialized (PEP 659)
LAST_GAINING_VERSION = (3, 10)
# a loop body may hold up to this many statements per aliased call executed each iteration
STATEMENTS_PER_CALL = 4
METHODS = {
    "list": frozenset({"append", "extend", "insert", "pop", "remove", "index", "count"}),
    "dict": frozenset({"get", "setdefault", "pop", "update", "items", "keys", "values"}),
    "set": frozenset({"add", "discard", "remove", "update", "pop"}),
}
LITERALS = {cst.List: "list", cst.ListComp: "list", cst.Dict: "dict", cst.DictComp: "dict",
            cst.Set: "set", cst.SetComp: "set"}
MODULE_FUNCTIONS = {
    "math": frozenset(
        "sqrt isqrt exp log log2 log10 sin cos tan atan atan2 hypot floor ceil fabs gcd "
        "comb perm factorial pow copysign isclose isfinite isnan".split()
    ),
    "heapq": frozenset({"heappush", "heappop", "heapreplace", "heappushpop"}),
    "bisect": frozenset({"bisect", "bisect_left", "bisect_right", "insort", "insort_left",
                         "insort_right"}),
    "os.path": frozenset({"join", "exists", "isfile", "isdir", "basename", "dirname",
                          "splitext", "normpath", "abspath"}),
    "random": frozenset({"random", "randint", "randrange", "choice", "uniform"}),
    "struct": frozenset({"pack", "unpack", "unpack_from", "pack_into"}),
    "unicodedata": frozenset({"category", "normalize", "name", "numeric"}),
}
_CONDITIONAL = (cst.Match, cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ListComp,
                cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.ExceptHandler,
                cst.ExceptStarHandler)


def rewrite(def_source: str) -> str | None:
    return rewrite_for(def_source, sys.version_info[:2])


def rewrite_for(def_source: str, version: tuple[int, int]) -> str | None:
    """The rewrite as it pays on CPython `version` (None on 3.11+, where it does not)."""
    if version > LAST_GAINING_VERSION:
        return None
    fn = parse_function(def_source)
    if fn is None or fn.dynamic:
        return None
    found = [c for n in _calls(fn) if (c := _aliasable(fn, n)) is not None]
    hot: dict[tuple[cst.CSTNode, str], list[cst.Call]] = {}  # (loop, target) -> its calls
    for call, target, receiver in found:
        chain = fn.loop_chain(call)
        if not chain or not _every_iteration(fn, call, chain[0]):
            continue
        if _hits(fn, chain[0], found) * STATEMENTS_PER_CALL < _weight(chain[0]):
            continue
        loop = _placement(fn, chain, receiver)
        if loop is not None:
            hot.setdefault((loop, target), []).append(call)
    if not hot:
        return None
    names: dict[str, str] = {}  # target -> alias
    placed: dict[str, list[cst.CSTNode]] = {}  # target -> loops its alias is bound before
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    for (site, target), calls in hot.items():
        if target not in names:
            name = _alias_name(fn, target, set(names.values()))
            if name is None:
                return None
            names[target] = name
        receiver = next(r for call, _, r in found if call is calls[0])
        if not any(_still_bound(fn, earlier, site, receiver) for earlier in placed.get(target, [])):
            before.setdefault(site, []).append(stmt(f"{names[target]} = {target}\n"))
            placed.setdefault(target, []).append(site)
        for call, other, _ in found:  # every call of the target inside that loop
            if other == target and fn.loop_chain(call) and fn.inside(call, site):
                replace[call.func] = cst.Name(names[target])
    new = fn.func.visit(Edit(replace=replace, before=before))
    return emit(fn, new)  # type: ignore[arg-type]


def _calls(fn: Function) -> list[cst.Call]:
    return [n for n in _walk_body(fn.func.body) if isinstance(n, cst.Call)]


def _walk_body(node: cst.CSTNode) -> list[cst.CSTNode]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out


def _aliasable(fn: Function, call: cst.Call) -> tuple[cst.Call, str, str | None] | None:
    """(call, "out.append", "out") for a method of a typed local; (call, "math.sqrt", None)
    for a module function; None otherwise."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    attr, owner = func.attr.value, func.value
    if isinstance(owner, cst.Name):
        root, module = owner.value, owner.value
        kind = _local_kind(fn, root)
        if kind is not None:
            return (call, f"{root}.{attr}", root) if attr in METHODS[kind] else None
    elif (
        isinstance(owner, cst.Attribute)
        and isinstance(owner.value, cst.Name)
        and owner.value.value == "os"
        and owner.attr.value == "path"
    ):
        root, module = "os", "os.path"
    else:
        return None
    if attr not in MODULE_FUNCTIONS.get(module, ()) or fn.bindings(root):
        return None
    return (call, f"{module}.{attr}", None) if fn.safe_name(root) else None


def _local_kind(fn: Function, name: str) -> str | None:
    """"list" / "dict" / "set" when every binding of the local makes one."""
    binds = fn.bindings(name)
    if not binds or not fn.safe_name(name):
        return None
    kinds = {_made_kind(fn, u.node) for u in binds}
    kind = kinds.pop() if len(kinds) == 1 else None
    return kind


def _made_kind(fn: Function, node: cst.Name) -> str | None:
    target = fn.parents.get(node)
    assign = fn.parents.get(target) if isinstance(target, cst.AssignTarget) else None
    if isinstance(target, cst.AnnAssign) and target.target is node:
        assign = target
    if not isinstance(assign, (cst.Assign, cst.AnnAssign)) or assign.value is None:
        return None
    if isinstance(assign, cst.Assign) and len(assign.targets) != 1:
        return None
    value = assign.value
    for literal, kind in LITERALS.items():
        if isinstance(value, literal):
            return kind
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in METHODS
        and fn.is_local_builtin(value.func.value)
    ):
        return value.func.value
    return None


def _every_iteration(fn: Function, call: cst.Call, loop: cst.For | cst.While) -> bool:
    """True when `call` runs on each pass through `loop`'s body (or its `while` test)."""
    child: cst.CSTNode = call
    for parent in fn.ancestors(call):
        if parent is loop:
            return True
        if isinstance(parent, _CONDITIONAL):
            return False
        if isinstance(parent, (cst.If, cst.IfExp)) and child is not parent.test:
            return False
        if isinstance(parent, cst.BooleanOperation) and child is not parent.left:
            return False
        if isinstance(parent, (cst.Try, cst.TryStar, cst.For, cst.While)) and child is getattr(
            parent, "orelse", None
        ):
            return False
        child = parent
    return False


def _hits(fn: Function, loop: cst.For | cst.While,
          found: list[tuple[cst.Call, str, str | None]]) -> int:
    """Aliasable calls that run on every iteration of `loop` (as their innermost loop)."""
    return sum(
        1 for call, _, _ in found
        if (chain := fn.loop_chain(call)) and chain[0] is loop
        and _every_iteration(fn, call, loop)
    )


def _weight(loop: cst.For | cst.While) -> float:
    """Statements in the loop's body, nested ones included; a loop inside makes it heavy."""
    nodes = _walk_body(loop.body)
    if any(isinstance(n, (cst.For, cst.While)) for n in nodes):
        return float("inf")
    return sum(
        len(n.body) if isinstance(n, cst.SimpleStatementLine) else 1
        for n in nodes
        if isinstance(n, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    )


def _placement(fn: Function, chain: list[cst.For | cst.While],
               receiver: str | None) -> cst.For | cst.While | None:
    """The outermost loop around the call before which the alias holds for the whole loop:
    the receiver is bound before it and never inside it."""
    best = None
    for loop in chain:  # innermost first
        if fn.block_of(loop) is None:
            break
        if receiver is not None:
            binds = fn.bindings(receiver)
            if any(fn.inside(u.node, loop) for u in binds):
                break
            if not any(
                (s := fn.statement_of(u.node)) is not None and fn.precedes(s, loop)
                for u in binds
            ):
                break
        best = loop
    return best


def _still_bound(fn: Function, earlier: cst.CSTNode, loop: cst.CSTNode,
                 receiver: str | None) -> bool:
    """True when an alias bound before `earlier` still holds for `loop`: it runs first, and
    the receiver (if any) is bound only before `earlier`."""
    if not fn.precedes(earlier, loop):
        return False
    return receiver is None or all(
        (s := fn.statement_of(u.node)) is not None and fn.precedes(s, earlier)
        for u in fn.bindings(receiver)
    )


def _alias_name(fn: Function, target: str, taken: set[str]) -> str | None:
    """`out_append` for a method, `sqrt` for a module function (`math_pow` when the bare name
    is a builtin or already used)."""
    parts = target.split(".")
    if target.rsplit(".", 1)[0] not in MODULE_FUNCTIONS:  # a method of a local
        choices = ["_".join(parts)]
    elif parts[:2] == ["os", "path"]:  # a bare `join` reads like str.join
        choices = [f"path_{parts[-1]}"]
    else:
        choices = [parts[-1], "_".join(parts[-2:])]
    for name in choices:
        if not fn.mentions(name) and name not in taken and not hasattr(builtins, name):
            return name
    return None
