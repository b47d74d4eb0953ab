"""Bounds from a problem statement's Constraints section, per input variable.

Competitive-programming statements state their limits in a small, regular language:
`1 \\leq N \\leq 2 \\times 10^5`, `|X_i| \\leq 10^9`, `1 ≤ K ≤ N ≤ 200000`, "S consists of
lowercase English letters", "A_i \\neq A_j (i \\neq j)". We turn each line into Python
expressions over the other variables (bounds may name them: `1 <= d_i <= N`), evaluated
when an input is generated. A line we cannot read is skipped: the generator falls back on
what the sample inputs show, and the original program's exit status filters bad inputs.
"""

from __future__ import annotations

import ast
import operator
import re
import string
from dataclasses import dataclass, field, replace
from typing import Any

_NAME = r"[A-Za-z][A-Za-z0-9]*"
# Words that look like variable names in prose but never are.
_PROSE = {"a", "an", "and", "are", "as", "at", "be", "by", "is", "it", "of", "or", "the", "to",
          "in", "all", "if", "then", "min", "max", "for", "each", "no", "not", "than", "i", "j"}


@dataclass(frozen=True)
class VarSpec:
    """What the statement says about one variable (subscripts dropped: `A_i` is `A`)."""

    name: str
    lows: tuple[str, ...] = ()  # Python expressions; the value is >= each
    highs: tuple[str, ...] = ()
    abs_highs: tuple[str, ...] = ()  # |X| <= e: a bound on magnitude, or on length for a string
    abs_lows: tuple[str, ...] = ()
    len_lows: tuple[str, ...] = ()  # length of a string variable
    len_highs: tuple[str, ...] = ()
    charset: str = ""
    distinct: bool = False  # A_i != A_j
    increasing: str = ""  # "<" strictly, "<=" non-decreasing, "" no order stated
    permutation: bool = False
    step_highs: tuple[str, ...] = ()  # x_{i+1} - x_i <= e: a bound on neighbours' distance


@dataclass(frozen=True)
class Constraints:
    variables: dict[str, VarSpec] = field(default_factory=dict)
    relations: tuple[tuple[str, str, str], ...] = ()  # (a, op, b) between different variables
    default_low: str | None = None  # "All values in input are integers between X and Y"
    default_high: str | None = None
    tree: bool = False  # "The given graph is a tree."
    connected: bool = False
    simple: bool = False  # no self-loops, no multiple edges
    # N * M <= X: (factors, bound). Not a bound of each factor alone: the room one factor
    # has depends on the others drawn (N = X with M = 1 as well as a square N = M)
    products: tuple[tuple[tuple[str, ...], str], ...] = ()
    # X <= N * M: (factors, floor). A factor stated nowhere else may then be 1 (N = X, M = 1)
    # where the samples' smallest value would hold it; the last factor drawn makes up the rest
    product_lows: tuple[tuple[tuple[str, ...], str], ...] = ()

    def get(self, name: str) -> VarSpec:
        """A variable's spec; `M_a` falls back to `M`'s, as `1 <= M_a, M_b <= 10` is read."""
        spec = self.variables.get(name) or self.variables.get(base_name(name) or name)
        return spec or VarSpec(name)


# --- text normalization -----------------------------------------------------------------

_REPLACEMENTS = [
    ("−", "-"), ("⁄", "/"), ("…", "..."), ("≤", "<="), ("≦", "<="), ("≥", ">="), ("≧", ">="),
    ("≠", "!="), ("×", "*"), ("\u2009", " "), ("\u00a0", " "), ("\\{", "{"), ("\\}", "}"),
]
_LATEX = [
    (r"\\leq?q?(?![a-z])", " <= "), (r"\\geq?q?(?![a-z])", " >= "), (r"\\lt(?![a-z])", " < "),
    (r"\\gt(?![a-z])", " > "), (r"\\neq?(?![a-z])", " != "), (r"\\not\s*=", " != "),
    (r"\\times|\\cdot(?![a-z])", " * "), (r"\\(?:l|c)?dots|\\vdots", " ... "),
    (r"\\left|\\right", ""), (r"\\(min|max)", r"\1"), (r"\\mathrm\{([^{}]*)\}", r"\1"),
    (r"\\[,;: ]|~", " "), (r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))"),
]


def normalize(line: str) -> str:
    """ASCII comparison operators, `**` powers, digit groups joined, index notes dropped."""
    for old, new in _REPLACEMENTS:
        line = line.replace(old, new)
    for pattern, new in _LATEX:
        line = re.sub(pattern, new, line)
    line = re.sub(r"\^\{([^{}]*)\}", r"**(\1)", line)
    line = re.sub(r"\^(\w+)", r"**\1", line)
    line = re.sub(r"\s+", " ", line)
    # "1 000 000" and "100,000" are one number; "N, M" stays two names
    line = re.sub(r"(?<=\d)[ ,](?=\d{3}(?!\d))", "", line)
    # "(1 <= i <= N)", "(i != j)": which indices a line is about, not a bound
    line = re.sub(r"\(([^()]*\b[ijk]\b[^()]*)\)", " ", line)
    line = line.replace("(inclusive)", " ")
    # "(min(8,N) is the smaller of 8 and N.)": a gloss in prose, not a bound
    inside = r"(?:[^()]|\([^()]*\))*"
    line = re.sub(rf"\({inside}\b[a-z]{{2,}} [a-z]{{2,}} [a-z]{{2,}}\b{inside}\)", " ", line)
    return re.sub(r"\s+", " ", line).strip().rstrip(".")


def base_name(token: str) -> str | None:
    """`A_{i, 1}` -> `A`; `|X_i|` -> `X`; None for anything else."""
    token = token.strip().strip("|").strip()
    match = re.fullmatch(rf"({_NAME})(?:_(?:\{{.*\}}|[A-Za-z0-9]+))?", token)
    return match.group(1) if match else None


def _names(part: str) -> tuple[list[str], bool] | None:
    """The names of a comma-separated list of variables, and whether they sat in |...|."""
    pieces = [p.strip() for p in _split_top(part.strip().strip(","), ",")]
    names, absolute = [], False
    for piece in pieces:
        if piece.startswith("|") and piece.endswith("|") and len(piece) > 2:
            absolute = True
        name = base_name(piece)
        if name is None or name.lower() in _PROSE and len(name) > 1:
            return None
        names.append(name)
    return (names, absolute) if names else None


def _split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside braces and parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _expression(part: str) -> str | None:
    """A Python expression for a bound, or None when the part is not one."""
    expr = part.strip().strip(",").strip()
    if not expr or "..." in expr:
        return None
    expr = re.sub(r"(\d)\s*([A-Za-z(])", r"\1*\2", expr)  # 2N -> 2*N
    expr = re.sub(r"(\w+|\))\s*\(",  # N(N-1) -> N*(N-1), min( stays
                  lambda m: m.group(0) if m.group(1) in ("min", "max") else m.group(1) + "*(",
                  expr)
    expr = expr.replace("{", "(").replace("}", ")")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            return None
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
        ):
            return None
    return expr


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow, ast.Mod, ast.USub,
            ast.UAdd)
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow,
           ast.Mod: operator.mod}


def evaluate(expr: str, env: dict[str, float]) -> float:
    """Value of a bound expression; KeyError when it names an unknown variable."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                raise ValueError("exponent too large")
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [ev(a) for a in node.args]
            return min(args) if node.func.id == "min" else max(args)
        raise ValueError(f"unsupported expression {expr!r}")

    return ev(ast.parse(expr, mode="eval"))


def names_in(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)
            and n.id not in ("min", "max")}


# --- parsing ----------------------------------------------------------------------------


class _Builder:
    def __init__(self) -> None:
        self.vars: dict[str, VarSpec] = {}
        self.relations: list[tuple[str, str, str]] = []
        self.products: list[tuple[tuple[str, ...], str]] = []
        self.product_lows: list[tuple[tuple[str, ...], str]] = []
        # the statement's words about the whole input (Constraints' fields of the same names)
        self.default_low: str | None = None
        self.default_high: str | None = None
        self.tree = self.connected = self.simple = False

    def add(self, name: str, **tuples: object) -> None:
        spec = self.vars.get(name, VarSpec(name))
        changes: dict[str, Any] = {}  # VarSpec's fields, named at run time
        for key, value in tuples.items():
            old = getattr(spec, key)
            changes[key] = (*old, value) if isinstance(old, tuple) else value
        self.vars[name] = replace(spec, **changes)


def _shift(expr: str, delta: int) -> str:
    return f"({expr})+{delta}" if delta > 0 else f"({expr})-{-delta}"


def _product(expr: str) -> tuple[str, ...]:
    """`N * M` as its factors; () for any other expression."""
    if not re.fullmatch(rf"{_NAME}(\s*\*\s*{_NAME})+", expr):
        return ()
    return tuple(f.strip() for f in expr.split("*"))


def _chain(line: str, out: _Builder) -> bool:
    """`a <= B, C < d <= ...`: bounds for every name in the chain. False if no chain."""
    if ">" in line.replace("->", ""):
        flipped = line.replace(">=", "\0").replace(">", "<").replace("\0", "<=")
        tokens = re.split(r"(<=|<)", flipped)
        tokens = tokens[::-1]
    else:
        tokens = re.split(r"(<=|<)", line)
    if len(tokens) < 3:
        return False
    parts, ops = tokens[0::2], tokens[1::2]
    # a "..." part bridges its neighbours: a_1 < a_2 < ... < a_N
    kept: list[tuple[str, str]] = [(parts[0], "")]
    pending = ""
    for op, part in zip(ops, parts[1:], strict=True):
        if part.strip() in ("...", ""):
            pending = "<" if "<" in (op, pending) else "<="
            continue
        if pending:
            op, pending = ("<" if "<" in (op, pending) else "<="), ""
        kept.append((part, op))
    parsed = []
    for part, op in kept:
        names = _names(part)
        parsed.append((names, None if names else _expression(part), op))
    found = False
    for (lnames, lexpr, _), (rnames, rexpr, op) in zip(parsed, parsed[1:], strict=False):
        strict = op == "<"
        if lnames and rnames and len(lnames[0]) == 1 and lnames[0] == rnames[0]:
            out.add(lnames[0][0], increasing=op)
            found = True
            continue
        left = lexpr or (lnames[0][0] if lnames and len(lnames[0]) == 1 else None)
        right = rexpr or (rnames[0][0] if rnames and len(rnames[0]) == 1 else None)
        if rnames and left is not None:
            for name in rnames[0]:
                if name == left:
                    continue
                key = "abs_lows" if rnames[1] else "lows"
                out.add(name, **{key: _shift(left, 1) if strict else left})
                found = True
        if lexpr and right is not None and _product(lexpr):
            # N * M <= X: a joint bound, read by the input writer with the factors drawn
            factors = _product(lexpr)
            for name in factors:
                out.add(name)
            out.products.append((factors, _shift(right, -1) if strict else right))
            found = True
        if rexpr and left is not None and _product(rexpr):
            factors = _product(rexpr)
            for name in factors:
                out.add(name)
            out.product_lows.append((factors, _shift(left, 1) if strict else left))
            found = True
        if lnames and right is not None:
            for name in lnames[0]:
                if name == right:
                    continue
                key = "abs_highs" if lnames[1] else "highs"
                out.add(name, **{key: _shift(right, -1) if strict else right})
                found = True
        if lnames and rnames and len(lnames[0]) == 1 and len(rnames[0]) == 1:
            out.relations.append((lnames[0][0], op, rnames[0][0]))
    return found


def _step(line: str, out: _Builder) -> bool:
    """`x_{i+1} - x_i <= L`: neighbours at most L apart. When the bound is one variable it
    must also be at least the largest step a generated list took (`x__step`, set when the
    list is written before it)."""
    match = re.fullmatch(rf"({_NAME})_\{{?i ?\+ ?1\}}? ?- ?\1_\{{?i\}}? ?(<=|<) ?(.+)", line)
    if match is None:
        return False
    bound = _expression(match.group(3))
    if bound is None:
        return False
    name, strict = match.group(1), match.group(2) == "<"
    out.add(name, step_highs=_shift(bound, -1) if strict else bound)
    if re.fullmatch(_NAME, bound):
        out.add(bound, lows=_shift(f"{name}__step", 1) if strict else f"{name}__step")
    return True


def _sentence_names(text: str) -> list[str]:
    names = []
    for token in re.split(r"[\s,]+", text):
        name = base_name(token)
        if name and (len(name) <= 3 or "_" in token) and name.lower() not in _PROSE:
            names.append(name)
    return names


def _charset(text: str) -> str:
    low = text.lower()
    chars = ""
    if "lowercase" in low:
        chars += string.ascii_lowercase
    if "uppercase" in low:
        chars += string.ascii_uppercase
    digits = re.search(r"digits? from (\d) (?:through|to) (\d)", low)
    if digits:
        chars += "".join(str(d) for d in range(int(digits.group(1)), int(digits.group(2)) + 1))
    elif "digit" in low:
        chars += string.digits
    quoted = re.findall(r"[`'\"](.)[`'\"]", text)
    return chars + "".join(dict.fromkeys(quoted))


def _prose(raw: str, line: str, out: _Builder) -> None:
    low = line.lower()
    between = re.match(r"(.*?)\b(?:is an integer|are integers) between (.+?) and (.+)$", line)
    if between:
        lo, hi = _expression(between.group(2)), _expression(between.group(3))
        subject = between.group(1)
        if re.search(r"all (?:values|input values)", subject, re.I):
            out.default_low, out.default_high = lo, hi
        else:
            for name in _sentence_names(subject):
                if lo:
                    out.add(name, lows=lo)
                if hi:
                    out.add(name, highs=hi)
    length = re.match(r"the length of (.+?) is between (.+?) and (.+)$", line, re.I)
    if length:
        for name in _sentence_names(length.group(1)):
            for key, part in (("len_lows", length.group(2)), ("len_highs", length.group(3))):
                expr = _expression(part)
                if expr:
                    out.add(name, **{key: expr})
    fixed = re.match(r"(.+?) (?:is a string|are strings) of length (\S+)", line)
    if fixed and _expression(fixed.group(2)):
        for name in _sentence_names(fixed.group(1)):
            out.add(name, len_lows=_expression(fixed.group(2)),
                    len_highs=_expression(fixed.group(2)))
    consist = re.match(r"(.+?) (?:consists?|is a string consisting|are strings consisting)",
                       line)
    if consist:
        chars = _charset(raw)
        for name in _sentence_names(consist.group(1)) if chars else ():
            out.add(name, charset=chars)
    perm = re.match(r"(.+?) is a permutation", line)
    if perm:
        for name in _sentence_names(perm.group(1)):
            out.add(name, permutation=True)
    if re.search(r"can be reached from (?:every|any)|reachable from (?:every|any)", low):
        out.connected = True
    if "graph" in low or "tree" in low:
        if re.search(r"\bis a tree\b", low):
            out.tree = True
        if "connected" in low:
            out.connected = True
        if any(word in low for word in ("self-loop", "double edge", "multiple edge")):
            out.simple = True


def _inequality(line: str, out: _Builder) -> None:
    """`A_i != A_j` makes A distinct; `u != v` is a relation."""
    for left, right in re.findall(r"([^\s,]+)\s*!=\s*([^\s,]+)", line):
        a, b = base_name(left), base_name(right)
        if a and b and a == b and left != right:
            out.add(a, distinct=True)
        elif a and b and a != b and not {a, b} <= {"i", "j", "k"}:
            out.relations.append((a, "!=", b))


def constraints_section(statement: str) -> str:
    """The text between the "Constraints" heading and the next heading ("Input")."""
    match = re.search(r"^\s*Constraints\s*$(.*?)^\s*(?:Input|Partial Score)\b", statement,
                      re.S | re.M)
    return match.group(1) if match else ""


def _juxtaposed(out: _Builder) -> None:
    """`0 <= K <= NM`: a name of two or three letters, each a variable with a bound of its
    own, that has no constant bound itself is those variables' product (p03592 read `NM` as
    a variable without an upper bound, so K stayed within the samples' 20 and every input
    was answered at the loop's start)."""
    def constant(spec: VarSpec) -> bool:
        return any(not names_in(e) for e in spec.lows + spec.highs + spec.abs_highs)

    in_products = {n for factors, _ in out.products for n in factors}
    known = {n for n, spec in out.vars.items()
             if len(n) == 1 and (constant(spec) or n in in_products)}
    products = {n: "(" + "*".join(n) + ")" for n, spec in out.vars.items()
                if 2 <= len(n) <= 3 and set(n) <= known and not constant(spec)}
    if not products:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, products)) + r")\b")

    def sub(expr: str) -> str:
        return pattern.sub(lambda m: products[m.group(1)], expr)

    for name in products:
        del out.vars[name]
    for name, spec in out.vars.items():
        bounds: dict[str, Any] = {  # VarSpec's expression fields, named at run time
            key: tuple(sub(e) for e in getattr(spec, key))
            for key in ("lows", "highs", "abs_highs", "abs_lows", "len_lows", "len_highs",
                        "step_highs")}
        out.vars[name] = replace(spec, **bounds)
    out.relations = [(a, op, b) for a, op, b in out.relations
                     if a not in products and b not in products]


def parse_constraints(text: str) -> Constraints:
    """Constraints of a statement (or of its Constraints section alone)."""
    section = constraints_section(text) or text
    out = _Builder()
    for raw in section.splitlines():
        if not raw.strip():
            continue
        line = normalize(raw)
        if "!=" in line:
            if re.search(r"\(\s*\w+\s*,\s*\w+\s*\)\s*!=\s*\(", line):
                out.simple = True  # (A_i,B_i) != (A_j,B_j): no multiple edges
            _inequality(line, out)
            line_wo = re.sub(r"[^\s,]+\s*!=\s*[^\s,]+", " ", line)
            if "<" in line_wo or ">" in line_wo:
                _chain(line_wo, out)
            continue
        if _step(line, out):
            continue
        if not _chain(line, out):
            _prose(raw, line, out)
        elif "consist" in line:
            _prose(raw, line, out)
    _juxtaposed(out)
    return Constraints(
        variables=dict(out.vars), relations=tuple(dict.fromkeys(out.relations)),
        default_low=out.default_low, default_high=out.default_high,
        tree=out.tree, connected=out.connected,
        simple=out.simple, products=tuple(dict.fromkeys(out.products)),
        product_lows=tuple(dict.fromkeys(out.product_lows)),
    )
