"""The shape of a program's stdin: a small grammar of lines with symbolic lengths.

Four node kinds cover most judge inputs: `Scalars` (one line of named values), `Array`
(one line of `count` values of one variable, optionally after `head` scalars: `K A_1..A_K`),
`Rows` (`count` lines, one value per named column) and `Block` (`count` repetitions of a
few lines whose own scalars size their lists: `d_i` then `A_{i,1}..A_{i,d_i}`, or a spaced
matrix `A_{i,1}..A_{i,M}` for i = 1..N). Counts are expressions over earlier scalars.

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
    head: tuple[str, ...] = ()  # scalars on the same line before the values (`K_i A_i1 ...`)


@dataclass(frozen=True)
class Rows:
    names: tuple[str, ...]
    count: str


@dataclass(frozen=True)
class Block:
    """`count` repetitions of `body`; the body's scalars are new each time."""

    count: str
    body: tuple[Scalars | Array | Rows, ...]


Node = Scalars | Array | Rows | Block


def walk(nodes: tuple[Node, ...]):
    """Every node, Block bodies included, in input order."""
    for node in nodes:
        yield node
        if isinstance(node, Block):
            yield from walk(node.body)


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

        return {n for node in walk(self.nodes) if not isinstance(node, Scalars)
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
    index = subs[0] if subs else None
    if index is None or any(s != index for s in subs):
        return None
    names = tuple(base_name(t) or "" for t in tokens)
    return (names, index) if len(set(names)) == len(names) else None


def _inner(token: str) -> tuple[str, str | None] | None:
    """`A_{1,d_1}` -> ("A", "d_1"); `d_1` -> ("d", None): a token of a Block's first
    repetition, its outer index (1) dropped; None when it has no outer index 1."""
    base, sub = base_name(token), _subscript(token)
    if base is None or sub is None or not sub.startswith("1"):
        return None
    rest = sub[1:].lstrip(",").strip()
    if rest.startswith("{") and rest.endswith("}"):
        rest = rest[1:-1]
    return base, rest or None


def _local(expr: str) -> str | None:
    """An inner index as an expression: `d_1` (the block's own d) -> `d`."""
    name = base_name(expr)
    if name is not None and _subscript(expr) == "1":
        return name
    return _expression(expr)


def _body_line(tokens: list[str]) -> Scalars | Array | None:
    parts = [_inner(t) if t != "..." else ("...", None) for t in tokens]
    if any(p is None for p in parts):
        return None
    if "..." not in tokens:
        if any(inner is not None for _, inner in parts):  # type: ignore[misc]
            return None
        return Scalars(tuple(base for base, _ in parts))  # type: ignore[misc]
    head = []
    for base, inner in parts:  # type: ignore[misc]
        if inner is not None or base == "...":
            break
        head.append(base)
    listed = [(b, x) for b, x in parts[len(head):] if b != "..."]  # type: ignore[misc]
    if len(listed) < 2 or len({b for b, _ in listed}) != 1 or None in {x for _, x in listed}:
        return None
    first, last = _local(listed[0][1] or ""), _local(listed[-1][1] or "")
    if first is None or last is None:
        return None
    count = last if first == "1" else f"({last})-({first})+1"
    return Array(listed[0][0], count, tuple(head))


def _block(lines: list[list[str]], i: int) -> tuple[Block, int] | None:
    """Lines i.. as `body / (second repetition) / vdots / closing` where the body holds a
    list sized by its own scalars (`d_1` / `A_{1,1} .. A_{1,d_1}`, `K_1 A_{11} .. A_{1K_1}`)
    or a matrix row; (node, next line) or None."""
    for k in range(i + 1, min(i + 5, len(lines))):
        if not (len(lines[k]) == 1 and lines[k][0] in _VDOTS):
            continue
        for width in range(1, k - i + 1):  # lines between body and vdots repeat it (i = 2)
            body_lines, closing = lines[i:i + width], lines[k + 1:k + 1 + width]
            found = _block_of(body_lines, closing)
            if found is not None:
                return found, k + 1 + width
        return None
    return None


def _block_of(body_lines: list[list[str]], closing: list[list[str]]) -> Block | None:
    if len(closing) != len(body_lines) or not any("..." in t for t in body_lines):
        return None
    if any(len(a) != len(b) for a, b in zip(body_lines, closing, strict=True)):
        return None
    body = [_body_line(t) for t in body_lines]
    if any(b is None for b in body) or not any(isinstance(b, Array) for b in body):
        return None
    sub = (_subscript(closing[0][0]) or "").strip("{}")
    outer_text = sub.split(",")[0]
    first = _inner(body_lines[0][0])
    if "," not in sub and first is not None and first[1] is not None and sub.endswith("1"):
        outer_text = sub[:-1]  # `A_{N1}`: row N, column 1
    outer = _expression(outer_text)
    if outer is None or outer == "1":
        return None
    return Block(outer, tuple(b for b in body if b is not None))


def parse_format(text: str) -> tuple[Node, ...] | None:
    """Nodes of a format block, or None when a line does not fit the grammar."""
    lines = [_tokens(raw) for raw in text.splitlines()]
    lines = [t for t in lines if t]
    nodes: list[Node] = []
    i = 0
    while i < len(lines):
        tokens = lines[i]
        block = _block(lines, i)
        if block is not None:
            nodes.append(block[0])
            i = block[1]
            continue
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
        if row is None and all(base_name(t) for t in tokens) and any(
                _subscript(t) is None for t in tokens):
            # `N M_a M_b`: a plain name beside subscripted ones is no row (a row's values
            # share one index): scalars named in full, bounded by `1 <= M_a, M_b <= 10`
            nodes.append(Scalars(tuple(tokens)))
            i += 1
            continue
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
    pos = _read(nodes, lines, 0, {}, values)
    return values if pos == len(lines) else None


def _read(nodes: tuple[Node, ...], lines: list[list[str]], pos: int, env: dict[str, float],
          values: dict[str, list[str]]) -> int | None:
    """Reads `nodes` from line `pos`; the next line's index, or None on a mismatch."""

    def keep(names: tuple[str, ...], toks: list[str]) -> None:
        for name, tok in zip(names, toks, strict=True):
            values.setdefault(name, []).append(tok)
            if _INT.fullmatch(tok):
                env[name] = int(tok)

    for node in nodes:
        if isinstance(node, Scalars):
            if pos >= len(lines) or len(lines[pos]) != len(node.names):
                return None
            keep(node.names, lines[pos])
            pos += 1
            continue
        if isinstance(node, Array) and node.head:
            if pos >= len(lines) or len(lines[pos]) < len(node.head):
                return None
            keep(node.head, lines[pos][:len(node.head)])
        try:
            count = int(evaluate(node.count, env))
        except (KeyError, ValueError, ZeroDivisionError):
            return None
        if isinstance(node, Block):
            for _ in range(count):
                nxt = _read(node.body, lines, pos, dict(env), values)
                if nxt is None:
                    return None
                pos = nxt
            continue
        if isinstance(node, Array):
            if count == 0 and not node.head and (pos >= len(lines) or lines[pos]):
                continue  # an empty list may have no line at all
            if pos >= len(lines) or len(lines[pos]) != count + len(node.head):
                return None
            values.setdefault(node.name, []).extend(lines[pos][len(node.head):])
            pos += 1
            continue
        for _ in range(count):
            if pos >= len(lines) or len(lines[pos]) != len(node.names):
                return None
            for name, tok in zip(node.names, lines[pos], strict=True):
                values.setdefault(name, []).append(tok)
            pos += 1
    return pos


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

    def counted(line: list[str]) -> bool:  # `K A_1 .. A_K`
        return bool(line) and line[0].isdigit() and int(line[0]) == len(line) - 1

    while i < len(lines):
        run = 0
        while i + run < len(lines) and counted(lines[i + run]):
            run += 1
        by_rows = sized(run) if run > 1 else None
        if by_rows and len({len(ln) for ln in lines[i:i + run]}) > 1:  # rows of varying length
            head, values = names(2)
            nodes.append(Block(by_rows, (Array(values, head, head=(head,)),)))
            i += run
            continue
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
