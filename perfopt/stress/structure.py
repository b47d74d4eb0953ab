"""The shape of a program's stdin: a small grammar of lines with symbolic lengths.

Three node kinds cover most judge inputs: `Scalars` (one line of named values), `Array`
(one line of `count` values of one variable) and `Rows` (`count` lines, one value per
named column). Counts are expressions over earlier scalars (`N`, `N-1`, `T`).

The grammar comes from the statement's "Input" format block when there is one (it names
the variables the constraints talk about), else from the sample inputs alone. Either way
it must re-read every sample exactly, which also gives each variable its type and the
range the samples show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfopt.stress.constraints import _expression, base_name, evaluate

_VDOTS = {":", "...", ".", "⋮", "\\vdots", "︙"}
_INT = re.compile(r"[-+]?\d+")
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Scalars:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Array:
    name: str
    count: str  # expression over earlier scalars


@dataclass(frozen=True)
class Rows:
    names: tuple[str, ...]
    count: str


Node = Scalars | Array | Rows


@dataclass(frozen=True)
class Observed:
    """What the samples show of one variable."""

    kind: str = "int"  # "int" | "float" | "str"
    low: float = 0
    high: float = 0
    len_low: int = 0  # strings
    len_high: int = 0
    chars: str = ""


@dataclass(frozen=True)
class Structure:
    nodes: tuple[Node, ...]
    observed: dict[str, Observed] = field(default_factory=dict)
    source: str = "format"  # "format" (statement) or "samples"

    @property
    def counts(self) -> set[str]:
        """Names that size an Array or Rows: the knobs of input size."""
        from perfopt.stress.constraints import names_in

        return {n for node in self.nodes if not isinstance(node, Scalars)
                for n in names_in(node.count)}


# --- the statement's format block -------------------------------------------------------


def format_section(statement: str) -> str:
    match = re.search(r"in the following format:?\s*$(.*?)^\s*(?:Output|Constraints)\b",
                      statement, re.S | re.M)
    return match.group(1).strip("\n") if match else ""


def _tokens(line: str) -> list[str]:
    line = re.sub(r"\\[ ,;]|~", " ", line)
    line = re.sub(r"\\[lc]?dots|\\vdots|…|\.{2,}", " ... ", line)
    out, depth, cur = [], 0, ""
    for ch in line:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch.isspace() and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
        elif not ch.isspace():
            cur += ch
    return out + ([cur] if cur else [])


def _subscript(token: str) -> str | None:
    match = re.fullmatch(r"[A-Za-z][A-Za-z0-9]*_(?:\{(.*)\}|([A-Za-z0-9]+))", token)
    return None if not match else (match.group(1) or match.group(2))


def _count(first: str, last: str) -> str | None:
    """Elements from subscript `first` to `last` inclusive, as an expression."""
    a, b = _expression(first), _expression(last)
    if a is None or b is None:
        return None
    if a == "1":
        return b
    return f"({b})-({a})+1"


def _row_line(tokens: list[str]) -> tuple[tuple[str, ...], str] | None:
    """`X_1 Y_1` -> (("X", "Y"), "1"): one value of each column with a shared index."""
    subs = [_subscript(t) for t in tokens]
    if not tokens or any(s is None for s in subs) or len(set(subs)) != 1:
        return None
    names = tuple(base_name(t) or "" for t in tokens)
    return (names, subs[0]) if len(set(names)) == len(names) else None


def parse_format(text: str) -> tuple[Node, ...] | None:
    """Nodes of a format block, or None when a line does not fit the grammar."""
    lines = [_tokens(raw) for raw in text.splitlines()]
    lines = [t for t in lines if t]
    nodes: list[Node] = []
    i = 0
    while i < len(lines):
        tokens = lines[i]
        if all(_subscript(t) is None and base_name(t) for t in tokens):
            nodes.append(Scalars(tuple(base_name(t) or "" for t in tokens)))
            i += 1
            continue
        if "..." in tokens:
            named = [t for t in tokens if t != "..."]
            bases = {base_name(t) for t in named}
            subs = [_subscript(t) for t in named]
            if len(bases) != 1 or None in bases or None in subs or len(named) < 2:
                return None
            count = _count(subs[0] or "", subs[-1] or "")
            if count is None:
                return None
            nodes.append(Array(named[0].split("_")[0], count))
            i += 1
            continue
        row = _row_line(tokens)
        if row is None:
            return None
        names, first = row
        j = i + 1
        last = first
        while j < len(lines):  # X_2 Y_2, then ":" lines, then X_N Y_N
            if len(lines[j]) == 1 and lines[j][0] in _VDOTS:
                j += 1
                continue
            nxt = _row_line(lines[j])
            if nxt is None or nxt[0] != names:
                break
            last = nxt[1]
            j += 1
            if _expression(last) is not None and not last.strip().isdigit():
                break
        count = _count(first, last)
        if count is None:
            return None
        nodes.append(Rows(names, count))
        i = j
    return tuple(nodes) if nodes else None


# --- reading samples with a grammar ----------------------------------------------------


def read_sample(nodes: tuple[Node, ...], text: str) -> dict[str, list[str]] | None:
    """Every variable's tokens in one sample input; None when the sample does not fit."""
    lines = [ln.split() for ln in text.strip().splitlines()]
    values: dict[str, list[str]] = {}
    env: dict[str, float] = {}
    pos = 0

    def take() -> list[str] | None:
        nonlocal pos
        if pos >= len(lines):
            return None
        pos += 1
        return lines[pos - 1]

    for node in nodes:
        if isinstance(node, Scalars):
            line = take()
            if line is None or len(line) != len(node.names):
                return None
            for name, tok in zip(node.names, line, strict=True):
                values.setdefault(name, []).append(tok)
                if _INT.fullmatch(tok):
                    env[name] = int(tok)
            continue
        try:
            count = int(evaluate(node.count, env))
        except (KeyError, ValueError, ZeroDivisionError):
            return None
        if isinstance(node, Array):
            if count == 0 and (pos >= len(lines) or lines[pos]):
                continue  # an empty list may have no line at all
            line = take()
            if line is None or len(line) != count:
                return None
            values.setdefault(node.name, []).extend(line)
            continue
        for _ in range(count):
            line = take()
            if line is None or len(line) != len(node.names):
                return None
            for name, tok in zip(node.names, line, strict=True):
                values.setdefault(name, []).append(tok)
    return values if pos == len(lines) else None


def observe(samples: list[dict[str, list[str]]]) -> dict[str, Observed]:
    tokens: dict[str, list[str]] = {}
    for sample in samples:
        for name, toks in sample.items():
            tokens.setdefault(name, []).extend(toks)
    out = {}
    for name, toks in tokens.items():
        if all(_INT.fullmatch(t) for t in toks):
            nums = [int(t) for t in toks]
            out[name] = Observed("int", min(nums), max(nums))
        elif all(_FLOAT.fullmatch(t) for t in toks):
            nums_f = [float(t) for t in toks]
            out[name] = Observed("float", min(nums_f), max(nums_f))
        else:
            lens = [len(t) for t in toks]
            chars = "".join(sorted({c for t in toks for c in t}))
            out[name] = Observed("str", len_low=min(lens), len_high=max(lens), chars=chars)
    return out


# --- inference from samples alone ----------------------------------------------------


def _guess(text: str) -> tuple[Node, ...]:
    """A grammar for one sample: first line scalars; a line or a run of lines whose
    length equals an earlier integer becomes an Array or Rows sized by it."""
    lines = [ln.split() for ln in text.strip().splitlines()]
    nodes: list[Node] = []
    ints: dict[str, int] = {}
    i, fresh = 0, 0

    def names(k: int) -> tuple[str, ...]:
        nonlocal fresh
        fresh += k
        return tuple(f"v{fresh - k + n}" for n in range(k))

    def sized(length: int) -> str | None:
        for name, value in reversed(list(ints.items())):
            for delta, expr in ((0, name), (1, f"{name}-1"), (-1, f"{name}+1")):
                if value - delta == length and value > 1:
                    return expr
        return None

    while i < len(lines):
        width = len(lines[i])
        run = 1
        while i + run < len(lines) and len(lines[i + run]) == width:
            run += 1
        by_rows = sized(run) if run > 1 or i > 0 else None
        by_line = sized(width) if width > 1 else None
        if by_rows and (run > 1 or not by_line):
            nodes.append(Rows(names(width), by_rows))
            i += run
        elif by_line:
            nodes.append(Array(names(1)[0], by_line))
            i += 1
        else:
            node = Scalars(names(width))
            for name, tok in zip(node.names, lines[i], strict=True):
                if _INT.fullmatch(tok):
                    ints[name] = int(tok)
            nodes.append(node)
            i += 1
    return tuple(nodes)


def infer_structure(samples: list[str], statement: str | None = None) -> Structure | None:
    """The input grammar, from the statement's format block if it reads every sample,
    else guessed from the samples; None when nothing reads them all."""
    if not samples:
        return None
    tried: list[tuple[tuple[Node, ...] | None, str]] = []
    if statement:
        tried.append((parse_format(format_section(statement)), "format"))
    tried.extend((_guess(s), "samples") for s in samples)
    for nodes, source in tried:
        if not nodes:
            continue
        read = [read_sample(nodes, s) for s in samples]
        if all(r is not None for r in read):
            return Structure(nodes, observe([r for r in read if r is not None]), source)
    return None
