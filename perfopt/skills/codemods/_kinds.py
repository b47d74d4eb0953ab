"""What a name or an expression evidently holds, read from the one definition a codemod sees.

A codemod that hashes values (a set, `dict.fromkeys`), drops a copy (`len(list(x))`) or
relies on equal elements being interchangeable (`max` for `sorted(x)[-1]`) asks this module
first. The answer is evidence, never a guess: a literal, a builtin call, a `str` method, a
loop over one of those, a parameter annotation. Anything else is unknown (None), and the
codemod refuses or keeps the original behaviour some other way.

A `Kind` has three parts, each None when unknown:
- `cls`: the value's own class, as far as hashing and ties matter: "int", "float", "str",
  "bytes" (scalars), "hashable" (some other hashable value), "unhashable";
- `shape`: the container it is ("list", "tuple", "set", "frozenset", "dict", "mapping",
  "str", "bytes", "range", "sequence", "collection", "view", "iter");
- `item`: the class of what iterating it yields (a dict's keys, a str's characters).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from perfopt.skills.codemods._common import Function

SCALARS = frozenset({"int", "str", "bytes"})  # equal values are interchangeable, totally ordered
HASHABLE = SCALARS | {"float", "hashable"}
SIZED = frozenset(
    "list tuple set frozenset dict mapping str bytes range sequence collection".split()
)
# numpy, torch and friends have a `split` that returns arrays, and pandas' `.str.split()`
# returns lists per row
_ARRAY_MODULES = frozenset({"np", "numpy", "torch", "tf", "jnp", "pd", "pandas"})
_STR_METHODS = frozenset(
    "lower upper strip lstrip rstrip casefold title capitalize replace swapcase zfill format"
    " join removeprefix removesuffix center ljust rjust expandtabs".split()
)
_BYTES_METHODS = _STR_METHODS - {"format", "casefold"}  # the same names on bytes
# of those, the ones no other common type has (`replace`, `format`, `join` are widespread)
_STR_ONLY_METHODS = frozenset(
    "lower upper strip lstrip rstrip casefold title capitalize swapcase removeprefix"
    " removesuffix".split()
)
_SCALAR_CALLS = {
    **dict.fromkeys(("int", "len", "ord", "hash"), "int"),
    **dict.fromkeys(("str", "repr", "chr", "input", "format", "ascii", "hex", "oct", "bin"), "str"),
    "bytes": "bytes",
    "float": "float",
    "bool": "hashable",
}
_DICT_CALLS = frozenset({"dict"})  # a Counter or defaultdict may be any imported name
# annotation name -> shape (typing's capitalised aliases and collections.abc included)
_ANNOTATION_SHAPES = {
    **dict.fromkeys(("list", "List"), "list"),
    **dict.fromkeys(("tuple", "Tuple"), "tuple"),
    **dict.fromkeys(("set", "Set", "AbstractSet", "MutableSet"), "set"),
    **dict.fromkeys(("frozenset", "FrozenSet"), "frozenset"),
    **dict.fromkeys(("dict", "Dict"), "dict"),
    **dict.fromkeys(("Mapping", "MutableMapping"), "mapping"),
    **dict.fromkeys(("Sequence", "MutableSequence"), "sequence"),
    "Collection": "collection",
    **dict.fromkeys(("Iterable", "Iterator"), "iter"),
}
_ANNOTATION_CLASSES = {
    **{name: name for name in ("int", "str", "bytes", "float")},
    **dict.fromkeys(("bool", "Hashable"), "hashable"),
}
# int op int is an int (true division is not among them)
_INT_OPS: tuple[type[cst.BaseBinaryOp], ...] = (cst.Add, cst.Subtract, cst.Multiply)
_INT_OPS += (cst.FloorDivide, cst.Modulo, cst.Power, cst.LeftShift, cst.RightShift)
_INT_OPS += (cst.BitAnd, cst.BitOr, cst.BitXor)
_MAX_DEPTH = 8  # names defined through names: stop following after this many hops


@dataclass(frozen=True)
class Kind:
    cls: str | None = None
    shape: str | None = None
    item: str | None = None


UNKNOWN = Kind()
STR = Kind("str", "str", "str")


# per analysed definition: (name, assumptions) -> kind; names are looked up many times
_CACHE: weakref.WeakKeyDictionary[Function, dict[tuple[str, tuple], Kind]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Ctx:
    """How deep the lookup is, and what names being resolved are assumed to hold."""

    depth: int = 0
    assumed: tuple[tuple[str, Kind], ...] = ()

    def deeper(self) -> _Ctx:
        return _Ctx(self.depth + 1, self.assumed)

    def assuming(self, name: str, kind: Kind) -> _Ctx:
        return _Ctx(self.depth + 1, ((name, kind), *self.assumed))


def join(a: str | None, b: str | None) -> str | None:
    """The class both `a` and `b` belong to; an unhashable part taints the whole."""
    if a == b:
        return a
    if "unhashable" in (a, b):
        return "unhashable"
    if a in HASHABLE and b in HASHABLE:
        return "hashable"
    return None


def _merge(a: Kind, b: Kind) -> Kind:
    return Kind(
        join(a.cls, b.cls),
        a.shape if a.shape == b.shape else None,
        join(a.item, b.item),
    )


def _of_class(cls: str | None) -> Kind:
    if cls == "str":
        return STR
    if cls == "bytes":
        return Kind("bytes", "bytes", "int")
    return Kind(cls)


def _container(shape: str, item: str | None) -> Kind:
    """A container of `item`s; tuples and frozensets are hashable when their items are."""
    if shape in ("tuple", "frozenset"):
        cls = "hashable" if item in HASHABLE else ("unhashable" if item == "unhashable" else None)
    elif shape in ("list", "set", "dict"):
        cls = "unhashable"
    elif shape == "range":
        cls = "hashable"
    else:
        cls = None
    return Kind(cls, shape, item)


def up(fn: Function, node: cst.CSTNode | None) -> cst.CSTNode | None:
    """The parent of `node`, None for None (to walk up a few levels without checks)."""
    return None if node is None else fn.parents.get(node)


def items_of(fn: Function, node: cst.BaseExpression) -> str | None:
    """The class of what iterating `node` yields."""
    return kind_of(fn, node).item


def kind_of(fn: Function, node: cst.BaseExpression, ctx: _Ctx | None = None) -> Kind:
    ctx = ctx or _Ctx()
    if ctx.depth > _MAX_DEPTH:
        return UNKNOWN
    if isinstance(node, cst.Integer):
        return Kind("int")
    if isinstance(node, cst.Float):
        return Kind("float")
    if isinstance(node, cst.Imaginary):
        return Kind("hashable")
    if isinstance(node, cst.SimpleString):
        return _of_class("bytes" if "b" in node.prefix.lower() else "str")
    if isinstance(node, (cst.ConcatenatedString, cst.FormattedString)):
        return _of_class(_string_class(node))
    if isinstance(node, cst.UnaryOperation):
        if isinstance(node.operator, cst.Not):
            return Kind("hashable")
        inner = kind_of(fn, node.expression, ctx.deeper())
        return Kind(inner.cls) if inner.cls in ("int", "float") else UNKNOWN
    if isinstance(node, cst.BinaryOperation):
        return _binary(fn, node, ctx)
    if isinstance(node, cst.IfExp):
        return _merge(kind_of(fn, node.body, ctx.deeper()), kind_of(fn, node.orelse, ctx.deeper()))
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        shape = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(node)]
        return _container(shape, _elements(fn, node.elements, ctx))
    if isinstance(node, cst.Dict):
        keys = [e.key for e in node.elements if isinstance(e, cst.DictElement)]
        if len(keys) != len(node.elements):
            return _container("dict", None)  # a `**other` part: keys unknown
        return _container("dict", _join_all(kind_of(fn, k, ctx.deeper()).cls for k in keys))
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        elt = kind_of(fn, node.elt, ctx.deeper()).cls
        shape = {cst.ListComp: "list", cst.SetComp: "set", cst.GeneratorExp: "iter"}[type(node)]
        return _container(shape, elt)
    if isinstance(node, cst.DictComp):
        return _container("dict", kind_of(fn, node.key, ctx.deeper()).cls)
    if isinstance(node, cst.Name):
        reaching = fn.reaching(node) if node in fn.parents else None
        if reaching is not None:  # `tag = tag.strip()` just before: that is what it holds
            return _binding(fn, reaching, ctx.deeper())
        return _name(fn, node.value, ctx)
    if isinstance(node, cst.Call):
        return _call(fn, node, ctx)
    if isinstance(node, cst.Subscript):
        base = kind_of(fn, node.value, ctx.deeper())
        if base.shape in ("str", "bytes"):
            return base if _is_slice(node) else _of_class(base.item)
        return UNKNOWN
    return UNKNOWN


def _string_class(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.FormattedString):
        return "bytes" if "b" in node.start.lower() else "str"
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string_class(node.left), _string_class(node.right)
        return left if left == right else None
    if isinstance(node, cst.SimpleString):
        return "bytes" if "b" in node.prefix.lower() else "str"
    return None


def _is_slice(node: cst.Subscript) -> bool:
    return any(isinstance(e.slice, cst.Slice) for e in node.slice)


def _join_all(classes: Iterable[str | None]) -> str | None:
    out: str | None = None
    first = True
    for cls in classes:
        out, first = (cls if first else join(out, cls)), False
    return out


def _elements(fn: Function, elements: Sequence[cst.BaseElement], ctx: _Ctx) -> str | None:
    classes = []
    for e in elements:
        if not isinstance(e, cst.Element):
            return None  # a `*starred` part
        classes.append(kind_of(fn, e.value, ctx.deeper()).cls)
    return _join_all(classes)


def _binary(fn: Function, node: cst.BinaryOperation, ctx: _Ctx) -> Kind:
    left = kind_of(fn, node.left, ctx.deeper()).cls
    right = kind_of(fn, node.right, ctx.deeper()).cls
    op = node.operator
    for text in ("str", "bytes"):
        if left == text and (
            isinstance(op, cst.Modulo) or (isinstance(op, cst.Add) and right == text)
        ):
            return _of_class(text)
        if isinstance(op, cst.Multiply) and {left, right} == {text, "int"}:
            return _of_class(text)
    if left == right == "int" and isinstance(op, _INT_OPS):
        return Kind("int")
    return UNKNOWN


def _call(fn: Function, node: cst.Call, ctx: _Ctx) -> Kind:
    func = node.func
    args = [a.value for a in node.args if a.keyword is None and not a.star]
    plain = len(args) == len(node.args)
    if isinstance(func, cst.Name):
        name = func.value
        if not fn.is_local_builtin(name) or not plain:
            return UNKNOWN
        if name in _SCALAR_CALLS:
            return _of_class(_SCALAR_CALLS[name])
        first = kind_of(fn, args[0], ctx.deeper()) if args else UNKNOWN
        if name == "range":
            return _container("range", "int")
        if name in ("list", "sorted", "tuple"):
            return _container("tuple" if name == "tuple" else "list", first.item if args else None)
        if name in ("set", "frozenset"):
            # building it succeeded, so the items are hashable
            return _container(name, first.item if first.item in HASHABLE else "hashable")
        if name in _DICT_CALLS:
            return _container("dict", "hashable")
        if name in ("reversed", "iter", "filter"):
            return _container("iter", kind_of(fn, args[-1], ctx.deeper()).item if args else None)
        if name == "map" and len(args) >= 2 and isinstance(args[0], cst.Name):
            converter = args[0].value
            cls = _SCALAR_CALLS.get(converter) if fn.is_local_builtin(converter) else None
            return _container("iter", cls)
        if name in ("enumerate", "zip"):
            parts = _positions(fn, node, ctx)
            item = None if parts is None else _join_all(parts)
            return _container("iter", "hashable" if item in HASHABLE else item)
        return UNKNOWN
    if isinstance(func, cst.Attribute):
        return _method(fn, func, args, plain, ctx)
    return UNKNOWN


def _method(
    fn: Function, func: cst.Attribute, args: list[cst.BaseExpression], plain: bool, ctx: _Ctx
) -> Kind:
    method, receiver = func.attr.value, func.value
    if method in ("split", "rsplit", "splitlines"):
        return UNKNOWN if _array_like(receiver) else _container("list", "str")
    if method == "findall" and not _array_like(receiver):
        return _container("list", "hashable")  # re: str, bytes or tuples; ElementTree: nodes
    if method == "keys" and not args:
        return _container("view", "hashable")
    if method in _STR_METHODS:
        receiver_cls = kind_of(fn, receiver, ctx.deeper()).cls
        if receiver_cls == "str":
            return STR
        if receiver_cls == "bytes" and method in _BYTES_METHODS:
            return _of_class("bytes")
        # only str and bytes have these; pandas' `.str.lower()` is the one common lookalike
        pandas = isinstance(receiver, cst.Attribute) and receiver.attr.value == "str"
        if receiver_cls is None and method in _STR_ONLY_METHODS and not pandas:
            return STR
        return UNKNOWN
    if method == "encode" and kind_of(fn, receiver, ctx.deeper()).cls == "str":
        return _of_class("bytes")
    return UNKNOWN


def _array_like(receiver: cst.BaseExpression) -> bool:
    """`np.char`-style modules and pandas' `.str` accessor: their `split` / `findall`
    return arrays or a Series, not lists."""
    if isinstance(receiver, cst.Name) and receiver.value in _ARRAY_MODULES:
        return True
    return isinstance(receiver, cst.Attribute) and receiver.attr.value == "str"


def _positions(fn: Function, call: cst.Call, ctx: _Ctx) -> list[str | None] | None:
    """Per position, the class of the tuples an `enumerate`/`zip`/`.items()` call yields."""
    func = call.func
    args = [a.value for a in call.args if a.keyword is None and not a.star]
    if len(args) != len(call.args):
        return None
    if isinstance(func, cst.Name) and fn.is_local_builtin(func.value):
        if func.value == "enumerate" and len(args) in (1, 2):
            return ["int", kind_of(fn, args[0], ctx.deeper()).item]
        if func.value == "zip" and args:
            return [kind_of(fn, a, ctx.deeper()).item for a in args]
    if isinstance(func, cst.Attribute) and func.attr.value == "items" and not args:
        # a mapping's keys are hashable (its values may be anything)
        return ["hashable", None]
    return None


def _name(fn: Function, name: str, ctx: _Ctx) -> Kind:
    """The kind every binding of `name` agrees on. A binding that reads `name` itself
    (`tag = tag.strip()`) is checked by induction: assume what the other bindings give and
    keep it only if the self-referring ones give it back."""
    for assumed_name, kind in ctx.assumed:
        if assumed_name == name:
            return kind
    cache = _CACHE.setdefault(fn, {})
    key = (name, ctx.assumed)
    if key not in cache:
        cache[key] = _resolve(fn, name, ctx)
    return cache[key]


def _resolve(fn: Function, name: str, ctx: _Ctx) -> Kind:
    if not fn.safe_name(name):
        return UNKNOWN
    binds = fn.bindings(name)
    if not binds:
        return UNKNOWN  # a global, a builtin or a closure cell: not visible here
    first = [_binding(fn, use.node, ctx.assuming(name, UNKNOWN)) for use in binds]
    base = _merge_all(k for k in first if k != UNKNOWN)
    if base is None:
        return UNKNOWN
    if all(k != UNKNOWN for k in first):
        return base
    again = _merge_all(_binding(fn, use.node, ctx.assuming(name, base)) for use in binds)
    return base if again == base else UNKNOWN


def _merge_all(kinds: Iterable[Kind]) -> Kind | None:
    found: Kind | None = None
    for kind in kinds:
        found = kind if found is None else _merge(found, kind)
    return found


def _binding(fn: Function, node: cst.Name, ctx: _Ctx) -> Kind:
    """What the binding occurrence `node` binds."""
    parent = fn.parents.get(node)
    if isinstance(parent, cst.Param):
        ann = parent.annotation
        starred = isinstance(parent.star, str) and parent.star != ""
        return annotation_kind(ann.annotation) if ann is not None and not starred else UNKNOWN
    if isinstance(parent, cst.AssignTarget):
        assign = fn.parents.get(parent)
        if not isinstance(assign, cst.Assign):
            return UNKNOWN
        if isinstance(assign.value, cst.List) and not assign.value.elements:
            return _container("list", _appended(fn, node.value, ctx))
        return kind_of(fn, assign.value, ctx.deeper())
    if isinstance(parent, cst.AnnAssign) and parent.target is node:
        return annotation_kind(parent.annotation.annotation)
    if isinstance(parent, cst.NamedExpr) and parent.target is node:
        return kind_of(fn, parent.value, ctx.deeper())
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
        return _of_class(kind_of(fn, parent.iter, ctx.deeper()).item)
    # `for i, x in enumerate(xs)`: one name of a flat tuple target
    element = parent if isinstance(parent, cst.Element) else None
    target = fn.parents.get(element) if element is not None else None
    loop = fn.parents.get(target) if isinstance(target, cst.Tuple) else None
    if isinstance(loop, (cst.For, cst.CompFor)) and loop.target is target:
        assert isinstance(target, cst.Tuple)
        if not isinstance(loop.iter, cst.Call):
            return UNKNOWN
        parts = _positions(fn, loop.iter, ctx.deeper())
        if parts is None or len(parts) != len(target.elements):
            return UNKNOWN
        index = list(target.elements).index(element)  # type: ignore[arg-type]
        return _of_class(parts[index])
    return UNKNOWN


def _appended(fn: Function, name: str, ctx: _Ctx) -> str | None:
    """The items of a list that starts empty: what is appended to it, when appending is
    all that ever changes it."""
    classes: list[str | None] = []
    for use in fn.loads(name):
        method = fn.method_call(use.node)
        if method is not None and method[0] == "append" and len(method[1].args) == 1:
            classes.append(kind_of(fn, method[1].args[0].value, ctx.deeper()).cls)
        elif not fn.read_only(use.node):
            return None  # extended, stored into, passed on: other items may get in
    return _join_all(classes) if classes else None


def annotation_kind(node: cst.BaseExpression) -> Kind:
    """A parameter's annotation read as evidence: `list[str]`, `Sequence[int]`, `str`..."""
    name = _annotation_name(node)
    if isinstance(node, (cst.Name, cst.Attribute)) and name is not None:
        if name in _ANNOTATION_CLASSES:
            return _of_class(_ANNOTATION_CLASSES[name])
        shape = _ANNOTATION_SHAPES.get(name)
        if shape is None:
            return UNKNOWN
        keyed = shape in ("set", "frozenset", "dict", "mapping")
        return _container(shape, "hashable" if keyed else None)
    if not isinstance(node, cst.Subscript) or name is None or name not in _ANNOTATION_SHAPES:
        return UNKNOWN
    shape = _ANNOTATION_SHAPES[name]
    params = _type_args(node)
    if not params:
        return UNKNOWN
    if shape == "tuple":
        item = _join_all(annotation_kind(p).cls for p in params)
    else:
        item = annotation_kind(params[0]).cls
    if shape in ("set", "frozenset", "dict", "mapping") and item is None:
        item = "hashable"
    return _container(shape, item)


def _type_args(node: cst.Subscript) -> list[cst.BaseExpression]:
    """`[A, B]` for `X[A, B]`, `[T]` for `tuple[T, ...]`; [] for slices and the like."""
    args = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if len(args) != len(node.slice):
        return []
    return args[:1] if len(args) == 2 and isinstance(args[1], cst.Ellipsis) else args


def _annotation_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):  # typing.List, collections.abc.Sequence
        return node.attr.value
    return None


def exact_items(fn: Function, name: str) -> bool:
    """True when `==` between items of `name` agrees with their hash and never fails:
    str, int, bytes, bool, and tuples of those (from an annotation: `list[tuple[int, str]]`).
    Floats are out (NaN != NaN, yet a dict finds the same NaN object by identity)."""
    if kind_of(fn, cst.Name(name)).item in SCALARS:
        return True
    params = fn.func.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name and param.annotation is not None:
            ann = param.annotation.annotation
            shape = _ANNOTATION_SHAPES.get(_annotation_name(ann) or "")
            if not isinstance(ann, cst.Subscript) or shape not in ("list", "tuple", "sequence"):
                return False
            items = _type_args(ann)
            return len(items) == 1 and len(fn.bindings(name)) == 1 and _exact(items[0])
    return False


def _exact(node: cst.BaseExpression) -> bool:
    name = _annotation_name(node)
    if isinstance(node, (cst.Name, cst.Attribute)):
        return name in ("int", "str", "bytes", "bool")
    if not isinstance(node, cst.Subscript) or name not in ("tuple", "Tuple"):
        return False
    items = _type_args(node)
    return bool(items) and all(_exact(i) for i in items)
