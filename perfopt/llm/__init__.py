"""perfopt.llm: the only place that talks to a model (any OpenAI-compatible endpoint).

    config = ModelConfig.from_settings(settings, project)   # None: no model configured
    client = LLMClient(config)
    candidates = generate(target, def_source, PromptContext(...), client)
    better = refine(candidate, verdict.gate, evidence, context, client, original_def=def_source)
    run_result_usage = client.usage.to_dict(); warnings += client.warnings

Nothing here imports openai until a request is really sent.
"""

from perfopt.llm.client import (
    BudgetExceeded,
    LLMClient,
    LLMError,
    ModelConfig,
    ModelUnavailable,
    Usage,
)
from perfopt.llm.engine import (
    PrivateCode,
    PromptContext,
    generate,
    preview,
    refine,
    summarize_suite,
)
from perfopt.llm.parse import ReplyError, extract_code
from perfopt.llm.privacy import is_private
from perfopt.llm.prompts import PromptError, render

__all__ = [
    "BudgetExceeded",
    "LLMClient",
    "LLMError",
    "ModelConfig",
    "ModelUnavailable",
    "PrivateCode",
    "PromptContext",
    "PromptError",
    "ReplyError",
    "Usage",
    "extract_code",
    "generate",
    "is_private",
    "preview",
    "refine",
    "render",
    "summarize_suite",
]
