"""A real local HTTP server that speaks the OpenAI chat-completions protocol, for tests.

It listens on 127.0.0.1 (port 0 = any free port) in a background thread, answers
POST /v1/chat/completions from a per-test script and GET /v1/models from a list, and
records every request so a test can assert on what perfopt sent.

    def test_x(llm_server):
        llm_server.push(Status(429, {"Retry-After": "1"}), Reply("```python\\ndef f(): ...\\n```"))
        config = ModelConfig(model="test-model", base_url=llm_server.base_url)

Use it as a plugin (`pytest_plugins = ["tests.llm_server"]` in the root conftest.py) or
import the fixture (`from tests.llm_server import llm_server`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Reply:
    """A 200 chat completion. One text per choice; a single text is repeated for n > 1."""

    text: str | tuple[str, ...]
    prompt_tokens: int = 10
    completion_tokens: int = 20
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Status:
    """An HTTP error status with headers (e.g. Retry-After) and a body (OpenAI error JSON
    by default)."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class Raw:
    """Any body, sent as is: malformed JSON, a wrong shape, HTML from a proxy."""

    body: str
    code: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Delay:
    """Wait `seconds` before answering with `then` (a client timeout shorter than the wait
    sees no answer)."""

    seconds: float
    then: Reply | Status | Raw | None = None


Response = Reply | Status | Delay | Raw


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.body.get("messages", []) if isinstance(self.body, dict) else []

    @property
    def text(self) -> str:
        """All message contents joined: handy for `in` assertions."""
        return "\n".join(m.get("content", "") for m in self.messages)


class LLMServer:
    def __init__(self, models: tuple[str, ...] = ("test-model",)) -> None:
        self.models = models
        self.requests: list[Recorded] = []
        self.default: Response | Callable[[Recorded], Response] | None = None
        self._script: deque[Response] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def push(self, *responses: Response) -> LLMServer:
        """Queue responses, answered in order; when the queue is empty `default` answers
        (a callable gets the request), else a 500 saying the script ran out."""
        with self._lock:
            self._script.extend(responses)
        return self

    def start(self) -> LLMServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()  # wakes any Delay still sleeping
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LLMServer:  # noqa: PYI034 - final in practice
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # called from handler threads
    def _next(self, request: Recorded) -> Response:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
            default = self.default
        if default is None:
            return Status(500, body=_error("test server: no scripted response left"))
        return default(request) if callable(default) else default


def prompt_kind(request: Recorded) -> str:
    """Which of perfopt's prompts a request is: "stress" (stress conditions, for a function
    or a program), "refine", or "candidate" (the optimize prompt, with any asks again)."""
    first = next((m.get("content", "") for m in request.messages if m.get("role") == "user"),
                 "")
    if first.startswith("Find the inputs"):
        return "stress"
    if "was rejected at the" in first:
        return "refine"
    return "candidate"


class ByPrompt:
    """A `default` for LLMServer that answers each prompt kind (`prompt_kind`) from its own
    list, in turn, and with `fallback` once that list is used up; `served` records
    (kind, index in its list or -1 for the fallback) per request, in order."""

    def __init__(self, replies: dict[str, list[Response]], fallback: Response) -> None:
        self.replies = replies
        self.fallback = fallback
        self.served: list[tuple[str, int]] = []
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Recorded) -> Response:
        kind = prompt_kind(request)
        with self._lock:
            i = self._next.get(kind, 0)
            queue = self.replies.get(kind, [])
            if i < len(queue):
                self._next[kind] = i + 1
                self.served.append((kind, i))
                return queue[i]
            self.served.append((kind, -1))
            return self.fallback

    def used(self, kind: str) -> int:
        """How many of `kind`'s replies were served."""
        return self._next.get(kind, 0)


def _error(message: str, code: str | None = None) -> str:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                 "code": code}})


def _completion(reply: Reply, body: Any) -> str:
    n = body.get("n", 1) if isinstance(body, dict) else 1
    texts = list(reply.text) if isinstance(reply.text, tuple) else [reply.text] * (n or 1)
    return json.dumps({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model") if isinstance(body, dict) else "test-model",
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": t},
             "finish_reason": reply.finish_reason}
            for i, t in enumerate(texts)
        ],
        "usage": {"prompt_tokens": reply.prompt_tokens,
                  "completion_tokens": reply.completion_tokens,
                  "total_tokens": reply.prompt_tokens + reply.completion_tokens},
    })


def _handler_for(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def _send(self, code: int, body: str, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            data = body.encode("utf-8")
            try:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to answer

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                with server._lock:
                    server.requests.append(Recorded("GET", self.path, dict(self.headers), None))
                self._send(200, json.dumps({"object": "list", "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in server.models]}))
            else:
                self._send(404, _error(f"no route {self.path}"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, _error(f"no route {self.path}"))
                return
            request = Recorded("POST", self.path, dict(self.headers), body)
            self._answer(server._next(request), body)

        def _answer(self, response: Response, body: Any) -> None:
            if isinstance(response, Delay):
                if server._stop.wait(response.seconds) or response.then is None:
                    self.close_connection = True
                    return
                response = response.then
            if isinstance(response, Reply):
                self._send(200, _completion(response, body))
            elif isinstance(response, Status):
                text = response.body if response.body is not None else _error(
                    f"scripted status {response.code}")
                self._send(response.code, text, response.headers)
            elif isinstance(response, Raw):
                self._send(response.code, response.body, content_type=response.content_type)
            else:
                self._send(500, _error(f"test server: bad script entry {response!r}"))

    return Handler


@pytest.fixture
def llm_server() -> Iterator[LLMServer]:
    """A started LLMServer, closed after the test."""
    with LLMServer() as server:
        yield server
