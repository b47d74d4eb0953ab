"""fast-stdin-input (program): define a module-level `input()` that reads sys.stdin.readline.

The builtin input() looks up and flushes sys.stdout and goes through the readline hooks on
every call; the replacement does one readline. It keeps input()'s contract: the trailing
newline is dropped and EOF raises EOFError."""

from __future__ import annotations

import libcst as cst

from perfopt.skills.codemods._common import LOOPS, _walk, is_prologue

SKILL_ID = "fast-stdin-input"
SCOPE = "program"
MIN_CALLS = 3  # one or two input() calls are not worth a change
HELPER = """import sys as _perfopt_sys


def input():
    line = _perfopt_sys.stdin.readline()
    if not line:
        raise EOFError("EOF when reading a line")
    return line[:-1] if line[-1:] == "\\n" else line
"""
_LOOPISH = (*LOOPS, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def rewrite(source: str) -> str | None:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None
    calls, in_loop = 0, False
    for node in _walk(module):
        if isinstance(node, cst.Name) and node.value in ("_perfopt_sys",):
            return None
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.name.value == "input":
            return None
        if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
            target = node.target
            if isinstance(target, cst.Name) and target.value == "input":
                return None
        if isinstance(node, cst.ImportAlias):
            bound = node.asname.name if node.asname else node.name
            if isinstance(bound, cst.Name) and bound.value == "input":
                return None
        if isinstance(node, (cst.Global, cst.Nonlocal)) and any(
            n.name.value == "input" for n in node.names
        ):
            return None
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            return None  # `from x import *` may bind input
        if isinstance(node, _LOOPISH):
            in_loop |= any(
                isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "input"
                for n in _walk(node)
            )
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            if node.func.value == "input":
                if node.args:
                    return None  # a prompt is written to stdout
                calls += 1
    if calls == 0 or (calls < MIN_CALLS and not in_loop):
        return None
    body = list(module.body)
    at = 0
    while at < len(body) and is_prologue(body[at]):
        at += 1
    helper = list(cst.parse_module(HELPER).body)
    helper[0] = helper[0].with_changes(leading_lines=())
    if at < len(body):
        body[at] = body[at].with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *body[at].leading_lines]
        )
    return module.with_changes(body=[*body[:at], *helper, *body[at:]]).code

