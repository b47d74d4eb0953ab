"""print-join-output (program): print() calls inside a loop append to a list that is
written with one sys.stdout.write in a `finally`, so a crash or exit() mid-loop still
prints the lines produced so far, in order.

Refuses when anything else in the loop may write to stdout: print with file=/flush=/*args,
sys.stdout, os._exit, or a call to a function of this file that prints."""

from __future__ import annotations

import ast

import libcst as cst

from perfopt.skills.codemods._common import _walk, is_prologue

SKILL_ID = "print-join-output"
SCOPE = "program"
OUT, SYS = "_perfopt_out", "_perfopt_sys"
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _literal(arg: cst.Arg) -> str | None:
    if not isinstance(arg.value, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    value = arg.value.evaluated_value
    return value if isinstance(value, str) else None


def _piece(module: cst.Module, call: cst.Call) -> cst.BaseExpression | None:
    """`"%s %s\\n" % (a, b)` for print(a, b): str() of each argument, as print does."""
    sep, end, values = " ", "\n", []
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            values.append(module.code_for_node(arg.value))
            continue
        text = _literal(arg)
        if text is None or arg.keyword.value not in ("sep", "end"):
            return None
        if arg.keyword.value == "sep":
            sep = text
        else:
            end = text
    template = sep.replace("%", "%%").join(["%s"] * len(values)) + end.replace("%", "%%")
    if not values:
        return cst.parse_expression(repr(template.replace("%%", "%")))
    return cst.parse_expression(f"{template!r} % ({', '.join(values)},)")


def _printing_functions(module: cst.Module) -> set[str]:
    names = set()
    for node in _walk(module):
        if isinstance(node, cst.FunctionDef):
            code = module.code_for_node(node)
            if "print" in code or "stdout" in code or "write" in code:
                names.add(node.name.value)
    return names


class _Rewrite(cst.CSTTransformer):
    def __init__(self, module: cst.Module, risky: set[str]) -> None:
        super().__init__()
        self.module, self.risky, self.changed, self.depth = module, risky, 0, 0

    def _eligible(self, loop: cst.For | cst.While) -> dict[cst.Call, cst.BaseExpression] | None:
        pieces: dict[cst.Call, cst.BaseExpression] = {}
        code = self.module.code_for_node(loop)
        if "stdout" in code or "_exit" in code or "input(" in code:
            return None  # interleaved prompts or other writers
        stack: list[tuple[cst.CSTNode, bool]] = [(loop, False)]
        while stack:
            node, nested = stack.pop()
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                name = node.func.value
                if name in self.risky or name in ("exec", "eval", "breakpoint", "help"):
                    return None
                if name == "print":
                    piece = None if nested else _piece(self.module, node)
                    if piece is None:
                        return None
                    pieces[node] = piece
            stack.extend((c, nested or isinstance(node, _SCOPES)) for c in node.children)
        return pieces or None

    def visit_For(self, node: cst.For) -> bool:
        self.depth += 1
        return True

    def visit_While(self, node: cst.While) -> bool:
        self.depth += 1
        return True

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.BaseStatement:
        return self._leave(original, updated)

    def leave_While(self, original: cst.While, updated: cst.While) -> cst.BaseStatement:
        return self._leave(original, updated)

    def _leave(self, original, updated):
        self.depth -= 1
        if self.depth > 0:
            return updated  # only outermost loops are wrapped
        pieces = self._eligible(original)
        if pieces is None:
            return updated
        self.changed += 1

        class Swap(cst.CSTTransformer):
            def leave_Call(self, old: cst.Call, new: cst.Call) -> cst.BaseExpression:
                if old in pieces:
                    return cst.parse_expression(f"{OUT}.append(x)").with_changes(
                        args=[cst.Arg(pieces[old])]
                    )
                return new

        loop = original.visit(Swap()).with_changes(leading_lines=())
        wrapper = cst.parse_statement(
            f"try:\n    pass\nfinally:\n    {SYS}.stdout.write(''.join({OUT}))\n"
        )
        assert isinstance(wrapper, cst.Try)
        wrapper = wrapper.with_changes(body=wrapper.body.with_changes(body=[loop]))
        init = cst.parse_statement(f"{OUT} = []\n").with_changes(
            leading_lines=original.leading_lines
        )
        return cst.FlattenSentinel([init, wrapper])


def rewrite(source: str) -> str | None:
    try:
        module = cst.parse_module(source)
        ast.parse(source)
    except (cst.ParserSyntaxError, SyntaxError):
        return None
    has_sys = f"import sys as {SYS}" in source
    if OUT in source or (SYS in source and not has_sys):
        return None
    for node in _walk(module):
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name):
            if node.target.value == "print":
                return None
        if isinstance(node, cst.FunctionDef) and node.name.value == "print":
            return None
    visitor = _Rewrite(module, _printing_functions(module))
    new = module.visit(visitor)
    if not visitor.changed:
        return None
    body = list(new.body)
    at = 0
    while at < len(body) and is_prologue(body[at]):
        at += 1
    if has_sys:
        return new.code
    imp = cst.parse_statement(f"import sys as {SYS}\n")
    return new.with_changes(body=[*body[:at], imp, *body[at:]]).code

