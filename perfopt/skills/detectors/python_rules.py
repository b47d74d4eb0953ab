"""Python detectors: tree-sitter-python queries plus small checks on the matched node."""

from __future__ import annotations

from perfopt.skills.detectors import Detector
from perfopt.skills.detectors.python_checks import (
    _accumulate,
    _adjacent_equal,
    _big_bound,
    _bitmask,
    _count_loop,
    _double_sort,
    _invariant_inner,
    _len_bound,
    _list_name,
    _loop_depth,
    _module_level,
    _only_append,
    _pair_loop,
    _recursive,
    _search_loop,
    _sort_then_slice,
    _str_piece,
    in_loop,
)


def _call(name: str) -> str:
    return f'(call function: (identifier) @f (#eq? @f "{name}")) @hit'


def _method(name: str) -> str:
    return f'(call function: (attribute attribute: (identifier) @m (#eq? @m "{name}"))) @hit'


DETECTORS = (
    Detector(
        "py.input-in-loop",
        "python",
        _call("input"),
        "input() called once per loop iteration",
        in_loop,
    ),
    Detector("py.input-call", "python", _call("input"), "reads stdin through input()", weight=0.4),
    Detector(
        "py.eval-input",
        "python",
        '(call function: (identifier) @f (#eq? @f "eval") arguments: (argument_list'
        ' (call function: (identifier) @g (#eq? @g "input")))) @hit',
        "eval(input()) parses a whole expression to read a number",
    ),
    Detector(
        "py.print-in-loop", "python", _call("print"), "print() once per loop iteration", in_loop
    ),
    Detector(
        "py.str-concat-in-loop",
        "python",
        "(augmented_assignment) @hit",
        "a string grown with += inside a loop",
        _str_piece,
    ),
    Detector(
        "py.list-membership-in-loop",
        "python",
        '(comparison_operator operators: ["in" "not in"]) @hit',
        "`in` test against a list inside a loop (O(n) each)",
        _list_name,
    ),
    Detector(
        "py.keys-list-membership",
        "python",
        '(comparison_operator operators: ["in" "not in"] (call function: (identifier) @l'
        ' (#eq? @l "list") arguments: (argument_list (call function: (attribute attribute:'
        ' (identifier) @k (#eq? @k "keys")))))) @hit',
        "`in list(d.keys())` copies the keys and scans them",
    ),
    Detector(
        "py.pop0",
        "python",
        '(call function: (attribute attribute: (identifier) @m (#any-of? @m "pop" "insert"))'
        ' arguments: (argument_list . (integer) @z (#eq? @z "0"))) @hit',
        "list.pop(0) / insert(0, x) shift the whole list",
    ),
    Detector("py.count-in-loop", "python", _method("count"), "seq.count(x) inside a loop", in_loop),
    Detector(
        "py.sorted-index",
        "python",
        '(subscript value: (call function: (identifier) @f (#eq? @f "sorted"))) @hit',
        "sorted(...)[i] sorts everything to read one element",
    ),
    Detector(
        "py.append-loop",
        "python",
        "(for_statement) @hit",
        "a for loop whose body only appends",
        _only_append,
    ),
    Detector("py.sort-in-loop", "python", _call("sorted"), "sorted() inside a loop", in_loop),
    Detector(
        "py.list-sort-in-loop", "python", _method("sort"), "list.sort() inside a loop", in_loop
    ),
    Detector(
        "py.nested-loop",
        "python",
        "(for_statement) @hit",
        "a loop nested in another loop",
        lambda n: _loop_depth(n) >= 1,
        weight=0.4,
    ),
    Detector(
        "py.big-range",
        "python",
        '(for_statement right: (call function: (identifier) @f (#eq? @f "range")) @hit)',
        "a loop over a large constant range",
        _big_bound,
    ),
    Detector(
        "py.bitmask-range",
        "python",
        '(call function: (identifier) @f (#eq? @f "range")) @hit',
        "a loop over all 2^n subsets",
        _bitmask,
    ),
    Detector(
        "py.pair-loop",
        "python",
        '(for_statement right: (call function: (identifier) @f (#eq? @f "range")) @hit)',
        "an inner loop over all pairs i < j",
        _pair_loop,
    ),
    Detector(
        "py.search-loop",
        "python",
        "(for_statement) @hit",
        "a loop that scans until a condition holds, then stops",
        _search_loop,
    ),
    Detector(
        "py.float-inf",
        "python",
        '(call function: (identifier) @f (#eq? @f "float") arguments: (argument_list (string)'
        ' @s (#match? @s "(?i)inf"))) @hit',
        'float("inf") as a sentinel mixes floats into integer code',
    ),
    Detector(
        "py.deepcopy",
        "python",
        "(call function: [(identifier) @f (attribute attribute: (identifier) @f)]"
        ' (#eq? @f "deepcopy")) @hit',
        "copy.deepcopy walks the whole object graph",
    ),
    Detector(
        "py.recursion",
        "python",
        "(function_definition name: (identifier) @hit)",
        "a function that calls itself",
        _recursive,
    ),
    Detector(
        "py.setrecursionlimit",
        "python",
        _method("setrecursionlimit"),
        "deep recursion expected (sys.setrecursionlimit)",
    ),
    Detector(
        "py.module-level-loop",
        "python",
        "[(for_statement) (while_statement)] @hit",
        "a hot loop at module level: every name is a dict lookup",
        _module_level,
        weight=0.4,
    ),
    Detector(
        "py.range-len",
        "python",
        '(for_statement right: (call function: (identifier) @f (#eq? @f "range") arguments:'
        ' (argument_list . (call function: (identifier) @l (#eq? @l "len")) .)) @hit)',
        "for i in range(len(seq)) indexes instead of iterating",
    ),
    Detector(
        "py.sum-slice-in-loop",
        "python",
        '(call function: (identifier) @f (#any-of? @f "sum" "max" "min") arguments:'
        " (argument_list (subscript (slice)))) @hit",
        "sum/min/max over a slice inside a loop (range query)",
        in_loop,
    ),
    Detector(
        "py.table-2d",
        "python",
        "(list_comprehension body: (binary_operator left: (list) right: (_))) @hit",
        "a 2-D table [[0] * m for _ in range(n)] (DP)",
        weight=0.4,
    ),
    Detector(
        "py.pow-in-loop",
        "python",
        '(call function: (identifier) @f (#eq? @f "pow") arguments: (argument_list (_) (_) (_)))'
        " @hit",
        "modular pow() (e.g. an inverse) recomputed inside a loop",
        in_loop,
    ),
    Detector(
        "py.bin-count",
        "python",
        '(call function: (attribute object: (call function: (identifier) @b (#eq? @b "bin"))'
        ' attribute: (identifier) @c (#eq? @c "count"))) @hit',
        'bin(x).count("1") builds a string to count bits',
    ),
    Detector(
        "py.regex-in-loop",
        "python",
        '(call function: (attribute object: (identifier) @r (#eq? @r "re") attribute:'
        ' (identifier) @m (#any-of? @m "match" "search" "fullmatch" "findall" "sub" "split"'
        ' "finditer"))) @hit',
        "re.<fn>(pattern, ...) inside a loop looks the pattern up each time",
        in_loop,
    ),
    Detector(
        "py.try-in-loop", "python", "(try_statement) @hit", "try/except inside a loop", in_loop
    ),
    Detector(
        "py.priority-queue",
        "python",
        '(attribute object: (identifier) @q (#eq? @q "queue") attribute: (identifier) @c'
        ' (#any-of? @c "PriorityQueue" "Queue" "LifoQueue")) @hit',
        "queue.PriorityQueue/Queue take a lock on every operation",
    ),
    Detector(
        "py.reduce-lambda",
        "python",
        "(call function: [(identifier) @f (attribute attribute: (identifier) @f)]"
        ' (#eq? @f "reduce") arguments: (argument_list . (lambda))) @hit',
        "functools.reduce with a lambda calls Python code per element",
    ),
    Detector(
        "py.str-digits-in-loop",
        "python",
        '(call function: (identifier) @f (#eq? @f "str")) @hit',
        "str(n) in a loop to read digits",
        in_loop,
        weight=0.4,
    ),
    Detector(
        "py.accumulate-in-loop",
        "python",
        "(augmented_assignment) @hit",
        "a running total updated with += inside a loop",
        _accumulate,
        weight=0.4,
    ),
    Detector(
        "py.dict-count-if",
        "python",
        '(if_statement condition: (comparison_operator operators: ["in" "not in"])'
        " alternative: (else_clause)) @hit",
        "`if k in d: d[k] += 1 else: d[k] = 1` does two lookups",
        in_loop,
    ),
    Detector(
        "py.list-cast-iter",
        "python",
        '(for_statement right: (call function: (identifier) @f (#eq? @f "list")) @hit)',
        "for x in list(...) copies before iterating",
    ),
    Detector(
        "py.decimal",
        "python",
        '(call function: (identifier) @f (#any-of? @f "Decimal" "Fraction")) @hit',
        "Decimal/Fraction arithmetic is far slower than int",
    ),
    Detector(
        "py.big-list-alloc",
        "python",
        "(binary_operator left: (list) right: (_) @n) @hit",
        "a list sized by a large constant, not by the input",
        lambda n: _big_bound(n.child_by_field_name("right")) and not in_loop(n),
    ),
    Detector(
        "py.readline-stdin",
        "python",
        '(attribute object: (attribute attribute: (identifier) @s (#eq? @s "stdin"))) @hit',
        "reads through sys.stdin already",
        weight=0.4,
    ),
    Detector(
        "py.range-len-var",
        "python",
        '(for_statement right: (call function: (identifier) @f (#eq? @f "range")) @hit)',
        "for i in range(n) with n = len(seq): indexes instead of iterating",
        _len_bound,
    ),
    Detector(
        "py.sorted-unpack",
        "python",
        "(assignment left: (pattern_list) right: (call function: (identifier) @f"
        ' (#eq? @f "sorted"))) @hit',
        "a, b, c = sorted(...) sorts to pick the smallest/largest",
    ),
    Detector(
        "py.adjacent-equal-scan",
        "python",
        '(comparison_operator operators: "==") @hit',
        "S[i] == S[j] in a loop: grouping equal values by scanning sorted data",
        _adjacent_equal,
    ),
    Detector(
        "py.double-sort",
        "python",
        _method("sort"),
        "a list sorted twice in a row",
        _double_sort,
    ),
    Detector(
        "py.sort-then-slice",
        "python",
        _method("sort"),
        "a whole list sorted, then only a prefix [:k] used",
        _sort_then_slice,
    ),
    Detector(
        "py.product-enumeration",
        "python",
        "(call function: [(identifier) @f (attribute attribute: (identifier) @f)]"
        ' (#any-of? @f "product" "permutations")) @hit',
        "brute-force enumeration with itertools.product/permutations",
    ),
    Detector(
        "py.count-loop",
        "python",
        "(for_statement) @hit",
        "a loop that only counts values meeting a condition",
        _count_loop,
    ),
    Detector(
        "py.invariant-inner-loop",
        "python",
        "(for_statement) @hit",
        "a nested loop that does not depend on the outer loop variable",
        _invariant_inner,
    ),
    Detector(
        "py.str-digits",
        "python",
        '(subscript value: (call function: (identifier) @f (#eq? @f "str"))) @hit',
        "str(n)[i] to read a digit",
    ),
)
