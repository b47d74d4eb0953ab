"""Reject patches that game the benchmark instead of making the code faster.

Two rules, as in the official harness:
- introspection: added code that looks at the running program (`sys._getframe`,
  `sys.settrace`, `gc.get_objects`, `inspect.stack`, frame attributes such as `f_back`), the
  usual way to detect "am I being benchmarked" or to read the caller's data;
- workload caches: a cache added by the patch that makes the repeated workload free:
  a memoizing decorator (`lru_cache`, `cache`, ...) added to a function the workload
  calls, or a module-level dict added by the patch that a function stores into keyed on
  its arguments (a global memo).

The added lines are found in the diff; when the post-edit file is available the whole file
is parsed with `ast` and only nodes on added lines count (aliases such as
`from sys import _getframe as f` resolve through the file's imports). Without it, each block
of added lines is dedented and parsed alone, with a regular-expression fallback.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

INTROSPECTION = frozenset({
    "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "sys.monitoring",
    "sys.gettrace", "sys.getprofile", "threading.settrace", "threading.setprofile",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "inspect.stack", "inspect.currentframe", "inspect.getouterframes", "inspect.trace",
    "inspect.getframeinfo", "traceback.extract_stack", "traceback.walk_stack",
})
# Attribute names specific enough to flag on any object (`__import__("sys")._getframe`).
INTROSPECTION_ATTRS = frozenset({name.rsplit(".", 1)[1] for name in INTROSPECTION} - {
    "stack", "trace", "monitoring"})
FRAME_ATTRS = frozenset({"f_back", "f_locals", "f_globals", "f_code", "gi_frame", "tb_frame"})
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached", "memoize", "memoized",
                              "cached_property", "cacheit"})
_MEMO_FACTORIES = frozenset({"dict", "OrderedDict", "defaultdict", "WeakKeyDictionary",
                             "WeakValueDictionary", "LRUCache", "TTLCache"})


@dataclass(frozen=True)
class Finding:
    rule: str  # "introspection" | "workload-cache"
    file: str
    line: int
    detail: str


@dataclass(frozen=True)
class GuardResult:
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def reason(self) -> str:
        return "; ".join(f"{f.rule}: {f.detail} ({f.file}:{f.line})" for f in self.findings)


@dataclass(frozen=True)
class FileDiff:
    path: str
    added: dict[int, str]  # new-file line number -> added line (without the "+")
    new_lines: dict[int, str] = field(default_factory=dict)  # added and context lines


def parse_diff(patch: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    current: FileDiff | None = None
    new_line = 0
    for line in patch.splitlines():
        if line.startswith("+++ "):
            path = line[4:].split("\t")[0].strip()
            path = path[2:] if path.startswith("b/") else path
            current = FileDiff(path, {})
            files.append(current)
        elif line.startswith("@@") and current is not None:
            match = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", line)
            new_line = int(match.group(1)) if match else 0
        elif current is not None and line.startswith("+"):
            current.added[new_line] = current.new_lines[new_line] = line[1:]
            new_line += 1
        elif current is not None and line.startswith(" "):
            current.new_lines[new_line] = line[1:]
            new_line += 1
    return [f for f in files if f.path != "/dev/null"]


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted origin for every import in the tree."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _resolve(name: str, aliases: Mapping[str, str]) -> str:
    head, _, rest = name.partition(".")
    base = aliases.get(head, head)
    return f"{base}.{rest}" if rest else base


def _introspection(tree: ast.AST, lines: Collection[int], aliases: Mapping[str, str],
                   path: str, offset: int = 0) -> list[Finding]:
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0) + offset
        if line not in lines:
            continue
        name = None
        if isinstance(node, (ast.Attribute, ast.Name)):
            dotted = _dotted(node)
            name = _resolve(dotted, aliases) if dotted else None
            if isinstance(node, ast.Attribute) and node.attr in FRAME_ATTRS:
                found.append(Finding("introspection", path, line, f"frame attribute .{node.attr}"))
                continue
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if f"{node.module}.{a.name}" in INTROSPECTION:
                    name = f"{node.module}.{a.name}"
        if name in INTROSPECTION:
            found.append(Finding("introspection", path, line, f"uses {name}"))
        elif isinstance(node, ast.Attribute) and node.attr in INTROSPECTION_ATTRS:
            found.append(Finding("introspection", path, line, f"uses .{node.attr}"))
    return _dedupe(found)


def _dedupe(found: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in found:
        if (f.line, f.detail) not in seen:
            seen.add((f.line, f.detail))
            out.append(f)
    return out


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    dotted = _dotted(target) or ""
    return dotted.rsplit(".", 1)[-1]


def _memo_names(tree: ast.Module, lines: Collection[int]) -> set[str]:
    """Module-level names the patch binds to a fresh dict-like object."""
    names = set()
    for stmt in tree.body:
        if stmt.lineno not in lines or not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            continue
        value = stmt.value
        fresh = isinstance(value, (ast.Dict, ast.DictComp)) or (
            isinstance(value, ast.Call) and _decorator_name(value) in _MEMO_FACTORIES
        )
        if fresh:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _caches(tree: ast.Module, lines: Collection[int], called: Collection[str] | None,
            path: str, offset: int = 0) -> list[Finding]:
    found = []
    memos = _memo_names(tree, {ln - offset for ln in lines})
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in func.decorator_list:
            name = _decorator_name(deco)
            if deco.lineno + offset in lines and name in CACHE_DECORATORS:
                if called is None or func.name in called:
                    found.append(Finding("workload-cache", path, deco.lineno + offset,
                                         f"@{name} added to {func.name}(), which the workload "
                                         "calls"))
        params = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
        params |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
        for node in ast.walk(func):
            if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name) and node.value.id in memos
                    and {n.id for n in ast.walk(node.slice) if isinstance(n, ast.Name)} & params):
                found.append(Finding("workload-cache", path, node.lineno + offset,
                                     f"global memo {node.value.id}[...] keyed on the arguments "
                                     f"of {func.name}()"))
    return _dedupe(found)


def _blocks(added: Mapping[int, str]) -> list[tuple[int, str]]:
    """Runs of consecutive added lines: (first line number, text)."""
    out: list[tuple[int, list[str]]] = []
    for line in sorted(added):
        if out and line == out[-1][0] + len(out[-1][1]):
            out[-1][1].append(added[line])
        else:
            out.append((line, [added[line]]))
    return [(start, "\n".join(text)) for start, text in out]


def _with_context(diff: FileDiff, start: int, text: str) -> str:
    """The added block plus the context lines right after it (a decorator's `def`, say)."""
    line = start + text.count("\n") + 1
    tail = []
    while line in diff.new_lines and line not in diff.added:
        tail.append(diff.new_lines[line])
        line += 1
    return "\n".join([text, *tail])


def check_patch(patch: str, new_sources: Mapping[str, str] | None = None,
                called: Collection[str] | None = None) -> GuardResult:
    """Findings for `patch`. `new_sources` maps a diff path to its post-edit file text (the
    accurate mode); `called` names the functions the workload calls (None: flag every
    cache decorator the patch adds)."""
    findings: list[Finding] = []
    for diff in parse_diff(patch):
        if not diff.path.endswith(".py") or not diff.added:
            continue
        lines = set(diff.added)
        source = (new_sources or {}).get(diff.path)
        tree = _parse(source) if source is not None else None
        if tree is not None:
            aliases = _aliases(tree)
            findings += _introspection(tree, lines, aliases, diff.path)
            findings += _caches(tree, lines, called, diff.path)
            continue
        for start, text in _blocks(diff.added):
            span = set(range(start, start + text.count("\n") + 1))
            block = _parse(textwrap.dedent(text)) or _parse(
                textwrap.dedent(_with_context(diff, start, text)))
            if block is not None:
                findings += _introspection(block, span, _aliases(block), diff.path, start - 1)
                findings += _caches(block, span, called, diff.path, start - 1)
            else:
                findings += _regex_scan(start, text, diff.path)
    return GuardResult(tuple(findings))


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _regex_scan(start: int, text: str, path: str) -> list[Finding]:
    found = []
    for i, line in enumerate(text.splitlines()):
        code = line.split("#", 1)[0]
        for name in INTROSPECTION:
            module, _, attr = name.rpartition(".")
            if re.search(rf"\b{re.escape(module)}\s*\.\s*{re.escape(attr)}\b", code) or (
                re.search(rf"\bimport\b.*\b{re.escape(attr)}\b", code) and module in code
            ):
                found.append(Finding("introspection", path, start + i, f"uses {name}"))
        for attr in FRAME_ATTRS:
            if re.search(rf"\.\s*{attr}\b", code):
                found.append(Finding("introspection", path, start + i, f"frame attribute .{attr}"))
        match = re.search(r"@\s*(?:[\w.]+\.)?(\w+)", code)
        if match and match.group(1) in CACHE_DECORATORS:
            found.append(Finding("workload-cache", path, start + i, f"@{match.group(1)} added"))
    return _dedupe(found)
