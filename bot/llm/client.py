"""The interface between the reasoner and a chat model: one request, one response, typed errors.

The reasoner (``bot.llm.reasoner``) sees only :class:`LLMClient`; the one real implementation is
``bot.adapters.llm.LiteLLMClient`` (the only module importing ``litellm``). Tests and evals drive
that real client against the scripted OpenAI-compatible server of ``bot.testing.fake_llm``.

Messages and tool specs use the OpenAI chat-completions shapes (plain dicts), which litellm
translates for every other provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.core.errors import QuorumError


class ErrorKind(StrEnum):
    """Why a model call failed. Only :data:`RETRYABLE` kinds are retried (same model)."""

    timeout = "timeout"
    rate_limit = "rate_limit"
    server = "server"
    connection = "connection"
    auth = "auth"
    bad_request = "bad_request"
    not_found = "not_found"
    context_window = "context_window"
    invalid_response = "invalid_response"
    config = "config"


RETRYABLE: frozenset[ErrorKind] = frozenset(
    {ErrorKind.timeout, ErrorKind.rate_limit, ErrorKind.server, ErrorKind.connection}
)
"""Timeouts, HTTP 429 and 5xx (and dropped connections): worth another try after a backoff.
Auth errors, bad requests and the like are never retried: the same request fails the same way."""


class LLMCallError(QuorumError):
    """A model call failed for good (after the client's own retries and fallbacks).

    ``kind`` classifies it; ``status_code`` is the HTTP status when there was one; ``model`` the
    model id of the last attempt; ``retry_after`` the server's Retry-After in seconds, if sent.
    ``str(exc)`` is one line, without credentials.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        model: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.model = model
        self.status_code = status_code
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """True for timeouts, 429, 5xx and connection errors."""
        return self.kind in RETRYABLE


class ToolCall(BaseModel):
    """A tool call requested by the model: ``arguments`` is the raw JSON text the model wrote."""

    id: str
    name: str
    arguments: str = ""


class ChatResponse(BaseModel):
    """One model answer.

    - ``model``: the model id that actually answered (one of the ids passed to
      :meth:`LLMClient.complete`; a fallback when the earlier ones failed).
    - ``finish_reason``: ``stop``, ``tool_calls``, ``length`` (cut by the output limit), ...
    - ``prompt_tokens`` / ``completion_tokens``: as reported by the provider (``usage``).
    - ``cost_usd``: from litellm's offline cost map; None when the model is not in it.
    - ``latency_ms``: wall time of the whole call, retries and backoff included.
    - ``attempts``: HTTP requests made; ``failures``: one line per failed attempt or model.
    """

    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    attempts: int = 1
    failures: list[str] = Field(default_factory=list)

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class LLMClient(Protocol):
    """A chat-completions client with its own retry and fallback policy."""

    def complete(
        self,
        models: Sequence[str],
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str = "auto",
        max_tokens: int = 1500,
    ) -> ChatResponse:
        """Ask ``models[0]``; on failure retry (retryable kinds only), then try each later model.

        ``tool_choice``: ``"auto"`` or ``"none"`` (answer now, in text). Returns the first answer.
        Raises :class:`LLMCallError` when every model failed (the error of the last one; the
        failures of earlier ones are in its message).
        """
        ...

    def context_window(self, model: str) -> int | None:
        """Maximum input tokens of ``model``, or None when unknown."""
        ...
