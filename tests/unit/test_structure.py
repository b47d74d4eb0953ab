"""The shape the design depends on, checked on the code itself: who may import whom, no
import cycle between modules (imports inside functions included: they hid one before), and
the size limits that keep modules readable."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from perfopt.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "perfopt"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 100


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def runtime_nodes(tree: ast.AST):
    """Every node, less what sits under `if TYPE_CHECKING:` (never imported at run time)."""
    for node in ast.iter_child_nodes(tree):
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            continue
        yield node
        yield from runtime_nodes(node)


def imports_of(path: Path, name: str) -> set[str]:
    """perfopt modules `path` imports anywhere (top level or inside functions)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("perfopt")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.startswith("perfopt"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    known = modules()
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    return {name: imports_of(path, name) for name, path in modules().items()}


def reaches(g: dict[str, set[str]], start: str, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in g[start] if m.startswith(prefixes))


def test_stress_imports_no_orchestrator():
    g = graph()
    banned = ("perfopt.pipeline", "perfopt.programs", "perfopt.evals", "perfopt.generate",
              "perfopt.cli", "perfopt.commands", "perfopt.targets")
    bad = {m: reaches(g, m, banned) for m in g if m.startswith("perfopt.stress")}
    assert {m: v for m, v in bad.items() if v} == {}


def test_evals_talk_to_no_model_directly_and_drive_the_pipeline():
    g = graph()
    bad = {m: reaches(g, m, ("perfopt.llm",)) for m in g if m.startswith("perfopt.evals")}
    assert {m: v for m, v in bad.items() if v} == {}
    for adapter in ("perfopt.evals.pie.runner", "perfopt.evals.swefficiency.adapter"):
        assert "perfopt.pipeline" in g[adapter], adapter


def test_lower_layers_never_import_the_loop_or_the_entry_points():
    g = graph()
    upper = ("perfopt.pipeline", "perfopt.commands", "perfopt.cli", "perfopt.evals")
    lower = ("perfopt.models", "perfopt.config", "perfopt.languages", "perfopt.verify",
             "perfopt.bench", "perfopt.profilers", "perfopt.skills", "perfopt.llm",
             "perfopt.stress", "perfopt.targets", "perfopt.generate", "perfopt.reports")
    bad = {m: reaches(g, m, upper) for m in g if m.startswith(lower)}
    assert {m: v for m, v in bad.items() if v} == {}


def test_no_import_cycle_between_modules():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if n.startswith(m + "."):
                continue  # a package importing its own submodules is not a cycle
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    # a submodule importing its package's __init__ (for a shared name) is not a cycle
    real = [c for c in cycles if not all(a.startswith(b + ".") or b.startswith(a + ".")
                                         for a, b in zip(c, c[1:], strict=False))]
    assert real == []


def test_modules_and_functions_stay_small():
    too_long = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == []


README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_for_users():
    assert len(README.splitlines()) <= 300
    # a commit id: 7-40 hex characters with both a digit and a letter
    ids = [t for t in re.findall(r"\b[0-9a-f]{7,40}\b", README)
           if re.search(r"\d", t) and re.search(r"[a-f]", t)]
    assert ids == []


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_in_the_readme_table(name):
    table = README.split("<!-- settings:begin -->")[1].split("<!-- settings:end -->")[0]
    assert f"| `{name}` |" in table
