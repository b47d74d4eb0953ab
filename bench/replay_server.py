"""A local OpenAI-compatible server that replays programs real models wrote.

It serves `../shared/datasets/pie-llm/generations.jsonl` (programs by OpenAI Codex and
CodeGen-16B for the slow programs of PIE-Python dev pairs) keyed by the slow program in
the prompt: a candidate prompt ("Make this Python program faster.") that holds a pair's
slow program gets that pair's generations in turn (the i-th such request the i-th one,
wrapping round). Every other prompt (refinement, stress conditions, a re-ask) gets a short
prose reply with no code, as a model that has nothing more to offer would send. Standard
library only; it does not import perfopt.

    python bench/replay_server.py --port 8011 &
    OPENAI_BASE_URL=http://127.0.0.1:8011/v1 perfopt eval pie --engine llm \
        --model pie-replay --data DATA_WITH_PAIRS
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("PIE_SHARED") or next(
    (p / "shared" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()),
    Path("/work/shared"))) / "datasets"
GENERATIONS = SHARED / "pie-llm" / "generations.jsonl"
PAIRS = SHARED / "pie-python" / "pairs.jsonl"
NO_CODE = "I cannot make this faster without risking a change in behaviour."


def _norm(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())


def load(generations: Path = GENERATIONS, pairs: Path = PAIRS) -> dict[str, list[dict]]:
    """Normalized slow program -> its generation rows (each with `slow_code`, `fast_code`)."""
    slow: dict[tuple[str, str], dict] = {}
    for line in pairs.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        slow[(row["problem_id"], row["submission_id_v0"])] = row
    out: dict[str, list[dict]] = {}
    for line in generations.read_text(encoding="utf-8").splitlines():
        gen = json.loads(line)
        pair = slow[(gen["problem_id"], gen["submission_id_v0"])]
        gen = {**gen, "slow_code": pair["slow_code"], "fast_code": pair["fast_code"]}
        out.setdefault(_norm(pair["slow_code"]), []).append(gen)
    return out


class ReplayServer:
    """Serves the generations on 127.0.0.1:`port` (0: any free port) in a thread."""

    def __init__(self, generations: dict[str, list[dict]], port: int = 0) -> None:
        self.generations = generations
        self.served: list[dict] = []  # the generation rows sent, in order
        self.requests: Counter[str] = Counter()  # prompt kind -> count
        self._asked: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, messages: list[dict[str, str]]) -> str:
        """The reply text for a conversation."""
        last = messages[-1].get("content", "") if messages else ""
        if len(messages) > 2 or not last.lower().startswith("make this python program faster"):
            kind = "other" if len(messages) <= 2 else "re-ask"
            with self._lock:
                self.requests[kind] += 1
            return NO_CODE
        text = _norm(last)
        # the longest slow program found in the prompt (a short one may sit inside another)
        match = max((k for k in self.generations if k in text), key=len, default=None)
        with self._lock:
            if match is None:
                self.requests["candidate, unknown program"] += 1
                return NO_CODE
            self.requests["candidate"] += 1
            rows = self.generations[match]
            row = rows[self._asked[match] % len(rows)]
            self._asked[match] += 1
            self.served.append(row)
        return f"Here is a faster version.\n\n```python\n{row['generated_code'].rstrip()}\n```\n"


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, payload: Any) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [
                    {"id": "pie-replay", "object": "model", "created": 0, "owned_by": "pie"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(raw)
                messages = body["messages"]
            except (ValueError, KeyError, TypeError):
                self._send(400, {"error": {"message": "expected a chat completion request"}})
                return
            n = int(body.get("n") or 1)
            texts = [server.answer(messages) for _ in range(n)]
            self._send(200, {
                "id": "chatcmpl-replay", "object": "chat.completion",
                "created": int(time.time()), "model": body.get("model", "pie-replay"),
                "choices": [{"index": i, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": t}}
                            for i, t in enumerate(texts)],
                "usage": {"prompt_tokens": sum(len(m.get("content", "")) for m in messages) // 4,
                          "completion_tokens": sum(len(t) for t in texts) // 4,
                          "total_tokens": 0}})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8011)
    args = parser.parse_args()
    server = ReplayServer(load(), args.port).start()
    print(f"serving {sum(map(len, server.generations.values()))} generations at "
          f"{server.base_url}", flush=True)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()
