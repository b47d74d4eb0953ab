"""The static check every Python candidate passes before it runs: the "guard" gate.

A candidate that cannot win honestly can try to fool the proof instead: keep the slow loop
and rebind `time.perf_counter` (or `time.monotonic`, `process_time`, `operator.call`,
`sys.call_tracing`, `builtins.range`...) so the verifier's clock or loop lies, or reach
into the verifier's own state. perfopt's workers bind their clocks before the target is
imported (perfopt/bench/worker.py), so such a patch no longer moves the clock; this check
names the attempt before anything runs. It rejects code that

- assigns, deletes (`del`, `setattr`, `delattr`, `__setattr__`) or reaches the `__dict__`
  of an attribute of a standard-library module (the clock and the interpreter: time,
  operator, sys, builtins, gc, os...; an optimization of one function has no business
  changing them for the whole process), of torch and cupy (the GPU clock synchronizes
  through them), or of perfopt's own modules and `__main__` (the verifier's state); or
  assigns a clock attribute (`.perf_counter`, `.call_tracing`...) on any object, since a
  module may arrive through a name the check cannot resolve;
- reaches raw memory or other modules' state: imports `ctypes`, `__main__` or perfopt,
  reads `sys.modules`, frames (`sys._getframe`, `inspect.currentframe`, `.f_back`,
  `.tb_frame`...) or the other introspection of perfopt.verify.guards;
- hides code from this check: `exec`/`eval`/`compile` of a string built at run time,
  `__import__`/`importlib.import_module` of a computed name (a literal string is checked
  like the code or import it stands for);
- in a function (not a whole program), changes interpreter state its caller shares:
  `gc.disable()`, `gc.freeze()`, `gc.set_threshold()`, `sys.setswitchinterval()`, or
  rebinding `sys.stdout`/`stdin`/`stderr`. The behaviour harness compares what the call
  returns, not the state it leaves (gc off for the rest of the caller's program), and
  perfopt's clocks time with gc off already (the worker, timeit in repository workloads),
  so turning it off wins nothing measured: rejecting it costs no proven speedup.

Allowed, on purpose: reading any of these (`time.perf_counter()`, `os.path.join`,
`sys.maxsize`, `from time import perf_counter`), rebinding a local or global name (even one
called `time`: that changes the candidate's own namespace), `sys.setrecursionlimit` and
`sys.set_int_max_str_digits` (limits that deep recursion and big numbers need, and that
make nothing faster), `gc.collect()`/`gc.enable()`. A whole program owns its interpreter
and is timed from outside, so there it may also turn gc off or rebind its own streams:
competitive-programming code does both. A finding the original code has too (the same
text) is not held against the candidate.

Names resolve through imports in the candidate and, for a function, the module it is
placed in (`context`), scope by scope: a parameter or local variable shadows a module of
the same name.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from perfopt.verify.guards import FRAME_ATTRS as _GUARD_FRAME_ATTRS
from perfopt.verify.guards import INTROSPECTION

# torch and cupy hold the GPU clock's synchronize (perfopt/bench/gpu.py).
CLOCK_AND_INTERPRETER = frozenset({"time", "operator", "sys", "builtins", "gc", "os",
                                   "torch", "cupy"})
VERIFIER = frozenset({"perfopt", "__main__"})
PROTECTED = frozenset(sys.stdlib_module_names) | VERIFIER | CLOCK_AND_INTERPRETER
FORBIDDEN_IMPORTS = frozenset({"ctypes", "_ctypes", "__main__", "perfopt"})
# Assigning these is flagged on any object: the module may arrive through a loop variable,
# a parameter or a container the check cannot follow.
CLOCK_ATTRS = frozenset({
    "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time",
    "process_time_ns", "thread_time", "thread_time_ns", "get_clock_info", "call_tracing",
})
FRAME_ATTRS = _GUARD_FRAME_ATTRS | {"f_builtins", "cr_frame", "ag_frame"}
REACH = INTROSPECTION | {"sys.modules"}
SHARED_STATE_CALLS = frozenset({
    "gc.disable", "gc.freeze", "gc.set_threshold", "sys.setswitchinterval",
})
STREAMS = frozenset({"sys.stdout", "sys.stdin", "sys.stderr"})
_HIDING_CALLS = frozenset({"builtins.exec", "builtins.eval", "builtins.compile"})
_IMPORT_CALLS = frozenset({"builtins.__import__", "importlib.import_module"})
_SETATTR = frozenset({"builtins.setattr", "builtins.delattr"})

WHY_CLOCK = "a candidate must not touch the clock or the interpreter"
WHY_VERIFIER = "a candidate must not touch perfopt's verifier"
WHY_STDLIB = "a candidate must not monkeypatch the standard library"
WHY_REACH = "a candidate must not reach raw memory, frames or other modules' state"
WHY_HIDDEN = "the guard cannot check code it cannot read"
WHY_SHARED = "a function must not change interpreter state its caller shares"

# A scope's bindings of a name: a module's dotted origin, an expression that may evaluate to
# a module (`t = __import__("time")`), or None: a plain local that shadows any module. A
# name bound several ways resolves to the first module among them.
Binding = str | ast.expr | None


class Scope(dict[str, list[Binding]]):
    """The names one function (or module) binds."""


class ClassScope(Scope):
    """A class body's names, which its methods do not see."""


@dataclass(frozen=True)
class Tamper:
    line: int  # in the candidate's source
    detail: str  # "assigns time.perf_counter"
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.detail}: {self.why}"


def describe(found: tuple[Tamper, ...]) -> str:
    return "; ".join(str(t) for t in found)


def check(source: str, *, original: str = "", context: str = "",
          whole_program: bool = False) -> tuple[Tamper, ...]:
    """What in `source` tampers with the proof (empty: nothing). `original`: the code it
    replaces (its own findings are forgiven); `context`: the file a function is placed in
    (its module-level imports resolve names). Source that does not parse is a finding: the
    guard runs after the parse gate, and what it cannot read it does not let through."""
    found = _scan(source, context, whole_program)
    if not found:
        return ()
    forgiven = {t.detail for t in _scan(original, context, whole_program)} if original else set()
    return tuple(t for t in found if t.detail not in forgiven)


def _scan(source: str, context: str, whole_program: bool) -> list[Tamper]:
    tree = _parse(source)
    if tree is None:
        return [Tamper(1, "does not parse for the guard", WHY_HIDDEN)]
    module = _bindings(_parse(context)) if context else Scope()
    for name, bound in _bindings(tree).items():
        module.setdefault(name, []).extend(bound)
    checker = _Checker(whole_program)
    checker.walk(tree, [module])
    out: list[Tamper] = []
    for t in checker.found:
        if all((t.line, t.detail) != (o.line, o.detail) for o in out):
            out.append(t)
    return out


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# --- scopes ----------------------------------------------------------------------------

_NEW_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope's body, not those of the functions and classes nested in it."""
    body = [scope.body] if isinstance(scope, ast.Lambda) else list(getattr(scope, "body", []))
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _NEW_SCOPE):
            stack.extend(ast.iter_child_nodes(node))


def _bindings(scope: ast.AST | None) -> Scope:
    out = ClassScope() if isinstance(scope, ast.ClassDef) else Scope()
    if scope is None:
        return out

    def bind(name: str, value: Binding) -> None:
        out.setdefault(name, []).append(value)

    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = scope.args
        for param in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg,
                      args.kwarg):
            if param is not None:
                bind(param.arg, None)
    declared: set[str] = set()
    for node in _own_nodes(scope):
        if isinstance(node, ast.Import):
            for a in node.names:
                bind(a.asname or a.name.split(".")[0], a.name if a.asname else
                     a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            # a relative import keeps its leading dots: never a standard-library module
            prefix = "." * node.level + (f"{node.module}." if node.module else "")
            for a in node.names:
                bind(a.asname or a.name, f"{prefix}{a.name}")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    bind(t.id, node.value)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bind(node.id, None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name, None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bind(node.name, None)
    for name in declared:
        out.pop(name, None)
    return out


# --- the check -------------------------------------------------------------------------


def _why(dotted: str) -> str:
    head = dotted.split(".")[0]
    if head in VERIFIER:
        return WHY_VERIFIER
    return WHY_CLOCK if head in CLOCK_AND_INTERPRETER else WHY_STDLIB


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Checker:
    def __init__(self, whole_program: bool) -> None:
        self.whole_program = whole_program
        self.found: list[Tamper] = []
        self._line_offset = 0

    def flag(self, node: ast.AST, detail: str, why: str) -> None:
        self.found.append(Tamper(getattr(node, "lineno", 1) + self._line_offset, detail, why))

    # name resolution

    def resolve(self, node: ast.AST, scopes: list[Scope], depth: int = 0) -> str | None:
        """The dotted origin of a name, attribute or import call, None when unknown/local."""
        if depth > 20:
            return None
        if isinstance(node, ast.Name):
            for i in range(len(scopes) - 1, -1, -1):
                scope = scopes[i]
                if node.id not in scope or (isinstance(scope, ClassScope)
                                            and i != len(scopes) - 1):
                    continue
                for binding in scope[node.id]:
                    origin = (self.resolve(binding, scopes[: i + 1], depth + 1)
                              if isinstance(binding, ast.expr) else binding)
                    if origin:
                        return origin
                return None
            if node.id == "__builtins__":
                return "builtins"
            return f"builtins.{node.id}" if hasattr(builtins, node.id) else None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, scopes, depth + 1)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and node.args:
            func = self.resolve(node.func, scopes, depth + 1)
            name = _const_str(node.args[0])
            if func in _IMPORT_CALLS and name:
                return name.split(".")[0] if func == "builtins.__import__" else name
            if func == "builtins.getattr" and len(node.args) >= 2:
                base, attr = self.resolve(node.args[0], scopes, depth + 1), _const_str(
                    node.args[1])
                return f"{base}.{attr}" if base and attr else None
        if isinstance(node, ast.Subscript):  # sys.modules["time"]
            if self.resolve(node.value, scopes, depth + 1) == "sys.modules":
                return _const_str(node.slice)
        return None

    # traversal

    def walk(self, root: ast.AST, scopes: list[Scope]) -> None:
        # a stack, not recursion: a long chain of `+` nests thousands deep
        stack: list[tuple[ast.AST, list[Scope]]] = [(root, scopes)]
        while stack:
            node, outer = stack.pop()
            children = list(ast.iter_child_nodes(node))
            if isinstance(node, _NEW_SCOPE):
                body = node.body if isinstance(node.body, list) else [node.body]
                inner = [*outer, _bindings(node)]
                # decorators, defaults and annotations run in the enclosing scope
                stack += [(c, inner if any(c is b for b in body) else outer) for c in children]
                continue
            self.visit(node, outer)
            stack += [(c, outer) for c in children]

    def visit(self, node: ast.AST, scopes: list[Scope]) -> None:
        if isinstance(node, ast.Attribute):
            self._attribute(node, scopes)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if self.resolve(node.value, scopes) == "builtins":
                self.flag(node, "assigns builtins[...]", WHY_CLOCK)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            dotted = self.resolve(node, scopes)
            if dotted in REACH:
                self.flag(node, f"reaches {dotted}", WHY_REACH)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node)
        elif isinstance(node, ast.Call):
            self._call(node, scopes)

    def _attribute(self, node: ast.Attribute, scopes: list[Scope]) -> None:
        base = self.resolve(node.value, scopes)
        dotted = f"{base}.{node.attr}" if base else None
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            verb = "assigns" if isinstance(node.ctx, ast.Store) else "deletes"
            if dotted in STREAMS and self.whole_program:
                return
            if base and base.split(".")[0] in PROTECTED:
                why = WHY_SHARED if dotted in STREAMS else _why(base)
                self.flag(node, f"{verb} {dotted}", why)
            elif node.attr in CLOCK_ATTRS:
                self.flag(node, f"{verb} .{node.attr}", WHY_CLOCK)
            return
        if dotted in REACH:
            self.flag(node, f"reaches {dotted}", WHY_REACH)
        elif node.attr in FRAME_ATTRS:
            self.flag(node, f"reaches frame attribute .{node.attr}", WHY_REACH)
        elif node.attr == "__dict__" and base and base.split(".")[0] in PROTECTED:
            self.flag(node, f"reaches {dotted}", _why(base))

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                self._imported(node, a.name)
            return
        if node.level:
            return  # a relative import stays inside the project
        module = node.module or ""
        self._imported(node, module)
        for a in node.names:
            if f"{module}.{a.name}" in REACH:
                self.flag(node, f"imports {module}.{a.name}", WHY_REACH)

    def _imported(self, node: ast.AST, module: str) -> None:
        head = module.split(".")[0]
        if head in FORBIDDEN_IMPORTS:
            self.flag(node, f"imports {module}",
                      WHY_VERIFIER if head in VERIFIER else WHY_REACH)

    def _call(self, node: ast.Call, scopes: list[Scope]) -> None:
        func = self.resolve(node.func, scopes)
        first = node.args[0] if node.args else None
        if func in _SETATTR or (isinstance(node.func, ast.Attribute)
                                and node.func.attr in ("__setattr__", "__delattr__")):
            self._setattr(node, func, scopes)
        elif func == "builtins.vars" and first is not None:
            base = self.resolve(first, scopes)
            if base and base.split(".")[0] in PROTECTED:
                self.flag(node, f"reaches {base}.__dict__", _why(base))
        elif func == "builtins.getattr" and len(node.args) >= 2:
            dotted, attr = self.resolve(node, scopes), _const_str(node.args[1])
            if dotted in REACH:
                self.flag(node, f"reaches {dotted}", WHY_REACH)
            elif attr in FRAME_ATTRS:
                self.flag(node, f"reaches frame attribute .{attr}", WHY_REACH)
        elif func in _IMPORT_CALLS:
            name = _const_str(first)
            if name is None:
                short = func.removeprefix("builtins.")
                self.flag(node, f"imports a module by a computed name ({short})", WHY_HIDDEN)
            else:
                self._imported(node, name)
        elif func in _HIDING_CALLS:
            self._hidden(node, func, first, scopes)
        elif func in SHARED_STATE_CALLS and not self.whole_program:
            self.flag(node, f"calls {func}()", WHY_SHARED)

    def _setattr(self, node: ast.Call, func: str | None, scopes: list[Scope]) -> None:
        # setattr(obj, name, v) and object.__setattr__(obj, name, v) name the object first;
        # obj.__setattr__(name, v) is bound to it
        unbound = func in _SETATTR or len(node.args) >= 3
        target = node.args[0] if unbound and node.args else (
            node.func.value if isinstance(node.func, ast.Attribute) else None)
        names = node.args[1:2] if unbound else node.args[:1]
        attr = _const_str(names[0]) if names else None
        verb = "deletes" if func == "builtins.delattr" or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "__delattr__") else "assigns"
        base = self.resolve(target, scopes) if target is not None else None
        if base and base.split(".")[0] in PROTECTED:
            self.flag(node, f"{verb} {base}.{attr or '<computed name>'}", _why(base))
        elif attr in CLOCK_ATTRS:
            self.flag(node, f"{verb} .{attr}", WHY_CLOCK)

    def _hidden(self, node: ast.Call, func: str, first: ast.AST | None,
                scopes: list[Scope]) -> None:
        code = _const_str(first)
        tree = _parse(code) if code is not None else None
        if tree is None:
            self.flag(node, f"runs code built at run time ({func.split('.')[-1]})", WHY_HIDDEN)
            return
        saved, self._line_offset = self._line_offset, self._line_offset + node.lineno - 1
        try:
            self.walk(tree, [*scopes, _bindings(tree)])
        finally:
            self._line_offset = saved
