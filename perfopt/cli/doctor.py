"""`perfopt doctor`: is the model set up? One line per check, and what to fix."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

import typer

from perfopt.cli.app import app
from perfopt.cli.guard import guarded


@dataclasses.dataclass
class Check:
    name: str
    ok: bool | None  # None: skipped (an earlier check failed, or nothing to check)
    detail: str
    fix: str = ""


def run_checks(model: str | None, base_url: str | None, api_key_env: str,
               timeout_s: float) -> list[Check]:
    """Endpoint and model settings, the model list, one round trip with its latency."""
    from perfopt.errors import PerfoptError
    from perfopt.llm.client import LLMClient, ModelConfig

    url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    checks = [Check("endpoint", True, url + ("" if base_url or os.environ.get("OPENAI_BASE_URL")
                                             else " (the default: OpenAI)"))]
    if not model:
        checks.append(Check("model", False, "no model set",
                            "pass --model NAME, set PERFOPT_MODEL, or model in [tool.perfopt]"))
        return checks
    if "api.openai.com" in url and not os.environ.get(api_key_env):
        checks.append(Check("api key", False, f"{api_key_env} is not set",
                            f"export {api_key_env}=... (or point base_url at a local server)"))
    client = LLMClient(ModelConfig(model=model, base_url=base_url, api_key_env=api_key_env,
                                   cache=False, attempts=1, timeout_s=timeout_s,
                                   total_timeout_s=timeout_s, max_tokens=16, temperature=0.0))
    try:
        offered = client.list_models()
    except PerfoptError as exc:
        reachable = "not found" in str(exc) or "404" in str(exc)
        checks.append(Check("models", None if reachable else False,
                            f"listing models failed: {exc}",
                            "" if reachable else "start the server, or fix base_url / "
                            "OPENAI_BASE_URL"))
        if not reachable:
            checks.append(Check("round trip", None, "skipped: the endpoint is not reachable"))
            return checks
    else:
        found = model in offered
        shown = ", ".join(offered[:8]) + (" ..." if len(offered) > 8 else "")
        checks.append(Check("model", found, f"'{model}' " + ("offered" if found else
                            f"not among the {len(offered)} offered: {shown or 'none'}"),
                            "" if found else "set model to one of the names offered"))
    started = time.monotonic()
    try:
        reply = client.chat([{"role": "user", "content": "Reply with the word OK."}])[0]
    except PerfoptError as exc:
        checks.append(Check("round trip", False, str(exc),
                            "check the server's log; raise llm_timeout_s for a slow model"))
        return checks
    latency = time.monotonic() - started
    usage = client.usage
    checks.append(Check("round trip", True, f"{latency:.2f} s, {usage.prompt_tokens}+"
                        f"{usage.completion_tokens} tokens, reply {reply.strip()[:40]!r}"))
    return checks


@app.command("doctor")
@guarded
def doctor(
    model: str | None = typer.Option(None, help="Model name [settings]."),
    base_url: str | None = typer.Option(None, help="Endpoint, e.g. http://localhost:8000/v1."),
    timeout: float = typer.Option(20.0, help="Seconds each check may wait."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Check the model setup: endpoint, model name, a round trip and its latency."""
    from perfopt import jsonout
    from perfopt.config import load_settings

    settings = load_settings(Path.cwd(), {"model": model, "base_url": base_url})
    checks = run_checks(settings.model, settings.base_url, settings.api_key_env, timeout)
    ok = all(c.ok is not False for c in checks)
    if json_out:
        out: dict[str, Any] = {"ok": ok, "model": settings.model,
                               "checks": [dataclasses.asdict(c) for c in checks]}
        sys.stdout.write(jsonout.dumps(out) + "\n")
    else:
        for c in checks:
            mark = {True: "ok  ", False: "FAIL", None: "skip"}[c.ok]
            typer.echo(f"{mark} {c.name}: {c.detail}" + (f" -> fix: {c.fix}" if c.fix else ""))
    if not ok:
        raise typer.Exit(1)
