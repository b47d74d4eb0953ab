"""(Run as: python serve_rewrites.py, with the idna and pygments sdists unpacked in
/tmp/src; then bench/real_projects.py --only NAME -- --model hand --base-url URL.)
Serve hand-written rewrites of real hotspots through perfopt's model path (a ceiling
study: what perfopt accepts when a rewrite exists). Candidate prompts that show a function
named in REWRITES get that rewrite; every other prompt gets prose without code."""
import ast
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tests"))
from llm_server import LLMServer, Reply, prompt_kind  # noqa: E402


def func(path, name, cls=None):
    src = open(path).read()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ClassDef) and cls and node.name == cls:
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and f.name == name:
                    return ast.get_source_segment(src, f)
        if not cls and isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(src, node)

idna = func("/tmp/src/idna-3.20/idna/core.py", "check_label")
hoisted = idna.replace("    for pos, cp in enumerate(label):",
    '    classes = idnadata.codepoint_classes\n'
    '    pvalid, contextj, contexto = classes["PVALID"], classes["CONTEXTJ"], classes["CONTEXTO"]\n'
    '    for pos, cp in enumerate(label):')
for k, v in (("PVALID", "pvalid"), ("CONTEXTJ", "contextj"), ("CONTEXTO", "contexto")):
    hoisted = hoisted.replace(f'idnadata.codepoint_classes["{k}"])', f"{v})")
assert hoisted.count("idnadata.codepoint_classes") == 1, hoisted

cached = '''def format_unencoded(self, tokensource, outfile):
        if self.linenos:
            self._write_lineno(outfile)

        # (on, off) per token type, found once: the nearest type up the tree with a style
        styles = {}
        for ttype, value in tokensource:
            try:
                style = styles[ttype]
            except KeyError:
                style = None
                parent = ttype
                while parent:
                    style = self.style_string.get(str(parent))
                    if style is not None:
                        break
                    parent = parent.parent
                styles[ttype] = style
            if style is None:
                outfile.write(value)
                continue
            on, off = style

            # Like TerminalFormatter, add "reset colors" escape sequence
            # on newline.
            spl = value.split('\\n')
            for line in spl[:-1]:
                if line:
                    outfile.write(on + line + off)
                if self.linenos:
                    self._write_lineno(outfile)
                else:
                    outfile.write('\\n')

            if spl[-1]:
                outfile.write(on + spl[-1] + off)

        if self.linenos:
            outfile.write("\\n")'''

REWRITES = {"def check_label": hoisted, "def format_unencoded": cached}
served = []


def answer(request):
    first = next((m["content"] for m in request.messages if m.get("role") == "user"), "")
    if prompt_kind(request) == "candidate":
        for key, code in REWRITES.items():
            if key in first:
                served.append(key)
                return Reply("Here is a faster version:\n\n```python\n" + code + "\n```\n")
    served.append("prose")
    return Reply("I have no further improvement to suggest for this code.")


server = LLMServer(("hand",))
server.default = answer
server.start()
print(server.base_url, flush=True)
try:
    while True:
        time.sleep(5)
        print("served", served, flush=True)
except KeyboardInterrupt:
    pass
