"""pygments workload: syntax highlighting, as a documentation build or a code viewer does.

Highlights source files of several languages (the project's own Python modules, and C,
JavaScript, JSON, YAML, SQL, HTML and shell text made here) to HTML with line numbers and
to the 256-colour terminal, choosing the lexer from the file name.
"""

import time
from pathlib import Path

from pygments import highlight, lex
from pygments.formatters import HtmlFormatter, Terminal256Formatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

ROOT = Path(__file__).resolve().parent

C = """#include <stdio.h>
/* a comment */
static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char **argv) {
    for (int i = 0; i < 30; i++) printf("%d %s\\n", fib(i), argv[0]);
    return 0;
}
"""
JS = """export async function load(url, {retries = 3} = {}) {
  for (let i = 0; i < retries; i++) {
    try { const r = await fetch(`${url}?try=${i}`); return await r.json(); }
    catch (e) { console.warn(/timeout/i.test(e.message) ? 'slow' : e); }
  }
  return null; // give up
}
"""
JSON = '{"name": "demo", "values": [1, 2.5, -3e4, true, null], "nested": {"a": "b\\\\n"}}\n'
YAML = ("server:\n  host: example.org\n  ports: [80, 443]\n"
        "  tls: {enabled: true, cert: /x.pem}\n# end\n")
SQL = ("SELECT u.id, COUNT(o.id) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id\n"
       "WHERE u.created_at > '2024-01-01' GROUP BY u.id HAVING n > 3 ORDER BY n DESC;\n")
HTML = ('<!doctype html><html><head><style>body{color:#333}</style></head><body>'
        '<p class="x">Hi &amp; bye<script>var a = 1 < 2;</script></p></body></html>\n')
SH = 'for f in *.txt; do\n  if [ -s "$f" ]; then echo "${f%.txt}" | tr a-z A-Z; fi\ndone\n'


def main():
    t0 = time.perf_counter()
    py_files = sorted((ROOT / "pygments").glob("*.py"))
    py_files += sorted((ROOT / "pygments" / "lexers").glob("*.py"))[:15]
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in py_files]
    sources += [("fib.c", C * 150), ("load.js", JS * 150), ("data.json", JSON * 220),
                ("conf.yaml", YAML * 220), ("q.sql", SQL * 220), ("page.html", HTML * 150),
                ("run.sh", SH * 220)]
    html = HtmlFormatter(linenos=True, cssclass="src")
    term = Terminal256Formatter(style="monokai")
    size = 0
    for name, text in sources:
        lexer = get_lexer_for_filename(name)
        size += len(highlight(text, lexer, html))
        size += len(highlight(text, lexer, term))
    tokens = sum(1 for name, text in sources for _ in lex(text, get_lexer_for_filename(name)))
    py = get_lexer_by_name("python3")
    size += sum(len(highlight(text, py, html)) for _, text in sources[:40])
    print(f"files {len(sources)} output {size} tokens {tokens} "
          f"in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
