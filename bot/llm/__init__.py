"""The LLM reasoning layer: an optional, advisory reviewer beside each sub-agent's analyzers.

Pure logic over the core models; the one module that talks to a model provider is
``bot.adapters.llm`` (litellm). Public API:

- :class:`Reasoner`, :class:`ReasonerConfig`: ``Reasoner(client, config, cache=...)`` is the
  callable placed in ``ReviewContext.llm``; ``reasoner(agent, ctx, analysis) -> Verdict``.
- :class:`LLMClient`, :class:`ChatResponse`, :class:`ToolCall`, :class:`LLMCallError`,
  :class:`ErrorKind`: the client interface.
- :class:`AgentAnswer`, :func:`parse_answer`, :class:`AnswerError`: the answer schema.
- :class:`MemoryCache`, :class:`DiskCache`, :func:`cache_key`: the answer cache.
- :func:`load_prompt`: versioned system prompts.
"""

from bot.llm.cache import AnswerCache, DiskCache, MemoryCache, cache_key
from bot.llm.client import RETRYABLE, ChatResponse, ErrorKind, LLMCallError, LLMClient, ToolCall
from bot.llm.prompts import Prompt, load_prompt
from bot.llm.reasoner import Reasoner, ReasonerConfig
from bot.llm.schema import AgentAnswer, AnswerError, AnswerFinding, FindingKind, parse_answer

__all__ = [
    "RETRYABLE",
    "AgentAnswer",
    "AnswerCache",
    "AnswerError",
    "AnswerFinding",
    "ChatResponse",
    "DiskCache",
    "ErrorKind",
    "FindingKind",
    "LLMCallError",
    "LLMClient",
    "MemoryCache",
    "Prompt",
    "Reasoner",
    "ReasonerConfig",
    "ToolCall",
    "cache_key",
    "load_prompt",
    "parse_answer",
]
