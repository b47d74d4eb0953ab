"""cpp-sync-with-stdio: insert `std::ios::sync_with_stdio(false); std::cin.tie(nullptr);`
at the start of main.

Refuses when C stdio is used anywhere (the two would interleave out of order), when main
is missing or already unsynchronises, or when iostreams are not used."""

from __future__ import annotations

import re

from perfopt.skills.codemods._cpp import apply, function_name, functions, tree

NAME = "cpp-sync-with-stdio"
SKILL_ID = "fast-iostream"
LANGUAGE = "cpp"
SCOPE = "program"
_C_STDIO = re.compile(
    r"\b(printf|scanf|puts|putchar|getchar|gets|fgets|fputs|fprintf|fscanf|getchar_unlocked"
    r"|putchar_unlocked|fread|fwrite|freopen|fflush|stdout|stdin)\b"
)
_IOSTREAM = re.compile(r"\b(cin|cout)\b")
LINE = "std::ios::sync_with_stdio(false);\n    std::cin.tie(nullptr);\n    "


def rewrite(source: str) -> str | None:
    if "sync_with_stdio" in source or _C_STDIO.search(source) or not _IOSTREAM.search(source):
        return None
    root = tree(source)
    if root is None:
        return None
    mains = [f for f in functions(root) if function_name(f) == "main"]
    if len(mains) != 1:
        return None
    body = mains[0].child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return None
    first = body.named_children[0]
    if first.type == "comment":
        return None  # keep it simple: a leading comment may describe the first line
    return apply(source, [(first.start_byte, first.start_byte, LINE)])
