"""Detectors: tree-sitter queries that point at code where a skill may apply.

A detector is a query over the syntax tree plus an optional check on the captured `@hit`
node (e.g. "inside a loop"). Cards name detector ids in their `triggers`, so every hit is
an explainable reason to retrieve a card: "py.input-in-loop at line 4: x = input()".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_SNIPPET_CHARS = 80


@dataclass(frozen=True)
class Hit:
    detector_id: str
    line: int  # 1-based, in the source given to `detect`
    snippet: str  # the first line of the matched code, clipped


@dataclass(frozen=True)
class Detector:
    id: str
    language: str
    query: str  # tree-sitter query; the node captured as @hit is reported
    summary: str  # one line for explanations
    check: Callable[[Any], bool] | None = None  # extra condition on the @hit node
    weight: float = 1.0  # evidence strength; broad patterns (any input() call) count less


def detectors(language: str | None = None) -> tuple[Detector, ...]:
    """Every registered detector (for one language when given)."""
    return tuple(d for d in _registry() if language is None or d.language == language)


@functools.cache
def _registry() -> tuple[Detector, ...]:
    from perfopt.skills.detectors import cpp_rules, python_rules

    found = (*python_rules.DETECTORS, *cpp_rules.DETECTORS)
    ids = [d.id for d in found]
    if len(ids) != len(set(ids)):  # a programming error in the rule tables
        raise ValueError(f"duplicate detector ids: {sorted(i for i in ids if ids.count(i) > 1)}")
    return found


def detector_ids() -> frozenset[str]:
    return frozenset(d.id for d in _registry())


@functools.cache
def _language(language: str) -> Any:
    import tree_sitter

    if language == "python":
        import tree_sitter_python as grammar
    elif language == "cpp":
        import tree_sitter_cpp as grammar  # type: ignore[no-redef]
    else:
        raise ValueError(f"no detectors for language {language!r}; valid: python, cpp")
    return tree_sitter.Language(grammar.language())


@functools.cache
def _query(language: str, text: str) -> Any:
    import tree_sitter

    return tree_sitter.Query(_language(language), text)


def parse(source: str, language: str) -> Any:
    """The tree-sitter tree of `source` (errors are tolerated: detectors see what parsed)."""
    import tree_sitter

    return tree_sitter.Parser(_language(language)).parse(source.encode("utf-8"))


def detect(source: str, language: str) -> list[Hit]:
    """Every detector hit in `source`, ordered by line then detector id; one hit per
    (detector, line)."""
    import tree_sitter

    if language not in ("python", "cpp"):
        return []
    root = parse(source, language).root_node
    hits: set[Hit] = set()
    for det in detectors(language):
        cursor = tree_sitter.QueryCursor(_query(language, det.query))
        for node in cursor.captures(root).get("hit", []):
            if det.check is not None and not det.check(node):
                continue
            line = node.start_point[0] + 1
            # text is None only for a node of a tree parsed without its source
            text = (node.text or b"").decode("utf-8", "replace").strip().splitlines()
            snippet = text[0] if text else ""
            if len(snippet) > MAX_SNIPPET_CHARS:
                snippet = snippet[: MAX_SNIPPET_CHARS - 3] + "..."
            if not any(h.detector_id == det.id and h.line == line for h in hits):
                hits.add(Hit(det.id, line, snippet))
    return sorted(hits, key=lambda h: (h.line, h.detector_id))


# --- helpers the rule tables share ------------------------------------------------------


def ancestors(node: Any) -> Any:
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def text(node: Any) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""
