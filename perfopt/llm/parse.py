"""Turn a model's reply into replacement source for one Python function.

Replies come in every shape: a fenced block with the function, a bare block, the whole
file, the function inside its class, prose around unfenced code, or a unified diff. We
find the definition by name, keep the import lines it needs from the reply, put it at the
original's indentation, and refuse a changed signature — the verifier would reject it
anyway, but only after a costly test run.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import textwrap

from perfopt.errors import PerfoptError

_FENCE = re.compile(
    r"^[ \t]*(```+|~~~+)[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)",
    re.DOTALL | re.MULTILINE,
)
_CODE_START = re.compile(r"^\s*(async\s+def|def|class|@|import|from)\b")
_PY_LANGS = {"", "python", "py", "python3", "py3", "diff", "patch", "udiff"}
_KEEP_DECORATORS = {"staticmethod", "classmethod", "property", "abstractmethod"}
# what the client appends to a reply the endpoint cut at max_tokens (finish_reason "length"):
# a cut reply can still parse (a loop missing its last lines), so it is refused by name
CUT_MARK = "\n[perfopt: this reply was cut off at max_tokens]"
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_REFUSAL = re.compile(r"\b(I can(?:no|')t (?:help|assist|do)|I'm sorry|I am sorry|I'm unable|"
                      r"I am unable|I won't|as an AI)\b", re.IGNORECASE)


class ReplyError(PerfoptError):
    """The reply holds no usable code; `reason` says why (it goes back to the model)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def extract_code(
    reply: str, original_def: str, qualname: str, *, module_source: str | None = None
) -> str:
    """The new definition of `qualname` from `reply`, indented like `original_def`.

    `module_source` (the whole original file, when known) names what the module already
    binds at top level: those imports and helpers are not copied from a whole-file reply."""
    indent = _indent_of(original_def)
    original_src = textwrap.dedent(original_def)
    try:
        original_node = _find_def(ast.parse(original_src), qualname)
    except SyntaxError as exc:
        raise ValueError(f"original definition of {qualname} does not parse: {exc}") from exc
    if original_node is None:
        raise ValueError(f"original source does not define {qualname}")

    reply = clean_reply(reply)
    blocks = _blocks(reply)
    diffs = [b for b in blocks if _looks_like_diff(b)]
    code_blocks = [b for b in blocks if not _looks_like_diff(b)]
    errors: list[str] = []
    parsed = [(textwrap.dedent(b), _try_parse(textwrap.dedent(b))) for b in code_blocks]
    # the last block defining the function is the final answer ("before ... after ...")
    for text, tree in reversed(parsed):
        if isinstance(tree, SyntaxError):
            errors.append(f"the code does not parse (line {tree.lineno}: {tree.msg})")
            continue
        node = _find_def(tree, qualname)
        if node is None:
            continue
        _check_signature(original_node, node, qualname)
        others = [(t, m) for t, m in parsed if isinstance(m, ast.Module) and m is not tree]
        return _assemble((text, tree), node, others, indent=indent,
                         known=_module_names(module_source))
    for diff in reversed(diffs):
        patched = _apply_diff(original_src, diff)
        try:
            tree = ast.parse(patched)
        except SyntaxError as exc:
            raise ReplyError(f"the patched function does not parse (line {exc.lineno}: "
                             f"{exc.msg})") from exc
        node = _find_def(tree, qualname)
        if node is None:
            raise ReplyError(f"the diff removes the definition of {qualname}")
        _check_signature(original_node, node, qualname)
        return textwrap.indent(patched.strip("\n"), indent) + "\n"
    if errors:
        raise ReplyError(errors[-1])
    if not blocks:
        raise ReplyError(_no_code(reply))
    raise ReplyError(f"the reply holds code but no definition of {qualname.split('.')[-1]}")


def fenced_blocks(reply: str) -> list[tuple[str, str]]:
    """(language tag, text) of every fenced block, in order; for other prompts' replies."""
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(reply)]


def extract_program(reply: str, language: str) -> str:
    """A whole program (PIE-style targets): the last fenced block in `language`, or the
    last untagged one; Python must parse."""
    tags = {"python": {"python", "py", "python3"}, "cpp": {"cpp", "c++", "cc", "cxx"}}.get(
        language, {language})
    reply = clean_reply(reply)
    blocks = fenced_blocks(reply)
    chosen = [t for tag, t in blocks if tag in tags] or [t for tag, t in blocks if not tag]
    if not chosen:
        declined = not blocks and _REFUSAL.search(reply)
        raise ReplyError("the model declined: the reply holds no code" if declined
                         else f"the reply holds no fenced {language} block")
    code = chosen[-1].strip("\n") + "\n"
    if language == "python":
        tree = _try_parse(code)
        if isinstance(tree, SyntaxError):
            raise ReplyError(f"the code does not parse (line {tree.lineno}: {tree.msg})")
    return code


def clean_reply(reply: str) -> str:
    """The answer part of a reply: reasoning (`<think>...</think>`, also one left open by a
    cut) taken out, and code a model wrapped in JSON (`{"code": "def ..."}`) put in a
    fence. ReplyError for a reply cut at max_tokens (see CUT_MARK)."""
    if reply.endswith(CUT_MARK):
        raise ReplyError("the reply was cut off at max_tokens (finish_reason \"length\");"
                         " answer with the code only, no explanation")
    answer = _THINK.sub("", reply)
    if reply.strip() and not answer.strip():
        raise ReplyError("the reply holds only reasoning (<think>) and no answer")
    return _unwrap_json(answer)


def _unwrap_json(reply: str) -> str:
    text = reply.strip()
    json_blocks = [t for tag, t in fenced_blocks(text) if tag == "json"]
    for candidate in ([text] if text.startswith("{") else []) + json_blocks:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        codes = [v for v in _strings(data)
                 if "\n" in v.strip() and (_CODE_START.search(v) or _parses(v))]
        if codes:
            return "\n".join(f"```python\n{c.strip(chr(10))}\n```" for c in codes)
    return reply


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


def _no_code(reply: str) -> str:
    if _REFUSAL.search(reply):
        return "the model declined: the reply holds no code"
    return "the reply holds no code"


# --- finding code ---------------------------------------------------------------------


def _blocks(reply: str) -> list[str]:
    fenced = [m.group(3) for m in _FENCE.finditer(reply)
              if m.group(2).lower() in _PY_LANGS]
    if fenced:
        return fenced
    # No fence: the whole reply, else the longest parseable stretch from the first line
    # that looks like code (models append "This version is faster because ...").
    if _parses(textwrap.dedent(reply)) and _CODE_START.search(reply):
        return [reply]
    lines = reply.splitlines()
    if _looks_like_diff(reply):
        return [reply]
    for start, line in enumerate(lines):
        if _CODE_START.match(line):
            for end in range(len(lines), start, -1):
                chunk = "\n".join(lines[start:end])
                if _parses(textwrap.dedent(chunk)):
                    return [chunk]
            return ["\n".join(lines[start:])]  # reported as a syntax error
    return []


def _try_parse(src: str) -> ast.Module | SyntaxError:
    try:
        return ast.parse(src)
    except SyntaxError as exc:
        return exc


def _parses(src: str) -> bool:
    try:
        ast.parse(src)
    except SyntaxError:
        return False
    return True


def _find_def(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """By full qualname first (Class.method), else by bare name anywhere in the module."""
    parts = qualname.split(".")
    scope: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for i, part in enumerate(parts):
        want_def = i == len(parts) - 1
        node = next((n for n in scope if getattr(n, "name", None) == part and (
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) if want_def
            else isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))), None)
        if node is None:
            break
        scope = node.body  # type: ignore[attr-defined]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == parts[-1]:
        return node
    found = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name == parts[-1]]
    return found[-1] if found else None


# --- signature ------------------------------------------------------------------------


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, object]:
    a = node.args
    decorators = set()
    for d in node.decorator_list:
        name = d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", None)
        if name in _KEEP_DECORATORS or (isinstance(d, ast.Attribute) and d.attr in
                                        {"setter", "getter", "deleter"}):
            decorators.add(ast.unparse(d))
    return {
        "async": isinstance(node, ast.AsyncFunctionDef),
        "positional-only": [p.arg for p in a.posonlyargs],
        "positional": [p.arg for p in a.args],
        "*args": a.vararg.arg if a.vararg else None,
        "keyword-only": [p.arg for p in a.kwonlyargs],
        "**kwargs": a.kwarg.arg if a.kwarg else None,
        "defaults": [ast.unparse(d) for d in a.defaults],
        "keyword defaults": [ast.unparse(d) if d is not None else None for d in a.kw_defaults],
        "decorators": sorted(decorators),
    }


def _check_signature(original: ast.AST, new: ast.AST, qualname: str) -> None:
    old_sig, new_sig = _signature(original), _signature(new)  # type: ignore[arg-type]
    for part, old in old_sig.items():
        if new_sig[part] != old:
            raise ReplyError(
                f"the signature of {qualname} changed ({part}: {old!r} became {new_sig[part]!r});"
                " keep it exactly"
            )


# --- assembling the replacement -------------------------------------------------------


def _assemble(main: tuple[str, ast.Module], node: ast.FunctionDef | ast.AsyncFunctionDef,
              others: list[tuple[str, ast.Module]], *, indent: str,
              known: frozenset[str]) -> str:
    """Import lines the function needs, then the function: the shape that
    `languages.python.replace_function` accepts (it hoists the imports to the module top,
    so they work for methods too)."""
    text = main[0]
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    func_src = textwrap.dedent("\n".join(text.splitlines()[start - 1:node.end_lineno]))
    imports: list[str] = []
    outside: list[str] = []
    for name in sorted(_free_names(node) - known):
        for _, mod in [main, *others]:
            stmt = _binding(mod, name, exclude=node)
            if stmt is None:
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                line = ast.unparse(stmt)
                if line not in imports:
                    imports.append(line)
            else:
                outside.append(name)
            break
    if outside:
        # one definition is what replaces the original; a helper beside it would be lost
        raise ReplyError(
            f"the function uses {', '.join(outside)} defined outside it in your reply; put"
            " everything inside the one function (import lines above it are fine)"
        )
    out = ("\n".join(imports) + "\n\n\n" if imports else "") + func_src
    return textwrap.indent(out.strip("\n"), indent) + "\n"


def _module_names(source: str | None) -> frozenset[str]:
    tree = _try_parse(textwrap.dedent(source)) if source else None
    if not isinstance(tree, ast.Module):
        return frozenset()
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


def _free_names(node: ast.AST) -> set[str]:
    loaded = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Load)}
    bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
             and isinstance(n.ctx, (ast.Store, ast.Del))}
    for n in ast.walk(node):
        if isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in n.names)
    return loaded - bound - set(dir(builtins))


def _binding(mod: ast.Module, name: str, *, exclude: ast.AST) -> ast.stmt | None:
    for stmt in mod.body:
        if stmt is exclude:
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name).split(".")[0] == name for a in stmt.names):
                if len(stmt.names) == 1:
                    return stmt
                alias = next(a for a in stmt.names if (a.asname or a.name).split(".")[0] == name)
                return type(stmt)(**{**stmt.__dict__, "names": [alias]})
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt.name == name:
                return stmt
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return stmt
    return None


def _indent_of(src: str) -> str:
    for line in src.splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


# --- unified diffs --------------------------------------------------------------------


def _looks_like_diff(text: str) -> bool:
    return bool(re.search(r"^@@ .* @@", text, re.MULTILINE)) and bool(
        re.search(r"^[-+]", text, re.MULTILINE))


def _apply_diff(original: str, diff: str) -> str:
    """Apply hunks by matching their context, not their line numbers: the model numbers
    lines of the file, we hold only the function."""
    lines = original.splitlines()
    hunks: list[list[str]] = []
    for line in diff.splitlines():
        if line.startswith("@@"):
            hunks.append([])
        elif hunks and not line.startswith(("---", "+++", "\\")):
            hunks[-1].append(line)
    if not hunks:
        raise ReplyError("the diff has no hunks")
    for hunk in hunks:
        old = [h[1:] for h in hunk if h[:1] in (" ", "-") or h == ""]
        new = [h[1:] for h in hunk if h[:1] in (" ", "+") or h == ""]
        while old and not old[-1].strip() and new and not new[-1].strip():
            old.pop()
            new.pop()
        at = _find_run(lines, old)
        if at is None:
            raise ReplyError("the diff does not apply to the function (its context lines "
                             "differ); send the full function instead")
        lines[at:at + len(old)] = new
    return "\n".join(lines) + "\n"


def _find_run(lines: list[str], run: list[str]) -> int | None:
    if not run:
        return None
    for norm in (lambda s: s.rstrip(), lambda s: s.strip()):
        want = [norm(r) for r in run]
        for i in range(len(lines) - len(run) + 1):
            if [norm(x) for x in lines[i:i + len(run)]] == want:
                return i
    return None


def stress_code_block(reply: str) -> str | None:
    """The python block of a stress reply that defines generate(...), else None."""
    try:
        reply = clean_reply(reply or "")
    except ReplyError:
        return None
    for tag, block in fenced_blocks(reply):
        if tag in ("", "python", "py", "python3") and re.search(
            r"^def generate\s*\(", block, re.MULTILINE
        ):
            return block
    return None
