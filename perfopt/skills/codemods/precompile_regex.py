"""precompile-regex: a constant pattern is compiled once, at module level.

Three shapes, anywhere in the function's body:

- `re.match(r"\\d+", s)` (search, fullmatch, findall, finditer, split, sub, subn; a string
  literal or an UPPER_CASE module constant as the pattern, constant flags) becomes
  `_DIGITS_RE.match(s)` with `_DIGITS_RE = re.compile(r"\\d+")` above the function;
- `re.compile(r"\\d+")` in the body becomes that constant too, and a local that only holds
  it (`digits = re.compile(...)`, read only after that line) is replaced by it;
- `re.match(pat, s)` where the local `pat` is only ever bound to `re.compile(...)` becomes
  `pat.match(s)` (re.match would look the compiled object up again on every call).

The constants travel between the import lines and the definition; languages.python's
replace_function puts them above the function (and refuses a name the file already uses).
Refused: a pattern or flags computed at run time, a literal that does not compile (or warns)
here, a lower-case or local name as the pattern, `re` bound in the function, a keyword
`pattern=`, star-arguments, more arguments than the re function takes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from perfopt.languages._pyconstants import CONSTANT_NAME, constant_name
from perfopt.skills.codemods._common import Edit, Function, emit, parse_function, stmt

SKILL_ID = "precompile-regex"
# re function -> its parameters after the pattern (the Pattern method takes the same ones,
# by position and by keyword); `flags` comes right after them
PARAMS: dict[str, tuple[str, ...]] = {
    "match": ("string",),
    "search": ("string",),
    "fullmatch": ("string",),
    "findall": ("string",),
    "finditer": ("string",),
    "split": ("string", "maxsplit"),
    "sub": ("repl", "string", "count"),
    "subn": ("repl", "string", "count"),
}
# re.DEBUG is left out: it prints when the pattern compiles
FLAG_NAMES = frozenset(
    "A ASCII I IGNORECASE L LOCALE M MULTILINE S DOTALL X VERBOSE U UNICODE NOFLAG".split()
)
GLOBAL_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*\Z")
# local names that say nothing about the pattern: the constant is named from the pattern
GENERIC_LOCALS = frozenset(
    "p pat patt pattern regex regexp rx r reg prog compiled expr matcher m".split()
)
ESCAPE_WORDS = {"d": "DIGIT", "s": "SPACE", "w": "WORD", "D": "NONDIGIT", "S": "NONSPACE",
                "W": "NONWORD"}


@dataclass(frozen=True)
class Compiled:
    """The arguments of one module-level `re.compile(...)`."""

    pattern: str  # source of the pattern expression
    flags: str | None  # source of the flags expression
    value: str | bytes | None  # the literal's value (None for a module constant's name)


def rewrite(def_source: str) -> str | None:
    fn = parse_function(def_source)
    if fn is None or not _re_is_the_module(fn):
        return None
    calls = [c for c in (_re_call(fn, u.node) for u in fn.loads("re")) if c is not None]
    compiled_locals = _compiled_locals(fn)
    names: dict[Compiled, str] = {}  # constant -> its module-level name
    taken = {n for n in map(constant_name, fn.imports) if n is not None}
    replace: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel] = {}
    methods: dict[cst.Call, tuple[str, str, list[int]]] = {}  # call -> receiver, method, args
    inline: dict[str, Compiled] = {}  # local name -> the constant that replaces it

    def constant(c: Compiled, hint: str | None = None) -> str | None:
        if c not in names:
            name = _fresh(fn, _name_for(c, hint, fn.func.name.value), taken)
            if name is None:
                return None
            names[c] = name
            taken.add(name)
        return names[c]

    for method, call in calls:  # re.compile(...) first: its locals name their constants
        if method != "compile" or (c := _compile_args(fn, call)) is None:
            continue
        local = _inlinable_local(fn, call)
        if (name := constant(c, _assigned_name(fn, call))) is None:
            return None
        if local is not None:
            inline[local] = c
            replace[fn.parents[fn.parents[call]]] = cst.RemoveFromParent()
        else:
            replace[call] = cst.Name(name)
    for method, call in calls:
        split = None if method == "compile" else _split_args(method, call)
        if split is None:
            continue
        pattern, kept, flags = split
        receiver: str | None
        if isinstance(pattern, cst.Name) and pattern.value in compiled_locals and flags is None:
            receiver = names[inline[pattern.value]] if pattern.value in inline else pattern.value
        elif (c := _constant_pattern(fn, pattern, flags)) is not None:
            if (receiver := constant(c)) is None:
                return None
        else:
            continue
        methods[call] = (receiver, method, kept)
    for local, c in inline.items():
        for use in fn.loads(local):
            if not _argument_of(fn, use.node, methods):
                replace[use.node] = cst.Name(names[c])
    if not replace and not methods:
        return None
    new = fn.func.visit(_Rewrite(methods, replace))
    assert isinstance(new, cst.FunctionDef)  # the edits are inside the def only
    return _with_constants(emit(fn, new, ["import re"]), names)


class _Rewrite(Edit):
    """Edit, plus `re.<method>(pattern, args...)` -> `receiver.<method>(args...)` built from
    the updated arguments (a call nested in another's arguments is rewritten too)."""

    def __init__(self, methods: dict[cst.Call, tuple[str, str, list[int]]],
                 replace: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel]) -> None:
        super().__init__(replace=dict(replace))
        self.methods = methods

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if original_node not in self.methods:
            return updated_node
        receiver, method, kept = self.methods[original_node]
        args = [updated_node.args[i] for i in kept]
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(
            func=cst.Attribute(cst.Name(receiver), cst.Name(method)), args=args
        )


# --- the calls ------------------------------------------------------------------------


def _re_is_the_module(fn: Function) -> bool:
    """`re` is not bound in the function, or only by `import re` (a script's code moved into
    main() by main-function-locals keeps its imports)."""
    if not fn.safe_name("re"):
        return False
    for use in fn.bindings("re"):
        alias = fn.parents.get(use.node)
        if not (isinstance(alias, cst.ImportAlias) and alias.asname is None
                and isinstance(alias.name, cst.Name)):
            return False
    return True


def _re_call(fn: Function, node: cst.Name) -> tuple[str, cst.Call] | None:
    """("match", call) for `re.match(...)` in the function's body."""
    found = fn.method_call(node)
    if found is None or not fn.inside(found[1], fn.func.body):
        return None  # a default argument or decorator runs once anyway
    method, call = found
    return (method, call) if method in PARAMS or method == "compile" else None


def _split_args(
    method: str, call: cst.Call
) -> tuple[cst.BaseExpression, list[int], cst.BaseExpression | None] | None:
    """(pattern, the indices of the arguments the Pattern method takes, flags) of
    `re.<method>(...)`."""
    params = PARAMS[method]
    args = list(call.args)
    if not args or any(a.star for a in args) or args[0].keyword is not None:
        return None
    kept: list[int] = []
    flags: cst.BaseExpression | None = None
    for i, arg in enumerate(args[1:]):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "flags" or (keyword is None and i == len(params)):
            flags = arg.value
        elif (keyword is None and i < len(params)) or keyword in params:
            kept.append(i + 1)
        else:
            return None  # too many arguments, or an unknown keyword: re raises TypeError
    return args[0].value, kept, flags


def _compile_args(fn: Function, call: cst.Call) -> Compiled | None:
    args = list(call.args)
    if not args or len(args) > 2 or any(a.star for a in args) or args[0].keyword is not None:
        return None
    flags = None
    if len(args) == 2:
        keyword = args[1].keyword
        if keyword is not None and keyword.value != "flags":
            return None
        flags = args[1].value
    return _constant_pattern(fn, args[0].value, flags)


def _constant_pattern(
    fn: Function, pattern: cst.BaseExpression, flags: cst.BaseExpression | None
) -> Compiled | None:
    """The constant `re.compile` call for `pattern` and `flags`, when both are constant."""
    flag_value = 0 if flags is None else _flag_value(flags)
    if flag_value is None:
        return None
    flag_code = None if flags is None else cst.Module([]).code_for_node(flags)
    code = cst.Module([]).code_for_node(pattern)
    if isinstance(pattern, cst.Name):
        # a module constant's value is not visible here: only without flags (a compiled
        # pattern with flags raises), and only a name the function never binds
        if flags is not None or not GLOBAL_CONSTANT.match(pattern.value):
            return None
        if fn.bindings(pattern.value) or not fn.safe_name(pattern.value):
            return None
        return Compiled(code, None, None)
    if not isinstance(pattern, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    value = pattern.evaluated_value
    if not isinstance(value, (str, bytes)):
        return None  # an f-string part
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would move from the call to the import
        try:
            re.compile(value, flag_value)
        except (re.error, TypeError, ValueError, Warning):
            return None
    return Compiled(code, flag_code, value)


def _flag_value(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "re"
        and node.attr.value in FLAG_NAMES
    ):
        return int(getattr(re, node.attr.value))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left, right = _flag_value(node.left), _flag_value(node.right)
        return None if left is None or right is None else left | right
    return None


# --- locals that hold a compiled pattern -----------------------------------------------


def _compiled_locals(fn: Function) -> set[str]:
    """Locals bound only ever to `re.compile(...)` (by a plain `name = re.compile(...)`)."""
    found: set[str] = set()
    for name, uses in fn.uses.items():
        binds = [u for u in uses if u.kind != "load"]
        if binds and fn.safe_name(name) and all(_compile_value(fn, u.node) for u in binds):
            found.add(name)
    return found


def _compile_value(fn: Function, node: cst.Name) -> bool:
    assign = fn.assignment_of(node)
    if assign is None:
        return False
    value = assign.value
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == "re"
        and value.func.attr.value == "compile"
    )


def _assigned_name(fn: Function, call: cst.Call) -> str | None:
    """`digits` for `digits = re.compile(...)`."""
    assign = fn.parents.get(call)
    if isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1:
        target = assign.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    return None


def _inlinable_local(fn: Function, call: cst.Call) -> str | None:
    """`digits` for a statement `digits = re.compile(...)` that is the local's only binding
    and runs before every read of it (earlier in a block around the read, so in the same
    iteration of any loop): the constant can stand for it."""
    name = _assigned_name(fn, call)
    assign = fn.parents.get(call)
    line = fn.parents.get(assign) if assign is not None else None
    if not (
        name is not None
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
        and fn.block_of(line) is not None
    ):
        return None
    loads = fn.loads(name)
    if (
        len(fn.bindings(name)) != 1
        or not fn.safe_name(name)
        or not loads
        or any(e.comment for e in line.leading_lines)
        or (line.trailing_whitespace.comment is not None)
        or not all(fn.precedes(line, fn.statement_of(u.node) or fn.func) for u in loads)
    ):
        return None
    return name


def _argument_of(fn: Function, node: cst.Name, methods: Mapping[cst.Call, object]) -> bool:
    """True when `node` is the pattern argument of a call that becomes a method call."""
    arg = fn.parents.get(node)
    call = fn.parents.get(arg) if arg is not None else None
    return isinstance(call, cst.Call) and call in methods and call.args[0] is arg


# --- names and output ------------------------------------------------------------------


def _name_for(c: Compiled, local: str | None, func: str) -> str:
    """A readable constant name: the local's, the module constant's, or the pattern's."""
    if local is not None and local.strip("_").lower() not in GENERIC_LOCALS:
        base = local.strip("_").upper()
    elif c.value is None:
        base = re.sub(r"_(RE|RX|REGEX|REGEXP|PAT|PATTERN)\Z", "", c.pattern.strip("_"))
    else:
        base = _pattern_words(c.value) or func.strip("_").upper()
    if re.search(r"(_|\A)(RE|RX|REGEX|REGEXP|PATTERN)\Z", base) is None:
        base += "_RE"
    name = "_" + base
    return name if CONSTANT_NAME.match(name) else "_PATTERN"  # e.g. a non-ASCII local


def _pattern_words(value: str | bytes) -> str:
    """"KEY_VALUE" for `(?P<key>...)=(?P<value>...)`, "TODO" for `TODO:\\s*(.*)`, "DIGITS"
    for a pattern of classes alone (`\\d+`); "" when the pattern has no word to offer."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    groups = re.findall(r"\(\?P<(\w+)>", text)
    if groups:
        words = groups
    else:
        # literal letters outside classes, escapes and group syntax
        bare = re.sub(r"\[(\\.|[^\]])*\]|\\.|\(\?[^)]*?[:>=!]|\{\d*,?\d*\}", " ", text)
        words = re.findall(r"[A-Za-z]{2,}", bare)
        if not words and re.fullmatch(r"(\\[dswDSW]|[\^$()+*?|]|\{\d*,?\d*\})+", text):
            words = [
                ESCAPE_WORDS[e] + ("S" if q else "")
                for e, q in re.findall(r"\\([dswDSW])([+*]|\{)?", text)
            ]
    kept = [w.strip("_").upper() for w in words]
    unique = list(dict.fromkeys(w for w in kept if w and w.isascii()))
    return "_".join(w[:12] for w in unique[:3])


def _fresh(fn: Function, wanted: str, taken: set[str]) -> str | None:
    for i in range(1, 10):
        name = wanted if i == 1 else f"{wanted}_{i}"
        if not fn.mentions(name) and name not in taken:
            return name
    return None


def _with_constants(source: str, names: dict[Compiled, str]) -> str:
    """`source` (imports + def) with one `_NAME = re.compile(...)` line per constant."""
    if not names:
        return source
    module = cst.parse_module(source)
    *head, func = module.body
    lines = [
        stmt(f"{name} = re.compile({c.pattern}{', ' + c.flags if c.flags else ''})\n")
        for c, name in names.items()
    ]
    lines[0] = lines[0].with_changes(leading_lines=(cst.EmptyLine(),) if head else ())
    func = func.with_changes(leading_lines=(cst.EmptyLine(), cst.EmptyLine()))
    return module.with_changes(body=[*head, *lines, func]).code
