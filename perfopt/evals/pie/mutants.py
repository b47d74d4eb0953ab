"""Behaviour-changing mutants of a program, to test that the verifier rejects them.

Small textual mutations, each at one site outside strings and comments (except the
output-format ones, which target output): flip a comparison, shift an integer constant
by one, swap + and -, drop a line, change what is printed. Many mutants do not compile or
behave the same (equivalent mutants): the caller screens them by running them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

KINDS = ("compare", "constant", "arith", "drop-line", "output")

_FLIPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_PY_MASK = re.compile(
    r"""(?P<s>[rbuRBUfF]{0,2}(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'"""
    r"""|"(?:\\.|[^"\\\n])*"))|(?P<c>\#[^\n]*)""")
_CPP_MASK = re.compile(
    r"""(?P<s>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(?P<c>//[^\n]*|/\*[\s\S]*?\*/"""
    r"""|^[ \t]*\#[^\n]*)""", re.MULTILINE)


@dataclass(frozen=True)
class Mutant:
    kind: str
    description: str
    source: str


def _masked(source: str, language: str) -> tuple[str, list[tuple[int, int]]]:
    """`source` with strings and comments blanked (same length), and the string spans."""
    pattern = _PY_MASK if language == "python" else _CPP_MASK
    chars = list(source)
    strings = []
    for m in pattern.finditer(source):
        for k in range(m.start(), m.end()):
            if chars[k] != "\n":
                chars[k] = " "
        if m.group("s"):
            strings.append((m.start(), m.end()))
    return "".join(chars), strings


def _sites(source: str, language: str) -> list[tuple[str, int, int, str, str]]:
    """(kind, start, end, replacement, description) for every mutation site."""
    code, strings = _masked(source, language)
    out: list[tuple[str, int, int, str, str]] = []
    # spaces around the operator: skips C++ templates (vector<int>) and stream <<, >>
    for m in re.finditer(r"(?<=\s)(<=|>=|==|!=|<|>)(?=\s)", code):
        op = m.group(1)
        out.append(("compare", m.start(), m.end(), _FLIPS[op], f"{op} -> {_FLIPS[op]}"))
    for m in re.finditer(r"(?<![\w.])(\d+)(?![\w.])", code):
        value = int(m.group(1))
        line = source[source.rfind("\n", 0, m.start()) + 1:m.start()]
        if language == "cpp" and line.lstrip().startswith("#"):
            continue
        for changed in (value + 1, value - 1):
            if changed >= 0:
                out.append(("constant", m.start(), m.end(), str(changed),
                            f"{value} -> {changed}"))
    for m in re.finditer(r"(?<=[\w)\]]) ([+-]=?) (?=[\w(\[])", code):
        op = m.group(1)
        new = op.translate(str.maketrans("+-", "-+"))
        out.append(("arith", m.start(1), m.end(1), new, f"{op} -> {new}"))
    pos = 0
    for line in source.splitlines(keepends=True):
        stripped = code[pos:pos + len(line)].strip()
        simple = stripped and not stripped.endswith((":", "{", "}", "\\", ",", "(")) and (
            language == "python" or stripped.endswith(";")) and not stripped.startswith(
            ("def ", "class ", "return", "import ", "from ", "else", "elif", "#", "for", "if"))
        if simple:
            indent = line[: len(line) - len(line.lstrip())]
            keep = f"{indent}pass\n" if language == "python" else "\n"
            out.append(("drop-line", pos, pos + len(line), keep, f"drop {stripped[:40]!r}"))
        pos += len(line)
    out += _output_sites(source, code, strings, language)
    return out


def _output_sites(source: str, code: str, strings: list[tuple[int, int]],
                  language: str) -> list[tuple[str, int, int, str, str]]:
    out = []
    if language == "python":
        for m in re.finditer(r"\bprint\(", code):
            out.append(("output", m.end(), m.end(), "0, ", "print an extra 0 first"))
    else:
        for m in re.finditer(r"\bcout\s*<<", code):
            out.append(("output", m.end(), m.end(), " 0 <<", "print an extra 0 first"))
        for m in re.finditer(r"\bprintf\(\s*\"", source):
            out.append(("output", m.end(), m.end(), "0 ", "printf an extra 0 first"))
    for start, end in strings:
        text = source[start:end]
        if re.search(r"[A-Za-z]", text) and text.swapcase() != text and "%" not in text \
                and "{" not in text and "\\" not in text:
            out.append(("output", start, end, text.swapcase(), f"{text[:20]} swapcase"))
    return out


def generate_mutants(source: str, language: str, limit: int = 20,
                     seed: int = 0) -> list[Mutant]:
    """Up to `limit` distinct mutants, spread over the kinds (round-robin, shuffled)."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Mutant]] = {k: [] for k in KINDS}
    seen = {source}
    for kind, start, end, new, what in _sites(source, language):
        mutated = source[:start] + new + source[end:]
        if mutated in seen:
            continue
        seen.add(mutated)
        line = source.count("\n", 0, start) + 1
        by_kind[kind].append(Mutant(kind, f"line {line}: {what}", mutated))
    for items in by_kind.values():
        rng.shuffle(items)
    chosen: list[Mutant] = []
    while len(chosen) < limit and any(by_kind.values()):
        for kind in KINDS:
            if by_kind[kind] and len(chosen) < limit:
                chosen.append(by_kind[kind].pop())
    return chosen
