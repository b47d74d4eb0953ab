"""The one seam to a model: any OpenAI-compatible chat-completions endpoint.

`LLMClient.chat` adds what the openai package leaves to us: our own retry policy (a table,
below), a content-addressed reply cache, a replay mode that never touches the network, a
concurrency limit, and token/cost accounting with a hard budget.

Waiting is bounded per request: all tries of one request, and the waits between them,
share `total_timeout_s` (llm_total_timeout_s, 60 s), counted from when the request first
holds a concurrency slot; each try also stops at `timeout_s` (llm_timeout_s). An endpoint
that accepts and never answers used to hold a run for 4 tries x 120 s; now the request
gives up within the total, and the run's ModelGuard turns the model off, so a silent
endpoint costs one total per run (requests in flight at once share the same wall time).
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfopt.errors import PerfoptError, UserError
from perfopt.llm.cache import ReplyCache, cache_key
from perfopt.llm.parse import CUT_MARK

if TYPE_CHECKING:
    from perfopt.config import Settings

Message = dict[str, str]
MIN_TRY_S = 1.0  # a try with less time than this left is not started


class LLMError(PerfoptError):
    """The model could not help this time (budget spent, endpoint down, private code).
    The pipeline reports it as a warning and carries on with codemod candidates."""


class BudgetExceeded(LLMError):
    """The token budget is spent: no new request is sent."""


class ModelUnavailable(LLMError):
    """Retries ran out on transient failures (429, 5xx, timeouts, broken replies)."""


class MalformedResponse(Exception):
    """The endpoint answered 200 but not with a chat completion we can read."""


@dataclass(frozen=True)
class ModelConfig:
    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    max_tokens: int = 4096
    timeout_s: float = 120.0  # one try
    total_timeout_s: float = 60.0  # one request: every try and every wait between them
    concurrency: int = 4
    candidates: int = 2
    refine_rounds: int = 2
    token_budget: int = 200_000
    max_model_calls: int = 0  # 0: no cap
    max_cost_usd: float | None = None
    price_per_mtok_in: float | None = None
    price_per_mtok_out: float | None = None
    cache: bool = True
    cache_dir: Path | None = None
    replay_dir: Path | None = None
    project: Path | None = None  # for the privacy check (git check-ignore runs here)
    attempts: int = 4  # tries per request, first one included
    backoff_s: float = 0.5  # first retry wait; doubles each time
    max_wait_s: float = 30.0  # cap on any single wait, Retry-After included
    parse_retries: int = 1  # extra requests per candidate when a reply holds no usable code

    @classmethod
    def from_settings(cls, settings: Settings, project: Path) -> ModelConfig | None:
        """None when no model is configured: perfopt then runs codemods only."""
        if not settings.model:
            return None
        project = Path(project).resolve()
        replay = None
        if settings.replay_dir:
            replay = Path(settings.replay_dir)
            replay = replay if replay.is_absolute() else project / replay
        return cls(
            model=settings.model,
            base_url=settings.base_url,
            api_key_env=settings.api_key_env,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            timeout_s=settings.llm_timeout_s,
            total_timeout_s=settings.llm_total_timeout_s,
            concurrency=settings.concurrency,
            candidates=settings.candidates,
            refine_rounds=settings.refine_rounds,
            token_budget=settings.token_budget,
            max_model_calls=settings.max_model_calls,
            max_cost_usd=settings.max_cost_usd,
            price_per_mtok_in=settings.price_per_mtok_in,
            price_per_mtok_out=settings.price_per_mtok_out,
            cache=settings.cache,
            cache_dir=project / ".perfopt" / "cache" / "llm",
            replay_dir=replay,
            project=project,
        )


class Usage:
    """Tokens and cost so far, shared by every thread of a run."""

    def __init__(self, price_in: float | None = None, price_out: float | None = None) -> None:
        self._lock = threading.Lock()
        self._price_in = price_in
        self._price_out = price_out
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.requests = 0  # requests that reached the endpoint, retries included
        self.cached = 0  # replies served from the cache or replay folder

    def add(self, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock:
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def count_cached(self) -> None:
        with self._lock:
            self.cached += 1

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float | None:
        if self._price_in is None and self._price_out is None:
            return None
        return (
            self.prompt_tokens * (self._price_in or 0.0)
            + self.completion_tokens * (self._price_out or 0.0)
        ) / 1e6

    def to_dict(self) -> dict[str, float]:
        """For `RunResult.usage`."""
        with self._lock:
            out: dict[str, float] = {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "requests": self.requests,
                "cached": self.cached,
            }
        if self.cost is not None:
            out["cost_usd"] = round(self.cost, 6)
        return out


# --- retry policy ---------------------------------------------------------------------
# (exception class name in openai, or ours) -> retry? -> one line for the user.
# Order matters: the first class the exception is an instance of wins (APITimeoutError
# subclasses APIConnectionError). {model}, {env}, {url}, {status}, {detail} are filled in.
RETRY_POLICY: tuple[tuple[str, bool, str], ...] = (
    ("AuthenticationError", False,
     "model endpoint rejected the API key ({status}): set {env} or api_key_env"),
    ("PermissionDeniedError", False,
     "model endpoint refused access ({status}) for model '{model}': check {env} and its rights"),
    ("NotFoundError", False,
     "model '{model}' was not found at {url} ({status}): run `perfopt models` or check the name"),
    ("RateLimitError", True, "model endpoint kept rate-limiting (429): {detail}"),
    ("InternalServerError", True, "model endpoint kept failing ({status}): {detail}"),
    ("APITimeoutError", True,
     "model endpoint did not answer in time: check the server, or raise llm_timeout_s "
     "and llm_total_timeout_s"),
    ("APIConnectionError", True, "cannot reach the model endpoint at {url}: {detail}"),
    ("MalformedResponse", True, "model endpoint sent something other than a completion: {detail}"),
    ("JSONDecodeError", True, "model endpoint sent invalid JSON: {detail}"),
    ("BadRequestError", False, "model endpoint rejected the request ({status}): {detail}"),
    ("UnprocessableEntityError", False,
     "model endpoint rejected the request ({status}): {detail}"),
    ("APIStatusError", False, "model endpoint failed ({status}): {detail}"),
)


def classify(exc: BaseException) -> tuple[bool, str] | None:
    """(retry?, message template) for an exception, or None when it is not the endpoint's."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    for name, retry, template in RETRY_POLICY:
        if name in names:
            return retry, template
    return None


def retry_after_s(exc: BaseException, now: float | None = None) -> float | None:
    """Seconds asked for by a Retry-After (or retry-after-ms) header, when there is one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _detail(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


class LLMClient:
    """Chat completions with retries, cache, replay, a concurrency limit and a budget."""

    def __init__(self, config: ModelConfig, *, sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.usage = Usage(config.price_per_mtok_in, config.price_per_mtok_out)
        self.warnings: list[str] = []  # engine notes for RunResult.warnings (thread-safe append)
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max(1, config.concurrency))
        self._openai: Any = None
        self._openai_lock = threading.Lock()
        if config.replay_dir is not None:
            self._cache: ReplyCache | None = ReplyCache(config.replay_dir, read_only=True)
        elif config.cache and config.cache_dir is not None:
            self._cache = ReplyCache(config.cache_dir)
        else:
            self._cache = None

    @property
    def model(self) -> str:
        return self.config.model

    def _client(self) -> Any:
        # openai takes ~0.3 s to import: only pay for it when a request is really sent.
        with self._openai_lock:
            if self._openai is None:
                import openai

                self._openai = openai.OpenAI(
                    base_url=self.config.base_url,
                    api_key=os.environ.get(self.config.api_key_env) or "not-needed",
                    max_retries=0,  # the retry policy is ours (table above)
                    timeout=self.config.timeout_s,
                )
            return self._openai

    # --- public -------------------------------------------------------------------------

    def chat(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float | None = None,
        variant: int = 0,
        key_messages: list[Message] | None = None,
    ) -> list[str]:
        """Reply texts (n of them) for `messages`.

        `variant` separates otherwise identical requests in the cache, so candidate #2 is
        not candidate #1 served again. `key_messages`, when given, stands in for `messages`
        in the cache key (the engine leaves out numbers that change from run to run)."""
        temp = self.config.temperature if temperature is None else temperature
        params = {"temperature": temp, "max_tokens": self.config.max_tokens, "n": n,
                  "variant": variant}
        key = cache_key(self.config.model, messages if key_messages is None else key_messages,
                        params)
        if self._cache is not None:
            hit = self._cache.get(key)
            if hit is not None:
                self.usage.count_cached()
                return hit
            if self._cache.read_only:
                raise UserError(
                    f"no cached reply for this prompt in {self._cache.folder} (key {key[:12]}):"
                    " record one with cache on and no replay_dir, or unset replay_dir"
                )
        replies = self._with_retries(
            lambda timeout_s: self._send(messages, n=n, temperature=temp, timeout_s=timeout_s)
        )
        if self._cache is not None:
            self._cache.put(key, self.config.model, messages, params, replies)
        return replies

    def list_models(self) -> list[str]:
        """Model ids the endpoint offers (GET /v1/models)."""
        if self.config.replay_dir is not None:
            raise UserError("replay_dir is set: listing models needs the network; unset it")
        page = self._with_retries(lambda timeout_s: self._client().models.list(
            timeout=timeout_s), budget=False)
        return sorted(m.id for m in page)

    # --- internals ----------------------------------------------------------------------

    def _send(self, messages: list[Message], *, n: int, temperature: float,
              timeout_s: float) -> list[str]:
        kwargs: dict[str, Any] = {"model": self.config.model, "messages": messages,
                                  "temperature": temperature,
                                  "max_tokens": self.config.max_tokens, "timeout": timeout_s}
        if n != 1:  # some servers (Ollama) reject n entirely; only send it when needed
            kwargs["n"] = n
        response = self._client().chat.completions.create(**kwargs)
        choices = getattr(response, "choices", None)
        if not choices:
            raise MalformedResponse(f"no choices in {str(response)[:120]!r}")
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage.add(usage.prompt_tokens or 0, usage.completion_tokens or 0)
        texts = []
        for choice in choices:
            content = getattr(getattr(choice, "message", None), "content", None)
            cut = getattr(choice, "finish_reason", None) == "length"  # parse refuses it
            texts.append((content or "") + (CUT_MARK if cut and content else ""))
        if not any(texts):
            raise MalformedResponse("every choice is empty")
        return texts

    def _with_retries(self, call: Callable[[float], Any], *, budget: bool = True) -> Any:
        """`call(timeout_s)` tried up to `attempts` times within `total_timeout_s`."""
        cfg = self.config
        self._client()  # importing openai (~0.3 s, seconds under load) is not waiting
        last: BaseException | None = None
        deadline: float | None = None
        tries = 0
        for attempt in range(max(1, cfg.attempts)):
            if budget:
                self._check_budget()
            with self._slots:
                now = time.monotonic()
                deadline = now + cfg.total_timeout_s if deadline is None else deadline
                if tries and deadline - now < MIN_TRY_S:
                    break
                self.usage.count_request()
                tries += 1
                try:
                    return call(min(cfg.timeout_s, deadline - now))
                except Exception as exc:
                    rule = classify(exc)
                    if rule is None:
                        raise
                    retry, template = rule
                    if not retry:
                        raise UserError(self._message(template, exc)) from exc
                    last = exc
            if attempt + 1 >= cfg.attempts:
                break
            wait = retry_after_s(last) if last is not None else None
            if wait is None:
                # jitter keeps parallel candidates from retrying in lock-step
                wait = cfg.backoff_s * (2**attempt) * (0.5 + random.random())
            wait = min(wait, cfg.max_wait_s)
            if wait > deadline - time.monotonic() - MIN_TRY_S:
                break  # no time left for another try after the wait
            self._sleep(wait)
        assert last is not None
        _, template = classify(last) or (True, "{detail}")
        raise ModelUnavailable(self._message(template, last) + self._gave_up(tries)
                               ) from last

    def _check_budget(self) -> None:
        """BudgetExceeded, naming the setting to raise, once any cap is reached."""
        cfg, usage = self.config, self.usage
        if usage.total_tokens >= cfg.token_budget:
            raise BudgetExceeded(
                f"token budget of {cfg.token_budget} spent ({usage.total_tokens} used):"
                " raise token_budget to let the model try more")
        if cfg.max_model_calls and usage.requests >= cfg.max_model_calls:
            raise BudgetExceeded(
                f"model call cap of {cfg.max_model_calls} reached ({usage.requests} sent):"
                " no more model calls this run; raise max_model_calls to allow more")
        cost = usage.cost
        if cfg.max_cost_usd is not None and cost is not None and cost >= cfg.max_cost_usd:
            raise BudgetExceeded(
                f"cost cap of ${cfg.max_cost_usd:g} reached (${cost:.4f} spent):"
                " raise max_cost_usd to let the model try more")

    def _gave_up(self, tries: int) -> str:
        cfg = self.config
        if tries >= cfg.attempts:
            return f" (gave up after {cfg.attempts} attempts)"
        return (f" (gave up after {tries} of {cfg.attempts} attempts: llm_total_timeout_s = "
                f"{cfg.total_timeout_s:g} s bounds one request)")

    def _message(self, template: str, exc: BaseException) -> str:
        return template.format(
            model=self.config.model,
            env=self.config.api_key_env,
            url=self.config.base_url or "the default OpenAI endpoint",
            status=getattr(exc, "status_code", "?"),
            detail=_detail(exc),
        )


def dumps_messages(messages: list[Message]) -> str:
    """Plain text of a conversation, as `--show-prompts` prints it."""
    parts = [f"--- {m['role']} ---\n{m['content']}" for m in messages]
    return "\n".join(parts) + "\n"


__all__ = [
    "RETRY_POLICY",
    "BudgetExceeded",
    "LLMClient",
    "LLMError",
    "MalformedResponse",
    "Message",
    "ModelConfig",
    "ModelUnavailable",
    "Usage",
    "classify",
    "dumps_messages",
]
