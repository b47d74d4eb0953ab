"""pycparser workload: parsing C, as cffi does for every cdef, and generating C back.

Parses the preprocessed C files the sdist ships (tests/c_files, examples/c_files) and a
translation unit generated here (structs, typedefs, function declarations and bodies
with loops, switches and expressions), walks the ASTs with a NodeVisitor, and prints
them back with CGenerator.
"""

import random
import time
from pathlib import Path

from pycparser import c_ast, c_generator, c_parser

ROOT = Path(__file__).resolve().parent
rng = random.Random(29)
TYPES = ["int", "unsigned long", "double", "char *", "struct point *", "size_t", "const char *"]


def generated_unit(n_funcs):
    out = ["typedef unsigned long size_t;",
           "struct point { int x; int y; double w[4]; struct point *next; };",
           "typedef struct point point_t;",
           "enum color { RED, GREEN = 5, BLUE };",
           "typedef int (*cmp_fn)(const void *, const void *);"]
    for i in range(n_funcs):
        ret = rng.choice(TYPES)
        params = ", ".join(f"{rng.choice(TYPES)} a{k}" for k in range(rng.randint(0, 4))) or "void"
        out.append(f"extern {ret} f{i}({params});")
        out.append(f"""static int g{i}(int n, int *arr, point_t *p) {{
    int s = 0, k;
    for (k = 0; k < n; k++) {{
        if (arr[k] % {i % 7 + 2} == 0 && p != 0) s += p->x * arr[k] - (p->y << 2);
        else s ^= arr[k] | 0x{i:x};
    }}
    while (n-- > 0) {{ s = s ? s / 2 : -1; }}
    switch (s & 3) {{ case 0: s++; break; case 1: s += {i}; break; default: s = ~s; }}
    do {{ s += sizeof(point_t) + (int)p->w[s & 3]; }} while (s < {i * 3});
    return s > 0 ? s : (s == 0 ? {i} : -s);
}}""")
    return "\n".join(out) + "\n"


class Counter(c_ast.NodeVisitor):
    def __init__(self):
        self.funcs = self.calls = self.ids = 0

    def visit_FuncDef(self, node):
        self.funcs += 1
        self.generic_visit(node)

    def visit_FuncCall(self, node):
        self.calls += 1
        self.generic_visit(node)

    def visit_ID(self, node):
        self.ids += 1


def main():
    t0 = time.perf_counter()
    texts = []
    for folder in (ROOT / "tests" / "c_files", ROOT / "examples" / "c_files"):
        for f in sorted(folder.glob("*.c")):
            text = f.read_text(encoding="utf-8", errors="replace")
            if "#include" not in text and "#define" not in text:
                texts.append(text)
    texts.append(generated_unit(300))
    parser = c_parser.CParser()
    gen = c_generator.CGenerator()
    counter = Counter()
    chars = units = failed = 0
    for _ in range(6):
        for text in texts:
            try:
                ast = parser.parse(text, filename="<bench>")
            except c_parser.ParseError:
                failed += 1
                continue
            units += 1
            counter.visit(ast)
            chars += len(gen.visit(ast))
    print(f"units {units} failed {failed} funcs {counter.funcs} calls {counter.calls} "
          f"ids {counter.ids} generated chars {chars} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
